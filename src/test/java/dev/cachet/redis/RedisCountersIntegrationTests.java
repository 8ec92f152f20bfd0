package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cachet.Cache;
import dev.cachet.CacheUnavailableException;
import dev.cachet.CounterContentionException;
import dev.cachet.CounterOutcomeUnknownException;
import dev.cachet.Counters;
import dev.cachet.KeyCodec;
import dev.cachet.memory.MemoryCacheBuilder;
import dev.cachet.metrics.CacheMetricNames;
import dev.cachet.metrics.TieredCacheMetrics;
import dev.cachet.resilience.Resilience;
import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteTierException;
import dev.cachet.testing.redis.FaultProxy;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import dev.cachet.tiered.FailurePolicy;
import dev.cachet.tiered.TieredCacheBuilder;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link Counters} on real Redis: semantics (absent reads 0, creation with the default TTL, expiry kept,
 * compare-and-set, reset with a new TTL, overflow), where counters live (beside entries, never in
 * memory, sealed), and the at-most-once rules made deterministic with {@link RedisCounters.Hooks}: a
 * lost reply recognised on the re-read, a lost reply followed by more changes than the counter remembers
 * (unknown, applied once), a lost race retried, contention exhausted (nothing applied), an open breaker
 * and a dead Redis (unavailable, never degraded).
 */
class RedisCountersIntegrationTests {

  private static final Duration TTL = Duration.ofMinutes(10);

  private static RedisCacheBuilder<String, String> builder(RedisConnections c, String prefix) {
    return RedisCacheBuilder.<String, String>newBuilder()
        .name("counters")
        .connections(c)
        .keyRing(RedisTestSupport.RING)
        .serializer(ValueSerializers.json(String.class))
        .keyCodec(KeyCodec.strings())
        .keyPrefix(prefix)
        .defaultTtl(TTL);
  }

  private static String prefix(RedisServer redis) {
    String p = RedisTestSupport.prefixFrom(redis.keyPrefix());
    return p.isEmpty() ? "ctr" : p; // owned servers have no harness prefix
  }

  private static RedisCounters raw(Cache<String, String> cache) {
    return (RedisCounters) ((LettuceRedisCache<String, String>) cache).tier().counters().orElseThrow();
  }

  private static String counterKey(Cache<String, String> cache, String key) {
    LettuceRedisTier<String> tier = ((LettuceRedisCache<String, String>) cache).tier();
    return tier.layout().counterKey(tier.currentGeneration().join(), key);
  }

  // ---------------------------------------------------------------- semantics

  @Test
  void counters_semantics_absentIsZero_createdWithDefaultTtl_expiryKept_resetSetsNewTtl(
      @RedisStandaloneServer RedisServer redis) {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache = builder(c, prefix(redis)).build()) {
      Counters<String> counters = cache.counters().orElseThrow();
      assertThat(counters.get("a")).isZero();
      assertThat(counters.incrementBy("a", 5)).isEqualTo(5);
      long pttl = (Long) redis.call("PTTL", counterKey(cache, "a"));
      assertThat(pttl)
          .as("PXAT from the local clock plus the server-time offset: within the 1 s skew allowance")
          .isBetween(TTL.toMillis() - 5_000, TTL.toMillis() + 1_000);
      assertThat(counters.decrementBy("a", 2)).isEqualTo(3);
      assertThat(counters.incrementBy("a", -10)).isEqualTo(-7);
      assertThat((Long) redis.call("PTTL", counterKey(cache, "a"))).isBetween(pttl - 5_000, pttl);
      assertThat(counters.get("a")).isEqualTo(-7);

      assertThat(counters.compareAndSet("a", 0, 1)).isFalse();
      assertThat(counters.compareAndSet("a", -7, 100)).isTrue();
      assertThat(counters.get("a")).isEqualTo(100);
      assertThat(counters.compareAndSet("never", 5, 6)).isFalse();
      assertThat((Long) redis.call("EXISTS", counterKey(cache, "never"))).as("nothing created").isZero();
      assertThat(counters.compareAndSet("fresh", 0, 9)).as("absent holds 0").isTrue();
      assertThat(counters.get("fresh")).isEqualTo(9);

      counters.reset("a", 42, Duration.ofSeconds(30));
      assertThat(counters.get("a")).isEqualTo(42);
      assertThat((Long) redis.call("PTTL", counterKey(cache, "a"))).isBetween(25_000L, 31_000L);

      counters.incrementBy("max", Long.MAX_VALUE);
      assertThatThrownBy(() -> counters.incrementBy("max", 1)).isInstanceOf(ArithmeticException.class);
      assertThat(counters.get("max")).isEqualTo(Long.MAX_VALUE);
      assertThatThrownBy(() -> counters.decrementBy("max", Long.MIN_VALUE))
          .isInstanceOf(ArithmeticException.class);

      assertThatThrownBy(() -> counters.incrementBy(null, 1)).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> counters.reset("a", 1, Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> counters.incrementBy("x".repeat(10_000), 1))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void counters_liveBesideEntries_sealed_removedByInvalidateAllOnly(
      @RedisStandaloneServer RedisServer redis) {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache = builder(c, prefix(redis)).build()) {
      Counters<String> counters = cache.counters().orElseThrow();
      cache.put("k", "entry");
      counters.incrementBy("k", 7);
      assertThat(cache.getIfPresent("k")).isEqualTo("entry");
      String stored = (String) redis.call("GET", counterKey(cache, "k"));
      assertThat(stored).startsWith("gAAAAA"); // a Fernet token, nothing readable

      cache.invalidate("k");
      assertThat(cache.getIfPresent("k")).isNull();
      assertThat(counters.get("k")).as("invalidate(key) leaves the counter").isEqualTo(7);
      cache.put("k", "again");
      assertThat(counters.get("k")).isEqualTo(7);

      cache.invalidateAll();
      assertThat(counters.get("k")).as("invalidateAll removes counters too").isZero();
      assertThat(((LettuceRedisCache<String, String>) cache).instrumentation().decryptionFailures())
          .as("entries and counters never read each other")
          .isEmpty();
    }
  }

  @Test
  void counters_areEmptyForAMemoryCache_andCheckClose() {
    Cache<String, String> memory = MemoryCacheBuilder.<String, String>newBuilder().name("mem").build();
    assertThat(memory.counters()).isEmpty();
    memory.close();
    assertThatThrownBy(memory::counters).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void tieredCounters_delegateToRedis_neverTouchMemory_neverDegraded(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    RedisConnections c =
        RedisConnections.newBuilder().uri(redis.uri()).commandTimeout(Duration.ofMillis(300)).build();
    try (c;
        Cache<String, String> tiered =
            TieredCacheBuilder.<String, String>newBuilder()
                .name("counters")
                .keyCodec(KeyCodec.strings())
                .defaultTtl(TTL)
                .failurePolicy(FailurePolicy.SERVE_DEGRADED)
                .remote(
                    RedisCacheBuilder.<String, String>newBuilder()
                        .connections(c)
                        .keyRing(RedisTestSupport.RING)
                        .serializer(ValueSerializers.json(String.class))
                        .keyPrefix(prefix(redis)))
                .build();
        Cache<String, String> peer = builder(c, prefix(redis)).build()) {
      Counters<String> counters = tiered.counters().orElseThrow();
      tiered.put("entry", "v");
      long memoryBefore = tiered.policy().sizeBound().orElseThrow().estimatedSize();
      for (int i = 0; i < 10; i++) {
        counters.incrementBy("hits", 1);
      }
      assertThat(counters.get("hits")).isEqualTo(10);
      assertThat(peer.counters().orElseThrow().get("hits")).as("the same counter in Redis").isEqualTo(10);
      peer.counters().orElseThrow().incrementBy("hits", 5);
      assertThat(counters.get("hits")).as("never a stale memory copy").isEqualTo(15);
      assertThat(tiered.policy().sizeBound().orElseThrow().estimatedSize()).isEqualTo(memoryBefore);

      redis.kill();
      assertThat(tiered.getIfPresent("entry")).as("entries are served degraded").isEqualTo("v");
      assertThat(catchThrowable(() -> counters.incrementBy("hits", 1)))
          .as("counters are not")
          .isInstanceOf(CacheUnavailableException.class)
          .isNotInstanceOf(CounterOutcomeUnknownException.class);
      assertThat(catchThrowable(() -> counters.get("hits"))).isInstanceOf(CacheUnavailableException.class);
    }
  }

  @Test
  void counters_areScopedToTenants_andHideKeyNamesWhenEntriesDo(@RedisStandaloneServer RedisServer redis) {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> tiered =
            TieredCacheBuilder.<String, String>newBuilder()
                .name("counters")
                .keyCodec(KeyCodec.strings())
                .defaultTtl(TTL)
                .remote(
                    RedisCacheBuilder.<String, String>newBuilder()
                        .connections(c)
                        .keyRing(RedisTestSupport.RING)
                        .serializer(ValueSerializers.json(String.class))
                        .keyPrefix(prefix(redis) + "-t"))
                .build();
        Cache<String, String> hidden =
            builder(c, prefix(redis) + "-h").keyNameHasher(dev.cachet.crypto.KeyNameHasher.of(new byte[32])).build()) {
      dev.cachet.MultiTenantCache<String, String> tenants = (dev.cachet.MultiTenantCache<String, String>) tiered;
      Counters<String> a = tenants.forTenant("a").counters().orElseThrow();
      Counters<String> b = tenants.forTenant("b").counters().orElseThrow();
      a.incrementBy("quota", 3);
      assertThat(b.get("quota")).isZero();
      assertThat(tiered.counters().orElseThrow().get("quota")).isZero();
      assertThat(a.get("quota")).isEqualTo(3);

      hidden.counters().orElseThrow().incrementBy("secret-user", 1);
      String name = counterKey(hidden, "secret-user");
      assertThat(name).doesNotContain("secret-user").contains(":m:");
      assertThat((Long) redis.call("EXISTS", name)).isEqualTo(1);
      assertThat(hidden.counters().orElseThrow().get("secret-user")).isEqualTo(1);
    }
  }

  @Test
  void counters_ofAPlainJsonCache_useTheirOwnSealedEnvelope(@RedisStandaloneServer RedisServer redis) {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> plain = builder(c, prefix(redis) + "-p").format(RedisValueFormat.PLAIN_JSON).build()) {
      Counters<String> counters = plain.counters().orElseThrow();
      plain.put("k", "json");
      assertThat(counters.incrementBy("k", 2)).isEqualTo(2);
      byte[] plaintext =
          RedisTestSupport.RING.decrypt(((String) redis.call("GET", counterKey(plain, "k"))).getBytes(
              java.nio.charset.StandardCharsets.US_ASCII));
      assertThat(plaintext[0]).isEqualTo(RedisCounters.COUNTER_FORMAT);
      assertThat(plain.getIfPresent("k")).isEqualTo("json");
      assertThat(counters.get("k")).isEqualTo(2);
    }
  }

  @Test
  void openBreaker_failsAtOnceWithCircuitOpen_nothingSent(@RedisStandaloneServer RedisServer redis) {
    ResilienceSettings settings = ResilienceSettings.testing();
    try (RedisConnections c =
            RedisConnections.newBuilder().uri(redis.uri()).commandTimeout(settings.commandTimeout()).build();
        Cache<String, String> cache =
            builder(c, prefix(redis)).resilience(settings).build()) {
      Counters<String> counters = cache.counters().orElseThrow();
      assertThat(counters.incrementBy("b", 1)).isEqualTo(1);
      CircuitBreaker breaker = Resilience.circuitBreakerOf(cache).orElseThrow();
      breaker.transitionToOpenState();
      Throwable thrown = catchThrowable(() -> counters.incrementBy("b", 1));
      assertThat(thrown).isInstanceOf(RemoteTierException.class);
      assertThat(((RemoteTierException) thrown).reason()).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN);
      breaker.transitionToClosedState();
      assertThat(counters.get("b")).isEqualTo(1);
    }
  }

  // ---------------------------------------------------------------- at most once, deterministically

  @Test
  void replyLost_theRereadRecognisesTheChange_appliedOnce(@RedisStandaloneServer RedisServer redis) {
    try (FaultProxy proxy = FaultProxy.forward(redis);
        RedisConnections c = RedisConnections.create(proxy.uri());
        Cache<String, String> cache = builder(c, prefix(redis)).build()) {
      Counters<String> counters = cache.counters().orElseThrow();
      counters.incrementBy("lost", 10);
      RedisCounters raw = raw(cache);
      raw.hooks(
          new RedisCounters.Hooks() {
            @Override
            public void beforeWrite(String key, int attempt) {
              if (attempt == 1) {
                proxy.resetMidNextReply(); // the script runs; its reply is cut with the connection
              }
            }
          });
      assertThat(counters.incrementBy("lost", 1)).isEqualTo(11);
      assertThat(proxy.repliesCut()).isEqualTo(1);
      raw.hooks(null);
      assertThat(counters.get("lost")).isEqualTo(11);
      assertThat(raw.recognisedCount()).isEqualTo(1);
    }
  }

  @Test
  void replyLost_thenMoreChangesThanRemembered_throwsUnknown_appliedOnce(
      @RedisStandaloneServer RedisServer redis) {
    try (FaultProxy proxy = FaultProxy.forward(redis);
        RedisConnections c = RedisConnections.create(proxy.uri());
        RedisConnections direct = RedisConnections.create(redis.uri());
        Cache<String, String> cache = builder(c, prefix(redis)).build();
        Cache<String, String> other = builder(direct, prefix(redis)).build()) {
      Counters<String> counters = cache.counters().orElseThrow();
      Counters<String> others = other.counters().orElseThrow();
      counters.incrementBy("forgotten", 1);
      AtomicInteger interleaved = new AtomicInteger();
      raw(cache).hooks(
          new RedisCounters.Hooks() {
            @Override
            public void beforeWrite(String key, int attempt) {
              proxy.resetMidNextReply();
            }

            @Override
            public void beforeResolvingRead(String key, int pending) {
              if (interleaved.getAndIncrement() == 0) {
                for (int i = 0; i <= RedisCounters.HISTORY; i++) {
                  others.incrementBy("forgotten", 1000);
                }
              }
            }
          });
      Throwable thrown = catchThrowable(() -> counters.incrementBy("forgotten", 1));
      assertThat(thrown).isInstanceOf(CounterOutcomeUnknownException.class);
      assertThat(thrown.getMessage()).contains("counters").doesNotContain("forgotten");
      raw(cache).hooks(null);
      long expected = 1 + 1 + (RedisCounters.HISTORY + 1) * 1000L;
      assertThat(counters.get("forgotten")).as("applied exactly once, never again").isEqualTo(expected);
      assertThat(((LettuceRedisCache<String, String>) cache).instrumentation().counterUnknownOutcomeCount())
          .isEqualTo(1);
    }
  }

  /** A script held by the network past its timeout reaches Redis late, before the re-read. */
  @Test
  void scriptHeldPastItsTimeout_landsLate_isRecognised_appliedOnce(@RedisStandaloneServer RedisServer redis) {
    try (FaultProxy proxy = FaultProxy.forward(redis);
        RedisConnections c =
            RedisConnections.newBuilder().uri(proxy.uri()).commandTimeout(Duration.ofMillis(300)).build();
        Cache<String, String> cache = builder(c, prefix(redis)).build()) {
      Counters<String> counters = cache.counters().orElseThrow();
      counters.incrementBy("late", 1);
      raw(cache).hooks(
          new RedisCounters.Hooks() {
            @Override
            public void beforeWrite(String key, int attempt) {
              proxy.blackhole(attempt == 1); // the first script is held until it times out
            }

            @Override
            public void beforeResolvingRead(String key, int pending) {
              proxy.blackhole(false); // the held script reaches Redis first, then the re-read
            }
          });
      assertThat(counters.incrementBy("late", 1)).isEqualTo(2);
      raw(cache).hooks(null);
      assertThat(counters.get("late")).isEqualTo(2);
      assertThat(raw(cache).recognisedCount()).isEqualTo(1);
    }
  }

  /** A script held past its timeout reaches Redis after another writer: it can no longer apply. */
  @Test
  void scriptHeldPastItsTimeout_overtaken_neverLands_retriedOnce(@RedisStandaloneServer RedisServer redis) {
    try (FaultProxy proxy = FaultProxy.forward(redis);
        RedisConnections c =
            RedisConnections.newBuilder().uri(proxy.uri()).commandTimeout(Duration.ofMillis(300)).build();
        RedisConnections direct = RedisConnections.create(redis.uri());
        Cache<String, String> cache = builder(c, prefix(redis)).build();
        Cache<String, String> other = builder(direct, prefix(redis)).build()) {
      Counters<String> counters = cache.counters().orElseThrow();
      counters.incrementBy("overtaken", 1);
      raw(cache).hooks(
          new RedisCounters.Hooks() {
            @Override
            public void beforeWrite(String key, int attempt) {
              proxy.blackhole(attempt == 1);
            }

            @Override
            public void beforeResolvingRead(String key, int pending) {
              other.counters().orElseThrow().incrementBy("overtaken", 100); // before the held script
              proxy.blackhole(false);
            }
          });
      assertThat(counters.incrementBy("overtaken", 1)).isEqualTo(102);
      raw(cache).hooks(null);
      assertThat(counters.get("overtaken")).as("ours once, theirs once").isEqualTo(102);
      assertThat(raw(cache).recognisedCount()).isZero();
    }
  }

  @Test
  void lostRace_isRetriedOnTheNewValue_appliedOnce(@RedisStandaloneServer RedisServer redis) {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache = builder(c, prefix(redis)).build();
        Cache<String, String> other = builder(c, prefix(redis)).build()) {
      Counters<String> counters = cache.counters().orElseThrow();
      counters.incrementBy("race", 1);
      AtomicInteger resolvingReads = new AtomicInteger();
      raw(cache).hooks(
          new RedisCounters.Hooks() {
            @Override
            public void beforeWrite(String key, int attempt) {
              if (attempt == 1) {
                other.counters().orElseThrow().incrementBy("race", 100);
              }
            }

            @Override
            public void beforeResolvingRead(String key, int pending) {
              resolvingReads.incrementAndGet();
            }
          });
      assertThat(counters.incrementBy("race", 1)).isEqualTo(102);
      assertThat(resolvingReads.get())
          .as("a refusal on a connection that never closed is final: nothing to resolve")
          .isZero();
      raw(cache).hooks(null);
      assertThat(counters.get("race")).isEqualTo(102);
      var instrumentation = ((LettuceRedisCache<String, String>) cache).instrumentation();
      assertThat(instrumentation.counterConflictCount()).isEqualTo(1);

      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      try (TieredCacheMetrics metrics = TieredCacheMetrics.monitor(registry, cache, Tags.empty())) {
        assertThat(registry.get(CacheMetricNames.COUNTER_CONFLICTS).functionCounter().count()).isEqualTo(1);
        assertThat(registry.get(CacheMetricNames.COUNTER_ATTEMPTS).functionCounter().count())
            .isEqualTo(instrumentation.counterAttemptCount());
        FunctionCounter unknown = registry.get(CacheMetricNames.COUNTER_UNKNOWN_OUTCOMES).functionCounter();
        assertThat(unknown.count()).isZero();
      }
    }
  }

  @Test
  void contention_exhaustsTheAttempts_nothingApplied(@RedisStandaloneServer RedisServer redis) {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache = builder(c, prefix(redis)).build();
        Cache<String, String> other = builder(c, prefix(redis)).build()) {
      Counters<String> counters = cache.counters().orElseThrow();
      counters.incrementBy("hot", 1);
      raw(cache).hooks(
          new RedisCounters.Hooks() {
            @Override
            public void beforeWrite(String key, int attempt) {
              other.counters().orElseThrow().incrementBy("hot", 1000);
            }
          });
      Throwable thrown = catchThrowable(() -> counters.incrementBy("hot", 1));
      assertThat(thrown).isInstanceOf(CounterContentionException.class);
      assertThat(((CounterContentionException) thrown).attempts()).isEqualTo(RedisCounters.MAX_ATTEMPTS);
      raw(cache).hooks(null);
      assertThat(counters.get("hot")).isEqualTo(1 + RedisCounters.MAX_ATTEMPTS * 1000L);
    }
  }

  @Test
  void deadRedis_isUnavailable_notUnknown(@RedisStandaloneServer(owned = true) RedisServer redis) {
    try (RedisConnections c =
            RedisConnections.newBuilder().uri(redis.uri()).commandTimeout(Duration.ofMillis(300)).build();
        Cache<String, String> cache = builder(c, prefix(redis)).build()) {
      Counters<String> counters = cache.counters().orElseThrow();
      counters.incrementBy("d", 1);
      redis.kill();
      assertThat(catchThrowable(() -> counters.incrementBy("d", 1)))
          .isInstanceOf(CacheUnavailableException.class)
          .isNotInstanceOf(CounterOutcomeUnknownException.class);
    }
  }
}
