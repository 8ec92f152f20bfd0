package dev.cachet.internal;

import dev.cachet.CacheException;
import dev.cachet.CacheLoaderException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;

/**
 * One in-flight map of futures per cache, shared by its synchronous and asynchronous paths and by
 * every tier and composition: concurrent callers of the same absent key run one load, the others wait
 * for its result. Nothing here holds a lock while a load runs, so a slow loader never blocks other keys.
 *
 * <p>A write or invalidation of a key while its load runs marks that {@link Flight} stale: the load
 * still answers its waiters, but must not store its (possibly outdated) value. Loads check {@link
 * Flight#isStale()} after storing and undo the store when it turned stale meanwhile.
 *
 * <p>A caller that reads a key's stored value <em>before</em> joining its flight (the bulk paths, and
 * the async paths that read a remote tier first) can miss a value whose load finished between its read
 * and its claim: the flight is gone and the read predates the store. It takes a {@link #stamp()} before
 * the read and, as the winner, reads again the keys for which {@link #finishedSince} holds before
 * loading them (issue 19: an async bulk load called its loader for a key a single load had just
 * loaded).
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class SingleFlight<K, V> {

  private final String cacheName;
  private final ConcurrentHashMap<K, Flight<V>> inFlight = new ConcurrentHashMap<>();

  /** Stripes of {@link #finishedLoads}' value when a load of a key in the stripe last finished. */
  private static final int FINISH_STRIPES = 64;

  private final AtomicLong finishedLoads = new AtomicLong();
  private final AtomicLongArray lastFinished = new AtomicLongArray(FINISH_STRIPES);

  public SingleFlight(String cacheName) {
    this.cacheName = cacheName;
  }

  /** One load in progress. Completes with the loaded value (null for "absent") or the failure. */
  public static final class Flight<V> extends CompletableFuture<V> {
    private volatile boolean stale;
    private volatile boolean servedFromCache;
    private volatile Thread loadingThread;

    /** Records that the value came from a cache tier (a remote hit), not from the loader. */
    public void markServedFromCache() {
      servedFromCache = true;
    }

    /** Whether the flight's value came from a cache tier rather than the loader. */
    public boolean servedFromCache() {
      return servedFromCache;
    }

    /** Whether the key was written or invalidated after this load began. */
    public boolean isStale() {
      return stale;
    }

    void markStale() {
      stale = true;
    }
  }

  /**
   * Runs {@code loader} in the calling thread unless a load of {@code key} is already in flight, in
   * which case it waits for that one. The loader's exceptions reach every caller: unchecked ones as
   * they are, checked ones as {@link CacheLoaderException}.
   */
  public V load(K key, Function<Flight<V>, V> loader) {
    return loadFlight(key, loader).getNow(null);
  }

  /**
   * Like {@link #load} but returns the completed flight (the caller's own or the one it waited for),
   * so the caller can see how the value was obtained ({@link Flight#servedFromCache()}).
   */
  public Flight<V> loadFlight(K key, Function<Flight<V>, V> loader) {
    Flight<V> mine = new Flight<>();
    mine.loadingThread = Thread.currentThread();
    Flight<V> existing = inFlight.putIfAbsent(key, mine);
    if (existing != null) {
      requireNotRecursive(existing);
      await(existing);
      return existing;
    }
    try {
      V value = loader.apply(mine);
      mine.complete(value);
      return mine;
    } catch (Throwable t) {
      mine.completeExceptionally(t);
      throw t;
    } finally {
      mine.loadingThread = null;
      finish(key, mine);
    }
  }

  /**
   * A loader that asks for the key it is loading would wait for itself forever: fail fast instead, as
   * Caffeine does for a recursive computation.
   */
  private void requireNotRecursive(Flight<V> existing) {
    if (existing.loadingThread == Thread.currentThread()) {
      throw new IllegalStateException(
          "cache '" + cacheName + "': a loader asked the cache for the key it is loading (recursive"
              + " load); load that value directly instead of through the cache");
    }
  }

  /**
   * Starts {@code loader} unless a load of {@code key} is in flight, and returns this caller's view of
   * the shared load: a future of its own, so cancelling (or completing) it never cancels the load the
   * other callers wait for. {@code loader} must not block; it returns the future of its work.
   */
  public CompletableFuture<V> loadAsync(K key, Function<Flight<V>, CompletableFuture<V>> loader) {
    return startAsync(key, loader).copy();
  }

  /**
   * Like {@link #loadAsync} but returns the shared flight itself, so the caller can see how the value
   * was obtained; callers must hand out a dependent future, never the flight (which others share).
   */
  public Flight<V> startAsync(K key, Function<Flight<V>, CompletableFuture<V>> loader) {
    Flight<V> mine = new Flight<>();
    Flight<V> existing = inFlight.putIfAbsent(key, mine);
    if (existing != null) {
      return existing;
    }
    CompletableFuture<V> work;
    try {
      work = loader.apply(mine);
    } catch (Throwable t) {
      inFlight.remove(key, mine);
      mine.completeExceptionally(t);
      return mine;
    }
    work.whenComplete(
        (value, error) -> {
          finish(key, mine);
          if (error != null) {
            mine.completeExceptionally(unwrap(error));
          } else {
            mine.complete(value);
          }
        });
    return mine;
  }

  /**
   * Loads the absent {@code keys} with one call of {@code bulkLoader} for the keys this caller wins,
   * and waits for the keys other callers are already loading. {@code bulkLoader} receives the won keys
   * with their flights and returns the loaded values (absent keys missing); it must store them itself,
   * checking staleness as {@link #load} callers do.
   */
  public Map<K, V> loadAll(
      Set<? extends K> keys, Function<Map<K, Flight<V>>, Map<K, V>> bulkLoader) {
    Claim<K, V> claim = claimAll(keys);
    Map<K, Flight<V>> won = claim.won();
    Map<K, Flight<V>> waiting = claim.joined();
    for (Flight<V> existing : waiting.values()) {
      try {
        requireNotRecursive(existing);
      } catch (IllegalStateException recursive) {
        won.forEach(
            (key, flight) -> {
              flight.completeExceptionally(recursive);
              inFlight.remove(key, flight);
            });
        throw recursive;
      }
    }
    Map<K, V> result = new HashMap<>();
    if (!won.isEmpty()) {
      try {
        Map<K, V> loaded = bulkLoader.apply(won);
        for (Map.Entry<K, Flight<V>> e : won.entrySet()) {
          V value = loaded.get(e.getKey());
          e.getValue().complete(value);
          if (value != null) {
            result.put(e.getKey(), value);
          }
        }
      } catch (Throwable t) {
        for (Flight<V> f : won.values()) {
          f.completeExceptionally(t);
        }
        throw t;
      } finally {
        won.values().forEach(f -> f.loadingThread = null);
        won.forEach(this::finish);
      }
    }
    for (Map.Entry<K, Flight<V>> e : waiting.entrySet()) {
      V value = await(e.getValue());
      if (value != null) {
        result.put(e.getKey(), value);
      }
    }
    return result;
  }

  /**
   * The asynchronous {@link #loadAll}: claims the absent {@code keys} not already in flight and starts
   * one {@code bulkLoader} call for them (it returns the future of the loaded values, absent keys
   * missing, and stores them itself, checking staleness); keys other callers are loading are waited for
   * without blocking. Completes with the non-null values of every key, or exceptionally when any of the
   * loads failed. The returned future is this caller's own: cancelling it cancels no shared load.
   */
  public CompletableFuture<Map<K, V>> loadAllAsync(
      Set<? extends K> keys, Function<Map<K, Flight<V>>, CompletableFuture<Map<K, V>>> bulkLoader) {
    Map<K, Flight<V>> won = new HashMap<>();
    Map<K, Flight<V>> all = new HashMap<>();
    for (K key : keys) {
      Flight<V> mine = new Flight<>();
      Flight<V> existing = inFlight.putIfAbsent(key, mine);
      if (existing == null) {
        won.put(key, mine);
        all.put(key, mine);
      } else {
        all.put(key, existing);
      }
    }
    if (!won.isEmpty()) {
      CompletableFuture<Map<K, V>> work;
      try {
        work = bulkLoader.apply(won);
      } catch (Throwable t) {
        work = CompletableFuture.failedFuture(t);
      }
      work.whenComplete(
          (loaded, error) -> {
            won.forEach(this::finish);
            for (Map.Entry<K, Flight<V>> e : won.entrySet()) {
              if (error != null) {
                e.getValue().completeExceptionally(unwrap(error));
              } else {
                e.getValue().complete(loaded == null ? null : loaded.get(e.getKey()));
              }
            }
          });
    }
    return CompletableFuture.allOf(all.values().toArray(new CompletableFuture<?>[0]))
        .thenApply(
            ignored -> {
              Map<K, V> result = new HashMap<>();
              all.forEach(
                  (key, flight) -> {
                    V value = flight.join();
                    if (value != null) {
                      result.put(key, value);
                    }
                  });
              return result;
            });
  }

  /**
   * A stamp to take <em>before</em> reading stored values outside the keys' flights; see {@link
   * #finishedSince}.
   */
  public long stamp() {
    return finishedLoads.get();
  }

  /**
   * Whether a load of {@code key} (or of a key sharing its stripe) finished after {@code stamp} was
   * taken: a read begun after the stamp may then have missed the value that load stored, so a caller
   * that has since claimed the key must read it again before loading it. False means every load of
   * the key that finished before the claim had stored its value before the read began.
   */
  public boolean finishedSince(K key, long stamp) {
    return lastFinished.get(stripe(key)) > stamp;
  }

  /** Records that {@code flight}'s load (which stored its value first) finished, then leaves the map. */
  private void finish(K key, Flight<V> flight) {
    long finished = finishedLoads.incrementAndGet();
    lastFinished.accumulateAndGet(stripe(key), finished, Math::max);
    inFlight.remove(key, flight);
  }

  private static int stripe(Object key) {
    int h = key.hashCode();
    return (h ^ (h >>> 16)) & (FINISH_STRIPES - 1);
  }

  /**
   * The loads of a set of keys claimed by {@link #claimAll}: {@code won} are new flights the caller
   * must {@link #settle}; {@code joined} are loads already in flight, to wait for (without blocking).
   */
  public record Claim<K, V>(Map<K, Flight<V>> won, Map<K, Flight<V>> joined) {}

  /**
   * Claims the loads of {@code keys} for a caller that completes them itself (warming): each key either
   * gets a new flight this caller won and must {@link #settle}, or joins the load already in flight.
   * Won flights record the calling thread until settled, so a loader that asks this cache for a key it
   * is loading fails fast as with {@link #load}. Never blocks.
   */
  public Claim<K, V> claimAll(Set<? extends K> keys) {
    Map<K, Flight<V>> won = new HashMap<>();
    Map<K, Flight<V>> joined = new HashMap<>();
    for (K key : keys) {
      Flight<V> mine = new Flight<>();
      mine.loadingThread = Thread.currentThread();
      Flight<V> existing = inFlight.putIfAbsent(key, mine);
      if (existing == null) {
        won.put(key, mine);
      } else {
        joined.put(key, existing);
      }
    }
    return new Claim<>(won, joined);
  }

  /**
   * Completes a flight won through {@link #claimAll} with {@code value} (null: absent), or with {@code
   * failure} when it is not null, and ends it: later callers of the key start a new load. Idempotent.
   */
  public void settle(K key, Flight<V> flight, V value, Throwable failure) {
    flight.loadingThread = null;
    finish(key, flight);
    if (failure != null) {
      flight.completeExceptionally(unwrap(failure));
    } else {
      flight.complete(value);
    }
  }

  /** Marks the in-flight load of {@code key}, if any, stale: its value will not be stored. */
  public void markStale(K key) {
    Flight<V> flight = inFlight.get(key);
    if (flight != null) {
      flight.markStale();
    }
  }

  /** Marks every in-flight load stale (after an {@code invalidateAll}). */
  public void markAllStale() {
    for (Flight<V> flight : inFlight.values()) {
      flight.markStale();
    }
  }

  /** The number of loads in flight (for tests and health). */
  public int inFlightCount() {
    return inFlight.size();
  }

  /** Keys in iteration order of {@code keys}, deduplicated. */
  public static <K> Set<K> distinct(Iterable<? extends K> keys, String argumentName) {
    Preconditions.requireNonNull(keys, argumentName);
    Set<K> set = new LinkedHashSet<>();
    for (K key : keys) {
      set.add(Preconditions.requireNonNull(key, "key in " + argumentName));
    }
    return set;
  }

  /** Waits for {@code flight}, rethrowing its failure as the loader's caller would see it. */
  private V await(CompletableFuture<V> flight) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return flight.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          throw rethrow(e.getCause());
        } catch (CancellationException e) {
          throw new CacheException(cacheName, "load was cancelled in cache '" + cacheName + "'", e);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private RuntimeException rethrow(Throwable cause) {
    if (cause instanceof RuntimeException) {
      throw (RuntimeException) cause;
    }
    if (cause instanceof Error) {
      throw (Error) cause;
    }
    return new CacheLoaderException(cacheName, cause);
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
