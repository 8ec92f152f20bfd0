package dev.cachet.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Polls a condition until it holds or a timeout passes, so tests never {@code Thread.sleep} for timing.
 *
 * <pre>{@code
 * Eventually.await(Duration.ofSeconds(5), Duration.ofMillis(20), "breaker open",
 *     () -> breaker.getState() == State.OPEN);
 * Eventually.await(Duration.ofSeconds(5), Duration.ofMillis(20), "value replicated",
 *     () -> assertThat(replica.command("GET", "k")).isEqualTo("v"));
 * }</pre>
 *
 * <p>The condition is always evaluated at least once, and once more after the timeout passes, so a
 * condition that becomes true during the last poll interval is not missed. On timeout an {@link
 * AssertionError} names the description and the timeout; the last exception thrown by the condition, if
 * any, is its cause. Thread-safe (stateless).
 */
public final class Eventually {

  /** The poll interval used by the short overloads. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(20);

  /** A condition that passes by returning normally and fails by throwing (an assertion, typically). */
  @FunctionalInterface
  public interface ThrowingRunnable {
    void run() throws Exception;
  }

  /** Supplies a value, or throws while it is not available yet. */
  @FunctionalInterface
  public interface ThrowingSupplier<T> {
    T get() throws Exception;
  }

  private Eventually() {}

  /** Waits until {@code condition} returns true. */
  public static void await(
      Duration timeout, Duration pollInterval, String description, BooleanSupplier condition) {
    Objects.requireNonNull(condition, "condition must not be null");
    await(
        timeout,
        pollInterval,
        description,
        () -> {
          if (!condition.getAsBoolean()) {
            throw new AssertionError("condition is still false: " + description);
          }
        });
  }

  /** {@link #await(Duration, Duration, String, BooleanSupplier)} polling every 20 ms. */
  public static void await(Duration timeout, String description, BooleanSupplier condition) {
    await(timeout, DEFAULT_POLL_INTERVAL, description, condition);
  }

  /** Waits until {@code condition} runs without throwing. */
  public static void await(
      Duration timeout, Duration pollInterval, String description, ThrowingRunnable condition) {
    Objects.requireNonNull(condition, "condition must not be null");
    awaitValue(
        timeout,
        pollInterval,
        description,
        () -> {
          condition.run();
          return Boolean.TRUE;
        });
  }

  /** {@link #await(Duration, Duration, String, ThrowingRunnable)} polling every 20 ms. */
  public static void await(Duration timeout, String description, ThrowingRunnable condition) {
    await(timeout, DEFAULT_POLL_INTERVAL, description, condition);
  }

  /**
   * Waits until {@code supplier} returns a non-null value without throwing, and returns that value.
   */
  public static <T> T awaitValue(
      Duration timeout, Duration pollInterval, String description, ThrowingSupplier<T> supplier) {
    Objects.requireNonNull(timeout, "timeout must not be null");
    Objects.requireNonNull(pollInterval, "pollInterval must not be null");
    Objects.requireNonNull(description, "description must not be null");
    Objects.requireNonNull(supplier, "supplier must not be null");
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("pollInterval must be positive: " + pollInterval);
    }
    Deadline deadline = Deadline.after(timeout);
    Throwable last = null;
    long polls = 0;
    while (true) {
      boolean lastChance = deadline.isExpired();
      polls++;
      try {
        T value = supplier.get();
        if (value != null) {
          return value;
        }
        last = null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + description, e);
      } catch (Exception | AssertionError e) {
        last = e;
      }
      if (lastChance) {
        break;
      }
      long parkNanos = Math.min(pollInterval.toNanos(), deadline.remaining().toNanos());
      LockSupport.parkNanos(Math.max(parkNanos, TimeUnit.MICROSECONDS.toNanos(100)));
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + description);
      }
    }
    String message =
        "timed out after "
            + timeout.toMillis()
            + " ms ("
            + polls
            + " polls) waiting for "
            + description
            + (last == null ? "" : "; last failure: " + last);
    AssertionError error = new AssertionError(message);
    if (last != null) {
      error.initCause(last);
    }
    throw error;
  }
}
