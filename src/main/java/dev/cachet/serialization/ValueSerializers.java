package dev.cachet.serialization;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.cachet.internal.MultiFormatSerializer;
import dev.cachet.internal.OptionalDependencies;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The built-in {@link ValueSerializer}s. Every one is immutable and thread-safe, and none uses Java
 * serialization. Every factory throws {@code NullPointerException} for a null argument.
 *
 * <p><b>JSON.</b> {@link #json(Class)} and {@link #json(TypeReference)} use Jackson with the mapper of
 * {@link #defaultObjectMapper()}: unknown properties <em>ignored</em> (an older instance reading a value
 * written by a newer one that added a field still reads it), no default typing (the stored bytes never
 * choose the class to instantiate), and {@code java.time} types ({@code Instant}, {@code LocalDate},
 * {@code Duration}, {@code ZonedDateTime}...) written as ISO-8601 strings. To use your own mapper (your
 * modules, naming strategy, mix-ins), pass it to {@link #json(ObjectMapper, Class)} or {@link
 * #json(ObjectMapper, TypeReference)}; start from {@link #defaultObjectMapper()} to keep the defaults
 * above. Never enable default typing on a mapper used here: the bytes in Redis may come from anyone
 * who can write to it.
 *
 * <p><b>Bytes and strings.</b> {@link #bytes()} stores a {@code byte[]} value as it is, and {@link
 * #utf8Strings()} a {@code String} as its UTF-8 bytes (not JSON-quoted). {@link #forType(Class)} picks
 * {@code bytes()} for {@code byte[]} and JSON for anything else; {@code
 * RedisCacheBuilder.newBuilder(keyType, valueType)} uses it.
 */
public final class ValueSerializers {

  private static final ObjectMapper MAPPER = newDefaultMapper();

  private ValueSerializers() {}

  /**
   * A new mapper configured as the one {@link #json(Class)} uses: unknown properties ignored, {@code
   * java.time} support ({@code jackson-datatype-jsr310}) with dates, times and durations as ISO-8601
   * strings and zone ids kept, no default typing. Each call returns a new mapper, yours to configure
   * further before passing it to {@link #json(ObjectMapper, Class)}.
   */
  public static ObjectMapper defaultObjectMapper() {
    return newDefaultMapper();
  }

  private static ObjectMapper newDefaultMapper() {
    return JsonMapper.builder()
        .addModule(new JavaTimeModule())
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
        .enable(SerializationFeature.WRITE_DATES_WITH_ZONE_ID)
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
        .build();
  }

  /**
   * The serializer {@code RedisCacheBuilder.newBuilder(keyType, valueType)} picks for {@code type}:
   * {@link #bytes()} for {@code byte[]} (stored as is, not as base64 JSON), otherwise {@link
   * #json(Class)}.
   */
  @SuppressWarnings("unchecked")
  public static <V> ValueSerializer<V> forType(Class<V> type) {
    Objects.requireNonNull(type, "type must not be null");
    if (type == byte[].class) {
      return (ValueSerializer<V>) bytes();
    }
    return json(type);
  }

  /**
   * JSON through Jackson with the {@linkplain #defaultObjectMapper() default mapper}, for a non-generic
   * type such as a record or a bean.
   */
  public static <V> ValueSerializer<V> json(Class<V> type) {
    return json(MAPPER, type);
  }

  /**
   * JSON through Jackson with the {@linkplain #defaultObjectMapper() default mapper}, for a generic
   * type: {@code json(new TypeReference<List<Order>>() {})}.
   */
  public static <V> ValueSerializer<V> json(TypeReference<V> type) {
    return json(MAPPER, type);
  }

  /**
   * JSON through {@code mapper} for a non-generic type. The mapper's configuration at this call is used
   * (later changes to it may or may not apply); Cachet never changes it.
   */
  public static <V> ValueSerializer<V> json(ObjectMapper mapper, Class<V> type) {
    Objects.requireNonNull(mapper, "mapper must not be null");
    Objects.requireNonNull(type, "type must not be null");
    return new JsonSerializer<>(mapper, mapper.constructType(type));
  }

  /**
   * JSON through {@code mapper} for a generic type: {@code json(mapper, new TypeReference<List<Order>>()
   * {})}. The mapper's configuration at this call is used; Cachet never changes it.
   */
  public static <V> ValueSerializer<V> json(ObjectMapper mapper, TypeReference<V> type) {
    Objects.requireNonNull(mapper, "mapper must not be null");
    Objects.requireNonNull(type, "type must not be null");
    return new JsonSerializer<>(mapper, mapper.constructType(type));
  }

  /** {@code String} values as UTF-8 bytes (not JSON-quoted). */
  public static ValueSerializer<String> utf8Strings() {
    return Utf8.INSTANCE;
  }

  /**
   * {@code byte[]} values stored as they are: the Redis token seals exactly these bytes, not a base64
   * JSON string. The array is neither copied nor retained: do not change an array after putting it, nor
   * one returned by a read (the memory tier of a tiered cache may hand the same array to other readers).
   */
  public static ValueSerializer<byte[]> bytes() {
    return Bytes.INSTANCE;
  }

  private static final class JsonSerializer<V> implements ValueSerializer<V>, MultiFormatSerializer<V> {
    private final JavaType type;
    private final ObjectReader reader;
    private final ObjectWriter writer;
    /** The CBOR twins of reader and writer, made at the first CBOR payload. */
    private volatile ObjectReader cborReader;
    private volatile ObjectWriter cborWriter;

    JsonSerializer(ObjectMapper mapper, JavaType type) {
      this.type = type;
      this.reader = mapper.readerFor(type);
      this.writer = mapper.writerFor(type);
    }

    @Override
    public boolean canRead(int formatId) {
      return formatId == JSON || (formatId == CBOR && OptionalDependencies.cborPresent());
    }

    @Override
    public byte[] serialize(int formatId, V value) {
      if (formatId == JSON) {
        return serialize(value);
      }
      requireCbor(formatId);
      Objects.requireNonNull(value, "value must not be null");
      ObjectWriter w = cborWriter;
      if (w == null) {
        cborWriter = w = CborSupport.writer(writer);
      }
      try {
        return w.writeValueAsBytes(value);
      } catch (Exception e) {
        throw new SerializationException(
            "cannot serialize a value of type " + type.toCanonical() + " as CBOR", e);
      }
    }

    @Override
    public V deserialize(int formatId, byte[] buffer, int offset, int length) {
      if (formatId == JSON) {
        return deserialize(buffer, offset, length);
      }
      requireCbor(formatId);
      Objects.requireNonNull(buffer, "buffer must not be null");
      ObjectReader r = cborReader;
      if (r == null) {
        cborReader = r = CborSupport.reader(reader);
      }
      V value;
      try {
        value = r.readValue(buffer, offset, length);
      } catch (Exception e) {
        throw new SerializationException("cannot deserialize CBOR into " + type.toCanonical(), e);
      }
      if (value == null) {
        throw new SerializationException(
            "CBOR null cannot be a cached value of type " + type.toCanonical(), null);
      }
      return value;
    }

    private static void requireCbor(int formatId) {
      if (formatId != CBOR) {
        throw new IllegalArgumentException("unknown payload format id " + formatId + " (0 JSON, 1 CBOR)");
      }
      if (!OptionalDependencies.cborPresent()) {
        throw new SerializationException(
            "CBOR payloads need " + OptionalDependencies.CBOR_ARTIFACT + " on the class path", null);
      }
    }

    @Override
    public byte[] serialize(V value) {
      Objects.requireNonNull(value, "value must not be null");
      try {
        return writer.writeValueAsBytes(value);
      } catch (Exception e) {
        throw new SerializationException(
            "cannot serialize a value of type " + type.toCanonical() + " as JSON", e);
      }
    }

    @Override
    public V deserialize(byte[] bytes) {
      Objects.requireNonNull(bytes, "bytes must not be null");
      return deserialize(bytes, 0, bytes.length);
    }

    /** Reads in place: Jackson's parser copies what the value keeps (strings, numbers). */
    @Override
    public V deserialize(byte[] buffer, int offset, int length) {
      Objects.requireNonNull(buffer, "buffer must not be null");
      V value;
      try {
        value = reader.readValue(buffer, offset, length);
      } catch (Exception e) {
        throw new SerializationException(
            "cannot deserialize JSON into " + type.toCanonical(), e);
      }
      if (value == null) {
        throw new SerializationException(
            "JSON null cannot be a cached value of type " + type.toCanonical(), null);
      }
      return value;
    }

    @Override
    public String toString() {
      return "ValueSerializers.json(" + type.toCanonical() + ")";
    }
  }

  private enum Utf8 implements ValueSerializer<String> {
    INSTANCE;

    @Override
    public byte[] serialize(String value) {
      return Objects.requireNonNull(value, "value must not be null").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String deserialize(byte[] bytes) {
      return new String(Objects.requireNonNull(bytes, "bytes must not be null"), StandardCharsets.UTF_8);
    }

    @Override
    public String deserialize(byte[] buffer, int offset, int length) {
      return new String(Objects.requireNonNull(buffer, "buffer must not be null"), offset, length, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return "ValueSerializers.utf8Strings()";
    }
  }

  private enum Bytes implements ValueSerializer<byte[]> {
    INSTANCE;

    @Override
    public byte[] serialize(byte[] value) {
      return Objects.requireNonNull(value, "value must not be null");
    }

    @Override
    public byte[] deserialize(byte[] bytes) {
      return Objects.requireNonNull(bytes, "bytes must not be null");
    }

    @Override
    public String toString() {
      return "ValueSerializers.bytes()";
    }
  }
}
