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
 * <p><b>Warming.</b> {@code async().warm(keys, bulkLoader)} ({@link AsyncCache#warm(Iterable, BulkLoader)})
 * makes a set of keys cached in batches, once across instances, and completes with a {@link WarmReport}.
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

  /**
   * Returns the present, unexpired entries of {@code keys}; absent keys are missing from the map. Never
   * loads (as Caffeine's {@code getAllPresent}). Counts a hit or a miss per distinct key.
   *
   * @throws NullPointerException if {@code keys} or any key in it is null
   */
  Map<K, V> getAllPresent(Iterable<? extends K> keys);

  /**
   * Returns the present, unexpired entries of {@code keys}, without loading: the same as {@link
   * #getAllPresent(Iterable)}.
   *
   * @deprecated to be removed in the next release. In Caffeine, {@code getAll(keys)} <em>loads</em> the
   *     missing keys with the cache's loader, while this method never loads; the different meaning under
   *     the same name surprised Caffeine users. Call {@link #getAllPresent(Iterable)} for a read that never
   *     loads, or {@link #getAll(Iterable, BulkLoader)} to load the missing keys.
   */
  @Deprecated(since = "0.1.0", forRemoval = true)
  default Map<K, V> getAll(Iterable<? extends K> keys) {
    return getAllPresent(keys);
  }

  /**
   * Returns the entries of {@code keys}, loading every absent one through a single call of {@code
   * loader} (keys already being loaded by another caller are waited for instead). Keys the loader does
   * not return are missing from the result.
   *
   * @throws CacheLoaderException if the loader threw a checked exception; nothing it would have loaded
   *     is stored
   */
  Map<K, V> getAll(Iterable<? extends K> keys, BulkLoader<K, V> loader);

  /**
   * Whether {@code key} holds a readable entry, without deserializing it and without loading. On Redis:
   * one {@code GET} whose envelope is verified (authentication, key binding, expiry) as {@link
   * #getIfPresent} would, but whose payload is not decoded. It agrees with {@code getIfPresent(key) !=
   * null} for every stored state <em>except</em> a payload that authenticates but cannot be decoded
   * (deflated data that does not inflate, or bytes the serializer rejects: a writer with another value
   * type): {@code containsKey} says true, {@code getIfPresent} null. A cached absence (negative caching)
   * is not an entry. Counts neither a hit nor a miss; does not refill memory.
   *
   * @throws NullPointerException if {@code key} is null
   * @throws CacheUnavailableException under the strict policy, when the remote tier cannot answer
   */
  boolean containsKey(K key);

  /**
   * Stores {@code value} for {@code key} with the default time to live only if the key holds no entry
   * (atomically, across every instance sharing the remote tier). Like {@link
   * java.util.Map#putIfAbsent}: returns null when it stored, or the value already there (which it left
   * alone).
   *
   * @throws NullPointerException if {@code key} or {@code value} is null
   * @throws InvalidValueException if the value cannot be stored (too large, not serializable)
   * @throws UpdateContentionException if the key changed under every one of the bounded attempts (it
   *     appeared and vanished again each time); nothing was stored
   * @throws CacheUnavailableException if the remote tier failed; whether the value was stored is then
   *     unknown (an atomic write is never served degraded)
   */
  V putIfAbsent(K key, V value);

  /**
   * Atomically replaces the entry of {@code key} with what {@code remapping} computes from the current
   * value (null when absent), as {@link java.util.Map#compute}: a non-null result is stored with the
   * default time to live, a null result removes the entry. On a remote tier this is a compare-and-set on
   * the exact stored bytes the function saw: when another writer changed the key in between, the
   * function runs again on the new value, a bounded number of times with jittered back-off, so <b>the
   * function may run more than once and must have no side effects</b>; only the result of the run whose
   * compare-and-set succeeded is stored. Every successful update is applied exactly once. The function
   * runs on the caller's thread, never under a lock that guards other keys.
   *
   * @return the new value, or null when the entry was removed (or stayed absent)
   * @throws NullPointerException if {@code key} or {@code remapping} is null
   * @throws InvalidValueException if the computed value cannot be stored; nothing was changed
   * @throws UpdateContentionException if every attempt lost to a concurrent writer; nothing was changed
   * @throws CacheUnavailableException if the remote tier failed; whether the last attempt was applied
   *     is then unknown (never served degraded)
   * @throws RuntimeException whatever {@code remapping} threw; nothing was changed
   */
  V compute(K key, java.util.function.BiFunction<? super K, ? super V, ? extends V> remapping);

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
