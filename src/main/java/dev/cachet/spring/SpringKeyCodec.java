package dev.cachet.spring;

import dev.cachet.KeyCodec;
import java.lang.reflect.Field;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.springframework.cache.interceptor.SimpleKey;

/**
 * The key codec of Spring caches: encodes the keys Spring's {@code SimpleKeyGenerator} passes ({@link
 * SimpleKey} of several parameters, or the single parameter itself) one-to-one. Every part is tagged
 * with its type and self-delimiting (strings length-prefixed, numbers terminated, composites
 * count-prefixed), so two keys Spring considers different never share an encoding: {@code 1} and
 * {@code 1L}, {@code "a,b"} and {@code ("a","b")} differ. Supported: {@code String}, boxed primitives,
 * {@code BigInteger}, {@code BigDecimal}, {@code UUID}, enums, a few {@code java.time} types, records
 * of supported types, arrays and lists of supported types, {@code SimpleKey} of supported types, and
 * {@code null} inside a {@code SimpleKey}. Anything else is refused with {@link
 * IllegalArgumentException} naming the type ({@code toString()} is never used: it may collide).
 *
 * <p>Encodings longer than {@link #HASH_THRESHOLD} characters become {@code h:} and the SHA-256 of the
 * full encoding (base64url), so long keys fit Redis and the cache's key-length limit while staying
 * unique in practice. Thread-safe and deterministic across JVMs.
 */
final class SpringKeyCodec implements KeyCodec<Object> {

  static final int HASH_THRESHOLD = 250;
  private static final int MAX_DEPTH = 16;
  static final SpringKeyCodec INSTANCE = new SpringKeyCodec();

  private static final Field SIMPLE_KEY_PARAMS = simpleKeyParams();

  private SpringKeyCodec() {}

  private static Field simpleKeyParams() {
    try {
      Field field = SimpleKey.class.getDeclaredField("params");
      field.setAccessible(true);
      return field;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public String encode(Object key) {
    StringBuilder out = new StringBuilder(32);
    append(out, key, 0);
    if (out.length() <= HASH_THRESHOLD) {
      return out.toString();
    }
    return "h:" + sha256(out.toString());
  }

  private static void append(StringBuilder out, Object key, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException(
          "cache key nested deeper than " + MAX_DEPTH + " levels: use a simpler key");
    }
    if (key == null) {
      out.append('n');
    } else if (key instanceof String s) {
      out.append('s').append(s.length()).append(':').append(s);
    } else if (key instanceof Integer i) {
      out.append('I').append(i).append(';');
    } else if (key instanceof Long l) {
      out.append('L').append(l).append(';');
    } else if (key instanceof Short s) {
      out.append('S').append(s).append(';');
    } else if (key instanceof Byte b) {
      out.append('B').append(b).append(';');
    } else if (key instanceof Boolean b) {
      out.append(b ? "Z1" : "Z0");
    } else if (key instanceof Character c) {
      out.append('C').append((int) c).append(';');
    } else if (key instanceof Double d) {
      out.append('D').append(Double.doubleToLongBits(d)).append(';');
    } else if (key instanceof Float f) {
      out.append('F').append(Float.floatToIntBits(f)).append(';');
    } else if (key instanceof BigInteger b) {
      out.append('G').append(b).append(';');
    } else if (key instanceof BigDecimal b) {
      out.append('M').append(b.unscaledValue()).append('e').append(b.scale()).append(';');
    } else if (key instanceof UUID u) {
      out.append('U').append(u).append(';');
    } else if (key instanceof Enum<?> e) {
      out.append('E');
      appendName(out, e.getDeclaringClass().getName());
      appendName(out, e.name());
    } else if (key instanceof Instant
        || key instanceof LocalDate
        || key instanceof LocalDateTime
        || key instanceof LocalTime
        || key instanceof Duration) {
      out.append('J');
      appendName(out, key.getClass().getSimpleName());
      appendName(out, key.toString());
    } else if (key instanceof SimpleKey simpleKey) {
      appendAll(out, 'K', simpleKeyParams(simpleKey), depth);
    } else if (key instanceof Object[] array) {
      appendAll(out, 'A', array, depth);
    } else if (key instanceof List<?> list) {
      appendAll(out, 'T', list.toArray(), depth);
    } else if (key.getClass().isRecord()) {
      appendRecord(out, (Record) key, depth);
    } else {
      throw new IllegalArgumentException(
          "cache keys of type "
              + key.getClass().getName()
              + " have no unique string form: use a String, number, UUID, enum, record or a"
              + " SimpleKey of those, give @Cacheable a key expression that builds one, or"
              + " configure a KeyCodec on the CachetCacheManager");
    }
  }

  private static void appendName(StringBuilder out, String name) {
    out.append(name.length()).append(':').append(name);
  }

  private static void appendAll(StringBuilder out, char tag, Object[] parts, int depth) {
    out.append(tag).append(parts.length).append('(');
    for (Object part : parts) {
      append(out, part, depth + 1);
    }
    out.append(')');
  }

  private static void appendRecord(StringBuilder out, Record record, int depth) {
    RecordComponent[] components = record.getClass().getRecordComponents();
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      try {
        var accessor = components[i].getAccessor();
        accessor.setAccessible(true);
        values[i] = accessor.invoke(record);
      } catch (ReflectiveOperationException | RuntimeException e) {
        throw new IllegalArgumentException(
            "cannot read component "
                + components[i].getName()
                + " of record key type "
                + record.getClass().getName()
                + ": make the record public or give @Cacheable a key expression",
            e);
      }
    }
    out.append('R');
    appendName(out, record.getClass().getName());
    appendAll(out, '/', values, depth);
  }

  private static Object[] simpleKeyParams(SimpleKey key) {
    if (SIMPLE_KEY_PARAMS == null) {
      throw new IllegalStateException(
          "this Spring version's SimpleKey cannot be read: configure a KeyCodec on the"
              + " CachetCacheManager");
    }
    try {
      return (Object[]) SIMPLE_KEY_PARAMS.get(key);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot read SimpleKey parameters", e);
    }
  }

  private static String sha256(String encoded) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(encoded.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "SpringKeyCodec";
  }
}
