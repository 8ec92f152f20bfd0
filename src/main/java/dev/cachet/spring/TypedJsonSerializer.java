package dev.cachet.spring;

import dev.cachet.serialization.SerializationException;
import dev.cachet.serialization.ValueSerializer;
import dev.cachet.serialization.ValueSerializers;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * JSON for values whose type is only known at run time (what {@code @Cacheable} methods return): the
 * value's class name, then {@link ValueSerializers#json(Class)} of that class. Reading resolves the class
 * only when its name starts with one of the allowed prefixes, so bytes written to Redis by someone else
 * cannot make the application instantiate an arbitrary class; Jackson then binds to that declared class
 * without polymorphic typing. JDK types other than a few scalars are refused (a {@code List}'s element
 * type would be lost): cache a record that holds the collection instead.
 *
 * <p>Layout: two bytes (big-endian) of name length, the UTF-8 class name, the JSON. Thread-safe.
 */
final class TypedJsonSerializer implements ValueSerializer<Object> {

  /** Always allowed: the JDK's immutable scalar and {@code java.time} types JSON round-trips exactly. */
  static final List<String> BUILT_IN_TYPES =
      List.of(
          "java.lang.String",
          "java.lang.Integer",
          "java.lang.Long",
          "java.lang.Double",
          "java.lang.Boolean",
          "java.math.BigDecimal",
          "java.math.BigInteger",
          "java.time.Instant",
          "java.time.LocalDate",
          "java.time.LocalDateTime",
          "java.time.LocalTime",
          "java.time.OffsetDateTime",
          "java.time.Duration");

  private final List<String> allowedPrefixes;
  private final ClassLoader classLoader;
  private final ConcurrentMap<Class<?>, ValueSerializer<Object>> byClass = new ConcurrentHashMap<>();

  TypedJsonSerializer(List<String> allowedPackages, ClassLoader classLoader) {
    this.allowedPrefixes =
        allowedPackages.stream()
            .map(p -> Objects.requireNonNull(p, "allowed package must not be null").strip())
            .peek(
                p -> {
                  if (p.isEmpty() || p.equals(".") || p.equals("java") || p.startsWith("java.")) {
                    throw new IllegalArgumentException(
                        "allowed value package '"
                            + p
                            + "' is not accepted: name your application's packages (e.g."
                            + " com.example.model); JDK types other than the built-in scalars cannot"
                            + " be allowed");
                  }
                })
            .map(p -> p.endsWith(".") ? p : p + ".")
            .toList();
    this.classLoader = Objects.requireNonNull(classLoader, "classLoader must not be null");
  }

  boolean allows(String className) {
    if (BUILT_IN_TYPES.contains(className)) {
      return true;
    }
    for (String prefix : allowedPrefixes) {
      if (className.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public byte[] serialize(Object value) {
    Objects.requireNonNull(value, "value must not be null");
    Class<?> type = value.getClass();
    String name = type.getName();
    if (!allows(name)) {
      throw new SerializationException(
          "values of type "
              + name
              + " cannot be stored in Redis: "
              + (name.startsWith("java.") || name.startsWith("javax.")
                  ? "JSON would lose the element types of a JDK collection; return a record that holds"
                      + " it, or give the CachetCacheManager a ValueSerializer"
                  : "add its package to the allowed value packages"
                      + " (cachet.serialization.allowed-packages)"),
          null);
    }
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    byte[] body = serializerFor(type).serialize(value);
    byte[] out = new byte[2 + nameBytes.length + body.length];
    out[0] = (byte) (nameBytes.length >>> 8);
    out[1] = (byte) nameBytes.length;
    System.arraycopy(nameBytes, 0, out, 2, nameBytes.length);
    System.arraycopy(body, 0, out, 2 + nameBytes.length, body.length);
    return out;
  }

  @Override
  public Object deserialize(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes must not be null");
    if (bytes.length < 2) {
      throw new SerializationException("typed JSON value too short", null);
    }
    int nameLength = ((bytes[0] & 0xff) << 8) | (bytes[1] & 0xff);
    if (nameLength == 0 || bytes.length < 2 + nameLength) {
      throw new SerializationException("typed JSON value has a bad type name length", null);
    }
    String name = new String(bytes, 2, nameLength, StandardCharsets.UTF_8);
    if (!allows(name)) {
      throw new SerializationException(
          "stored value names a type outside the allowed value packages; not read", null);
    }
    Class<?> type;
    try {
      type = Class.forName(name, false, classLoader);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new SerializationException("stored value names a type this application lacks", e);
    }
    return serializerFor(type).deserialize(Arrays.copyOfRange(bytes, 2 + nameLength, bytes.length));
  }

  @SuppressWarnings("unchecked")
  private ValueSerializer<Object> serializerFor(Class<?> type) {
    return byClass.computeIfAbsent(type, t -> (ValueSerializer<Object>) ValueSerializers.json(t));
  }

  @Override
  public String toString() {
    return "TypedJsonSerializer(allowed=" + allowedPrefixes + ")";
  }
}
