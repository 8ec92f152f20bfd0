package dev.cachet.metrics;

import dev.cachet.spi.RemoteOperation;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.StatsRecorder;
import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one push listener a {@link CacheInstrumentation} accepts, shared by every binder and registry
 * that monitors the cache: forwards the push-style calls (timers, sizes) to each recorder; what one
 * recorder throws is logged once and reaches neither the others nor the cache call. The pull-style
 * counts are read from the instrumentation directly, so their calls are not forwarded. Attached when
 * the first recorder arrives and detached with the last, so a cache nobody monitors keeps the no-op
 * listener.
 */
final class RecorderFanout implements StatsRecorder {

  private static final Logger log = LoggerFactory.getLogger(RecorderFanout.class);

  /** Keyed weakly by identity ({@link CacheInstrumentation} keeps {@code Object.equals}). */
  private static final Map<CacheInstrumentation, RecorderFanout> FANOUTS = new WeakHashMap<>();

  private volatile StatsRecorder[] recorders = new StatsRecorder[0];
  private final AtomicBoolean warned = new AtomicBoolean();

  private RecorderFanout() {}

  static synchronized void add(CacheInstrumentation instrumentation, StatsRecorder recorder) {
    RecorderFanout fanout = FANOUTS.get(instrumentation);
    boolean created = fanout == null;
    if (created) {
      fanout = new RecorderFanout();
    }
    StatsRecorder[] old = fanout.recorders;
    StatsRecorder[] next = Arrays.copyOf(old, old.length + 1);
    next[old.length] = recorder;
    fanout.recorders = next;
    if (created) {
      FANOUTS.put(instrumentation, fanout);
      instrumentation.attach(fanout);
    }
  }

  static synchronized void remove(CacheInstrumentation instrumentation, StatsRecorder recorder) {
    RecorderFanout fanout = FANOUTS.get(instrumentation);
    if (fanout == null) {
      return;
    }
    StatsRecorder[] kept =
        Arrays.stream(fanout.recorders).filter(r -> r != recorder).toArray(StatsRecorder[]::new);
    fanout.recorders = kept;
    if (kept.length == 0) {
      FANOUTS.remove(instrumentation);
      instrumentation.detach();
    }
  }

  /** Whether any recorder listens to {@code instrumentation} (for tests). */
  static synchronized boolean isAttached(CacheInstrumentation instrumentation) {
    return FANOUTS.containsKey(instrumentation);
  }

  private void failed(RuntimeException e) {
    if (warned.compareAndSet(false, true)) {
      log.warn("a cache metrics recorder threw; its failures are ignored from now on", e);
    }
  }

  @Override
  public void recordRemoteOperation(RemoteOperation operation, long nanos, boolean success) {
    for (StatsRecorder r : recorders) {
      try {
        r.recordRemoteOperation(operation, nanos, success);
      } catch (RuntimeException e) {
        failed(e);
      }
    }
  }

  @Override
  public void recordEncryption(long nanos, int plaintextBytes) {
    for (StatsRecorder r : recorders) {
      try {
        r.recordEncryption(nanos, plaintextBytes);
      } catch (RuntimeException e) {
        failed(e);
      }
    }
  }

  @Override
  public void recordDecryption(long nanos, int plaintextBytes) {
    for (StatsRecorder r : recorders) {
      try {
        r.recordDecryption(nanos, plaintextBytes);
      } catch (RuntimeException e) {
        failed(e);
      }
    }
  }
}
