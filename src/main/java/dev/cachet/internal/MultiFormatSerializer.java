package dev.cachet.internal;

/**
 * A value serializer that can also write and read payload formats other than its own bytes (the
 * built-in Jackson serializers: JSON, and CBOR when {@link OptionalDependencies#cborPresent()}). The ids
 * are those of the sealed envelope's flags: {@code 0} JSON (the serializer's {@code serialize} output),
 * {@code 1} CBOR. Implementations are thread-safe.
 *
 * @param <V> the value type
 */
public interface MultiFormatSerializer<V> {

  /** Payload format id 0: what {@code ValueSerializer.serialize} writes. */
  int JSON = 0;
  /** Payload format id 1: CBOR (RFC 8949). */
  int CBOR = 1;

  /** Whether {@link #deserialize(int, byte[], int, int)} can read payload format {@code formatId} now. */
  boolean canRead(int formatId);

  /**
   * Serializes {@code value} in payload format {@code formatId}.
   *
   * @throws RuntimeException the serializer's exception if the value cannot be written
   */
  byte[] serialize(int formatId, V value);

  /**
   * Deserializes {@code buffer[offset, offset + length)} written in payload format {@code formatId}
   * (one {@link #canRead} accepts); the value keeps no reference to {@code buffer}.
   *
   * @throws RuntimeException the serializer's exception if the bytes do not hold a value
   */
  V deserialize(int formatId, byte[] buffer, int offset, int length);
}
