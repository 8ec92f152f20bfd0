package dev.cachet;

/**
 * Under the strict resilience policy, a remote tier could not serve a call (it is down, timed out, or
 * its circuit breaker is open), or Redis refused a write because it is out of memory ({@code OOM}; the
 * cache stays usable for reads). Under the default policy this is never thrown: the cache serves from
 * memory or the loader instead.
 */
public class CacheUnavailableException extends CacheException {
  private static final long serialVersionUID = 1L;

  private final Tier tier;

  /** Creates the exception for {@code tier} of {@code cacheName}. */
  public CacheUnavailableException(String cacheName, Tier tier, String message, Throwable cause) {
    super(cacheName, message, cause);
    this.tier = tier;
  }

  /** The tier that was unavailable. */
  public Tier tier() {
    return tier;
  }
}
