package dev.cachet.tiered;

/** What a tiered cache does when its remote tier fails (down, timed out, circuit open). */
public enum FailurePolicy {
  /**
   * The default: never throw to the caller for a remote failure. Reads fall back to the memory tier,
   * then the loader; writes go to memory only, with a shortened TTL, and those keys are invalidated in
   * Redis and on other instances once Redis is back. Logged once per state change and counted.
   */
  SERVE_DEGRADED,
  /**
   * Throw {@link dev.cachet.CacheUnavailableException} naming the cache and the cause. A Redis that is
   * out of memory ({@code OOM} under {@code noeviction}) refuses only writes: the caller's write throws,
   * but the cache is not degraded and reads (loads included) keep working.
   */
  STRICT
}
