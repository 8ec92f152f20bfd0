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

  /**
   * Completes with the cached value of {@code key}, or on a miss with what the asynchronous {@code
   * loader} completes with (as Caffeine's {@code AsyncCache.get(key, BiFunction)}): for an HTTP or model
   * client's own future, so no thread blocks while the remote call runs. {@code loader} receives the key
   * and the cache's executor, runs on the thread that claims the load (never under a lock) and must not
   * block; its future's value is stored like a loaded value (null: nothing stored).
   *
   * <p>Concurrent callers of the same absent key, synchronous or asynchronous, share one load through
   * the cache's single flight; each caller gets a future of its own, so cancelling it never cancels the
   * shared load (the others still get the value, and it is still stored). In a tiered cache the load
   * looks in Redis first and writes the loaded value with {@code SET NX}, as the synchronous load does;
   * the cross-instance lease is taken by synchronous loads only.
   *
   * @throws NullPointerException if {@code key} or {@code loader} is null
   * @throws IllegalStateException if the cache is closed
   */
  CompletableFuture<V> get(
      K key,
      java.util.function.BiFunction<? super K, ? super java.util.concurrent.Executor,
              ? extends CompletableFuture<? extends V>>
          loader);

  /**
   * Completes with the entries of {@code keys}, loading the absent ones through one call of the
   * asynchronous {@code loader} (it receives the keys this caller claims and the cache's executor, and
   * completes with their values; keys it leaves out are missing from the result). Keys other callers are
   * already loading are waited for, without blocking. Cancelling the returned future cancels no shared
   * load. See {@link #get(Object, java.util.function.BiFunction)}.
   *
   * @throws NullPointerException if {@code keys}, a key in it, or {@code loader} is null
   * @throws IllegalStateException if the cache is closed
   */
  CompletableFuture<Map<K, V>> getAll(
      Iterable<? extends K> keys,
      java.util.function.BiFunction<? super java.util.Set<? extends K>, ? super java.util.concurrent.Executor,
              ? extends CompletableFuture<? extends Map<? extends K, ? extends V>>>
          loader);

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
