package dev.cachet;

/**
 * A conditional write ({@link Cache#compute}, {@link Cache#putIfAbsent}) lost every one of its bounded,
 * jittered compare-and-set attempts to other writers of the same key (a very hot key). <em>Nothing was
 * applied</em>: the update may be retried later. The message names the cache and the number of
 * attempts, never the key.
 */
public class UpdateContentionException extends CacheException {
  private static final long serialVersionUID = 1L;

  private final int attempts;

  /** Creates the exception for {@code cacheName} after {@code attempts} lost attempts. */
  public UpdateContentionException(String cacheName, int attempts, String message) {
    super(cacheName, message, null);
    this.attempts = attempts;
  }

  /** How many compare-and-set attempts were made (and lost). */
  public int attempts() {
    return attempts;
  }
}
