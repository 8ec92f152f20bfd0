package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.MultiTenantCache;
import dev.cachet.metrics.TieredCacheMetrics;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.CacheMeterReader;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tiered cache's meters over real Redis: exact per-tier counts, agreement with stats(), the degraded gauge. */
class TieredMetricsIntegrationTests {

  @Test
  void scriptedWorkload_givesExactPerTierCounts(@RedisStandaloneServer RedisServer redis) {
    String prefix = TieredTestSupport.prefixFrom(redis.keyPrefix());
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (RedisConnections connA = RedisConnections.create(redis.uri());
        RedisConnections connB = RedisConnections.create(redis.uri());
        MultiTenantCache<String, String> a = TieredTestSupport.cache("metered", connA, prefix, b -> {});
        MultiTenantCache<String, String> b = TieredTestSupport.cache("metered", connB, prefix, x -> {})) {
      TieredCacheMetrics.monitor(registry, b, "instance", "b");
      a.put("x", "1");
      a.put("y", "2");
      assertThat(b.getIfPresent("x")).isEqualTo("1"); // memory miss, Redis hit (refills memory)
      assertThat(b.getIfPresent("x")).isEqualTo("1"); // memory hit
      assertThat(b.getIfPresent("nope")).isNull(); // memory miss, Redis miss
      assertThat(b.get("z", k -> "3")).isEqualTo("3"); // miss everywhere, loaded, written to both tiers
      assertThat(b.getAll(List.of("x", "y"))).hasSize(2); // x memory hit, y Redis hit

      CacheMeterReader meters = CacheMeterReader.of(registry, "metered");
      assertThat(meters.count("cache.gets", "result", "hit")).isEqualTo(4);
      assertThat(meters.count("cache.gets", "result", "miss")).isEqualTo(2);
      assertThat(meters.count("cache.tier.gets", "tier", "memory", "result", "hit")).isEqualTo(2);
      assertThat(meters.count("cache.tier.gets", "tier", "memory", "result", "miss")).isEqualTo(4);
      assertThat(meters.count("cache.tier.gets", "tier", "redis", "result", "hit")).isEqualTo(2);
      assertThat(meters.count("cache.tier.gets", "tier", "redis", "result", "miss")).isEqualTo(2);
      assertThat(meters.count("cache.puts")).isEqualTo(1);
      assertThat(b.stats().hitCount()).hasValue(4);
      assertThat(b.stats().missCount()).hasValue(2);
      assertThat(b.stats().putCount()).hasValue(1);
    }
    assertThat(registry.getMeters()).as("closing the cache removed its meters").isEmpty();
  }

  @Test
  void redisDown_showsInTheDegradedGauge_andBackUpClearsIt(@RedisStandaloneServer(owned = true) RedisServer redis) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (RedisConnections conn = RedisConnections.create(redis.uri());
        MultiTenantCache<String, String> cache =
            TieredTestSupport.cache("degraded", conn, "cachet", b -> b.remoteTimeout(Duration.ofMillis(500)))) {
      TieredCacheMetrics.monitor(registry, cache);
      CacheMeterReader meters = CacheMeterReader.of(registry, "degraded");
      cache.put("k", "v");
      assertThat(registry.get("cache.degraded").gauge().value()).isZero();
      redis.kill();
      assertThat(cache.get("other", k -> "from-loader")).isEqualTo("from-loader");
      assertThat(registry.get("cache.degraded").gauge().value()).isEqualTo(1);
      assertThat(meters.count("cache.redis.errors", "operation", "get", "reason", "connection")
              + meters.count("cache.redis.errors", "operation", "get", "reason", "rejected")
              + meters.count("cache.redis.errors", "operation", "get", "reason", "timeout"))
          .isPositive();
      redis.start();
      Eventually.await(Duration.ofSeconds(15), "the cache noticed Redis is back",
          () -> registry.get("cache.degraded").gauge().value() == 0);
    }
  }
}
