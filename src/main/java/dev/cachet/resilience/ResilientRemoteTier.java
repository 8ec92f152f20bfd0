package dev.cachet.resilience;

import dev.cachet.CacheHealth;
import dev.cachet.internal.StatsRecorder.RemoteErrorReason;
import dev.cachet.internal.StatsRecorder.RemoteOperation;
import dev.cachet.spi.InvalidationBus;
import dev.cachet.spi.LeaseLock;
import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteTier;
import dev.cachet.spi.RemoteTierException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * A remote tier behind Retry(CircuitBreaker(call)). Idempotent operations (reads, {@code SET PX},
 * deletes, publishes) are retried on transient failures; non-idempotent ones ({@code SET NX}, lease
 * acquisition) go through the breaker only, never blindly retried (a timed-out {@code SET NX} may have
 * succeeded: the caller re-reads instead). An open breaker fails calls at once with a {@link
 * RemoteTierException} of reason {@code CIRCUIT_OPEN}. Tenant views share the breaker and retry.
 */
final class ResilientRemoteTier<V> implements RemoteTier<V> {

  private final RemoteTier<V> delegate;
  private final CircuitBreaker breaker;
  private final Retry retry;
  private final ScheduledExecutorService scheduler;
  private final Runnable onClose;
  private final boolean root;

  ResilientRemoteTier(
      RemoteTier<V> delegate, CircuitBreaker breaker, Retry retry, ScheduledExecutorService scheduler,
      Runnable onClose, boolean root) {
    this.delegate = delegate;
    this.breaker = breaker;
    this.retry = retry;
    this.scheduler = scheduler;
    this.onClose = onClose;
    this.root = root;
  }

  CircuitBreaker breaker() {
    return breaker;
  }

  Retry retryInstance() {
    return retry;
  }

  @Override
  public Optional<Object> circuitBreaker() {
    return Optional.of(breaker);
  }

  @Override
  public Optional<Object> retry() {
    return Optional.of(retry);
  }

  private <T> CompletableFuture<T> retried(RemoteOperation operation, Supplier<CompletableFuture<T>> call) {
    Supplier<CompletionStage<T>> guarded = CircuitBreaker.decorateCompletionStage(breaker, call::get);
    return translate(operation, Retry.decorateCompletionStage(retry, scheduler, guarded).get());
  }

  private <T> CompletableFuture<T> guardedOnly(RemoteOperation operation, Supplier<CompletableFuture<T>> call) {
    return translate(operation, CircuitBreaker.decorateCompletionStage(breaker, call::get).get());
  }

  private <T> CompletableFuture<T> translate(RemoteOperation operation, CompletionStage<T> stage) {
    CompletableFuture<T> result = new CompletableFuture<>();
    stage.whenComplete(
        (value, error) -> {
          if (error == null) {
            result.complete(value);
            return;
          }
          Throwable cause = FailureClassifier.unwrap(error);
          if (cause instanceof CallNotPermittedException) {
            result.completeExceptionally(
                new RemoteTierException(
                    delegate.cacheName(), operation, RemoteErrorReason.CIRCUIT_OPEN,
                    "cache '" + delegate.cacheName() + "': the Redis circuit breaker is "
                        + breaker.getState() + "; not calling Redis",
                    cause));
          } else {
            result.completeExceptionally(cause);
          }
        });
    return result;
  }

  @Override
  public String cacheName() {
    return delegate.cacheName();
  }

  @Override
  public CompletableFuture<RemoteEntry<V>> get(String key) {
    return retried(RemoteOperation.GET, () -> delegate.get(key));
  }

  @Override
  public CompletableFuture<Map<String, RemoteEntry<V>>> getAll(Collection<String> keys) {
    return retried(RemoteOperation.GET_ALL, () -> delegate.getAll(keys));
  }

  @Override
  public CompletableFuture<Void> put(String key, V value, Duration ttl) {
    return retried(RemoteOperation.PUT, () -> delegate.put(key, value, ttl));
  }

  @Override
  public CompletableFuture<Boolean> putIfAbsent(String key, V value, Duration ttl) {
    return guardedOnly(RemoteOperation.PUT, () -> delegate.putIfAbsent(key, value, ttl));
  }

  @Override
  public CompletableFuture<Void> putAll(Map<String, V> entries, Duration ttl) {
    return retried(RemoteOperation.PUT_ALL, () -> delegate.putAll(entries, ttl));
  }

  @Override
  public CompletableFuture<Void> invalidate(Collection<String> keys) {
    return retried(RemoteOperation.INVALIDATE, () -> delegate.invalidate(keys));
  }

  @Override
  public CompletableFuture<Void> invalidateAll() {
    return retried(RemoteOperation.INVALIDATE_ALL, delegate::invalidateAll);
  }

  @Override
  public CompletableFuture<Long> invalidateMatching(String glob) {
    return retried(RemoteOperation.INVALIDATE, () -> delegate.invalidateMatching(glob));
  }

  @Override
  public boolean supportsPatternInvalidation() {
    return delegate.supportsPatternInvalidation();
  }

  @Override
  public RemoteTier<V> forTenant(String tenantId) {
    return new ResilientRemoteTier<>(delegate.forTenant(tenantId), breaker, retry, scheduler, () -> {}, false);
  }

  @Override
  public InvalidationBus invalidationBus() {
    InvalidationBus bus = delegate.invalidationBus();
    return new InvalidationBus() {
      @Override
      public CompletableFuture<Void> publish(String message) {
        return retried(RemoteOperation.PUBLISH, () -> bus.publish(message));
      }

      @Override
      public Subscription subscribe(Listener listener) {
        return bus.subscribe(listener);
      }
    };
  }

  @Override
  public LeaseLock leaseLock() {
    LeaseLock lock = delegate.leaseLock();
    return new LeaseLock() {
      @Override
      public CompletableFuture<Optional<Lease>> tryAcquire(String key, Duration leaseTime) {
        return guardedOnly(RemoteOperation.LEASE, () -> lock.tryAcquire(key, leaseTime));
      }

      @Override
      public CompletableFuture<Boolean> isHeld(String key) {
        return retried(RemoteOperation.LEASE, () -> lock.isHeld(key));
      }
    };
  }

  @Override
  public CacheHealth health() {
    CacheHealth inner = delegate.health();
    CircuitBreaker.State state = breaker.getState();
    CacheHealth.Status status = inner.status();
    if (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN) {
      status = CacheHealth.Status.DOWN;
    } else if (state == CircuitBreaker.State.HALF_OPEN && status == CacheHealth.Status.UP) {
      status = CacheHealth.Status.DEGRADED;
    }
    CircuitBreaker.Metrics m = breaker.getMetrics();
    return CacheHealth.newBuilder(status)
        .merge(inner)
        .detail("breaker.name", breaker.getName())
        .detail("breaker.state", state)
        .detail("breaker.failureRate", m.getFailureRate())
        .detail("breaker.slowCallRate", m.getSlowCallRate())
        .detail("breaker.notPermittedCalls", m.getNumberOfNotPermittedCalls())
        .detail("retry.attemptsMax", retry.getRetryConfig().getMaxAttempts())
        .build();
  }

  @Override
  public void close() {
    try {
      delegate.close();
    } finally {
      if (root) {
        onClose.run();
      }
    }
  }

  @Override
  public String toString() {
    return "ResilientRemoteTier{" + delegate.cacheName() + ", breaker=" + breaker.getState() + '}';
  }
}
