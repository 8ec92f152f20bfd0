package dev.cachet.metrics;

import dev.cachet.internal.StatsRecorder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a WARN when one encryption or decryption takes longer than a threshold, at most once per
 * interval: the next warning says how many slow operations went unlogged meanwhile. Logs the cache
 * name, the operation, the plaintext length and the time, never a key or a value. The fast path is
 * one comparison.
 */
final class SlowCryptoLog implements StatsRecorder {

  private static final Logger log = LoggerFactory.getLogger(TieredCacheMetrics.class);

  /** The least time between two warnings of one binder. */
  static final long DEFAULT_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final String cacheName;
  private final long thresholdNanos;
  private final long intervalNanos;
  private final LongSupplier clock;
  private final AtomicLong nextWarningAt;
  private final LongAdder unlogged = new LongAdder();
  private final LongAdder logged = new LongAdder();

  SlowCryptoLog(String cacheName, long thresholdNanos, long intervalNanos, LongSupplier clock) {
    this.cacheName = cacheName;
    this.thresholdNanos = thresholdNanos;
    this.intervalNanos = intervalNanos;
    this.clock = clock;
    this.nextWarningAt = new AtomicLong(clock.getAsLong());
  }

  @Override
  public void recordEncryption(long nanos, int plaintextBytes) {
    if (nanos > thresholdNanos) {
      slow(CacheTagNames.ENCRYPT, nanos, plaintextBytes);
    }
  }

  @Override
  public void recordDecryption(long nanos, int plaintextBytes) {
    if (nanos > thresholdNanos) {
      slow(CacheTagNames.DECRYPT, nanos, plaintextBytes);
    }
  }

  private void slow(String operation, long nanos, int bytes) {
    long now = clock.getAsLong();
    long next = nextWarningAt.get();
    if (now - next >= 0 && nextWarningAt.compareAndSet(next, now + intervalNanos)) {
      long more = unlogged.sumThenReset();
      logged.increment();
      log.warn(
          "cache '{}': one {} of {} bytes took {} ms, over the slow threshold of {} ms"
              + " ({} more slow crypto operations since the last such warning; at most one per {} s)",
          cacheName,
          operation,
          bytes,
          String.format("%.1f", nanos / 1e6),
          String.format("%.1f", thresholdNanos / 1e6),
          more,
          TimeUnit.NANOSECONDS.toSeconds(intervalNanos));
    } else {
      unlogged.increment();
    }
  }

  /** Warnings written so far (for tests). */
  long warningsLogged() {
    return logged.sum();
  }

  /** Slow operations not logged since the last warning (for tests). */
  long unloggedSinceLastWarning() {
    return unlogged.sum();
  }
}
