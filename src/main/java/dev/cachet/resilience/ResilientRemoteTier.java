package dev.cachet.resilience;

import dev.cachet.CacheHealth;
import dev.cachet.InvalidValueException;
import dev.cachet.Tier;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.spi.InvalidationBus;
import dev.cachet.spi.LeaseLock;
import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteTier;
import dev.cachet.spi.RemoteTierException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A remote tier behind Retry(CircuitBreaker(call)). Idempotent operations (reads, {@code SET PX},
 * deletes, publishes) are retried on transient failures; non-idempotent ones ({@code SET NX}, lease
 * acquisition) go through the breaker only, never blindly retried (a timed-out {@code SET NX} may have
 * succeeded: the caller re-reads instead). A retry of a keyed write is a new command sent after its
 * back-off, so it never overwrites a later write: the keys written again or cleared since are dropped
 * from it first ({@link PendingWrites}). An open breaker fails calls at once with a {@link
 * RemoteTierException} of reason {@code CIRCUIT_OPEN}. Tenant views share the breaker, the retry and the
 * record of writes in progress.
 *
 * <p>A caller error ({@link InvalidValueException}, thrown by the delegate's writes before anything is
 * sent) passes through untouched and synchronously: the breaker ignores it, the retry does not retry
 * it, and it is not remembered as the tier's last error. (While the breaker is open the delegate is not
 * called, so such a value fails with {@code CIRCUIT_OPEN} instead.)
 */
final class ResilientRemoteTier<V> implements RemoteTier<V> {

  private final RemoteTier<V> delegate;
  private final CircuitBreaker breaker;
  private final Retry retry;
  private final ScheduledExecutorService scheduler;
  private final Runnable onClose;
  private final boolean root;
  private final CallTracker tracker;
  /** Shared by every view of the cache: a retry never overwrites a later write of its key. */
  private final PendingWrites writes;
  /** This view's scope in {@link #writes}: "" for the root, the tenant id for a tenant view. */
  private final String scope;
  private volatile Duration worstCase;
  private volatile GuardedCounters counters;

  ResilientRemoteTier(
      RemoteTier<V> delegate, CircuitBreaker breaker, Retry retry, ScheduledExecutorService scheduler,
      Runnable onClose, boolean root) {
    this(delegate, breaker, retry, scheduler, onClose, root, new CallTracker(), new PendingWrites(), "");
  }

  private ResilientRemoteTier(
      RemoteTier<V> delegate, CircuitBreaker breaker, Retry retry, ScheduledExecutorService scheduler,
      Runnable onClose, boolean root, CallTracker tracker, PendingWrites writes, String scope) {
    this.delegate = delegate;
    this.breaker = breaker;
    this.retry = retry;
    this.scheduler = scheduler;
    this.onClose = onClose;
    this.root = root;
    this.tracker = tracker;
    this.writes = writes;
    this.scope = scope;
  }

  /**
   * Remote attempts started and not yet completed (shared by tenant views): bounded by the callers'
   * concurrency, and back to zero once each attempt has timed out; never grows while the breaker is open.
   */
  int inFlightCalls() {
    return tracker.inFlight.get();
  }

  /** Counts attempts in flight and remembers the last failure, for health. Thread-safe. */
  static final class CallTracker {
    final AtomicInteger inFlight = new AtomicInteger();
    volatile String lastErrorClass;
    volatile RemoteErrorReason lastErrorReason;
    volatile Instant lastErrorTime;

    <T> Supplier<CompletableFuture<T>> track(Supplier<CompletableFuture<T>> call) {
      return () -> {
        inFlight.incrementAndGet();
        CompletableFuture<T> f;
        try {
          f = call.get();
        } catch (RuntimeException | Error e) {
          inFlight.decrementAndGet();
          failed(e);
          throw e;
        }
        f.whenComplete(
            (value, error) -> {
              inFlight.decrementAndGet();
              if (error != null) {
                failed(error);
              }
            });
        return f;
      };
    }

    void failed(Throwable error) {
      Throwable t = FailureClassifier.unwrap(error);
      if (FailureClassifier.isCallerError(t)) {
        return; // the caller's mistake says nothing about the remote tier
      }
      if (t instanceof RemoteTierException) {
        RemoteTierException remote = (RemoteTierException) t;
        lastErrorReason = remote.reason();
        // the client library's exception says more than our wrapper's class
        t = remote.getCause() == null ? remote : remote.getCause();
      } else {
        lastErrorReason = null;
      }
      lastErrorClass = t.getClass().getName();
      lastErrorTime = Instant.now();
    }
  }

  CircuitBreaker breaker() {
    return breaker;
  }

  /** Keyed writes in progress, retries included (every view's); for tests. */
  int writesInProgress() {
    return writes.inProgress();
  }

  Retry retryInstance() {
    return retry;
  }

  private <T> CompletableFuture<T> retried(RemoteOperation operation, Supplier<CompletableFuture<T>> call) {
    return retried(operation, call, () -> null);
  }

  /**
   * Retry(CircuitBreaker(call)); before an attempt, {@code instead} may answer in its place (non-null):
   * such an attempt calls nothing, so neither the breaker nor the tracker sees it.
   */
  private <T> CompletableFuture<T> retried(
      RemoteOperation operation, Supplier<CompletableFuture<T>> call, Supplier<CompletableFuture<T>> instead) {
    CallerErrors<T> refused = new CallerErrors<>(call);
    Supplier<CompletableFuture<T>> tracked = tracker.track(refused);
    Supplier<CompletionStage<T>> guarded = CircuitBreaker.decorateCompletionStage(breaker, tracked::get);
    Supplier<CompletionStage<T>> attempt =
        () -> {
          CompletableFuture<T> answer = instead.get();
          return answer != null ? answer : guarded.get();
        };
    CompletableFuture<T> result =
        translate(operation, Retry.decorateCompletionStage(retry, scheduler, attempt).get());
    refused.rethrow();
    return result;
  }

  /**
   * A retried write of {@code keys} ({@code SET PX}, {@code DEL}): before each retry the keys written
   * again or cleared since it was made are dropped ({@link PendingWrites}): the retry is sent after the
   * calls made meanwhile and must not overwrite them; with none left it completes without another
   * attempt. {@code write} receives the keys to write.
   */
  private CompletableFuture<Void> retriedWrite(
      RemoteOperation operation, Collection<String> keys,
      Function<Collection<String>, CompletableFuture<Void>> write) {
    if (!allNonNull(keys)) {
      return retried(operation, () -> write.apply(keys)); // the delegate rejects it, as before
    }
    long number = writes.begin(scope, keys);
    // the keys of the coming attempt: attempts run one after the other, each set by the one before
    AtomicReference<Collection<String>> live = new AtomicReference<>(keys);
    AtomicBoolean retrying = new AtomicBoolean();
    CompletableFuture<Void> result;
    try {
      result =
          retried(
              operation,
              () -> write.apply(live.get()),
              () -> {
                if (!retrying.getAndSet(true)) {
                  return null; // the first attempt
                }
                List<String> still = new ArrayList<>(keys.size());
                for (String key : keys) {
                  if (!writes.superseded(scope, key, number)) {
                    still.add(key);
                  }
                }
                live.set(still);
                return still.isEmpty() ? CompletableFuture.completedFuture(null) : null;
              });
    } catch (RuntimeException | Error e) {
      writes.end(scope, keys, number);
      throw e;
    }
    result.whenComplete((ignored, error) -> writes.end(scope, keys, number));
    return result;
  }

  private static boolean allNonNull(Collection<String> keys) {
    if (keys == null) {
      return false;
    }
    for (String key : keys) {
      if (key == null) {
        return false;
      }
    }
    return true;
  }

  /** A keyed write that is never retried, registered so that it supersedes earlier writes' retries. */
  private <T> CompletableFuture<T> registered(Collection<String> keys, Supplier<CompletableFuture<T>> call) {
    if (!allNonNull(keys)) {
      return call.get();
    }
    long number = writes.begin(scope, keys);
    CompletableFuture<T> result;
    try {
      result = call.get();
    } catch (RuntimeException | Error e) {
      writes.end(scope, keys, number);
      throw e;
    }
    result.whenComplete((ignored, error) -> writes.end(scope, keys, number));
    return result;
  }

  private <T> CompletableFuture<T> guardedOnly(RemoteOperation operation, Supplier<CompletableFuture<T>> call) {
    CallerErrors<T> refused = new CallerErrors<>(call);
    Supplier<CompletableFuture<T>> tracked = tracker.track(refused);
    CompletableFuture<T> result =
        translate(operation, CircuitBreaker.decorateCompletionStage(breaker, tracked::get).get());
    refused.rethrow();
    return result;
  }

  /**
   * Remembers an {@link InvalidValueException} the delegate threw synchronously (the decorators turn it
   * into a failed stage, ignored by the breaker and not retried) so that it is rethrown to the caller
   * synchronously, as the SPI promises.
   */
  private static final class CallerErrors<T> implements Supplier<CompletableFuture<T>> {
    private final Supplier<CompletableFuture<T>> call;
    private volatile InvalidValueException refused;

    CallerErrors(Supplier<CompletableFuture<T>> call) {
      this.call = call;
    }

    @Override
    public CompletableFuture<T> get() {
      try {
        return call.get();
      } catch (InvalidValueException e) {
        refused = e;
        throw e;
      }
    }

    void rethrow() {
      InvalidValueException e = refused;
      if (e != null) {
        throw e;
      }
    }
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
                        + refusingState((CallNotPermittedException) cause) + "; not calling Redis",
                    cause));
          } else {
            result.completeExceptionally(cause);
          }
        });
    return result;
  }

  /**
   * The state that refused the call. Resilience4j names it in the exception when it refuses; the
   * breaker's state now may already be another one (a refusal in OPEN, formatted after the move to
   * HALF_OPEN, must not say "CLOSED; not calling Redis").
   */
  static String refusingState(CallNotPermittedException refusal) {
    String message = String.valueOf(refusal.getMessage());
    for (CircuitBreaker.State state : CircuitBreaker.State.values()) {
      if (message.contains(" is " + state.name() + " ")) {
        // Resilience4j reads the state just after refusing: a state that never refuses means the
        // breaker closed in between, so OPEN or HALF_OPEN (every probe in use) refused
        return state == CircuitBreaker.State.OPEN
                || state == CircuitBreaker.State.HALF_OPEN
                || state == CircuitBreaker.State.FORCED_OPEN
            ? state.name()
            : "OPEN or HALF_OPEN";
      }
    }
    return "refusing calls";
  }

  @Override
  public String cacheName() {
    return delegate.cacheName();
  }

  @Override
  public CompletableFuture<RemoteEntry<V>> get(String key, java.util.concurrent.Executor decoder) {
    return retried(RemoteOperation.GET, () -> delegate.get(key, decoder));
  }

  @Override
  public CompletableFuture<Map<String, RemoteEntry<V>>> getAll(
      Collection<String> keys, java.util.concurrent.Executor decoder) {
    return retried(RemoteOperation.GET_ALL, () -> delegate.getAll(keys, decoder));
  }

  @Override
  public java.util.concurrent.Executor decodeExecutor() {
    return delegate.decodeExecutor();
  }

  @Override
  public CompletableFuture<Void> put(String key, V value, Duration ttl) {
    return retriedWrite(RemoteOperation.PUT, java.util.Collections.singletonList(key), live -> delegate.put(key, value, ttl));
  }

  @Override
  public CompletableFuture<Boolean> putIfAbsent(String key, V value, Duration ttl) {
    return registered(java.util.Collections.singletonList(key), () -> guardedOnly(RemoteOperation.PUT, () -> delegate.putIfAbsent(key, value, ttl)));
  }

  @Override
  public CompletableFuture<Boolean> replace(String key, RemoteEntry<V> expected, V value, Duration ttl) {
    return registered(
        java.util.Collections.singletonList(key), () -> guardedOnly(RemoteOperation.PUT, () -> delegate.replace(key, expected, value, ttl)));
  }

  @Override
  public CompletableFuture<Boolean> contains(String key) {
    return retried(RemoteOperation.GET, () -> delegate.contains(key));
  }

  @Override
  public CompletableFuture<Boolean> removeIfSame(String key, RemoteEntry<V> expected) {
    return registered(
        java.util.Collections.singletonList(key), () -> guardedOnly(RemoteOperation.INVALIDATE, () -> delegate.removeIfSame(key, expected)));
  }

  @Override
  public CompletableFuture<Void> putAll(Map<String, V> entries, Duration ttl) {
    return retriedWrite(
        RemoteOperation.PUT_ALL,
        entries == null ? null : entries.keySet(),
        live -> {
          if (live == null || live.size() == entries.size()) {
            return delegate.putAll(entries, ttl);
          }
          Map<String, V> still = new LinkedHashMap<>();
          live.forEach(k -> still.put(k, entries.get(k)));
          return delegate.putAll(still, ttl);
        });
  }

  @Override
  public CompletableFuture<Void> invalidate(Collection<String> keys) {
    return retriedWrite(RemoteOperation.INVALIDATE, keys, delegate::invalidate);
  }

  @Override
  public CompletableFuture<Void> invalidateAll() {
    writes.clear(scope); // supersedes the retries of every write of the view made before it
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
  public String announcedTenantId(String tenantId) {
    return delegate.announcedTenantId(tenantId);
  }

  @Override
  public boolean hidesKeyNames() {
    return delegate.hidesKeyNames();
  }

  @Override
  public String hiddenName(String tenantId, String key) {
    return delegate.hiddenName(tenantId, key);
  }

  @Override
  public RemoteTier<V> forTenant(String tenantId) {
    ResilientRemoteTier<V> view =
        new ResilientRemoteTier<>(
            delegate.forTenant(tenantId), breaker, retry, scheduler, () -> {}, false, tracker, writes, tenantId);
    view.worstCase = worstCase;
    return view;
  }

  /** Sets the worst-case latency of one operation, retries included (from the settings). */
  void worstCaseLatency(Duration value) {
    worstCase = value;
  }

  @Override
  public Optional<Duration> worstCaseLatency() {
    return worstCase != null ? Optional.of(worstCase) : delegate.worstCaseLatency();
  }

  @Override
  public Optional<Duration> commandTimeout() {
    return delegate.commandTimeout();
  }

  /**
   * The delegate's counters behind the circuit breaker, never the retry: a counter change runs its own
   * at-most-once loop, and a blind retry of it could apply it twice. An open breaker fails a counter call
   * at once with {@code CIRCUIT_OPEN}; a Redis failure or an unknown outcome counts as a breaker failure,
   * contention as a success (Redis answered), and argument errors not at all.
   */
  @Override
  public Optional<dev.cachet.Counters<String>> counters() {
    GuardedCounters guarded = counters;
    if (guarded == null) {
      Optional<dev.cachet.Counters<String>> inner = delegate.counters();
      if (inner.isEmpty()) {
        return Optional.empty();
      }
      guarded = new GuardedCounters(inner.get());
      counters = guarded;
    }
    return Optional.of(guarded);
  }

  private final class GuardedCounters implements dev.cachet.Counters<String> {
    private final dev.cachet.Counters<String> inner;

    GuardedCounters(dev.cachet.Counters<String> inner) {
      this.inner = inner;
    }

    private <T> T guarded(RemoteOperation operation, Supplier<T> call) {
      try {
        breaker.acquirePermission();
      } catch (CallNotPermittedException refusal) {
        throw new RemoteTierException(
            delegate.cacheName(), operation, RemoteErrorReason.CIRCUIT_OPEN,
            "cache '" + delegate.cacheName() + "': the Redis circuit breaker is " + refusingState(refusal)
                + "; not calling Redis for a counter",
            refusal);
      }
      long start = breaker.getCurrentTimestamp();
      T result;
      try {
        result = call.get();
      } catch (dev.cachet.CounterContentionException e) {
        // Redis answered every attempt; the time went to back-off, which says nothing about Redis
        breaker.onSuccess(0, breaker.getTimestampUnit());
        throw e;
      } catch (RemoteTierException | dev.cachet.CounterOutcomeUnknownException e) {
        breaker.onError(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit(), e);
        tracker.failed(e);
        throw e;
      } catch (RuntimeException | Error e) {
        breaker.releasePermission(); // the caller's mistake, or a closed tier: says nothing about Redis
        throw e;
      }
      breaker.onSuccess(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit());
      return result;
    }

    @Override
    public long get(String key) {
      return guarded(RemoteOperation.GET, () -> inner.get(key));
    }

    @Override
    public long incrementBy(String key, long delta) {
      return guarded(RemoteOperation.PUT, () -> inner.incrementBy(key, delta));
    }

    @Override
    public boolean compareAndSet(String key, long expected, long update) {
      return guarded(RemoteOperation.PUT, () -> inner.compareAndSet(key, expected, update));
    }

    @Override
    public void reset(String key, long value, Duration ttl) {
      guarded(RemoteOperation.PUT, () -> {
        inner.reset(key, value, ttl);
        return null;
      });
    }
  }

  @Override
  public CompletableFuture<Void> resynchronize() {
    return guardedOnly(RemoteOperation.GET, delegate::resynchronize);
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
    CacheHealth.Builder b = CacheHealth.newBuilder(status)
        .merge(inner)
        .tier(Tier.REDIS, status)
        .detail("breaker.name", breaker.getName())
        .detail("breaker.state", state)
        .detail("breaker.failureRate", m.getFailureRate())
        .detail("breaker.slowCallRate", m.getSlowCallRate())
        .detail("breaker.notPermittedCalls", m.getNumberOfNotPermittedCalls())
        .detail("breaker.inFlightCalls", tracker.inFlight.get())
        .detail("retry.attemptsMax", retry.getRetryConfig().getMaxAttempts());
    Instant lastErrorTime = tracker.lastErrorTime;
    if (lastErrorTime != null) {
      b.detail("lastError.class", tracker.lastErrorClass)
          .detail("lastError.reason",
              tracker.lastErrorReason == null ? "unclassified" : tracker.lastErrorReason.tagValue())
          .detail("lastError.time", lastErrorTime);
    }
    return b.build();
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
