package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.KeyCodec;
import dev.cachet.MultiTenantCache;
import dev.cachet.metrics.CacheMetricNames;
import dev.cachet.metrics.TieredCacheMetrics;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.spi.RemoteTier;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code cache.load.duplicates}: loads run without the cross-instance lease while another holds it. */
class TieredDuplicateLoadIntegrationTests {

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private static String uniqueName() {
    return "dup-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
  }

  private MultiTenantCache<String, String> instance(RedisServer redis, String name, Duration maxWait) {
    RedisConnections connections = RedisConnections.create(redis.uri());
    resources.add(connections);
    MultiTenantCache<String, String> cache =
        TieredTestSupport.cache(
            name, connections, TieredTestSupport.prefixFrom(redis.keyPrefix()),
            b -> b.crossInstanceLoading(Duration.ofSeconds(30), maxWait));
    resources.add(cache);
    return cache;
  }

  @Test
  void leaseHeldElsewhere_waitRunsOut_loadIsCountedAsDuplicate(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    String name = uniqueName();
    MultiTenantCache<String, String> cache = instance(redis, name, Duration.ofMillis(100));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TieredCacheMetrics.monitor(registry, cache);
    // another instance holds the key's lease for longer than this one waits, and never writes
    RedisConnections other = RedisConnections.create(redis.uri());
    resources.add(other);
    RemoteTier<String> holder =
        RedisCacheBuilder.<String, String>newBuilder()
            .name(name)
            .connections(other)
            .keyRing(TieredTestSupport.RING)
            .serializer(ValueSerializers.json(String.class))
            .keyPrefix(TieredTestSupport.prefixFrom(redis.keyPrefix()))
            .keyCodec(KeyCodec.strings())
            .buildRemoteTier();
    resources.add(holder);
    assertThat(holder.leaseLock().tryAcquire("prompt", Duration.ofSeconds(30)).get(5, TimeUnit.SECONDS))
        .isPresent();

    AtomicInteger loads = new AtomicInteger();
    assertThat(cache.get("prompt", k -> "answer-" + loads.incrementAndGet())).isEqualTo("answer-1");

    assertThat(registry.get(CacheMetricNames.DUPLICATE_LOADS).tag("cache", name).functionCounter().count())
        .isEqualTo(1.0);
  }

  @Test
  void leaseFree_loadIsNotADuplicate(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    MultiTenantCache<String, String> cache = instance(redis, name, Duration.ofSeconds(5));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TieredCacheMetrics.monitor(registry, cache);

    assertThat(cache.get("prompt", k -> "answer")).isEqualTo("answer");
    assertThat(cache.get("prompt", k -> "again")).isEqualTo("answer");

    assertThat(registry.get(CacheMetricNames.DUPLICATE_LOADS).tag("cache", name).functionCounter().count())
        .isZero();
  }
}
