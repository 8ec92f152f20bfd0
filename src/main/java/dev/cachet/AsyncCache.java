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

  /**
   * The batch size of {@link #warm(Iterable, BulkLoader)}: 100 keys per {@code MGET}, loader call and
   * cross-instance lease. Small enough that one batch's reply and loader call stay modest (100 values of
   * 10 KB: a 1.4 MB {@code MGET} reply; 100 ids fit any database's {@code IN (...)} list) and that a
   * failure or a waiting instance costs at most one batch; large enough that a warm of 10,000 keys takes
   * 100 round trips and 100 leases, not 10,000.
   */
  int DEFAULT_WARM_BATCH_SIZE = 100;

  /**
   * The largest batch size {@link #warm(Iterable, BulkLoader, int)} accepts: one {@code MGET} of more keys
   * blocks Redis (single-threaded) for too long, and a lease then guards too much work.
   */
  int MAX_WARM_BATCH_SIZE = 10_000;

  /**
   * Warms the cache with {@code keys}, in batches of {@link #DEFAULT_WARM_BATCH_SIZE}: see {@link
   * #warm(Iterable, BulkLoader, int)}.
   *
   * @throws NullPointerException if {@code keys}, a key in it, or {@code loader} is null
   * @throws IllegalArgumentException if a key is longer than the cache allows once encoded
   * @throws IllegalStateException if the cache is closed
   */
  default CompletableFuture<WarmReport> warm(Iterable<? extends K> keys, BulkLoader<K, V> loader) {
    return warm(keys, loader, DEFAULT_WARM_BATCH_SIZE);
  }

  /**
   * Makes every key of {@code keys} cached, without returning values (as {@code getAll(keys, loader)} in
   * batches, for a start-up or a deployment): per batch of {@code batchSize} keys, one read (memory, then
   * one {@code MGET} of the remote tier for memory's misses, whose hits refill memory) and, for the keys
   * missing in both tiers, one {@code loader} call whose values are stored as {@code getAll} stores them
   * (on a remote tier with {@code SET NX}: a warm never overwrites a newer value). Keys another caller on
   * this instance is loading are joined (single flight), and {@code get}s of keys this warm is loading
   * join its load.
   *
   * <p><b>Across instances</b> (tiered caches): each batch that needs loading takes a lease in Redis first
   * (batches are formed from the keys sorted by their encoded form, so instances warming the same keys meet
   * on the same leases) and re-reads its keys once it holds it, so keys another instance loaded meanwhile
   * are not loaded again. A batch whose lease another instance holds is put off until this call's other
   * batches are done, then waited for (bounded); if the holder is still loading after the wait bound, this
   * instance loads the batch too and counts those keys in {@link WarmReport#possibleDuplicates()}. Twenty
   * instances warming the same keys at once thus call the loader once per key, unless a lease expires or
   * a wait runs out. Batch leases coordinate warms of the same keys only: instances warming different,
   * overlapping key sets form different batches, and a {@code get} elsewhere takes its key's own lease,
   * so such overlaps may be loaded twice without being counted. Memory-only and Redis-only caches take
   * no lease.
   *
   * <p>Batches run one after another as tasks on the cache's executor; the loader runs there (it may
   * block) and receives keys none of which was cached when its batch was read. Warming counts loads and
   * puts in the cache's statistics, not hits or misses.
   *
   * <p>The future completes with a {@link WarmReport} even when loads fail (the loader threw, Redis
   * failed, the cache was closed meanwhile): failures are counted there, with the first one's cause.
   * Only the caller's own mistakes are thrown, at once: nothing is loaded then. (The future completes
   * exceptionally only if the cache's executor refuses the warm's tasks.) Cancelling the future
   * stops the warm after the batch in progress (a shared load is never cancelled).
   *
   * @param batchSize keys per read, loader call and lease: 1 to {@link #MAX_WARM_BATCH_SIZE}
   * @throws NullPointerException if {@code keys}, a key in it, or {@code loader} is null
   * @throws IllegalArgumentException if {@code batchSize} is out of range, or a key is longer than the
   *     cache allows once encoded
   * @throws IllegalStateException if the cache is closed
   */
  CompletableFuture<WarmReport> warm(Iterable<? extends K> keys, BulkLoader<K, V> loader, int batchSize);

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
