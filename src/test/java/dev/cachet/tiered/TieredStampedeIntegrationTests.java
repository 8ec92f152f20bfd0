package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.MultiTenantCache;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The three stampede guards: in-process single flight, cross-instance leases, refresh ahead. */
class TieredStampedeIntegrationTests {

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private MultiTenantCache<String, String> instance(
      RedisServer redis, String name, Consumer<TieredCacheBuilder<String, String>> customizer) {
    RedisConnections connections = RedisConnections.create(redis.uri());
    resources.add(connections);
    MultiTenantCache<String, String> cache =
        TieredTestSupport.cache(name, connections, TieredTestSupport.prefixFrom(redis.keyPrefix()), customizer);
    resources.add(cache);
    return cache;
  }

  private static String uniqueName() {
    return "stampede-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
  }

  /** 200 concurrent get(key, loader) calls spread over the instances; returns loader calls per instance. */
  private static int[] stampede(List<MultiTenantCache<String, String>> instances, Duration loadTime)
      throws Exception {
    int callers = 200;
    int[] perInstance = new int[instances.size()];
    AtomicInteger[] counters = new AtomicInteger[instances.size()];
    for (int i = 0; i < counters.length; i++) {
      counters[i] = new AtomicInteger();
    }
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        int index = c % instances.size();
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  return instances.get(index).get("hot", k -> {
                    counters[index].incrementAndGet();
                    TimeUnit.NANOSECONDS.sleep(loadTime.toNanos()); // a slow source
                    return "value";
                  });
                }));
      }
      start.countDown();
      for (Future<String> f : results) {
        assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo("value");
      }
    } finally {
      pool.shutdownNow();
    }
    for (int i = 0; i < counters.length; i++) {
      perInstance[i] = counters[i].get();
    }
    return perInstance;
  }

  @Test
  void stampede_withoutCrossInstanceLoading_loadsAtMostOncePerInstance(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    String name = uniqueName();
    List<MultiTenantCache<String, String>> instances = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      instances.add(instance(redis, name, b -> {}));
    }
    int[] loads = stampede(instances, Duration.ofMillis(200));
    for (int l : loads) {
      assertThat(l).isBetween(0, 1);
    }
  }

  @Test
  void stampede_withCrossInstanceLoading_loadsExactlyOnce(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    String name = uniqueName();
    List<MultiTenantCache<String, String>> instances = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      instances.add(
          instance(redis, name, b -> b.crossInstanceLoading(Duration.ofSeconds(5), Duration.ofSeconds(5))));
    }
    int[] loads = stampede(instances, Duration.ofMillis(300));
    assertThat(java.util.Arrays.stream(loads).sum()).isEqualTo(1);
  }

  @Test
  void lease_ofADeadOwner_isTakenOverAfterItExpires(@RedisStandaloneServer RedisServer redis) throws Exception {
    String name = uniqueName();
    MultiTenantCache<String, String> survivor =
        instance(redis, name, b -> b.crossInstanceLoading(Duration.ofMillis(800), Duration.ofSeconds(10)));
    // a "dead" instance took the lease and never loads or releases it
    RedisConnections connections = RedisConnections.create(redis.uri());
    resources.add(connections);
    var deadTier =
        dev.cachet.redis.RedisCacheBuilder.<String, String>newBuilder()
            .name(name)
            .connections(connections)
            .keyRing(TieredTestSupport.RING)
            .serializer(dev.cachet.serialization.ValueSerializers.json(String.class))
            .keyPrefix(TieredTestSupport.prefixFrom(redis.keyPrefix()))
            .keyCodec(dev.cachet.KeyCodec.strings())
            .buildRemoteTier();
    resources.add(deadTier);
    assertThat(deadTier.leaseLock().tryAcquire("orphan", Duration.ofMillis(800)).get(5, TimeUnit.SECONDS))
        .isPresent();
    long started = System.nanoTime();
    AtomicInteger loads = new AtomicInteger();
    assertThat(survivor.get("orphan", k -> { loads.incrementAndGet(); return "taken-over"; }))
        .isEqualTo("taken-over");
    long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertThat(loads).hasValue(1);
    assertThat(waitedMillis).as("waited for the orphaned lease to expire").isGreaterThanOrEqualTo(500);
  }

  @Test
  void refreshAfterWrite_reloadsHotKeysInTheBackground(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    AtomicInteger version = new AtomicInteger();
    ConcurrentHashMap<String, Integer> reloads = new ConcurrentHashMap<>();
    dev.cachet.CacheLoader<String, String> loader =
        new dev.cachet.CacheLoader<>() {
          @Override
          public String load(String key) {
            return key + "-v" + version.incrementAndGet();
          }

          @Override
          public String reload(String key, String old) {
            reloads.merge(key, 1, Integer::sum);
            return key + "-v" + version.incrementAndGet();
          }
        };
    MultiTenantCache<String, String> cache =
        instance(redis, name, b -> b.loader(loader).refreshAfterWrite(Duration.ofMillis(200)));
    assertThat(cache.get("hot")).isEqualTo("hot-v1");
    // keep reading the hot key: after 200 ms a read triggers one background refresh, never a miss
    Eventually.await(Duration.ofSeconds(5), "refreshed in the background", () -> {
      String value = cache.getIfPresent("hot");
      assertThat(value).isNotNull();
      return !value.equals("hot-v1");
    });
    assertThat(reloads.get("hot")).isGreaterThanOrEqualTo(1);
    assertThat(cache.stats().missCount()).hasValue(1);
  }
}
