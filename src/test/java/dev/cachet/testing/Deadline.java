package dev.cachet.testing;

import java.time.Duration;
import java.util.Objects;

/**
 * A point in time measured on {@link System#nanoTime()}, for bounding waits in tests without sleeping.
 *
 * <pre>{@code
 * Deadline deadline = Deadline.after(Duration.ofSeconds(5));
 * while (!done() && deadline.hasTimeLeft()) { ... }
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class Deadline {

  private final long deadlineNanos;
  private final Duration timeout;

  private Deadline(Duration timeout) {
    this.timeout = timeout;
    this.deadlineNanos = System.nanoTime() + timeout.toNanos();
  }

  /**
   * A deadline {@code timeout} from now.
   *
   * @throws IllegalArgumentException if {@code timeout} is negative
   */
  public static Deadline after(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout must not be null");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout cannot be negative: " + timeout);
    }
    return new Deadline(timeout);
  }

  /** The timeout this deadline was created with. */
  public Duration timeout() {
    return timeout;
  }

  /** Time left, never negative. */
  public Duration remaining() {
    long left = deadlineNanos - System.nanoTime();
    return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
  }

  /** Whether the deadline has passed. */
  public boolean isExpired() {
    return deadlineNanos - System.nanoTime() <= 0;
  }

  /** Whether the deadline has not passed yet. */
  public boolean hasTimeLeft() {
    return !isExpired();
  }

  @Override
  public String toString() {
    return "Deadline{timeout=" + timeout + ", remaining=" + remaining() + "}";
  }
}
