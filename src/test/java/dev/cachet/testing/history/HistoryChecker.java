package dev.cachet.testing.history;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks every read of a {@link History} against Cachet's consistency model (docs/architecture.md,
 * "Consistency model"):
 *
 * <ul>
 *   <li><b>Wrong value</b>: a read returned a value never written, written for another key, or written by
 *       a put that began after the read returned.
 *   <li><b>Staler than the bound</b>: a read returned the value of put P although another write W of the
 *       key (a put or an invalidate) began after P returned and returned more than {@code bound} before
 *       the read began. A read that missed is never wrong (memory and Redis may lose entries).
 * </ul>
 *
 * <p>Per key, writes are sorted by start with a suffix minimum of their end times, so each read costs
 * one binary search.
 */
public final class HistoryChecker {

  /** The outcome: counts and up to 10 examples of each violation. */
  public record Result(long reads, long hits, long writes, long wrongValues, long stale, List<String> examples,
      long maxStalenessNanos) {
    public boolean ok() {
      return wrongValues == 0 && stale == 0;
    }

    @Override
    public String toString() {
      return "reads " + reads + " (hits " + hits + "), writes " + writes + ", wrong values " + wrongValues
          + ", staler than the bound " + stale + ", largest staleness within the bound "
          + Duration.ofNanos(maxStalenessNanos).toMillis() + " ms" + (examples.isEmpty() ? "" : ": " + examples);
    }
  }

  private HistoryChecker() {}

  public static Result check(List<History.Op> ops, Duration bound) {
    long boundNanos = bound.toNanos();
    Map<String, List<History.Op>> writesByKey = new HashMap<>();
    Map<String, History.Op> putByValue = new HashMap<>();
    long writes = 0;
    for (History.Op op : ops) {
      if (op.kind() != History.Kind.READ) {
        writes++;
        writesByKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        if (op.kind() == History.Kind.PUT) {
          putByValue.put(op.value(), op);
        }
      }
    }
    Map<String, long[]> starts = new HashMap<>();
    Map<String, long[]> suffixMinEnd = new HashMap<>();
    for (Map.Entry<String, List<History.Op>> e : writesByKey.entrySet()) {
      List<History.Op> list = e.getValue();
      list.sort(Comparator.comparingLong(History.Op::startNanos));
      long[] s = new long[list.size()];
      long[] m = new long[list.size()];
      for (int i = 0; i < s.length; i++) {
        s[i] = list.get(i).startNanos();
      }
      long min = Long.MAX_VALUE;
      for (int i = s.length - 1; i >= 0; i--) {
        min = Math.min(min, list.get(i).endNanos());
        m[i] = min;
      }
      starts.put(e.getKey(), s);
      suffixMinEnd.put(e.getKey(), m);
    }
    long reads = 0;
    long hits = 0;
    long wrong = 0;
    long stale = 0;
    long maxStaleness = 0;
    List<String> examples = new ArrayList<>();
    for (History.Op op : ops) {
      if (op.kind() != History.Kind.READ) {
        continue;
      }
      reads++;
      if (op.value() == null) {
        continue;
      }
      hits++;
      History.Op put = putByValue.get(op.value());
      if (put == null || !put.key().equals(op.key()) || put.startNanos() > op.endNanos()) {
        wrong++;
        if (examples.size() < 10) {
          examples.add("wrong value " + op + " (written by " + put + ")");
        }
        continue;
      }
      long[] s = starts.get(op.key());
      int first = firstStartAfter(s, put.endNanos());
      if (first >= s.length) {
        continue;
      }
      long newerReturned = suffixMinEnd.get(op.key())[first];
      long staleness = op.startNanos() - newerReturned;
      if (staleness > boundNanos) {
        stale++;
        if (examples.size() < 10) {
          examples.add("stale by " + Duration.ofNanos(staleness).toMillis() + " ms: " + op);
        }
      } else if (staleness > maxStaleness) {
        maxStaleness = staleness;
      }
    }
    return new Result(reads, hits, writes, wrong, stale, examples, maxStaleness);
  }

  private static int firstStartAfter(long[] sorted, long time) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] > time) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }
}
