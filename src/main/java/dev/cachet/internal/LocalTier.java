package dev.cachet.internal;

import java.time.Duration;

/**
 * Raw access to a memory tier for compositions (the tiered cache): reads and writes that count
 * nothing and check nothing, so the composition does its own accounting once. Implemented by the
 * Caffeine memory cache.
 */
public interface LocalTier<K, V> {

  /** The stored, unexpired value of {@code key}, or null. A cached absence reads as null. */
  V peek(K key);

  /** When the entry of {@code key} was written, in {@link #nowNanos()} time, or -1 if absent. */
  long writtenAtNanos(K key);

  /** The tier's clock, in nanoseconds. */
  long nowNanos();

  /** Stores {@code value} for {@code ttl}, returning a handle for {@link #removeIfSame}. */
  Object storeWithHandle(K key, V value, Duration ttl);

  /** Removes the entry of {@code key} only if it is still the one stored with {@code handle}. */
  void removeIfSame(K key, Object handle);

  /** Removes {@code key} without counting. */
  void discard(K key);

  /** Removes everything without counting. */
  void discardAll();

  /**
   * Removes, without counting, every entry whose key starts with {@code prefix} (one tenant's entries).
   * Visits every entry: a tenant-scoped clear, not a hit-path operation.
   */
  void discardPrefix(String prefix);
}
