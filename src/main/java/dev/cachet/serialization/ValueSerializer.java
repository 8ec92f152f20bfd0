package dev.cachet.serialization;

/**
 * Turns cache values into bytes and back, for tiers that store values outside the process (Redis). The
 * bytes are then compressed, sealed and encrypted by the tier: a serializer never sees key material.
 *
 * <p><b>Contract.</b> Implementations must be thread-safe and stateless between calls, and {@code
 * deserialize(serialize(v))} must equal {@code v}. Neither method receives or returns {@code null}.
 * Failures are reported as {@link SerializationException}; any other unchecked exception is treated the
 * same way by the tier. Java serialization ({@code ObjectInputStream}) must never be used: stored bytes
 * may come from anyone with write access to Redis.
 *
 * <p>Built-ins are in {@link ValueSerializers}: JSON (Jackson), UTF-8 strings and raw bytes.
 *
 * @param <V> the value type
 */
public interface ValueSerializer<V> {

  /**
   * Serializes {@code value}.
   *
   * @param value never null
   * @return the bytes, never null
   * @throws SerializationException if the value cannot be serialized
   */
  byte[] serialize(V value);

  /**
   * Deserializes bytes produced by {@link #serialize} of this or a compatible (older or newer) version
   * of the application.
   *
   * @param bytes never null
   * @return the value, never null
   * @throws SerializationException if the bytes do not hold a value of this type
   */
  V deserialize(byte[] bytes);

  /**
   * Deserializes {@code buffer[offset, offset + length)}, which holds what {@link #deserialize(byte[])}
   * would get. The tier reads values straight out of a reused (and afterwards wiped) decryption buffer
   * this way: the value must not keep a reference to {@code buffer}. The default copies the range and
   * calls {@link #deserialize(byte[])}; override it to read in place.
   *
   * @param buffer never null
   * @return the value, never null
   * @throws SerializationException if the bytes do not hold a value of this type
   */
  default V deserialize(byte[] buffer, int offset, int length) {
    return deserialize(java.util.Arrays.copyOfRange(buffer, offset, offset + length));
  }
}
