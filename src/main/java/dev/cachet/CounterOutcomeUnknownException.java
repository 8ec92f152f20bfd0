package dev.cachet;

/**
 * A counter change ({@link Counters#incrementBy}, {@link Counters#compareAndSet}, {@link
 * Counters#reset}) may or may not have been applied: a reply was lost (a timeout, a dropped connection)
 * and reading the counter again could not prove either way, because more changes than the counter
 * remembers happened meanwhile, the counter expired or was removed, or Redis stayed unreachable.
 *
 * <p>The change was applied <em>at most once</em>. What to do: do not repeat it blindly (that could
 * count it twice); for a rate limit or a quota, count the call as done, which errs on the safe side, or
 * read the counter with {@link Counters#get} and decide. Counted in the {@code
 * cache.counter.unknown.outcomes} meter. The message names the cache, never the key.
 */
public class CounterOutcomeUnknownException extends CacheException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception for {@code cacheName}. */
  public CounterOutcomeUnknownException(String cacheName, String message, Throwable cause) {
    super(cacheName, message, cause);
  }
}
