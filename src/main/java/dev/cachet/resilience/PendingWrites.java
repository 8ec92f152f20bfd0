package dev.cachet.resilience;

import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The writes of one cache (all its views) that have not completed yet, retries included, so that a
 * retry never overwrites a later state of its key.
 *
 * <p>A retry is a new command sent after its back-off; calls on the key made after the first attempt
 * (an unawaited {@code put} of another value, an {@code invalidate}, a clear) were sent before it. So
 * before each retry the decorator drops the keys {@link #superseded} since the write was made: written
 * again by a later call, or cleared by a later {@code invalidateAll} of their view or of the whole cache.
 * Their later state stands, as if the dropped write had been applied just before it. Every keyed write
 * registers ({@link #begin}), retried or not, so that it supersedes earlier ones; each is forgotten
 * once complete ({@link #end}), so the map holds only writes in progress.
 *
 * <p>Keys are per scope: {@code ""} for the root view, the tenant id for a tenant view (the same string
 * key in two tenants is two Redis keys). A clear of the root view supersedes every scope. Thread-safe.
 */
final class PendingWrites {

  private static final String ROOT = "";

  private final AtomicLong sequence = new AtomicLong();
  /** Scoped key to the sequence number of its latest write in progress. */
  private final ConcurrentHashMap<String, Long> latest = new ConcurrentHashMap<>();
  /** Scope to the sequence number of its latest clear (one entry per scope ever cleared here). */
  private final ConcurrentHashMap<String, Long> clears = new ConcurrentHashMap<>();

  /** Registers a write of {@code keys} in {@code scope}; returns its number, for the other methods. */
  long begin(String scope, Collection<String> keys) {
    long number = sequence.incrementAndGet();
    for (String key : keys) {
      latest.put(scoped(scope, key), number);
    }
    return number;
  }

  /** Registers a clear of {@code scope} (of everything when it is the root's). */
  void clear(String scope) {
    long number = sequence.incrementAndGet();
    clears.merge(scope, number, Math::max);
  }

  /** Whether write {@code number} of {@code key} was written again or cleared since it was made. */
  boolean superseded(String scope, String key, long number) {
    Long last = latest.get(scoped(scope, key));
    return last == null
        || last != number
        || clearedAfter(scope, number)
        || (!scope.equals(ROOT) && clearedAfter(ROOT, number));
  }

  /** Forgets write {@code number} of {@code keys} (completed, however it ended). */
  void end(String scope, Collection<String> keys, long number) {
    for (String key : keys) {
      latest.remove(scoped(scope, key), number);
    }
  }

  /** Writes in progress; for tests. */
  int inProgress() {
    return latest.size();
  }

  private boolean clearedAfter(String scope, long number) {
    Long cleared = clears.get(scope);
    return cleared != null && cleared > number;
  }

  private static String scoped(String scope, String key) {
    return scope.isEmpty() ? key : scope + '\u0000' + key;
  }
}
