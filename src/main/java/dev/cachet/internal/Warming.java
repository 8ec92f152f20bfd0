package dev.cachet.internal;

import dev.cachet.BulkLoader;
import dev.cachet.WarmReport;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One {@code warm(keys, loader)} call ({@link dev.cachet.AsyncCache#warm}): the distinct keys, sorted by
 * their encoded form (so instances warming the same keys in any order form the same batches and meet on
 * the same batch leases), cut into batches, each handled as one task on the cache's executor:
 *
 * <ol>
 *   <li>read the batch ({@link AbstractCache#lookupAll}: memory, then one {@code MGET} of the misses,
 *       which refills memory); a batch with nothing missing is done;
 *   <li>take the batch's cross-instance lease ({@link AbstractCache#acquireWarmLease}); on the first pass a
 *       batch whose lease another instance holds is put off until every other batch is done (the fleet
 *       then shares the work instead of queueing on one lease); on the second pass it is asked for again
 *       every poll interval, for at most the lease's wait bound, then loaded without it (counted as
 *       possible duplicates);
 *   <li>claim the missing keys in the cache's single flight (keys another caller on this instance is
 *       loading are joined, without blocking), re-read the claimed ones (another instance may have
 *       loaded them while this one waited), load the rest with one loader call, store them as {@code
 *       getAll} does, settle the flights, and release the lease (a lease found lost at release makes the
 *       batch's loads possible duplicates).
 * </ol>
 *
 * <p>Every failure is counted in the report, never thrown: the future completes exceptionally only when
 * a task could not be scheduled. Cancelling the future stops after the batch in progress. Counters are
 * updated by one task at a time, or by joined loads completing; hence synchronized.
 */
final class Warming<K, V> {

  private enum Step {
    DONE,
    DEFERRED,
    RETRY
  }

  private final AbstractCache<K, V> cache;
  private final BulkLoader<K, V> loader;
  private final Executor executor;
  private final long startNanos = System.nanoTime();
  private final CompletableFuture<WarmReport> result = new CompletableFuture<>();
  private final Deque<List<K>> firstPass = new ArrayDeque<>();
  private final Deque<List<K>> secondPass = new ArrayDeque<>();
  /** When the batch at the head of the second pass stops waiting for its lease; 0: not waiting yet. */
  private long waitDeadline;
  private Duration retryAfter = Duration.ZERO;

  private long loaded;
  private long present;
  private long absent;
  private long failed;
  private long duplicates;
  private Throwable firstFailure;

  private Warming(AbstractCache<K, V> cache, BulkLoader<K, V> loader, Executor executor) {
    this.cache = cache;
    this.loader = loader;
    this.executor = executor;
  }

  /**
   * Starts warming {@code keys} (distinct, checked and encodable) in batches of {@code batchSize}; the
   * future completes with the report.
   */
  static <K, V> CompletableFuture<WarmReport> start(
      AbstractCache<K, V> cache, Set<K> keys, BulkLoader<K, V> loader, int batchSize, Executor executor) {
    Warming<K, V> warming = new Warming<>(cache, loader, executor);
    List<K> ordered = new ArrayList<>(keys);
    Map<K, String> encoded = new HashMap<>();
    for (K key : keys) {
      String e = cache.encodeKey(key);
      if (e == null) {
        encoded = null; // no codec for this key type (memory-only): keep the caller's order
        break;
      }
      encoded.put(key, e);
    }
    if (encoded != null) {
      Map<K, String> byKey = encoded;
      ordered.sort(Comparator.comparing(byKey::get));
    }
    for (int i = 0; i < ordered.size(); i += batchSize) {
      warming.firstPass.add(List.copyOf(ordered.subList(i, Math.min(ordered.size(), i + batchSize))));
    }
    warming.schedule(Duration.ZERO);
    return warming.result;
  }

  private void schedule(Duration delay) {
    try {
      if (delay.isZero()) {
        executor.execute(this::next);
      } else {
        CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS, executor).execute(this::next);
      }
    } catch (RuntimeException e) {
      if (cache.isClosed()) {
        // the cache's own executor stops with it: what was not warmed failed because of the close
        failRemaining(null, closed());
      } else {
        result.completeExceptionally(e); // the executor refused the task (shut down, saturated)
      }
    }
  }

  private IllegalStateException closed() {
    return new IllegalStateException("cache '" + cache.name() + "' was closed while warming");
  }

  /** Runs the next batch, then schedules the one after it. */
  private void next() {
    if (result.isDone()) {
      return; // cancelled: stop after the batch that was in progress
    }
    boolean second = firstPass.isEmpty();
    List<K> batch = second ? secondPass.peekFirst() : firstPass.pollFirst();
    if (batch == null) {
      finish();
      return;
    }
    if (cache.isClosed()) {
      failRemaining(second ? null : batch, closed());
      return;
    }
    CompletableFuture<Step> step;
    try {
      step = runBatch(batch, !second);
    } catch (RuntimeException | Error e) {
      synchronized (this) {
        fail(batch.size(), e);
      }
      step = CompletableFuture.completedFuture(Step.DONE);
    }
    step.whenComplete(
        (outcome, error) -> {
          if (second && outcome != Step.RETRY) {
            secondPass.pollFirst();
            waitDeadline = 0;
          }
          if (outcome == Step.DEFERRED) {
            secondPass.addLast(batch);
          }
          schedule(outcome == Step.RETRY ? retryAfter : Duration.ZERO);
        });
  }

  /** Counts every batch not done as failed ({@code taken}: one already taken off the queues, or null). */
  private void failRemaining(List<K> taken, Throwable cause) {
    synchronized (this) {
      long remaining = taken == null ? 0 : taken.size();
      for (List<K> b : firstPass) {
        remaining += b.size();
      }
      for (List<K> b : secondPass) {
        remaining += b.size();
      }
      firstPass.clear();
      secondPass.clear();
      fail(remaining, cause);
    }
    finish();
  }

  private void finish() {
    WarmReport report;
    synchronized (this) {
      report =
          WarmReport.of(
              loaded, present, absent, failed, duplicates, Duration.ofNanos(System.nanoTime() - startNanos),
              firstFailure);
    }
    result.complete(report);
  }

  /** Counts {@code keys} failed with {@code cause}; the caller holds the lock. */
  private void fail(long keys, Throwable cause) {
    failed += keys;
    if (firstFailure == null && keys > 0) {
      firstFailure = SingleFlight.unwrap(cause);
    }
  }

  private CompletableFuture<Step> runBatch(List<K> batch, boolean mayDefer) {
    Set<K> keys = new LinkedHashSet<>(batch);
    Map<K, Object> found;
    try {
      found = cache.lookupAll(keys);
    } catch (RuntimeException e) { // a Redis-only cache's read failed
      synchronized (this) {
        fail(keys.size(), e);
      }
      return CompletableFuture.completedFuture(Step.DONE);
    }
    Set<K> missing = new LinkedHashSet<>();
    for (K key : keys) {
      if (found.get(key) == null) {
        missing.add(key);
      }
    }
    if (missing.isEmpty()) {
      synchronized (this) {
        present += keys.size();
      }
      return CompletableFuture.completedFuture(Step.DONE);
    }
    WarmLease lease;
    try {
      lease = cache.acquireWarmLease(batch);
    } catch (RuntimeException e) {
      lease = WarmLease.UNAVAILABLE;
    }
    if (lease.state == WarmLease.State.BUSY) {
      if (mayDefer) {
        return CompletableFuture.completedFuture(Step.DEFERRED);
      }
      long now = System.nanoTime();
      if (waitDeadline == 0) {
        waitDeadline = now + lease.maxWait().toNanos();
      }
      if (now - waitDeadline < 0) {
        retryAfter = lease.pollInterval();
        return CompletableFuture.completedFuture(Step.RETRY);
      }
      lease = WarmLease.UNAVAILABLE; // the holder is still loading after the wait bound: load too
    }
    synchronized (this) {
      present += keys.size() - missing.size();
    }
    return loadClaimed(missing, lease).thenApply(ignored -> Step.DONE);
  }

  /** Claims, re-reads, loads and settles {@code missing}; completes once joined loads are done too. */
  private CompletableFuture<Void> loadClaimed(Set<K> missing, WarmLease lease) {
    SingleFlight.Claim<K, V> claim = cache.singleFlight.claimAll(missing);
    Map<K, SingleFlight.Flight<V>> open = new HashMap<>(claim.won());
    int asked = 0;
    boolean leaseKept = true;
    try {
      if (!open.isEmpty()) {
        Map<K, Object> again = cache.lookupAll(open.keySet());
        int alreadyThere = 0;
        for (Map.Entry<K, Object> e : again.entrySet()) {
          SingleFlight.Flight<V> flight = open.remove(e.getKey());
          if (flight != null) {
            flight.markServedFromCache();
            cache.singleFlight.settle(e.getKey(), flight, AbstractCache.unwrap(e.getValue()), null);
            alreadyThere++;
          }
        }
        synchronized (this) {
          present += alreadyThere;
        }
      }
      if (!open.isEmpty()) {
        asked = open.size();
        Map<K, V> values = cache.loadValues(open, loader);
        int withValue = 0;
        for (Map.Entry<K, SingleFlight.Flight<V>> e : open.entrySet()) {
          V value = values.get(e.getKey());
          cache.singleFlight.settle(e.getKey(), e.getValue(), value, null);
          if (value != null) {
            withValue++;
          }
        }
        int settled = open.size();
        open.clear();
        synchronized (this) {
          loaded += withValue;
          absent += settled - withValue;
        }
      }
    } catch (RuntimeException | Error e) {
      open.forEach((key, flight) -> cache.singleFlight.settle(key, flight, null, e));
      synchronized (this) {
        fail(open.size(), e);
      }
      open.clear();
    } finally {
      if (lease.state == WarmLease.State.HELD) {
        try {
          leaseKept = lease.release();
        } catch (RuntimeException e) {
          leaseKept = false;
        }
      }
    }
    boolean unleased = lease.state == WarmLease.State.UNAVAILABLE || !leaseKept;
    if (unleased && asked > 0) {
      synchronized (this) {
        duplicates += asked;
      }
      for (int i = 0; i < asked; i++) {
        cache.instrumentation.recordDuplicateLoad();
      }
    }
    if (claim.joined().isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    List<CompletableFuture<?>> joins = new ArrayList<>();
    for (SingleFlight.Flight<V> flight : claim.joined().values()) {
      joins.add(
          flight.handle(
              (value, error) -> {
                synchronized (this) {
                  if (error != null) {
                    fail(1, error);
                  } else if (value == null) {
                    absent++;
                  } else {
                    present++;
                  }
                }
                return null;
              }));
    }
    return CompletableFuture.allOf(joins.toArray(new CompletableFuture<?>[0]));
  }
}
