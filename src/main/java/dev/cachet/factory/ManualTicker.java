package dev.cachet.factory;

import dev.cachet.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that moves only when told to: the time source of {@link CacheFactory#forTesting()}'s
 * memory tiers, so tests expire entries with {@link #advance(Duration)} instead of sleeping. Redis
 * expiry follows the Redis server's clock and is not affected.
 *
 * <p>Thread-safe.
 */
public final class ManualTicker implements Ticker {

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  /** A ticker at an arbitrary fixed origin. */
  public ManualTicker() {}

  @Override
  public long read() {
    return nanos.get();
  }

  /**
   * Moves time forward by {@code duration}.
   *
   * @throws NullPointerException if {@code duration} is null
   * @throws IllegalArgumentException if {@code duration} is negative
   */
  public ManualTicker advance(Duration duration) {
    Objects.requireNonNull(duration, "duration must not be null");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("a ticker never goes back: duration must not be negative: " + duration);
    }
    nanos.addAndGet(duration.toNanos());
    return this;
  }

  @Override
  public String toString() {
    return "ManualTicker[" + nanos.get() + " ns]";
  }
}
