package dev.cachet.tiered;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Schedules refresh-ahead work of one tiered cache: at most one refresh per memory key at a time, on
 * the refresh executor. A refresh the executor rejects leaves no marker behind (it can be tried again
 * on the next hit), and a marker older than {@code markerLifetime} is ignored, so a task an executor
 * drops silently (violating {@link Executor#execute}'s contract) delays that key's refresh but never
 * disables it. Marker ages run on the memory tier's clock (the cache's ticker), like refreshAfterWrite. At most {@code maxMarkers} refreshes are pending; more are skipped and counted.
 *
 * <p>What a refresh does (read, reload, compare-and-set, publish) is the cache's; this class only
 * decides whether it runs. Thread-safe.
 */
final class RefreshAhead {

  private final Executor executor;
  private final long markerLifetimeNanos;
  private final int maxMarkers;
  private final ConcurrentHashMap<String, Long> markers = new ConcurrentHashMap<>();
  private final LongAdder skipped = new LongAdder();
  private final LongSupplier nanoClock;

  RefreshAhead(Executor executor, Duration markerLifetime, int maxMarkers, LongSupplier nanoClock) {
    this.executor = executor;
    this.nanoClock = nanoClock;
    this.markerLifetimeNanos = markerLifetime.toNanos();
    this.maxMarkers = maxMarkers;
  }

  /** Runs {@code refresh} for {@code memoryKey} unless one is pending; returns whether it was queued. */
  boolean trySchedule(String memoryKey, Runnable refresh) {
    long now = nanoClock.getAsLong();
    Long previous = markers.putIfAbsent(memoryKey, now);
    if (previous != null) {
      if (now - previous < markerLifetimeNanos || !markers.replace(memoryKey, previous, now)) {
        return false;
      }
    }
    if (markers.size() > maxMarkers) {
      markers.remove(memoryKey, now);
      skipped.increment();
      return false;
    }
    try {
      executor.execute(
          () -> {
            try {
              refresh.run();
            } finally {
              markers.remove(memoryKey, now);
            }
          });
      return true;
    } catch (RejectedExecutionException e) {
      markers.remove(memoryKey, now);
      skipped.increment();
      return false;
    }
  }

  /** Refreshes queued or running. */
  int pending() {
    return markers.size();
  }

  /** Refreshes skipped because the executor or the marker bound refused them. */
  long skipped() {
    return skipped.sum();
  }
}
