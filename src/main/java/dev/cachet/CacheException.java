package dev.cachet;

/**
 * Root of every exception Cachet throws on purpose. Unchecked, so that a cache call never forces a
 * {@code try} on its caller; subtypes are chosen by what the caller can do about the failure.
 *
 * <p>Messages name the cache (when there is one) and what was wrong; they never contain key material,
 * credentials or cached values.
 */
public class CacheException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String cacheName;

  /** Creates an exception with a message and no cause, not tied to a cache. */
  public CacheException(String message) {
    this(null, message, null);
  }

  /** Creates an exception with a message and a cause, not tied to a cache. */
  public CacheException(String message, Throwable cause) {
    this(null, message, cause);
  }

  /**
   * Creates an exception tied to a cache.
   *
   * @param cacheName the cache the failure happened in, or {@code null} when none
   * @param message what went wrong and, where it helps, how to fix it
   * @param cause the underlying failure, or {@code null}
   */
  public CacheException(String cacheName, String message, Throwable cause) {
    super(message, cause);
    this.cacheName = cacheName;
  }

  /** The name of the cache the failure happened in, or {@code null} when it is not tied to one. */
  public String cacheName() {
    return cacheName;
  }
}
