package dev.cachet;

import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * An immutable snapshot of a cache's counters since it was built. A figure the cache cannot know (for
 * example evictions inside Redis) is <em>absent</em>, never a made-up zero. Counts are monotonic across
 * snapshots of one cache; they are read without a global lock, so the figures of one snapshot may be a
 * few operations apart from each other under concurrent load.
 */
public final class CacheStats {

  private final OptionalLong hitCount;
  private final OptionalLong missCount;
  private final OptionalLong loadSuccessCount;
  private final OptionalLong loadFailureCount;
  private final OptionalLong totalLoadTimeNanos;
  private final OptionalLong putCount;
  private final OptionalLong evictionCount;
  private final OptionalLong removalCount;
  private final java.util.Optional<java.time.Duration> defaultTtl;

  private CacheStats(Builder b) {
    this.hitCount = b.hitCount;
    this.missCount = b.missCount;
    this.loadSuccessCount = b.loadSuccessCount;
    this.loadFailureCount = b.loadFailureCount;
    this.totalLoadTimeNanos = b.totalLoadTimeNanos;
    this.putCount = b.putCount;
    this.evictionCount = b.evictionCount;
    this.removalCount = b.removalCount;
    this.defaultTtl = b.defaultTtl;
  }

  /** A builder where every figure starts absent. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Lookups that found a value. */
  public OptionalLong hitCount() {
    return hitCount;
  }

  /** Lookups that found no value. */
  public OptionalLong missCount() {
    return missCount;
  }

  /** Hits plus misses, when both are known. */
  public OptionalLong requestCount() {
    if (hitCount.isEmpty() || missCount.isEmpty()) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(hitCount.getAsLong() + missCount.getAsLong());
  }

  /**
   * Hits divided by requests; {@code 1.0} when there were no requests (as in Caffeine); absent when
   * hits or misses are unknown.
   */
  public OptionalDouble hitRate() {
    OptionalLong requests = requestCount();
    if (requests.isEmpty()) {
      return OptionalDouble.empty();
    }
    long total = requests.getAsLong();
    return OptionalDouble.of(total == 0 ? 1.0 : (double) hitCount.getAsLong() / total);
  }

  /** Loader calls that returned (a value or null). */
  public OptionalLong loadSuccessCount() {
    return loadSuccessCount;
  }

  /** Loader calls that threw. */
  public OptionalLong loadFailureCount() {
    return loadFailureCount;
  }

  /** Loader calls, successful or not. */
  public OptionalLong loadCount() {
    if (loadSuccessCount.isEmpty() || loadFailureCount.isEmpty()) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(loadSuccessCount.getAsLong() + loadFailureCount.getAsLong());
  }

  /** Nanoseconds spent in loaders. */
  public OptionalLong totalLoadTimeNanos() {
    return totalLoadTimeNanos;
  }

  /** Entries stored by {@code put}, {@code putAll} and loads. */
  public OptionalLong putCount() {
    return putCount;
  }

  /** Entries removed by the size bound or by expiry. */
  public OptionalLong evictionCount() {
    return evictionCount;
  }

  /** Entries removed explicitly (invalidate) or replaced. */
  public OptionalLong removalCount() {
    return removalCount;
  }

  /**
   * The default time to live the cache applied to writes when the snapshot was taken (it changes at run
   * time through {@link CachePolicy#timeToLive()}). A setting, not a counter: not part of {@link
   * #equals}.
   */
  public java.util.Optional<java.time.Duration> defaultTtl() {
    return defaultTtl;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CacheStats)) {
      return false;
    }
    CacheStats that = (CacheStats) o;
    return hitCount.equals(that.hitCount)
        && missCount.equals(that.missCount)
        && loadSuccessCount.equals(that.loadSuccessCount)
        && loadFailureCount.equals(that.loadFailureCount)
        && totalLoadTimeNanos.equals(that.totalLoadTimeNanos)
        && putCount.equals(that.putCount)
        && evictionCount.equals(that.evictionCount)
        && removalCount.equals(that.removalCount);
  }

  @Override
  public int hashCode() {
    return Objects.hash(hitCount, missCount, loadSuccessCount, loadFailureCount, putCount,
        evictionCount, removalCount);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("CacheStats{");
    append(sb, "hits", hitCount);
    append(sb, "misses", missCount);
    append(sb, "loadSuccesses", loadSuccessCount);
    append(sb, "loadFailures", loadFailureCount);
    append(sb, "puts", putCount);
    append(sb, "evictions", evictionCount);
    append(sb, "removals", removalCount);
    defaultTtl.ifPresent(ttl -> sb.append("defaultTtl=").append(ttl).append(", "));
    if (sb.charAt(sb.length() - 1) == ' ') {
      sb.setLength(sb.length() - 2);
    }
    return sb.append('}').toString();
  }

  private static void append(StringBuilder sb, String label, OptionalLong value) {
    if (value.isPresent()) {
      sb.append(label).append('=').append(value.getAsLong()).append(", ");
    }
  }

  /** Builds a snapshot; figures not set stay absent. Not thread-safe. */
  public static final class Builder {
    private OptionalLong hitCount = OptionalLong.empty();
    private OptionalLong missCount = OptionalLong.empty();
    private OptionalLong loadSuccessCount = OptionalLong.empty();
    private OptionalLong loadFailureCount = OptionalLong.empty();
    private OptionalLong totalLoadTimeNanos = OptionalLong.empty();
    private OptionalLong putCount = OptionalLong.empty();
    private OptionalLong evictionCount = OptionalLong.empty();
    private OptionalLong removalCount = OptionalLong.empty();
    private java.util.Optional<java.time.Duration> defaultTtl = java.util.Optional.empty();

    private Builder() {}

    /**
     * Sets {@link CacheStats#defaultTtl()}.
     *
     * @throws IllegalArgumentException if {@code ttl} is null, zero or negative
     */
    public Builder defaultTtl(java.time.Duration ttl) {
      if (ttl == null || ttl.isZero() || ttl.isNegative()) {
        throw new IllegalArgumentException("defaultTtl must be positive: " + ttl);
      }
      defaultTtl = java.util.Optional.of(ttl);
      return this;
    }

    /** Sets {@link CacheStats#hitCount()}; {@code n} must not be negative. */
    public Builder hitCount(long n) {
      hitCount = count("hitCount", n);
      return this;
    }

    /** Sets {@link CacheStats#missCount()}; {@code n} must not be negative. */
    public Builder missCount(long n) {
      missCount = count("missCount", n);
      return this;
    }

    /** Sets {@link CacheStats#loadSuccessCount()}; {@code n} must not be negative. */
    public Builder loadSuccessCount(long n) {
      loadSuccessCount = count("loadSuccessCount", n);
      return this;
    }

    /** Sets {@link CacheStats#loadFailureCount()}; {@code n} must not be negative. */
    public Builder loadFailureCount(long n) {
      loadFailureCount = count("loadFailureCount", n);
      return this;
    }

    /** Sets {@link CacheStats#totalLoadTimeNanos()}; {@code n} must not be negative. */
    public Builder totalLoadTimeNanos(long n) {
      totalLoadTimeNanos = count("totalLoadTimeNanos", n);
      return this;
    }

    /** Sets {@link CacheStats#putCount()}; {@code n} must not be negative. */
    public Builder putCount(long n) {
      putCount = count("putCount", n);
      return this;
    }

    /** Sets {@link CacheStats#evictionCount()}; {@code n} must not be negative. */
    public Builder evictionCount(long n) {
      evictionCount = count("evictionCount", n);
      return this;
    }

    /** Sets {@link CacheStats#removalCount()}; {@code n} must not be negative. */
    public Builder removalCount(long n) {
      removalCount = count("removalCount", n);
      return this;
    }

    /** The snapshot; figures not set are absent (the cache does not track them). */
    public CacheStats build() {
      return new CacheStats(this);
    }

    private static OptionalLong count(String name, long n) {
      if (n < 0) {
        throw new IllegalArgumentException(name + " must not be negative: " + n);
      }
      return OptionalLong.of(n);
    }
  }
}
