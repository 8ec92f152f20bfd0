package dev.cachet;

import java.util.Objects;

/**
 * The caller's value cannot be stored: it is larger than the cache allows once serialized, or its
 * serializer cannot write it. Thrown by {@code put}, {@code putAll} and {@code get(key, loader)} (for a
 * loaded value) before anything is sent to a remote tier, so it is never mistaken for an outage: it is
 * not retried, not recorded by a circuit breaker and never degrades the cache. The cache is left as it
 * was before the call (the key's previous entry, if any, may have been removed from memory only).
 *
 * <p>The message names the cache, the reason and the size limit; it never contains the key or value.
 */
public class InvalidValueException extends CacheException {
  private static final long serialVersionUID = 1L;

  /** Why a value was refused. The set only grows; switch on it with a default branch. */
  public enum Reason {
    /** The serialized (and, where enabled, compressed) value exceeds the cache's maximum value size. */
    TOO_LARGE,
    /** The cache's {@code ValueSerializer} could not serialize the value. */
    NOT_SERIALIZABLE
  }

  private final Reason reason;

  /**
   * Creates the exception.
   *
   * @param cacheName the cache that refused the value
   * @param reason why; must not be null
   * @param message what was wrong and how to fix it; must not contain the key or the value
   * @param cause the serializer's failure, or {@code null}
   * @throws NullPointerException if {@code reason} is null
   */
  public InvalidValueException(String cacheName, Reason reason, String message, Throwable cause) {
    super(cacheName, message, cause);
    this.reason = Objects.requireNonNull(reason, "reason must not be null");
  }

  /** Why the value was refused. */
  public Reason reason() {
    return reason;
  }
}
