package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheHealth;
import dev.cachet.InvalidValueException;
import dev.cachet.KeyCodec;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.resilience.Resilience;
import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.serialization.ValueSerializer;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * A caller's mistake stays the caller's on a tiered cache over real Redis behind the production
 * resilience settings: it is thrown, never recorded by the breaker, never degrades the cache, and
 * never clears another instance's memory. A non-string value at an entry key is a bad entry, not an
 * outage.
 */
class TieredCallerErrorIntegrationTests {

  /** Serializes strings; refuses ones starting with "unserializable" as Jackson would a bad bean. */
  private static final ValueSerializer<String> PICKY =
      new ValueSerializer<>() {
        @Override
        public byte[] serialize(String value) {
          if (value.startsWith("unserializable")) {
            throw new IllegalStateException("cannot serialize this one");
          }
          return value.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String deserialize(byte[] bytes) {
          return new String(bytes, StandardCharsets.UTF_8);
        }
      };

  private static TieredCache<String, String> instance(RedisConnections connections, String name, String prefix) {
    return (TieredCache<String, String>)
        TieredCacheBuilder.<String, String>newBuilder()
            .name(name)
            .keyCodec(KeyCodec.strings())
            .remote(RedisCacheBuilder.<String, String>newBuilder()
                .connections(connections)
                .keyRing(TieredTestSupport.RING)
                .serializer(PICKY)
                .keyPrefix(prefix)
                .maxValueSize(1_000))
            .resilience(ResilienceSettings.production())
            .heartbeatInterval(Duration.ofMillis(200))
            .build();
  }

  @Test
  void oversizedAndUnserializablePuts_throwToTheCaller_andNothingDegrades(@RedisStandaloneServer RedisServer redis) {
    String name = "callererr-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    String prefix = TieredTestSupport.prefixFrom(redis.keyPrefix());
    try (RedisConnections ca = RedisConnections.create(redis.uri());
        RedisConnections cb = RedisConnections.create(redis.uri());
        TieredCache<String, String> a = instance(ca, name, prefix);
        TieredCache<String, String> peer = instance(cb, name, prefix)) {
      a.put("k", "fine");
      assertThat(peer.getIfPresent("k")).isEqualTo("fine");
      long peerClears = peer.coherence().clearCount();
      CircuitBreaker breaker = Resilience.circuitBreakerOf(a).orElseThrow();
      String huge = "x".repeat(5_000);
      for (int i = 0; i < 20; i++) {
        int n = i;
        assertThatThrownBy(() -> a.put("k", huge + n))
            .isInstanceOfSatisfying(InvalidValueException.class,
                e -> assertThat(e.reason()).isEqualTo(InvalidValueException.Reason.TOO_LARGE));
        assertThatThrownBy(() -> a.put("k", "unserializable" + n))
            .isInstanceOfSatisfying(InvalidValueException.class,
                e -> assertThat(e.reason()).isEqualTo(InvalidValueException.Reason.NOT_SERIALIZABLE));
      }
      assertThatThrownBy(() -> a.get("loaded", k -> huge)).isInstanceOf(InvalidValueException.class);
      assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
      assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
      assertThat(a.isDegraded()).isFalse();
      assertThat(a.health().status()).isEqualTo(CacheHealth.Status.UP);
      assertThat(a.outage().dirtyCount()).isZero();
      assertThat(a.getIfPresent("k")).as("Redis keeps the last good value").isEqualTo("fine");
      assertThat(peer.getIfPresent("k")).isEqualTo("fine");
      assertThat(peer.coherence().clearCount()).as("no CLEAR reached the peer").isEqualTo(peerClears);
    }
  }

  @Test
  void wrongTypeAtAnEntryKey_isAMiss_notAnOutage(@RedisStandaloneServer RedisServer redis) throws Exception {
    String name = "wrongtype-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    String prefix = TieredTestSupport.prefixFrom(redis.keyPrefix());
    try (RedisConnections c = RedisConnections.create(redis.uri());
        TieredCache<String, String> cache = instance(c, name, prefix)) {
      cache.put("k", "v");
      String entryKey = null;
      for (Object key : (java.util.List<?>) redis.call("KEYS", prefix + ":*" + name + "*")) {
        String k = String.valueOf(key);
        if (!k.contains(":gen") && !k.contains(":bus") && !k.contains(":lease")) {
          entryKey = k;
        }
      }
      assertThat(entryKey).as("the entry's Redis key").isNotNull();
      redis.command("DEL", entryKey);
      redis.command("LPUSH", entryKey, "not", "a", "string");
      cache.keyOrder().changedElsewhere("k"); // drop the memory copy, as a peer's message would
      assertThat(cache.getIfPresent("k")).isNull();
      assertThat(cache.isDegraded()).isFalse();
      assertThat(cache.health().status()).isEqualTo(CacheHealth.Status.UP);
      assertThat(Resilience.circuitBreakerOf(cache).orElseThrow().getMetrics().getNumberOfFailedCalls()).isZero();
    }
  }
}
