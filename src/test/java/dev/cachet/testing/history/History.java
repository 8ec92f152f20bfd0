package dev.cachet.testing.history;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A history of cache operations from several instances and threads in one JVM, each with its real-time
 * interval ({@link System#nanoTime()} when it was called and when it returned). Written values are
 * unique ({@link #nextValue}: key, version and writer), so a read names the write it observed.
 * Thread-safe; {@link #operations()} is meant for after the run.
 */
public final class History {

  /** What an operation did. */
  public enum Kind {
    PUT,
    INVALIDATE,
    READ
  }

  /**
   * One operation: {@code value} is what a put wrote or a read returned (null: a read that missed, or an
   * invalidate).
   */
  public record Op(String instance, Kind kind, String key, String value, long startNanos, long endNanos) {}

  private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
  private final AtomicLong versions = new AtomicLong();

  /** A value never written before, carrying its key and writer. */
  public String nextValue(String key, String instance) {
    return key + "@" + versions.incrementAndGet() + "@" + instance;
  }

  /** The key a value was written for, or null if it is not a history value. */
  public static String keyOf(String value) {
    int at = value.indexOf('@');
    return at < 0 ? null : value.substring(0, at);
  }

  public void record(Op op) {
    ops.add(op);
  }

  public List<Op> operations() {
    return new ArrayList<>(ops);
  }

  public int size() {
    return ops.size();
  }
}
