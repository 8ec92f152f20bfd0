package dev.cachet.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cachet.Cache;
import dev.cachet.KeyCodec;
import dev.cachet.Tier;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.CacheMeterReader;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The binder against the real Redis tier: per-tier gets, Redis and crypto timers, tampering. */
class RedisTierMetricsIntegrationTests {

  @RedisStandaloneServer static RedisServer redis;
  static RedisConnections connections;

  private final MeterRegistry registry = new SimpleMeterRegistry();

  @BeforeAll
  static void connect() {
    connections = RedisConnections.create(redis.uri());
  }

  @AfterAll
  static void disconnect() {
    connections.close();
  }

  private Cache<String, String> cache(String name, String prefix) {
    return RedisCacheBuilder.<String, String>newBuilder()
        .name(name)
        .connections(connections)
        .keyRing(FernetKeyRing.of(FernetKey.generate()))
        .serializer(ValueSerializers.json(String.class))
        .keyPrefix(prefix)
        .keyCodec(KeyCodec.strings())
        .build();
  }

  @Test
  void redisCache_workload_metersAgreeWithStatsAndTimeRedisAndCrypto() {
    try (Cache<String, String> cache = cache("redis-metrics", "cachet-it-metrics-a")) {
      TieredCacheMetrics.monitor(registry, cache);
      CacheMeterReader meters = CacheMeterReader.of(registry, "redis-metrics");
      cache.put("k", "v");
      assertThat(cache.getIfPresent("k")).isEqualTo("v");
      assertThat(cache.getIfPresent("absent")).isNull();

      assertThat(meters.gets(true)).isEqualTo(1).isEqualTo(cache.stats().hitCount().orElseThrow());
      assertThat(meters.gets(false)).isEqualTo(1).isEqualTo(cache.stats().missCount().orElseThrow());
      assertThat(meters.count("cache.puts")).isEqualTo(1);
      assertThat(meters.tierGets(Tier.REDIS, true)).isEqualTo(1);
      assertThat(meters.tierGets(Tier.REDIS, false)).isEqualTo(1);
      assertThat(meters.timer("cache.encrypt").count()).isEqualTo(1);
      assertThat(meters.timer("cache.decrypt").count()).isEqualTo(1);
      assertThat(meters.summary("cache.value.size", "operation", "encrypt").count()).isEqualTo(1);
      assertThat(meters.redisOperation(RemoteOperation.GET, true).count()).isEqualTo(2);
      assertThat(meters.redisOperation(RemoteOperation.PUT, true).count()).isEqualTo(1);
      assertThat(registry.find("cache.size").tag("cache", "redis-metrics").meter()).isNull();
    }
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void tamperedValue_isCountedAsAnAuthenticationFailure() {
    try (Cache<String, String> cache = cache("redis-tamper", "cachet-it-metrics-b")) {
      TieredCacheMetrics.monitor(registry, cache);
      cache.put("k", "value");
      List<?> keys = (List<?>) redis.call("KEYS", "cachet-it-metrics-b:*:k:k");
      assertThat(keys).hasSize(1);
      String key = String.valueOf(keys.get(0));
      String token = redis.command("GET", key);
      int middle = token.length() / 2;
      char flipped = token.charAt(middle) == 'A' ? 'B' : 'A';
      redis.command("SET", key, token.substring(0, middle) + flipped + token.substring(middle + 1), "KEEPTTL");

      catchThrowable(() -> cache.getIfPresent("k")); // a miss or an exception, by the tier's policy

      CacheMeterReader meters = CacheMeterReader.of(registry, "redis-tamper");
      assertThat(meters.decryptionFailures(DecryptionFailureReason.AUTHENTICATION)).isEqualTo(1);
      assertThat(meters.decryptionFailures(DecryptionFailureReason.FORMAT)).isZero();
    }
  }
}
