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
    RedisCacheBuilder<String, String> b =
        RedisCacheBuilder.<String, String>newBuilder()
            .name("redis-only-resilient")
            .connections(connections)
            .keyRing(RedisTestSupport.RING)
            .serializer(ValueSerializers.json(String.class))
            .keyPrefix(prefix)
            .keyCodec(KeyCodec.strings());
    if (resilient) {
      b.resilience(ResilienceSettings.testing());
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
