package dev.cachet.serialization;

import dev.cachet.CacheException;

/**
 * A value could not be serialized or deserialized. The message names the value type, never the value
 * or the bytes; the cause is kept (Jackson's own messages may quote a few input characters, so tiers
 * log only the class of the cause).
 */
public class SerializationException extends CacheException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that must not contain cached data. */
  public SerializationException(String message, Throwable cause) {
    super(message, cause);
  }
}
