package dev.cachet;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The asynchronous view of a {@link Cache}, obtained from {@link Cache#async()}. Same semantics as the
 * synchronous methods, including single-flight: a synchronous and an asynchronous caller of the same
 * absent key share one load. Argument errors ({@code NullPointerException}, {@code
 * IllegalArgumentException}) and use after close ({@code IllegalStateException}) are thrown directly,
 * not through the future; everything else completes the future exceptionally. Loaders run on the cache's
 * executor, never on the caller's thread and never on an I/O thread. Thread-safe.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface AsyncCache<K, V> {

  /** Completes with the cached value, or {@code null}. */
  CompletableFuture<V> getIfPresent(K key);

  /** Completes with the cached or loaded value; see {@link Cache#get(Object, CacheLoader)}. */
  CompletableFuture<V> get(K key, CacheLoader<? super K, ? extends V> loader);

  /** Completes with the present entries of {@code keys}; never loads. See {@link Cache#getAllPresent}. */
  CompletableFuture<Map<K, V>> getAllPresent(Iterable<? extends K> keys);

  /**
   * Completes with the present entries of {@code keys}, without loading: the same as {@link
   * #getAllPresent(Iterable)}.
   *
   * @deprecated to be removed in the next release: Caffeine's {@code getAll(keys)} loads, this one never
   *     does. Call {@link #getAllPresent(Iterable)}, or {@link #getAll(Iterable, BulkLoader)} to load.
   */
  @Deprecated(since = "0.1.0", forRemoval = true)
  default CompletableFuture<Map<K, V>> getAll(Iterable<? extends K> keys) {
    return getAllPresent(keys);
  }

  /** Completes with the entries of {@code keys}, loading the absent ones in one call. */
  CompletableFuture<Map<K, V>> getAll(Iterable<? extends K> keys, BulkLoader<K, V> loader);

  /** Stores {@code value} with the cache's default time to live. */
  CompletableFuture<Void> put(K key, V value);

  /** Stores {@code value} for {@code ttl}. */
  CompletableFuture<Void> put(K key, V value, Duration ttl);

  /** Stores every entry of {@code entries} with the default time to live. */
  CompletableFuture<Void> putAll(Map<? extends K, ? extends V> entries);

  /** Removes {@code key}. */
  CompletableFuture<Void> invalidate(K key);

  /** Removes {@code keys}. */
  CompletableFuture<Void> invalidateAll(Iterable<? extends K> keys);

  /** Removes every entry. */
  CompletableFuture<Void> invalidateAll();

  /** The synchronous view of the same cache. */
  Cache<K, V> sync();
}
