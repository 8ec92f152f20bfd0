package dev.cachet.spi;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Best-effort leases for cross-instance single-flight: one instance loads a key while others wait. A
 * lease has a random owner token and a bounded lifetime; only its owner can renew or release it
 * (compare-and-delete). Acquisition is not blindly retried: after an ambiguous failure (a timed-out
 * {@code SET NX} may have succeeded) the implementation re-checks who owns the lease. Thread-safe.
 */
public interface LeaseLock {

  /**
   * Tries once to take the lease of {@code key} for {@code leaseTime}.
   *
   * @return the lease, or empty when another owner holds it
   */
  CompletableFuture<Optional<Lease>> tryAcquire(String key, Duration leaseTime);

  /** Whether anyone currently holds the lease of {@code key}. */
  CompletableFuture<Boolean> isHeld(String key);

  /** A held lease. */
  interface Lease {
    /** The encoded key the lease guards. */
    String key();

    /** Extends the lease if still owned; completes with false when it was lost. */
    CompletableFuture<Boolean> renew(Duration leaseTime);

    /** Releases the lease if still owned (compare-and-delete); completes with whether it was. */
    CompletableFuture<Boolean> release();
  }
}
