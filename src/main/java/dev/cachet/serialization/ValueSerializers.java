package dev.cachet.serialization;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The built-in {@link ValueSerializer}s. Every one is immutable and thread-safe, and none uses Java
 * serialization.
 *
 * <p>JSON uses Jackson with unknown properties <em>ignored</em> (an older instance reading a value
 * written by a newer one that added a field still reads it) and no default typing (the stored bytes
 * never choose the class to instantiate).
 */
public final class ValueSerializers {

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private ValueSerializers() {}

  /**
   * JSON through Jackson for a non-generic type such as a record or a bean.
   *
   * @throws NullPointerException if {@code type} is null
   */
  public static <V> ValueSerializer<V> json(Class<V> type) {
    Objects.requireNonNull(type, "type must not be null");
    return new JsonSerializer<>(MAPPER.constructType(type));
  }

  /**
   * JSON through Jackson for a generic type: {@code json(new TypeToken<List<Order>>() {})}.
   *
   * @throws NullPointerException if {@code type} is null
   */
  public static <V> ValueSerializer<V> json(TypeToken<V> type) {
    Objects.requireNonNull(type, "type must not be null");
    return new JsonSerializer<>(MAPPER.constructType(type.type()));
  }

  /** {@code String} values as UTF-8 bytes (not JSON-quoted). */
  public static ValueSerializer<String> utf8Strings() {
    return Utf8.INSTANCE;
  }

  /** {@code byte[]} values as they are; the array is neither copied nor retained. */
  public static ValueSerializer<byte[]> bytes() {
    return Bytes.INSTANCE;
  }

  private static final class JsonSerializer<V> implements ValueSerializer<V> {
    private final JavaType type;
    private final ObjectReader reader;
    private final ObjectWriter writer;

    JsonSerializer(JavaType type) {
      this.type = type;
      this.reader = MAPPER.readerFor(type);
      this.writer = MAPPER.writerFor(type);
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
      V value;
      try {
        value = reader.readValue(bytes);
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
