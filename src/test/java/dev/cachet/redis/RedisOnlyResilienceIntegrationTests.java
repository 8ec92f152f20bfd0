package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.CacheUnavailableException;
import dev.cachet.KeyCodec;
import dev.cachet.resilience.Resilience;
import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteTierException;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A Redis-only cache built with {@code resilience(...)}: retries, a breaker, typed access to both. */
class RedisOnlyResilienceIntegrationTests {

  private static Cache<String, String> cache(RedisConnections connections, String prefix, boolean resilient) {
    return cache(connections, prefix, resilient ? ResilienceSettings.testing() : null);
  }

  private static Cache<String, String> cache(
      RedisConnections connections, String prefix, ResilienceSettings resilience) {
    RedisCacheBuilder<String, String> b =
        RedisCacheBuilder.<String, String>newBuilder()
            .name("redis-only-resilient")
            .connections(connections)
            .keyRing(RedisTestSupport.RING)
            .serializer(ValueSerializers.json(String.class))
            .keyPrefix(prefix)
            .keyCodec(KeyCodec.strings());
    if (resilience != null) {
      b.resilience(resilience);
    }
    return b.build();
  }

  @Test
  void deadRedis_opensTheBreaker_andCallsFailFastWithCircuitOpen(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    try (RedisConnections connections =
            RedisConnections.newBuilder().uri(redis.uri()).commandTimeout(Duration.ofMillis(300)).build();
        Cache<String, String> cache =
            cache(connections, "ro-test", true)) {
      cache.put("k", "v");
      assertThat(cache.getIfPresent("k")).isEqualTo("v");
      CircuitBreaker breaker = Resilience.circuitBreakerOf(cache).orElseThrow();
      assertThat(Resilience.retryOf(cache)).isPresent();
      assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
      redis.kill();
      Eventually.await(Duration.ofSeconds(20), "the breaker opened", () -> {
        try {
          cache.getIfPresent("k");
        } catch (CacheUnavailableException expected) {
          // failures are what opens it
        }
        return breaker.getState() == CircuitBreaker.State.OPEN;
      });
      assertThatThrownBy(() -> cache.getIfPresent("k"))
          .isInstanceOfSatisfying(RemoteTierException.class,
              e -> assertThat(e.reason()).isEqualTo(RemoteErrorReason.CIRCUIT_OPEN));
    }
  }

  /**
   * A put times out while Redis holds writes (and is applied once they resume); before its retry (5 s
   * back-off) the caller puts another value of the key. The retry would be sent after that put and
   * overwrite it; it is dropped, so the key keeps the later value. (Without the check it ended as v1.)
   */
  @Test
  void aTimedOutPut_isNotRetriedOverALaterPutOfTheKey(@RedisStandaloneServer(owned = true) RedisServer redis)
      throws Exception {
    ResilienceSettings settings =
        ResilienceSettings.newBuilder(ResilienceSettings.testing())
            .commandTimeout(Duration.ofMillis(300))
            .slowCallDurationThreshold(Duration.ofMillis(250))
            .initialBackoff(Duration.ofSeconds(5))
            .maxBackoff(Duration.ofSeconds(5))
            .jitter(0)
            .slidingWindowSize(100)
            .minimumNumberOfCalls(100)
            .build();
    try (RedisConnections connections =
            RedisConnections.newBuilder().uri(redis.uri()).commandTimeout(Duration.ofMillis(300)).build();
        Cache<String, String> cache = cache(connections, "ro-retry-order", settings)) {
      cache.put("k", "v0");
      long before = setsApplied(redis);
      redis.command("CLIENT", "PAUSE", "600", "WRITE"); // longer than the 300 ms timeout
      java.util.concurrent.CompletableFuture<Void> first = cache.async().put("k", "v1"); // unawaited
      // (no read of the key meanwhile: it would wait behind the held put and be retried itself)
      Eventually.await(Duration.ofSeconds(5), "the held put applied", () -> setsApplied(redis) > before);
      assertThat(first).as("its retry waits out the back-off").isNotDone();
      cache.put("k", "v2"); // made after the first, while its retry waits out its back-off
      assertThat(cache.getIfPresent("k")).isEqualTo("v2");
      first.get(10, java.util.concurrent.TimeUnit.SECONDS); // the later put stands for it
      assertThat(cache.getIfPresent("k")).as("after the first put's retry was due").isEqualTo("v2");
    }
  }

  /** {@code SET} commands Redis executed (scripts' included). */
  private static long setsApplied(RedisServer redis) {
    for (String line : redis.command("INFO", "commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_set:")) {
        int at = line.indexOf("calls=") + "calls=".length();
        return Long.parseLong(line.substring(at, line.indexOf(',', at)));
      }
    }
    return 0;
  }

  @Test
  void withoutResilience_noBreakerIsReported(@RedisStandaloneServer RedisServer redis) {
    try (RedisConnections connections = RedisConnections.create(redis.uri());
        Cache<String, String> cache =
            cache(connections, RedisTestSupport.prefixFrom(redis.keyPrefix()), false)) {
      assertThat(Resilience.circuitBreakerOf(cache)).isEmpty();
      assertThat(Resilience.retryOf(cache)).isEmpty();
    }
  }
}
