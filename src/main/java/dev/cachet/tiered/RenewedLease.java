package dev.cachet.tiered;

import dev.cachet.spi.LeaseLock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cross-instance load lease renewed at a third of its lifetime while the load runs. Renewals are
 * asynchronous (they never wait for Redis on the scheduler's thread); releasing the lease, or closing
 * the cache (which cancels everything in {@code scheduled}), stops them. Thread-safe.
 */
final class RenewedLease implements LeaseLock.Lease {

  private static final Logger log = LoggerFactory.getLogger(RenewedLease.class);

  private final LeaseLock.Lease lease;
  private final Set<ScheduledFuture<?>> scheduled;
  private final ScheduledFuture<?> renewal;

  private RenewedLease(
      LeaseLock.Lease lease, Duration leaseTime, ScheduledExecutorService scheduler,
      Set<ScheduledFuture<?>> scheduled, String cacheName) {
    this.lease = lease;
    this.scheduled = scheduled;
    long period = Math.max(1, leaseTime.toMillis() / 3);
    this.renewal =
        scheduler.scheduleWithFixedDelay(
            () -> {
              try {
                lease.renew(leaseTime);
              } catch (RuntimeException e) {
                log.debug("cache '{}': renewing a lease failed: {}", cacheName, e.toString());
              }
            },
            period, period, TimeUnit.MILLISECONDS);
    scheduled.add(renewal);
  }

  /** Starts renewing {@code lease}; the renewal task is tracked in {@code scheduled}. */
  static RenewedLease start(
      LeaseLock.Lease lease, Duration leaseTime, ScheduledExecutorService scheduler,
      Set<ScheduledFuture<?>> scheduled, String cacheName) {
    return new RenewedLease(lease, leaseTime, scheduler, scheduled, cacheName);
  }

  @Override
  public String key() {
    return lease.key();
  }

  @Override
  public CompletableFuture<Boolean> renew(Duration leaseTime) {
    return lease.renew(leaseTime);
  }

  @Override
  public CompletableFuture<Boolean> release() {
    renewal.cancel(false);
    scheduled.remove(renewal);
    return lease.release();
  }
}
