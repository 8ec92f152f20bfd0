package dev.cachet.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cachet.CacheHealth;
import dev.cachet.Tier;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.spi.InvalidationBus;
import dev.cachet.spi.LeaseLock;
import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteTier;
import dev.cachet.spi.RemoteTierException;
import dev.cachet.testing.Eventually;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The decorator alone, over a small in-process fake tier whose every call is scripted: what is retried,
 * what the breaker sees, and what an open breaker does. No Redis.
 */
class ResilientRemoteTierTests {

  private static final Duration SHORT_WAIT = Duration.ofMillis(150);

  /** A breaker that never opens by itself (huge minimum), so retries can be counted alone. */
  private static ResilienceSettings.Builder lenient() {
    return ResilienceSettings.newBuilder(ResilienceSettings.testing())
        .maxAttempts(3)
        .initialBackoff(Duration.ofMillis(1))
        .maxBackoff(Duration.ofMillis(5))
        .slidingWindowSize(100)
        .minimumNumberOfCalls(100);
  }

  /** A breaker that opens after two recorded failures. */
  private static ResilienceSettings.Builder touchy() {
    return ResilienceSettings.newBuilder(ResilienceSettings.testing())
        .initialBackoff(Duration.ofMillis(1))
        .maxBackoff(Duration.ofMillis(5))
        .slidingWindowSize(2)
        .minimumNumberOfCalls(2)
        .failureRateThreshold(50)
        .waitDurationInOpenState(SHORT_WAIT);
  }

  private static RemoteTierException failure(RemoteErrorReason reason) {
    return new RemoteTierException("users", RemoteOperation.GET, reason, "Redis get failed: " + reason, null);
  }

  private static Throwable failureOf(CompletableFuture<?> future) {
    Throwable thrown = catchThrowable(() -> future.get(5, TimeUnit.SECONDS));
    assertThat(thrown).isInstanceOf(ExecutionException.class);
    return thrown.getCause();
  }

  private static RemoteErrorReason reasonOf(CompletableFuture<?> future) {
    Throwable cause = failureOf(future);
    assertThat(cause).isInstanceOf(RemoteTierException.class);
    return ((RemoteTierException) cause).reason();
  }

  @Test
  void get_transientFailures_retriedUpToMaxAttempts() {
    FakeTier fake = new FakeTier();
    fake.failAlways(failure(RemoteErrorReason.TIMEOUT));
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());

    assertThat(reasonOf(tier.get("k"))).isEqualTo(RemoteErrorReason.TIMEOUT);
    assertThat(fake.calls.get()).isEqualTo(3);
  }

  @Test
  void get_eachTransientReason_retried() {
    for (RemoteErrorReason reason :
        List.of(RemoteErrorReason.TIMEOUT, RemoteErrorReason.CONNECTION, RemoteErrorReason.REJECTED,
            RemoteErrorReason.SERVER_BUSY)) {
      FakeTier fake = new FakeTier();
      fake.failAlways(failure(reason));
      RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());
      assertThat(reasonOf(tier.get("k"))).isEqualTo(reason);
      assertThat(fake.calls.get()).as("attempts for %s", reason).isEqualTo(3);
      tier.close();
    }
  }

  @Test
  void get_transientThenSuccess_returnsValue() throws Exception {
    FakeTier fake = new FakeTier();
    fake.script.add(() -> CompletableFuture.failedFuture(failure(RemoteErrorReason.CONNECTION)));
    fake.script.add(() -> CompletableFuture.failedFuture(failure(RemoteErrorReason.SERVER_BUSY)));
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());

    RemoteEntry<String> entry = tier.get("k").get(5, TimeUnit.SECONDS);
    assertThat(entry.value()).isEqualTo("value");
    assertThat(fake.calls.get()).isEqualTo(3);
    assertThat(Resilience.retryOf(tier).orElseThrow().getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt())
        .isEqualTo(1);
  }

  @Test
  void get_permanentFailures_calledOnce() {
    for (RemoteErrorReason reason :
        List.of(RemoteErrorReason.PERMISSION, RemoteErrorReason.DECODE, RemoteErrorReason.OTHER)) {
      FakeTier fake = new FakeTier();
      fake.failAlways(failure(reason));
      RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());
      assertThat(reasonOf(tier.get("k"))).isEqualTo(reason);
      assertThat(fake.calls.get()).as("attempts for %s", reason).isEqualTo(1);
      tier.close();
    }
  }

  @Test
  void get_synchronousThrow_completesExceptionallyWithoutRetry() {
    FakeTier fake = new FakeTier();
    fake.script.add(() -> {
      throw new IllegalStateException("Redis tier of cache 'users' is closed");
    });
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());
    assertThat(failureOf(tier.get("k"))).isInstanceOf(IllegalStateException.class);
    assertThat(fake.calls.get()).isEqualTo(1);
  }

  @Test
  void decodeFailure_notRecordedByBreaker() {
    FakeTier fake = new FakeTier();
    fake.failAlways(failure(RemoteErrorReason.DECODE));
    RemoteTier<String> tier = Resilience.decorate(fake, touchy().build());
    for (int i = 0; i < 5; i++) {
      reasonOf(tier.get("k"));
    }
    CircuitBreaker breaker = Resilience.circuitBreakerOf(tier).orElseThrow();
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
  }

  @Test
  void permissionFailure_recordedByBreaker_opensIt() {
    FakeTier fake = new FakeTier();
    fake.failAlways(failure(RemoteErrorReason.PERMISSION));
    RemoteTier<String> tier = Resilience.decorate(fake, touchy().build());
    reasonOf(tier.get("a"));
    reasonOf(tier.get("b"));
    assertThat(Resilience.circuitBreakerOf(tier).orElseThrow().getState()).isEqualTo(CircuitBreaker.State.OPEN);
  }

  @Test
  void refusalMessage_namesTheStateThatRefused_notTheStateWhenFormatted() {
    CircuitBreaker breaker = CircuitBreaker.ofDefaults("users");
    breaker.transitionToOpenState();
    io.github.resilience4j.circuitbreaker.CallNotPermittedException refusedOpen =
        io.github.resilience4j.circuitbreaker.CallNotPermittedException.createCallNotPermittedException(breaker);
    breaker.transitionToHalfOpenState();
    io.github.resilience4j.circuitbreaker.CallNotPermittedException refusedHalfOpen =
        io.github.resilience4j.circuitbreaker.CallNotPermittedException.createCallNotPermittedException(breaker);
    breaker.transitionToClosedState();
    breaker.transitionToForcedOpenState();
    io.github.resilience4j.circuitbreaker.CallNotPermittedException refusedForced =
        io.github.resilience4j.circuitbreaker.CallNotPermittedException.createCallNotPermittedException(breaker);
    breaker.transitionToClosedState();
    // Resilience4j reads the state just after refusing: if the breaker closed in between, the message
    // says CLOSED, a state that never refuses
    io.github.resilience4j.circuitbreaker.CallNotPermittedException refusedThenClosed =
        io.github.resilience4j.circuitbreaker.CallNotPermittedException.createCallNotPermittedException(breaker);

    assertThat(ResilientRemoteTier.refusingState(refusedThenClosed)).isEqualTo("OPEN or HALF_OPEN");
    assertThat(ResilientRemoteTier.refusingState(refusedOpen)).isEqualTo("OPEN");
    assertThat(ResilientRemoteTier.refusingState(refusedHalfOpen)).isEqualTo("HALF_OPEN");
    assertThat(ResilientRemoteTier.refusingState(refusedForced)).isEqualTo("FORCED_OPEN");
  }

  @Test
  void openBreaker_failsFastWithCircuitOpen_withoutCallingTheDelegate() {
    FakeTier fake = new FakeTier();
    fake.failAlways(failure(RemoteErrorReason.CONNECTION));
    RemoteTier<String> tier =
        Resilience.decorate(fake, touchy().maxAttempts(1).waitDurationInOpenState(Duration.ofSeconds(30)).build());
    reasonOf(tier.get("a"));
    reasonOf(tier.get("b"));
    CircuitBreaker breaker = Resilience.circuitBreakerOf(tier).orElseThrow();
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    int callsBefore = fake.calls.get();

    long start = System.nanoTime();
    Throwable cause = failureOf(tier.get("c"));
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(cause).isInstanceOf(RemoteTierException.class);
    RemoteTierException e = (RemoteTierException) cause;
    assertThat(e.reason()).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN);
    assertThat(e).hasMessageContaining("circuit breaker is OPEN; not calling Redis");
    assertThat(e.operation()).isEqualTo(RemoteOperation.GET);
    assertThat(e.cacheName()).isEqualTo("users");
    assertThat(e.tier()).isEqualTo(Tier.REDIS);
    assertThat(e.isTransient()).isFalse();
    assertThat(e).hasMessageContaining("users").hasMessageContaining("OPEN");
    assertThat(fake.calls.get()).as("no delegate call while open").isEqualTo(callsBefore);
    assertThat(tookMillis).as("fails fast").isLessThan(200);
    // every operation is guarded
    assertThat(reasonOf(tier.put("k", "v", Duration.ofSeconds(1)))).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN);
    assertThat(reasonOf(tier.putIfAbsent("k", "v", Duration.ofSeconds(1)))).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN);
    assertThat(reasonOf(tier.getAll(List.of("k")))).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN);
    assertThat(reasonOf(tier.invalidate(List.of("k")))).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN);
    assertThat(reasonOf(tier.invalidateAll())).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN);
    assertThat(reasonOf(tier.invalidationBus().publish("m"))).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN);
    assertThat(reasonOf(tier.leaseLock().tryAcquire("k", Duration.ofSeconds(1))))
        .isEqualTo(RemoteErrorReason.CIRCUIT_OPEN);
    assertThat(fake.calls.get()).isEqualTo(callsBefore);
    assertThat(breaker.getMetrics().getNumberOfNotPermittedCalls()).isGreaterThanOrEqualTo(8);
  }

  @Test
  void retries_endAtOnceWhenTheBreakerOpens() {
    FakeTier fake = new FakeTier();
    fake.failAlways(failure(RemoteErrorReason.TIMEOUT));
    RemoteTier<String> tier =
        Resilience.decorate(fake, touchy().maxAttempts(5).waitDurationInOpenState(Duration.ofSeconds(30)).build());

    assertThat(reasonOf(tier.get("k"))).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN);
    // attempts 1 and 2 fail and open the breaker; attempt 3 is not permitted and not retried
    assertThat(fake.calls.get()).isEqualTo(2);
  }

  @Test
  void putIfAbsent_timeout_notRetried() {
    FakeTier fake = new FakeTier();
    fake.failAlways(failure(RemoteErrorReason.TIMEOUT));
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());

    assertThat(reasonOf(tier.putIfAbsent("k", "v", Duration.ofSeconds(1)))).isEqualTo(RemoteErrorReason.TIMEOUT);
    assertThat(fake.putIfAbsentCalls.get()).isEqualTo(1);
    assertThat(Resilience.circuitBreakerOf(tier).orElseThrow().getMetrics().getNumberOfFailedCalls())
        .as("still counted by the breaker").isEqualTo(1);
  }

  @Test
  void leaseAcquisition_notRetried_butLeaseCheckIs() {
    FakeTier fake = new FakeTier();
    fake.failAlways(failure(RemoteErrorReason.TIMEOUT));
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());

    assertThat(reasonOf(tier.leaseLock().tryAcquire("k", Duration.ofSeconds(1)))).isEqualTo(RemoteErrorReason.TIMEOUT);
    assertThat(fake.tryAcquireCalls.get()).isEqualTo(1);
    assertThat(reasonOf(tier.leaseLock().isHeld("k"))).isEqualTo(RemoteErrorReason.TIMEOUT);
    assertThat(fake.isHeldCalls.get()).isEqualTo(3);
  }

  @Test
  void idempotentWrites_retried() {
    FakeTier fake = new FakeTier();
    fake.failAlways(failure(RemoteErrorReason.CONNECTION));
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());

    reasonOf(tier.put("k", "v", Duration.ofSeconds(1)));
    assertThat(fake.calls.get()).isEqualTo(3);
    reasonOf(tier.invalidate(List.of("k")));
    assertThat(fake.calls.get()).isEqualTo(6);
    reasonOf(tier.invalidationBus().publish("m"));
    assertThat(fake.calls.get()).isEqualTo(9);
  }

  @Test
  void halfOpen_probesThenClosed() throws Exception {
    FakeTier fake = new FakeTier();
    fake.failAlways(failure(RemoteErrorReason.CONNECTION));
    RemoteTier<String> tier =
        Resilience.decorate(fake, touchy().maxAttempts(1).permittedCallsInHalfOpenState(2).build());
    CircuitBreaker breaker = Resilience.circuitBreakerOf(tier).orElseThrow();
    reasonOf(tier.get("a"));
    reasonOf(tier.get("b"));
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);

    fake.succeed();
    Eventually.await(Duration.ofSeconds(5), "breaker half-open after its wait",
        () -> breaker.getState() == CircuitBreaker.State.HALF_OPEN);
    assertThat(tier.health().status()).isEqualTo(CacheHealth.Status.DEGRADED);
    int before = fake.calls.get();
    assertThat(tier.get("probe-1").get(5, TimeUnit.SECONDS).value()).isEqualTo("value");
    assertThat(breaker.getState()).as("one probe is not enough").isEqualTo(CircuitBreaker.State.HALF_OPEN);
    assertThat(tier.get("probe-2").get(5, TimeUnit.SECONDS).value()).isEqualTo("value");
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(fake.calls.get() - before).isEqualTo(2);
    assertThat(tier.health().status()).isEqualTo(CacheHealth.Status.UP);
  }

  @Test
  void halfOpen_failedProbe_opensAgain() {
    FakeTier fake = new FakeTier();
    fake.failAlways(failure(RemoteErrorReason.CONNECTION));
    RemoteTier<String> tier =
        Resilience.decorate(fake, touchy().maxAttempts(1).permittedCallsInHalfOpenState(1).build());
    CircuitBreaker breaker = Resilience.circuitBreakerOf(tier).orElseThrow();
    reasonOf(tier.get("a"));
    reasonOf(tier.get("b"));
    Eventually.await(Duration.ofSeconds(5), "breaker half-open after its wait",
        () -> breaker.getState() == CircuitBreaker.State.HALF_OPEN);

    assertThat(reasonOf(tier.get("probe"))).isEqualTo(RemoteErrorReason.CONNECTION);
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
  }

  @Test
  void health_reportsBreakerStateAndKeepsTierDetails() {
    FakeTier fake = new FakeTier();
    fake.failAlways(failure(RemoteErrorReason.CONNECTION));
    RemoteTier<String> tier =
        Resilience.decorate(fake, touchy().maxAttempts(1).waitDurationInOpenState(Duration.ofSeconds(30)).build());
    CacheHealth closed = tier.health();
    assertThat(closed.status()).isEqualTo(CacheHealth.Status.UP);
    assertThat(closed.details())
        .containsEntry("breaker.name", "users")
        .containsEntry("breaker.state", "CLOSED")
        .containsEntry("encryption.keyId", "fake-key-1")
        .containsKey("breaker.inFlightCalls");

    reasonOf(tier.get("a"));
    reasonOf(tier.get("b"));
    CacheHealth open = tier.health();
    assertThat(open.status()).isEqualTo(CacheHealth.Status.DOWN);
    assertThat(open.details()).containsEntry("breaker.state", "OPEN").containsEntry("encryption.keyId", "fake-key-1");
  }

  @Test
  void inFlightCalls_countsAttemptsUntilTheyComplete() throws Exception {
    FakeTier fake = new FakeTier();
    CompletableFuture<RemoteEntry<String>> pending = new CompletableFuture<>();
    fake.script.add(() -> pending);
    fake.script.add(() -> pending);
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());
    ResilientRemoteTier<String> resilient = (ResilientRemoteTier<String>) tier;

    CompletableFuture<RemoteEntry<String>> first = tier.get("a");
    CompletableFuture<RemoteEntry<String>> second = tier.get("b");
    assertThat(resilient.inFlightCalls()).isEqualTo(2);
    pending.complete(new RemoteEntry<>("v", Long.MAX_VALUE));
    first.get(5, TimeUnit.SECONDS);
    second.get(5, TimeUnit.SECONDS);
    assertThat(resilient.inFlightCalls()).isZero();
  }

  @Test
  void tenantViews_shareTheBreaker() {
    FakeTier fake = new FakeTier();
    fake.failAlways(failure(RemoteErrorReason.CONNECTION));
    RemoteTier<String> tier =
        Resilience.decorate(fake, touchy().maxAttempts(1).waitDurationInOpenState(Duration.ofSeconds(30)).build());
    RemoteTier<String> tenant = tier.forTenant("acme");
    reasonOf(tenant.get("a"));
    reasonOf(tenant.get("b"));
    assertThat(reasonOf(tier.get("c"))).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN);
    tenant.close();
    assertThat(fake.closed).as("closing a tenant view leaves the root open").isFalse();
  }

  @Test
  void callerRegistries_holdTheBreakerAndRetryNamedAfterTheCache() {
    CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    RetryRegistry retries = RetryRegistry.ofDefaults();
    FakeTier fake = new FakeTier();
    RemoteTier<String> tier =
        Resilience.decorate(fake, lenient().circuitBreakerRegistry(breakers).retryRegistry(retries).build());
    assertThat(breakers.find("users")).containsSame(Resilience.circuitBreakerOf(tier).orElseThrow());
    assertThat(retries.find("users")).containsSame(Resilience.retryOf(tier).orElseThrow());
    tier.close();
    assertThat(fake.closed).isTrue();
    assertThat(breakers.find("users")).as("a caller's registry keeps its breakers").isPresent();
  }

  @Test
  void undecoratedTier_hasNoBreaker() {
    assertThat(Resilience.circuitBreakerOf(new FakeTier())).isEmpty();
    assertThat(Resilience.retryOf(new FakeTier())).isEmpty();
  }

  @Test
  void decorate_tierCommandTimeoutLongerThanSettings_isRejectedNamingBoth() {
    FakeTier slow =
        new FakeTier() {
          @Override
          public java.util.Optional<java.time.Duration> commandTimeout() {
            return java.util.Optional.of(java.time.Duration.ofSeconds(5));
          }
        };
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Resilience.decorate(slow, ResilienceSettings.production()))
        .isInstanceOf(dev.cachet.CacheConfigurationException.class)
        .hasMessageContaining("5000 ms")
        .hasMessageContaining("1000 ms")
        .hasMessageContaining("commandTimeout");
  }

  @Test
  void decoratedTier_reportsTheSettingsWorstCaseLatency() {
    ResilienceSettings settings = ResilienceSettings.production();
    assertThat(Resilience.decorate(new FakeTier(), settings).worstCaseLatency())
        .hasValue(settings.worstCaseLatency());
    assertThat(Resilience.decorate(new FakeTier(), settings).forTenant("t").worstCaseLatency())
        .hasValue(settings.worstCaseLatency());
  }

  /** Scripted answers first, then the default (success or a fixed failure). Counts every call. */
  @Test
  void counters_goThroughTheBreakerNeverTheRetry_contentionIsNoFailure() {
    AtomicInteger counterCalls = new AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<RuntimeException> next =
        new java.util.concurrent.atomic.AtomicReference<>();
    dev.cachet.Counters<String> inner =
        new dev.cachet.Counters<>() {
          @Override
          public long get(String key) {
            counterCalls.incrementAndGet();
            RuntimeException e = next.get();
            if (e != null) {
              throw e;
            }
            return 7;
          }

          @Override
          public long incrementBy(String key, long delta) {
            return get(key) + delta;
          }

          @Override
          public boolean compareAndSet(String key, long expected, long update) {
            return get(key) == expected;
          }

          @Override
          public void reset(String key, long value, Duration ttl) {
            get(key);
          }
        };
    FakeTier fake =
        new FakeTier() {
          @Override
          public java.util.Optional<dev.cachet.Counters<String>> counters() {
            return java.util.Optional.of(inner);
          }
        };
    RemoteTier<String> tier = Resilience.decorate(fake, touchy().build());
    CircuitBreaker breaker = Resilience.circuitBreakerOf(tier).orElseThrow();
    dev.cachet.Counters<String> counters = tier.counters().orElseThrow();
    assertThat(tier.counters().orElseThrow()).isSameAs(counters);

    assertThat(counters.incrementBy("k", 1)).isEqualTo(8);
    next.set(new dev.cachet.CounterContentionException("users", 16, "lost every attempt"));
    for (int i = 0; i < 3; i++) {
      assertThat(catchThrowable(() -> counters.incrementBy("k", 1)))
          .isInstanceOf(dev.cachet.CounterContentionException.class);
    }
    assertThat(breaker.getState()).as("contention says nothing about Redis").isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(counterCalls.get()).as("never retried").isEqualTo(4);

    next.set(failure(RemoteErrorReason.TIMEOUT));
    assertThat(catchThrowable(() -> counters.incrementBy("k", 1))).isInstanceOf(RemoteTierException.class);
    assertThat(counterCalls.get()).as("a transient failure is not retried either").isEqualTo(5);
    for (int i = 0; i < 3 && breaker.getState() != CircuitBreaker.State.OPEN; i++) {
      assertThat(catchThrowable(() -> counters.incrementBy("k", 1))).isInstanceOf(RemoteTierException.class);
    }
    assertThat(breaker.getState()).as("Redis failures are breaker failures").isEqualTo(CircuitBreaker.State.OPEN);
    int before = counterCalls.get();
    Throwable open = catchThrowable(() -> counters.get("k"));
    assertThat(((RemoteTierException) open).reason()).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN);
    assertThat(counterCalls.get()).as("an open breaker does not call Redis").isEqualTo(before);
    tier.close();
  }

  // ------------------------------------------------------------ a retry never overwrites a later write

  /** A first attempt that fails with a timeout when the test says so (its outcome is unknown). */
  private static CompletableFuture<Object> heldAttempt(FakeTier fake) {
    CompletableFuture<Object> held = new CompletableFuture<>();
    fake.script.add(() -> held);
    return held;
  }

  private static int inProgress(RemoteTier<String> tier) {
    return ((ResilientRemoteTier<String>) tier).writesInProgress();
  }

  @Test
  void put_timedOut_isRetried_whenNothingLaterTouchedTheKey() throws Exception {
    FakeTier fake = new FakeTier();
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());
    CompletableFuture<Object> first = heldAttempt(fake);
    CompletableFuture<Void> put = tier.put("k", "v1", Duration.ofMinutes(1));
    tier.put("other", "x", Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS); // another key
    tier.invalidate(List.of("other")).get(5, TimeUnit.SECONDS);
    first.completeExceptionally(failure(RemoteErrorReason.TIMEOUT));
    put.get(5, TimeUnit.SECONDS);
    assertThat(fake.sent).containsExactly("put k=v1", "put other=x", "invalidate [other]", "put k=v1");
    assertThat(inProgress(tier)).isZero();
  }

  @Test
  void put_timedOut_isNotRetriedOverALaterPutOfTheKey() throws Exception {
    FakeTier fake = new FakeTier();
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());
    CompletableFuture<Object> first = heldAttempt(fake);
    CompletableFuture<Void> put = tier.put("k", "v1", Duration.ofMinutes(1)); // unawaited
    tier.put("k", "v2", Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS); // made after it, sent before a retry
    first.completeExceptionally(failure(RemoteErrorReason.TIMEOUT));
    put.get(5, TimeUnit.SECONDS); // the later write stands for it: done, not failed
    assertThat(fake.sent).as("no retry of v1 after v2").containsExactly("put k=v1", "put k=v2");
    CircuitBreaker breaker = Resilience.circuitBreakerOf(tier).orElseThrow();
    assertThat(breaker.getMetrics().getNumberOfBufferedCalls()).as("the dropped retry called nothing").isEqualTo(2);
    assertThat(inProgress(tier)).isZero();
  }

  @Test
  void putAll_timedOut_retriesOnlyTheKeysNotWrittenSince() throws Exception {
    FakeTier fake = new FakeTier();
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());
    CompletableFuture<Object> first = heldAttempt(fake);
    Map<String, String> entries = new java.util.LinkedHashMap<>();
    entries.put("a", "1");
    entries.put("b", "1");
    entries.put("c", "1");
    CompletableFuture<Void> putAll = tier.putAll(entries, Duration.ofMinutes(1));
    tier.put("a", "2", Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS);
    tier.invalidate(List.of("c")).get(5, TimeUnit.SECONDS);
    first.completeExceptionally(failure(RemoteErrorReason.TIMEOUT));
    putAll.get(5, TimeUnit.SECONDS);
    assertThat(fake.sent).containsExactly("putAll [a, b, c]", "put a=2", "invalidate [c]", "putAll [b]");
    assertThat(inProgress(tier)).isZero();
  }

  @Test
  void invalidate_timedOut_isNotRetriedOverALaterPut() throws Exception {
    FakeTier fake = new FakeTier();
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());
    CompletableFuture<Object> first = heldAttempt(fake);
    CompletableFuture<Void> delete = tier.invalidate(List.of("k", "j"));
    tier.put("k", "v", Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS);
    first.completeExceptionally(failure(RemoteErrorReason.CONNECTION));
    delete.get(5, TimeUnit.SECONDS);
    assertThat(fake.sent).as("k's put stays; j is still deleted").containsExactly("invalidate [k, j]", "put k=v", "invalidate [j]");
  }

  @Test
  void putIfAbsent_supersedesTheRetryOfAnEarlierPut() throws Exception {
    FakeTier fake = new FakeTier();
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());
    CompletableFuture<Object> first = heldAttempt(fake);
    CompletableFuture<Void> put = tier.put("k", "v1", Duration.ofMinutes(1));
    tier.putIfAbsent("k", "v2", Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS);
    first.completeExceptionally(failure(RemoteErrorReason.TIMEOUT));
    put.get(5, TimeUnit.SECONDS);
    assertThat(fake.sent).containsExactly("put k=v1");
    assertThat(fake.putIfAbsentCalls.get()).isEqualTo(1);
    assertThat(inProgress(tier)).isZero();
  }

  @Test
  void invalidateAll_supersedesTheRetriesOfWritesMadeBeforeIt_ofItsScope() throws Exception {
    FakeTier acme = new FakeTier();
    FakeTier fake =
        new FakeTier() {
          @Override
          public RemoteTier<String> forTenant(String tenantId) {
            return acme;
          }
        };
    RemoteTier<String> root = Resilience.decorate(fake, lenient().build());
    RemoteTier<String> tenant = root.forTenant("acme");

    // a tenant's clear does not touch the root's key "k", nor does a tenant's write of its own "k"
    CompletableFuture<Object> first = heldAttempt(fake);
    CompletableFuture<Void> put = root.put("k", "v1", Duration.ofMinutes(1));
    tenant.put("k", "t", Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS);
    tenant.invalidateAll().get(5, TimeUnit.SECONDS);
    first.completeExceptionally(failure(RemoteErrorReason.TIMEOUT));
    put.get(5, TimeUnit.SECONDS);
    assertThat(fake.sent).containsExactly("put k=v1", "put k=v1");

    // the root's clear supersedes the tenant's write made before it
    CompletableFuture<Object> tenantFirst = heldAttempt(acme);
    CompletableFuture<Void> tenantPut = tenant.put("k", "t2", Duration.ofMinutes(1));
    root.invalidateAll().get(5, TimeUnit.SECONDS);
    tenantFirst.completeExceptionally(failure(RemoteErrorReason.TIMEOUT));
    tenantPut.get(5, TimeUnit.SECONDS);
    assertThat(acme.sent).containsExactly("put k=t", "put k=t2");
    assertThat(inProgress(root)).isZero();
  }

  @Test
  void writesWithANullKey_areRejectedByTheTierAsBefore_andLeaveNothingBehind() {
    FakeTier fake =
        new FakeTier() {
          @Override
          public CompletableFuture<Void> put(String key, String value, Duration ttl) {
            java.util.Objects.requireNonNull(key, "key");
            return super.put(key, value, ttl);
          }
        };
    RemoteTier<String> tier = Resilience.decorate(fake, lenient().build());
    assertThat(failureOf(tier.put(null, "v", Duration.ofMinutes(1)))).isInstanceOf(NullPointerException.class);
    assertThat(inProgress(tier)).isZero();
  }

  static class FakeTier implements RemoteTier<String> {
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger putIfAbsentCalls = new AtomicInteger();
    final AtomicInteger tryAcquireCalls = new AtomicInteger();
    final AtomicInteger isHeldCalls = new AtomicInteger();
    final ConcurrentLinkedQueue<Supplier<CompletableFuture<?>>> script = new ConcurrentLinkedQueue<>();
    /** The writes the decorator sent, in order ("put k=v", "putAll [a, b]", "invalidate [k]"). */
    final ConcurrentLinkedQueue<String> sent = new ConcurrentLinkedQueue<>();
    volatile Throwable defaultFailure;
    volatile boolean closed;
    final String tenant;

    FakeTier() {
      this(null);
    }

    private FakeTier(String tenant) {
      this.tenant = tenant;
    }

    void failAlways(Throwable failure) {
      defaultFailure = failure;
    }

    void succeed() {
      defaultFailure = null;
    }

    @SuppressWarnings("unchecked")
    private <T> CompletableFuture<T> answer(T success) {
      calls.incrementAndGet();
      Supplier<CompletableFuture<?>> next = script.poll();
      if (next != null) {
        return (CompletableFuture<T>) next.get();
      }
      Throwable failure = defaultFailure;
      return failure == null ? CompletableFuture.completedFuture(success) : CompletableFuture.failedFuture(failure);
    }

    @Override
    public String cacheName() {
      return "users";
    }

    @Override
    public CompletableFuture<RemoteEntry<String>> get(String key, java.util.concurrent.Executor decoder) {
      return answer(new RemoteEntry<>("value", Long.MAX_VALUE));
    }

    @Override
    public CompletableFuture<Map<String, RemoteEntry<String>>> getAll(
        Collection<String> keys, java.util.concurrent.Executor decoder) {
      return answer(Map.of());
    }

    @Override
    public CompletableFuture<Void> put(String key, String value, Duration ttl) {
      sent.add("put " + key + "=" + value);
      return answer(null);
    }

    @Override
    public CompletableFuture<Boolean> putIfAbsent(String key, String value, Duration ttl) {
      putIfAbsentCalls.incrementAndGet();
      return answer(Boolean.TRUE);
    }

    @Override
    public CompletableFuture<Void> putAll(Map<String, String> entries, Duration ttl) {
      sent.add("putAll " + entries.keySet());
      return answer(null);
    }

    @Override
    public CompletableFuture<Void> invalidate(Collection<String> keys) {
      sent.add("invalidate " + keys);
      return answer(null);
    }

    @Override
    public CompletableFuture<Void> invalidateAll() {
      return answer(null);
    }

    @Override
    public CompletableFuture<Long> invalidateMatching(String glob) {
      return answer(0L);
    }

    @Override
    public boolean supportsPatternInvalidation() {
      return true;
    }

    @Override
    public RemoteTier<String> forTenant(String tenantId) {
      FakeTier parent = this;
      return new FakeTier(tenantId) {
        @Override
        public CompletableFuture<RemoteEntry<String>> get(String key, java.util.concurrent.Executor decoder) {
          return parent.get(key, decoder);
        }
      };
    }

    @Override
    public InvalidationBus invalidationBus() {
      return new InvalidationBus() {
        @Override
        public CompletableFuture<Void> publish(String message) {
          return answer(null);
        }

        @Override
        public Subscription subscribe(Listener listener) {
          AtomicBoolean active = new AtomicBoolean(true);
          return new Subscription() {
            @Override
            public boolean isActive() {
              return active.get();
            }

            @Override
            public void close() {
              active.set(false);
            }
          };
        }
      };
    }

    @Override
    public LeaseLock leaseLock() {
      return new LeaseLock() {
        @Override
        public CompletableFuture<Optional<Lease>> tryAcquire(String key, Duration leaseTime) {
          tryAcquireCalls.incrementAndGet();
          return answer(Optional.empty());
        }

        @Override
        public CompletableFuture<Boolean> isHeld(String key) {
          isHeldCalls.incrementAndGet();
          return answer(Boolean.FALSE);
        }
      };
    }

    @Override
    public CacheHealth health() {
      return CacheHealth.newBuilder(CacheHealth.Status.UP)
          .tier(Tier.REDIS, CacheHealth.Status.UP)
          .detail("encryption.keyId", "fake-key-1")
          .build();
    }

    @Override
    public void close() {
      if (tenant == null) {
        closed = true;
      }
    }
  }
}
