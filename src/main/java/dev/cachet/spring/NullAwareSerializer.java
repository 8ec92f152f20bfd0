package dev.cachet.spring;

import dev.cachet.serialization.SerializationException;
import dev.cachet.serialization.ValueSerializer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Wraps the application's serializer so that the {@link NullMarker} can be stored: one tag byte, {@code
 * 0} for the marker (nothing follows) and {@code 1} for a value (the delegate's bytes follow). Thread-safe
 * when the delegate is.
 */
final class NullAwareSerializer implements ValueSerializer<Object> {

  static final byte NULL_TAG = 0;
  static final byte VALUE_TAG = 1;

  private final ValueSerializer<Object> delegate;

  NullAwareSerializer(ValueSerializer<Object> delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate must not be null");
  }

  @Override
  public byte[] serialize(Object value) {
    Objects.requireNonNull(value, "value must not be null");
    if (value == NullMarker.INSTANCE) {
      return new byte[] {NULL_TAG};
    }
    byte[] body = delegate.serialize(value);
    byte[] out = new byte[body.length + 1];
    out[0] = VALUE_TAG;
    System.arraycopy(body, 0, out, 1, body.length);
    return out;
  }

  @Override
  public Object deserialize(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes must not be null");
    if (bytes.length == 1 && bytes[0] == NULL_TAG) {
      return NullMarker.INSTANCE;
    }
    if (bytes.length >= 1 && bytes[0] == VALUE_TAG) {
      return delegate.deserialize(Arrays.copyOfRange(bytes, 1, bytes.length));
    }
    throw new SerializationException(
        "not a value written by Cachet's Spring cache (unknown tag byte): was the cache name reused"
            + " by a cache that is not a Spring cache?",
        null);
  }

  @Override
  public String toString() {
    return "NullAwareSerializer(" + delegate + ")";
  }
}
