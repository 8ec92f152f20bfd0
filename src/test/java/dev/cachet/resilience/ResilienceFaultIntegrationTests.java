package dev.cachet.resilience;

import static dev.cachet.resilience.ResilienceTestSupport.valueOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cachet.CacheHealth;
import dev.cachet.CacheUnavailableException;
import dev.cachet.Tier;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.resilience.ResilienceTestSupport.Node;
import dev.cachet.resilience.ResilienceTestSupport.Workload;
import dev.cachet.spi.RemoteTierException;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.FaultProxy;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import dev.cachet.tiered.FailurePolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Fault injection against a standalone Redis owned by each test: kill and restart, {@code CLIENT PAUSE},
 * {@code DEBUG SLEEP}, SIGSTOP, network latency and resets through a TCP proxy, a user without
 * permissions, the strict policy, start-up without Redis. Every wait has a deadline; nothing sleeps.
 */
class ResilienceFaultIntegrationTests {

  private static final int THREADS = 4;
  private static final int KEYS = 64;
  /**
   * Besides one awaited attempt per caller, each caller's last put may still be publishing its
   * invalidation (fire-and-forget, bounded by the command timeout), and the coherence heartbeat (one
   * publish per interval, retried) and the recovery probe may be in flight: with a 1 s heartbeat and a
   * 500 ms timeout, one publish per caller plus 2 heartbeat attempts plus 1 probe.
   */
  private static final int HEARTBEATS_IN_FLIGHT = THREADS + 3;

  /** Testing preset, with an open state long enough to measure calls while open. */
  private static ResilienceSettings settings(Duration openFor) {
    return ResilienceSettings.newBuilder(ResilienceSettings.testing()).waitDurationInOpenState(openFor).build();
  }

  private static Node node(String name, String uri, ResilienceSettings settings, RedisServer redis,
      Consumer<dev.cachet.tiered.TieredCacheBuilder<String, String>> customizer) {
    return ResilienceTestSupport.node(
        name, ResilienceTestSupport.connections(uri, settings),
        ResilienceTestSupport.prefixFrom(redis.keyPrefix()), settings, customizer);
  }

  private static Node node(String name, RedisServer redis, ResilienceSettings settings) {
    return node(name, redis.uri(), settings, redis, b -> {});
  }

  private static void awaitCalls(Workload w, long more) {
    long target = w.calls.get() + more;
    Eventually.await(Duration.ofSeconds(20), "workload made " + more + " more calls (" + w.describe() + ")",
        () -> w.calls.get() >= target);
  }

  // ------------------------------------------------------------------ kill, open, restart

  @Test
  void kill_midWorkload_noCallerException_breakerOpens_openCallsNeverWaitOnRedis(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    ResilienceSettings s = settings(Duration.ofSeconds(4));
    try (Node node = node("killed", redis, s);
        Workload w = new Workload(node.cache, node.breaker(), node::inFlight, THREADS, KEYS)) {
      awaitCalls(w, 200);
      assertThat(node.cache.health().status()).isEqualTo(CacheHealth.Status.UP);

      redis.kill();
      Eventually.await(Duration.ofSeconds(5), "breaker open after Redis died (" + w.describe() + ")",
          () -> node.breaker().getState() == CircuitBreaker.State.OPEN);
      w.resetMaxima();
      // drop a few keys from memory (Redis is down: memory only), so some calls must reach a loader
      for (int i = 0; i < 8; i++) {
        node.cache.invalidate("k" + i);
      }
      long loadsBefore = w.loads.get();
      long openCallsTarget = 300;
      Eventually.await(Duration.ofSeconds(10), "calls while the breaker is open (" + w.describe() + ")",
          () -> w.calls(CircuitBreaker.State.OPEN) >= openCallsTarget);

      CacheHealth health = node.cache.health();
      assertThat(node.breaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
      assertThat(w.maxLatencyMillis(CircuitBreaker.State.OPEN))
          .as("no call waits on Redis while the breaker is open (command timeout %s): %s",
              s.commandTimeout(), w.describe())
          .isLessThan(s.commandTimeout().toMillis() / 2);
      assertThat(w.maxInFlight.get()).as("no attempts reach Redis while open: " + w.describe()).isLessThanOrEqualTo(1);
      assertThat(w.loads.get()).as("loaders serve what memory cannot").isGreaterThan(loadsBefore);
      assertThat(node.breaker().getMetrics().getNumberOfNotPermittedCalls()).isPositive();
      assertThat(node.remoteErrors(RemoteErrorReason.CIRCUIT_OPEN)).as("open-circuit calls are counted").isPositive();

      assertThat(health.status()).isEqualTo(CacheHealth.Status.DEGRADED);
      assertThat(health.tiers())
          .containsEntry(Tier.MEMORY, CacheHealth.Status.UP)
          .containsEntry(Tier.REDIS, CacheHealth.Status.DOWN);
      assertThat(health.details())
          .containsEntry("degraded", "true")
          .containsEntry("redis.breaker.state", "OPEN")
          .containsEntry("redis.encryption.keyId", ResilienceTestSupport.RING.primaryKeyId())
          .containsKeys("lastError", "lastErrorTime", "redis.lastError.class", "redis.lastError.time");

      w.close();
      assertThat(w.exceptions).as("no exception reaches a caller: " + w.describe()).isEmpty();
      assertThat(w.wrongValues.get()).isZero();
    }
  }

  @Test
  void restart_halfOpenThenClosed_outageWritesNotServedStale(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    ResilienceSettings s = settings(Duration.ofSeconds(1));
    try (Node a = node("restarted", redis, s);
        Node b = node("restarted", redis, s)) {
      List<String> transitions = new CopyOnWriteArrayList<>();
      a.breaker().getEventPublisher().onStateTransition(e -> transitions.add(e.getStateTransition().name()));

      a.cache.put("shared", "before");
      assertThat(b.cache.get("shared", k -> "loaded-b")).isEqualTo("before"); // now in b's memory

      redis.kill();
      Eventually.await(Duration.ofSeconds(5), "a's breaker opens", () -> {
        a.cache.get("probe-" + System.nanoTime(), k -> "x");
        return a.breaker().getState() == CircuitBreaker.State.OPEN;
      });
      a.cache.put("shared", "during"); // memory only, remembered as dirty
      assertThat(a.cache.get("shared", k -> "loaded-a")).isEqualTo("during");
      assertThat(Integer.parseInt(a.cache.health().details().get("dirtyKeysDuringOutage"))).isPositive();

      redis.start();
      long restartedAt = System.nanoTime();
      Eventually.await(Duration.ofSeconds(15), "a's breaker closed and the cache UP again",
          () -> {
            a.cache.get("after-" + System.nanoTime(), k -> "x");
            return a.breaker().getState() == CircuitBreaker.State.CLOSED
                && a.cache.health().status() == CacheHealth.Status.UP;
          });
      long recoveredMillis = (System.nanoTime() - restartedAt) / 1_000_000;
      assertThat(transitions).containsSubsequence("CLOSED_TO_OPEN", "OPEN_TO_HALF_OPEN", "HALF_OPEN_TO_CLOSED");
      assertThat(a.cache.health().details()).containsEntry("dirtyKeysDuringOutage", "0");
      System.out.printf("restart: breaker closed %d ms after Redis was back (open wait %s)%n",
          recoveredMillis, s.waitDurationInOpenState());

      // b must not keep serving the value from before the outage once Redis is back
      Eventually.await(Duration.ofSeconds(10), "b no longer serves the pre-outage value",
          () -> !"before".equals(b.cache.get("shared", k -> "loaded-b")));
      assertThat(b.cache.get("shared", k -> "loaded-b")).isNotEqualTo("before");
    }
  }

  /**
   * Redis keeps its data through the outage (the network path fails, not the server): a key written to
   * memory only during the outage must not be read back from Redis's older copy after recovery.
   */
  @Test
  void networkOutage_redisKeepsOldValue_notServedAfterRecovery(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    ResilienceSettings s = settings(Duration.ofSeconds(1));
    dev.cachet.testing.FakeTicker ticker = new dev.cachet.testing.FakeTicker();
    try (FaultProxy proxy = FaultProxy.forward(redis);
        Node node = node("netsplit", proxy.uri(), s, redis,
            b -> b.ticker(ticker).degradedTtl(Duration.ofSeconds(5)).heartbeatInterval(Duration.ofSeconds(5))
                .missedHeartbeats(10))) {
      node.cache.put("k", "before");

      proxy.refuseNew(true);
      proxy.resetAll();
      Eventually.await(Duration.ofSeconds(5), "connection lost", () -> !node.connections.isConnected());
      node.cache.put("k", "during");
      assertThat(node.cache.health().details()).containsEntry("dirtyKeysDuringOutage", "1");
      ticker.advance(Duration.ofSeconds(6)); // the degraded write expires from memory

      proxy.refuseNew(false);
      Eventually.await(Duration.ofSeconds(10), "reconnected through the proxy", node.connections::isConnected);
      Eventually.await(Duration.ofSeconds(10), "breaker lets calls through",
          () -> node.breaker().getState() != CircuitBreaker.State.OPEN);
      String value = node.cache.get("k", key -> "loaded");
      assertThat(value).as("Redis's pre-outage copy must not come back").isNotEqualTo("before");
      Eventually.await(Duration.ofSeconds(10), "recovered",
          () -> "false".equals(node.cache.health().details().get("degraded")));
      assertThat(node.cache.get("k", key -> "loaded")).isNotEqualTo("before");
    }
  }

  // ------------------------------------------------------------------ stalls: pause, sleep, stop

  enum Stall {
    CLIENT_PAUSE,
    DEBUG_SLEEP,
    SIGSTOP
  }

  @ParameterizedTest
  @EnumSource(Stall.class)
  void stalledServer_callsBoundedByTheTimeout_countedAndNoPileUp(
      Stall stall, @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    ResilienceSettings s = settings(Duration.ofSeconds(1));
    try (Node node = node("stalled", redis, s);
        Workload w = new Workload(node.cache, node.breaker(), node::inFlight, THREADS, KEYS)) {
      awaitCalls(w, 200);
      int threadsBefore = Thread.activeCount();
      w.resetMaxima();
      long timeoutsBefore = node.remoteErrors(RemoteErrorReason.TIMEOUT);
      Thread sleeper = null;
      switch (stall) {
        case CLIENT_PAUSE:
          redis.command("CLIENT", "PAUSE", "2500", "ALL");
          break;
        case DEBUG_SLEEP:
          sleeper = new Thread(() -> redis.command("DEBUG", "SLEEP", "2.5"), "debug-sleep");
          sleeper.start();
          break;
        default:
          redis.pause();
          break;
      }
      try {
        Eventually.await(Duration.ofSeconds(10), "timeouts counted (" + w.describe() + ")",
            () -> node.remoteErrors(RemoteErrorReason.TIMEOUT) > timeoutsBefore);
        Eventually.await(Duration.ofSeconds(10), "breaker opened on timeouts/slow calls (" + w.describe() + ")",
            () -> node.breaker().getState() != CircuitBreaker.State.CLOSED);
      } finally {
        if (stall == Stall.SIGSTOP) {
          redis.resume();
        }
        if (sleeper != null) {
          sleeper.join(10_000);
        }
      }
      Eventually.await(Duration.ofSeconds(15), "breaker closed again (" + w.describe() + ")",
          () -> node.breaker().getState() == CircuitBreaker.State.CLOSED
              && "false".equals(node.cache.health().details().get("degraded")));
      awaitCalls(w, 100);
      w.close();

      assertThat(w.exceptions).as("no exception reaches a caller: " + w.describe()).isEmpty();
      assertThat(w.wrongValues.get()).isZero();
      assertThat(w.maxLatencyMillis())
          .as("every call bounded by the remote timeout %s: %s", node.remoteTimeout, w.describe())
          .isLessThanOrEqualTo(node.remoteTimeout.toMillis() + 300);
      assertThat(w.maxInFlight.get())
          .as("in-flight remote attempts bounded by the callers plus heartbeats and a probe: " + w.describe())
          .isLessThanOrEqualTo(THREADS + HEARTBEATS_IN_FLIGHT);
      assertThat(w.maxThreads.get() - threadsBefore).as("no thread pile-up: " + w.describe()).isLessThanOrEqualTo(4);
      Eventually.await(Duration.ofSeconds(5), "in-flight attempts drain", () -> node.inFlight() == 0);
      System.out.printf("%s: %s%n", stall, w.describe());
    }
  }

  // ------------------------------------------------------------------ network faults

  @Test
  void proxyLatency_belowTimeoutServes_aboveTimeoutBoundedAndOpens(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    ResilienceSettings s = settings(Duration.ofSeconds(1));
    try (FaultProxy proxy = FaultProxy.forward(redis);
        Node node = node("latency", proxy.uri(), s, redis, b -> {});
        Workload w = new Workload(node.cache, node.breaker(), node::inFlight, THREADS, KEYS)) {
      awaitCalls(w, 200);

      proxy.setLatency(Duration.ofMillis(30));
      awaitCalls(w, 100);
      assertThat(node.breaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);

      w.resetMaxima();
      proxy.setLatency(Duration.ofMillis(s.commandTimeout().toMillis() + 300));
      Eventually.await(Duration.ofSeconds(10), "breaker opens on slow/timed-out calls (" + w.describe() + ")",
          () -> node.breaker().getState() == CircuitBreaker.State.OPEN);
      awaitCalls(w, 200);
      long maxWhileSlow = w.maxLatencyMillis();
      int inFlightWhileSlow = (int) w.maxInFlight.get();

      proxy.setLatency(Duration.ZERO);
      Eventually.await(Duration.ofSeconds(15), "breaker closed after latency is gone (" + w.describe() + ")",
          () -> node.breaker().getState() == CircuitBreaker.State.CLOSED);
      node.cache.put("fresh", "value");
      try (Node other = node("latency", proxy.uri(), s, redis, b -> {})) {
        assertThat(other.cache.get("fresh", k -> "loaded")).isEqualTo("value");
      }
      w.close();
      assertThat(w.exceptions).as(w.describe()).isEmpty();
      assertThat(w.wrongValues.get()).isZero();
      assertThat(maxWhileSlow).as("bounded by the remote timeout " + node.remoteTimeout)
          .isLessThanOrEqualTo(node.remoteTimeout.toMillis() + 300);
      assertThat(inFlightWhileSlow).isLessThanOrEqualTo(THREADS + HEARTBEATS_IN_FLIGHT);
    }
  }

  @Test
  void proxyResetMidReply_retriedTransparently(@RedisStandaloneServer(owned = true) RedisServer redis)
      throws Exception {
    ResilienceSettings s = ResilienceSettings.newBuilder(ResilienceSettings.testing())
        .maxAttempts(4).initialBackoff(Duration.ofMillis(20)).maxBackoff(Duration.ofMillis(200))
        .slidingWindowSize(50).minimumNumberOfCalls(50).build();
    try (FaultProxy proxy = FaultProxy.forward(redis);
        Node node = node("reset", proxy.uri(), s, redis, b -> b.coherence(false))) {
      for (int i = 0; i < 20; i++) {
        node.cache.put("k" + i, valueOf("k" + i));
      }
      node.cache.invalidateAll(); // memory and Redis: next reads load
      for (int i = 0; i < 20; i++) {
        node.cache.put("k" + i, valueOf("k" + i));
      }
      long retriedBefore =
          Resilience.retryOf(node.cache).orElseThrow().getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt();
      for (int round = 0; round < 5; round++) {
        proxy.resetMidNextReply();
        // a remote read: a fresh instance has nothing in memory
        try (Node reader = node("reset", proxy.uri(), s, redis, b -> b.coherence(false))) {
          String key = "k" + round;
          Throwable t = catchThrowable(() -> assertThat(reader.cache.get(key, k -> "loaded")).isIn(valueOf(key), "loaded"));
          assertThat(t).isNull();
        }
        proxy.resetMidNextReply();
        String key = "k" + (10 + round);
        assertThat(node.cache.get(key, k -> valueOf(k))).isEqualTo(valueOf(key));
      }
      assertThat(retriedBefore).isGreaterThanOrEqualTo(0);
      assertThat(node.cache.health().status()).isIn(CacheHealth.Status.UP, CacheHealth.Status.DEGRADED);
    }
  }

  // ------------------------------------------------------------------ permissions

  @Test
  void userWithoutPermission_permanentError_notRetried_reportedClearly(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    redis.command("ACL", "SETUSER", "limited", "on", ">s3cret-pw", "~*", "&*", "+@connection", "+ping", "+hello",
        "+auth", "+client");
    String uri = "redis://limited:s3cret-pw@127.0.0.1:" + redis.port();
    ResilienceSettings s = ResilienceSettings.newBuilder(ResilienceSettings.testing())
        .maxAttempts(3).slidingWindowSize(100).minimumNumberOfCalls(100).build();
    try (Node node = node("noperm", uri, s, redis, b -> b.coherence(false))) {
      Eventually.await(Duration.ofSeconds(5), "connected as the limited user", node.connections::isConnected);
      assertThat(node.cache.get("k", k -> "loaded")).isEqualTo("loaded");
      node.cache.put("k2", "v2");

      var retry = Resilience.retryOf(node.cache).orElseThrow().getMetrics();
      assertThat(retry.getNumberOfFailedCallsWithoutRetryAttempt()).as("permission errors fail at once").isPositive();
      assertThat(retry.getNumberOfFailedCallsWithRetryAttempt()).as("and are never retried").isZero();
      assertThat(node.remoteErrors(RemoteErrorReason.PERMISSION)).isPositive();
      CacheHealth health = node.cache.health();
      assertThat(health.details())
          .containsEntry("redis.lastError.reason", "permission")
          .containsEntry("redis.lastError.class", "io.lettuce.core.RedisCommandExecutionException");
      assertThat(health.toString()).doesNotContain("s3cret-pw");
    }
    ResilienceSettings strictSettings = s;
    try (Node strict = node("noperm-strict", uri, strictSettings, redis,
        b -> b.coherence(false).failurePolicy(FailurePolicy.STRICT))) {
      Throwable thrown = catchThrowable(() -> strict.cache.get("k", k -> "loaded"));
      assertThat(thrown).isInstanceOf(CacheUnavailableException.class).hasMessageContaining("noperm-strict");
      assertThat(thrown.getCause()).isInstanceOfSatisfying(RemoteTierException.class, e -> {
        assertThat(e.reason()).isEqualTo(RemoteErrorReason.PERMISSION);
        assertThat(e.isTransient()).isFalse();
        assertThat(e).hasMessageContaining("NOPERM").hasMessageNotContaining("s3cret-pw");
      });
    }
  }

  // ------------------------------------------------------------------ strict policy, start-up

  @Test
  void strictPolicy_redisDown_throwsCacheUnavailableWithNameAndCause(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    ResilienceSettings s = settings(Duration.ofSeconds(5));
    try (Node node = node("strict", redis.uri(), s, redis, b -> b.failurePolicy(FailurePolicy.STRICT))) {
      node.cache.put("k", "v");
      assertThat(node.cache.get("k", k -> "loaded")).isEqualTo("v");
      redis.kill();

      Eventually.await(Duration.ofSeconds(5), "breaker opens", () -> {
        Throwable t = catchThrowable(() -> node.cache.get("x" + System.nanoTime(), k -> "loaded"));
        assertThat(t).isInstanceOf(CacheUnavailableException.class);
        return node.breaker().getState() == CircuitBreaker.State.OPEN;
      });
      long start = System.nanoTime();
      Throwable read = catchThrowable(() -> node.cache.get("other", k -> "loaded"));
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      assertThat(read).isInstanceOfSatisfying(CacheUnavailableException.class, e -> {
        assertThat(e.cacheName()).isEqualTo("strict");
        assertThat(e.tier()).isEqualTo(Tier.REDIS);
        assertThat(e).hasMessageContaining("strict");
      });
      assertThat(read.getCause()).isInstanceOfSatisfying(RemoteTierException.class,
          e -> assertThat(e.reason()).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN));
      assertThat(tookMillis).as("an open breaker fails fast").isLessThan(s.commandTimeout().toMillis());
      assertThat(catchThrowable(() -> node.cache.put("k", "v2"))).isInstanceOf(CacheUnavailableException.class);
      assertThat(catchThrowable(() -> node.cache.invalidate("k"))).isInstanceOf(CacheUnavailableException.class);
    }
  }

  /** One fault of the fault-injection list, applied to and lifted from an owned server or its proxy. */
  private enum StrictFault {
    CLIENT_PAUSE, SIGSTOP, PROXY_BLACKHOLE, PROXY_LATENCY, PROXY_RESET_AND_REFUSE
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(StrictFault.class)
  void strictPolicy_sameFaults_throwCacheUnavailableWithNameAndCause_withinTheBound(
      StrictFault fault, @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    ResilienceSettings s = settings(Duration.ofSeconds(5));
    try (FaultProxy proxy = FaultProxy.forward(redis);
        Node node = node("strict-" + fault.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'),
            proxy.uri(), s, redis, b -> b.coherence(false).failurePolicy(FailurePolicy.STRICT))) {
      node.cache.put("k", "v");
      assertThat(node.cache.get("k", k -> "loaded")).isEqualTo("v");
      switch (fault) {
        case CLIENT_PAUSE -> redis.command("CLIENT", "PAUSE", "4000", "ALL"); // lifts itself
        case SIGSTOP -> redis.pause();
        case PROXY_BLACKHOLE -> proxy.blackhole(true);
        case PROXY_LATENCY -> proxy.setLatency(Duration.ofMillis(s.commandTimeout().toMillis() + 300));
        case PROXY_RESET_AND_REFUSE -> {
          proxy.refuseNew(true);
          proxy.resetAll();
        }
      }
      try {
        // a key not in memory, so the call needs Redis
        long start = System.nanoTime();
        Throwable thrown = catchThrowable(() -> node.cache.get("absent-" + System.nanoTime(), k -> "loaded"));
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(thrown)
            .as(fault + ": STRICT raises CacheUnavailableException")
            .isInstanceOfSatisfying(CacheUnavailableException.class, e -> {
              assertThat(e.cacheName()).isEqualTo(node.cache.name());
              assertThat(e).hasMessageContaining(node.cache.name());
              assertThat(e.getCause()).isNotNull();
            });
        assertThat(tookMillis)
            .as(fault + ": bounded by the worst case %s", s.worstCaseLatency())
            .isLessThanOrEqualTo(s.worstCaseLatency().toMillis() + 500);
        assertThat(catchThrowable(() -> node.cache.put("k", "v2")))
            .as(fault + ": writes raise too").isInstanceOf(CacheUnavailableException.class);
      } finally {
        switch (fault) {
          case CLIENT_PAUSE -> { } // the harness's own connection is paused too; the pause expires
          case SIGSTOP -> redis.resume();
          default -> {
            proxy.blackhole(false);
            proxy.setLatency(Duration.ZERO);
            proxy.refuseNew(false);
          }
        }
      }
    }
  }

  @Test
  void startWithoutRedis_defaultPolicy_startsDegradedAndRecoversByItself(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    ResilienceSettings s = settings(Duration.ofSeconds(1));
    redis.kill();
    long start = System.nanoTime();
    try (Node node = node("startup", redis, s)) {
      assertThat((System.nanoTime() - start) / 1_000_000).as("build does not hang").isLessThan(5_000);
      assertThat(node.cache.health().status()).isEqualTo(CacheHealth.Status.DEGRADED);
      assertThat(node.cache.get("k", k -> "loaded")).isEqualTo("loaded");

      redis.start();
      Eventually.await(Duration.ofSeconds(15), "cache UP once Redis appears", () -> {
        node.cache.get("probe-" + System.nanoTime(), k -> "x");
        CacheHealth h = node.cache.health();
        assertThat(h.status()).as(h.toString()).isEqualTo(CacheHealth.Status.UP);
      });
      node.cache.put("after", "v");
      assertThat(redis.command("DBSIZE")).isNotEqualTo("0");
    }
  }

  @Test
  void startWithoutRedis_strictPolicy_buildFailsClearly(@RedisStandaloneServer(owned = true) RedisServer redis) {
    ResilienceSettings s = settings(Duration.ofSeconds(1));
    redis.kill();
    Throwable thrown = catchThrowable(
        () -> node("startup-strict", redis.uri(), s, redis, b -> b.failurePolicy(FailurePolicy.STRICT)).close());
    assertThat(thrown).isInstanceOfSatisfying(CacheUnavailableException.class, e -> {
      assertThat(e.cacheName()).isEqualTo("startup-strict");
      assertThat(e.tier()).isEqualTo(Tier.REDIS);
    });
    assertThat(thrown).hasMessageContaining("startup-strict").hasMessageContaining("STRICT");
  }

  @Test
  void health_up_reportsEveryTierBreakerAndKeyId(@RedisStandaloneServer(owned = true) RedisServer redis) {
    try (Node node = node("healthy", redis, settings(Duration.ofSeconds(1)))) {
      node.cache.put("k", "v");
      CacheHealth health = node.cache.health();
      assertThat(health.status()).isEqualTo(CacheHealth.Status.UP);
      assertThat(health.tiers())
          .containsEntry(Tier.MEMORY, CacheHealth.Status.UP)
          .containsEntry(Tier.REDIS, CacheHealth.Status.UP);
      assertThat(health.details())
          .containsEntry("redis.breaker.state", "CLOSED")
          .containsEntry("redis.breaker.name", "healthy")
          .containsEntry("redis.encryption.keyId", ResilienceTestSupport.RING.primaryKeyId())
          .containsEntry("lastError", "none")
          .containsEntry("degraded", "false");
    }
  }
}
