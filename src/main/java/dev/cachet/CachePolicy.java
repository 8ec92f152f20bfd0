package dev.cachet;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * Capabilities that not every cache has, in the spirit of Caffeine's {@code policy()}: each accessor
 * returns an empty {@code Optional} when the cache lacks the capability, instead of a method that throws
 * {@code UnsupportedOperationException}. Obtained from {@link Cache#policy()}; thread-safe.
 */
public interface CachePolicy {

  /** The memory tier's size bound, when the cache has one. */
  Optional<SizeBound> sizeBound();

  /** Invalidation by glob pattern over encoded key names, when the cache supports it (Redis). */
  Optional<PatternInvalidation> patternInvalidation();

  /**
   * The default time to live, readable and changeable at run time, when the cache has one (every built-in
   * cache does).
   */
  default Optional<TimeToLive> timeToLive() {
    return Optional.empty();
  }

  /** A policy with no capabilities. */
  static CachePolicy none() {
    return new CachePolicy() {
      @Override
      public Optional<SizeBound> sizeBound() {
        return Optional.empty();
      }

      @Override
      public Optional<PatternInvalidation> patternInvalidation() {
        return Optional.empty();
      }
    };
  }

  /** The bound on a memory tier's size, readable and adjustable at run time. */
  interface SizeBound {

    /** Whether the bound counts bytes (a weigher) rather than entries. */
    boolean isWeighted();

    /** The current maximum, in entries or bytes. */
    long maximum();

    /**
     * Changes the maximum; entries are evicted in the background until the cache fits.
     *
     * @throws IllegalArgumentException if {@code maximum} is negative
     */
    void setMaximum(long maximum);

    /** The approximate number of entries held. */
    long estimatedSize();

    /** The approximate total weight in bytes, when {@link #isWeighted()}. */
    OptionalLong weightedSize();
  }

  /**
   * The default time to live of a cache's writes ({@code put(key, value)}, loads, {@code putAll},
   * {@code putIfAbsent}, {@code compute}), changeable at run time. A change applies to writes made
   * <em>after</em> it on this cache instance (this tenant view, for a tenant view); entries already
   * stored keep their expiry, and other instances keep their own setting. The current value shows in
   * {@link CacheStats#defaultTtl()} and the {@code cache.ttl.default} meter. Thread-safe.
   */
  interface TimeToLive {

    /** The current default time to live. */
    java.time.Duration defaultTtl();

    /**
     * Sets the default time to live of later writes.
     *
     * @throws NullPointerException if {@code ttl} is null
     * @throws IllegalArgumentException if {@code ttl} is zero or negative
     * @throws IllegalStateException if the cache is closed
     */
    void setDefaultTtl(java.time.Duration ttl);
  }

  /** Invalidation of every key whose encoded form matches a pattern. */
  interface PatternInvalidation {

    /**
     * Invalidates every entry whose encoded key matches {@code glob} ({@code *} any run of characters,
     * {@code ?} one character). Other characters, including {@code [}, match themselves.
     *
     * @return the number of entries removed
     * @throws NullPointerException if {@code glob} is null
     */
    long invalidateMatching(String glob);
  }
}
