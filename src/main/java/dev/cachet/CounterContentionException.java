package dev.cachet;

/**
 * A counter change lost every one of its bounded, jittered compare-and-set attempts to other writers of
 * the same counter (a very hot key). <em>Nothing was applied</em>: the change may be retried later, or
 * the load spread over more keys (sharded counters summed on read). Counted in the {@code
 * cache.counter.conflicts} meter. The message names the cache and the number of attempts, never the key.
 */
public class CounterContentionException extends CacheException {
  private static final long serialVersionUID = 1L;

  private final int attempts;

  /** Creates the exception for {@code cacheName} after {@code attempts} lost attempts. */
  public CounterContentionException(String cacheName, int attempts, String message) {
    super(cacheName, message, null);
    this.attempts = attempts;
  }

  /** How many compare-and-set attempts were made (and lost). */
  public int attempts() {
    return attempts;
  }
}
