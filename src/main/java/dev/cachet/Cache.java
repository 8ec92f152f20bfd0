package dev.cachet;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A cache of values by key, implemented by every Cachet tier and composition (memory, Redis, tiered).
 *
 * <p><b>Thread safety.</b> All methods are safe to call from any number of platform or virtual threads.
 *
 * <p><b>Nulls.</b> Keys and values are never null: every method throws {@link NullPointerException}
 * naming the argument. {@code null} results mean "absent".
 *
 * <p><b>Expiry.</b> Every entry expires: after the cache's default time to live, or the one given to
 * {@link #put(Object, Object, Duration)}. An entry is never returned after it expired.
 *
 * <p><b>Values.</b> The memory tier hands out the instance it stores, not a copy: cache immutable values
 * (records, {@code String}, unmodifiable collections), or never mutate what you get back. Remote tiers
 * return a fresh deserialized instance.
 *
 * <p><b>Loading.</b> {@link #get(Object, CacheLoader)} is read-through with single-flight per key:
 * concurrent callers of the same absent key run the loader once, and the others wait for its result. A
 * loader never runs inside a lock that guards other keys. A loader that throws leaves no entry; the
 * caller sees the exception (checked ones wrapped in {@link CacheLoaderException}).
 *
 * <p><b>Lifecycle.</b> {@link #close()} is idempotent; any other call after it throws {@link
 * IllegalStateException} naming the cache. Closing releases what the cache created and nothing it
 * borrowed.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface Cache<K, V> extends AutoCloseable {

  /** The cache name: {@code [a-z0-9][a-z0-9_-]{0,62}}, used in metric tags and Redis keys. */
  String name();

  /**
   * Returns the value cached for {@code key}, or {@code null} when absent or expired; never loads (as
   * Caffeine's {@code getIfPresent}). Counts a hit or a miss. To load on a miss, use {@link
   * #get(Object, CacheLoader)} or {@link #get(Object)}.
   */
  V getIfPresent(K key);

  /**
   * Returns the value cached for {@code key}, loading, storing and returning it on a miss.
   *
   * @return the value, or {@code null} when the loader returned null (nothing is stored then, unless
   *     the cache caches absences for a short time)
   * @throws CacheLoaderException if the loader threw a checked exception
   * @throws RuntimeException whatever unchecked exception the loader threw
   * @throws IllegalArgumentException if the encoded key is longer than the cache allows
   */
  V get(K key, CacheLoader<? super K, ? extends V> loader);

  /**
   * Returns the value for {@code key}, <em>loading it on a miss</em> with the loader given when the
   * cache was built: like Caffeine's {@code LoadingCache.get}, not like {@code Map.get}. The read that
   * never loads is {@link #getIfPresent(Object)}.
   *
   * @throws IllegalStateException if the cache was built without a loader
   */
  V get(K key);

  /** Returns the present, unexpired entries of {@code keys}; absent keys are missing from the map. */
  Map<K, V> getAll(Iterable<? extends K> keys);

  /**
   * Returns the entries of {@code keys}, loading every absent one through a single call of {@code
   * loader} (keys already being loaded by another caller are waited for instead). Keys the loader does
   * not return are missing from the result.
   *
   * @throws CacheLoaderException if the loader threw a checked exception; nothing it would have loaded
   *     is stored
   */
  Map<K, V> getAll(Iterable<? extends K> keys, BulkLoader<K, V> loader);

  /** Stores {@code value} for {@code key} with the cache's default time to live. */
  void put(K key, V value);

  /**
   * Stores {@code value} for {@code key}, expiring after {@code ttl}.
   *
   * @throws IllegalArgumentException if {@code ttl} is zero or negative, or the key is too long
   */
  void put(K key, V value, Duration ttl);

  /** Stores every entry with the default time to live. Not atomic: a failure may leave some stored. */
  void putAll(Map<? extends K, ? extends V> entries);

  /** Removes {@code key}, if present. */
  void invalidate(K key);

  /** Removes each of {@code keys}. */
  void invalidateAll(Iterable<? extends K> keys);

  /**
   * Removes every entry of this cache. Nothing stored before this call returns is readable after it;
   * entries stored concurrently may or may not survive.
   */
  void invalidateAll();

  /** A snapshot of this cache's counters; figures the cache cannot know are absent. */
  CacheStats stats();

  /** The current health: {@code UP}, {@code DEGRADED} or {@code DOWN}, with details. */
  CacheHealth health();

  /** Optional capabilities of this cache. */
  CachePolicy policy();

  /**
   * Atomic counters beside this cache's entries, sealed and kept in Redis only: empty for a cache
   * without a Redis tier (a memory-only cache). Counters are never kept in a memory tier and never
   * served degraded; see {@link Counters} for the at-most-once guarantee.
   *
   * @throws IllegalStateException if the cache is closed
   */
  default Optional<Counters<K>> counters() {
    return Optional.empty();
  }

  /** The asynchronous view of this cache; the same instance on every call. */
  AsyncCache<K, V> async();

  /** Releases what this cache created (connections, background tasks). Idempotent; never throws. */
  @Override
  void close();
}
