package dev.cachet;

/**
 * A loader passed to a cache threw a checked exception. The original is the {@linkplain #getCause()
 * cause}. Unchecked exceptions and errors thrown by a loader reach the caller unwrapped. After a failed
 * load no entry is stored for the key.
 */
public class CacheLoaderException extends CacheException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception for a failed load in {@code cacheName}. */
  public CacheLoaderException(String cacheName, Throwable cause) {
    super(cacheName, "loader of cache '" + cacheName + "' failed: " + cause, cause);
  }
}
