package dev.cachet.internal;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The answer of {@link AbstractCache#acquireWarmLease} for one batch of a warm: no coordination needed,
 * the batch's cross-instance lease held (released through {@link #release()}), held by another instance
 * (busy: try again after {@link #pollInterval()}, for at most {@link #maxWait()}), or not obtainable (the
 * remote tier failed or is degraded: load anyway, duplicates possible). Immutable; thread-safe.
 */
public final class WarmLease {

  enum State {
    NOT_NEEDED,
    HELD,
    BUSY,
    UNAVAILABLE
  }

  /** Nothing to coordinate with (memory-only, Redis-only caches): load, no duplicates counted. */
  public static final WarmLease NOT_NEEDED = new WarmLease(State.NOT_NEEDED, null, null, null);

  /** The lease could not be asked for: load anyway, counting possible duplicates. */
  public static final WarmLease UNAVAILABLE = new WarmLease(State.UNAVAILABLE, null, null, null);

  final State state;
  private final BooleanSupplier release;
  private final Duration pollInterval;
  private final Duration maxWait;

  private WarmLease(State state, BooleanSupplier release, Duration pollInterval, Duration maxWait) {
    this.state = state;
    this.release = release;
    this.pollInterval = pollInterval;
    this.maxWait = maxWait;
  }

  /** The batch's lease, held; {@code release} frees it and says whether it was still held (not lost). */
  public static WarmLease held(BooleanSupplier release) {
    return new WarmLease(State.HELD, Preconditions.requireNonNull(release, "release"), null, null);
  }

  /** Another instance holds the batch's lease: ask again after {@code pollInterval}, for at most {@code maxWait}. */
  public static WarmLease busy(Duration pollInterval, Duration maxWait) {
    return new WarmLease(
        State.BUSY, null, Preconditions.requirePositive(pollInterval, "pollInterval"),
        Preconditions.requirePositive(maxWait, "maxWait"));
  }

  /** Frees a held lease; true when it was held until now (false: lost, or nothing was held). */
  boolean release() {
    return release != null && release.getAsBoolean();
  }

  Duration pollInterval() {
    return pollInterval;
  }

  Duration maxWait() {
    return maxWait;
  }

  @Override
  public String toString() {
    return "WarmLease{" + state + '}';
  }
}
