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
        MultiTenantCache<String, String> a = TieredTestSupport.cache("metered", connA, prefix, x -> {})) {
      // A writes before B exists, so no late invalidation from A can reach B mid-script
      a.put("x", "1");
      a.put("y", "2");
      try (MultiTenantCache<String, String> b = TieredTestSupport.cache("metered", connB, prefix, x -> {})) {
        scriptOn(b, registry);
      }
    }
    assertThat(registry.getMeters()).as("closing the cache removed its meters").isEmpty();
  }

  private static void scriptOn(MultiTenantCache<String, String> b, SimpleMeterRegistry registry) {
    TieredCacheMetrics.monitor(registry, b, "instance", "b");
    assertThat(b.getIfPresent("x")).isEqualTo("1"); // memory miss, Redis hit (refills memory)
    assertThat(b.getIfPresent("x")).isEqualTo("1"); // memory hit
    assertThat(b.getIfPresent("nope")).isNull(); // memory miss, Redis miss
    assertThat(b.get("z", k -> "3")).isEqualTo("3"); // miss everywhere, loaded, written to both tiers
    assertThat(b.getAllPresent(List.of("x", "y"))).hasSize(2); // x memory hit, y Redis hit

    CacheMeterReader meters = CacheMeterReader.of(registry, "metered");
    assertThat(meters.count("cache.gets", "result", "hit")).isEqualTo(4);
    assertThat(meters.count("cache.gets", "result", "miss")).isEqualTo(2);
    Coherence coherence = ((TieredCache<String, String>) b).coherence();
    assertThat(meters.count("cache.tier.gets", "tier", "memory", "result", "hit"))
        .as("memory clears: %d (%s)", coherence.clearCount(), coherence.lastClearReason())
        .isEqualTo(2);
    assertThat(meters.count("cache.tier.gets", "tier", "memory", "result", "miss")).isEqualTo(4);
    assertThat(meters.count("cache.tier.gets", "tier", "redis", "result", "hit")).isEqualTo(2);
    assertThat(meters.count("cache.tier.gets", "tier", "redis", "result", "miss")).isEqualTo(2);
    assertThat(meters.count("cache.puts")).isEqualTo(1);
    assertThat(b.stats().hitCount()).hasValue(4);
    assertThat(b.stats().missCount()).hasValue(2);
    assertThat(b.stats().putCount()).hasValue(1);
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

  @Test
  void killedRedis_breakerStateChangesShowInTheMeters(@RedisStandaloneServer(owned = true) RedisServer redis) {
    dev.cachet.resilience.ResilienceSettings settings = dev.cachet.resilience.ResilienceSettings.testing();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (RedisConnections conn =
            RedisConnections.newBuilder()
                .uri(redis.uri())
                .commandTimeout(settings.commandTimeout())
                .reconnectInterval(Duration.ofMillis(200))
                .build();
        MultiTenantCache<String, String> cache =
            TieredCacheBuilder.<String, String>newBuilder()
                .name("breaker-meters")
                .keyCodec(dev.cachet.KeyCodec.strings())
                .remote(
                    dev.cachet.redis.RedisCacheBuilder.<String, String>newBuilder()
                        .connections(conn)
                        .keyRing(TieredTestSupport.RING)
                        .serializer(dev.cachet.serialization.ValueSerializers.json(String.class)))
                .resilience(settings)
                .heartbeatInterval(Duration.ofMillis(200))
                .build()) {
      TieredCacheMetrics.monitor(registry, cache);
      CacheMeterReader meters = CacheMeterReader.of(registry, "breaker-meters");
      cache.put("k", "v");
      assertThat(meters.breakerState("closed")).isEqualTo(1);

      redis.kill();
      Eventually.await(Duration.ofSeconds(10), "the breaker opened, visibly in the meters", () -> {
        cache.get("k" + System.nanoTime(), k -> "loaded");
        return meters.breakerState("open") == 1;
      });
      assertThat(meters.breakerState("closed")).isZero();
      assertThat(cache.get("while-open", k -> "loaded")).isEqualTo("loaded"); // refused by the open breaker
      assertThat(meters.count("cache.redis.errors", "operation", "get", "reason", "circuit_open")).isPositive();
      assertThat(meters.degraded()).isTrue();

      redis.start();
      Eventually.await(Duration.ofSeconds(20), "the breaker closed again after Redis came back", () -> {
        cache.get("k" + System.nanoTime(), k -> "loaded");
        return meters.breakerState("closed") == 1 && !meters.degraded();
      });
    }
    assertThat(registry.getMeters()).as("closing the cache removed the breaker meters too").isEmpty();
  }
}
