package dev.cachet;

/**
 * A source of monotonic nanoseconds for expiry in the memory tier, injectable so tests can advance time
 * without sleeping. Must be thread-safe.
 */
@FunctionalInterface
public interface Ticker {

  /** Nanoseconds since an arbitrary fixed origin; never decreases. */
  long read();

  /** {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
