package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.MultiTenantCache;
import dev.cachet.UpdateContentionException;
import dev.cachet.internal.AbstractCache;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.ReliabilityFigures;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Conditional updates ({@code compute}) from 32 clients spread over 4 tiered instances sharing one real
 * Redis: every update that returned is applied exactly once (a counter inside each value equals the
 * number of successful updates of its key), at least 99% succeed within the attempt bound over 1,000
 * keys, and the hot-key rate (all 32 clients on one key) is measured and reported. Figures go to
 * {@code target/reliability/figures.tsv}. Update counts grow with {@code -Dcachet.cas.updates=N} (per
 * client; default 60).
 */
class TieredConditionalUpdateIntegrationTests {

  @RedisStandaloneServer static RedisServer redis;

  private static final int CLIENTS = 32;
  private static final int INSTANCES = 4;
  private static final int KEYS = 1_000;

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private MultiTenantCache<String, String> instance(String name) {
    RedisConnections connections = RedisConnections.create(redis.uri());
    resources.add(connections);
    MultiTenantCache<String, String> cache =
        TieredTestSupport.cache(name, connections, TieredTestSupport.prefixFrom(redis.keyPrefix()), b -> {});
    resources.add(cache);
    return cache;
  }

  /** Outcome of one run: successes per key, contention failures, attempts (function calls). */
  private record Run(AtomicIntegerArray applied, AtomicInteger contended, AtomicLong attempts, int total) {}

  private Run run(List<MultiTenantCache<String, String>> instances, int keys, int updatesPerClient)
      throws Exception {
    AtomicIntegerArray applied = new AtomicIntegerArray(keys);
    AtomicInteger contended = new AtomicInteger();
    AtomicLong attempts = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        MultiTenantCache<String, String> cache = instances.get(c % instances.size());
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < updatesPerClient; i++) {
                    int k = ThreadLocalRandom.current().nextInt(keys);
                    try {
                      cache.compute(
                          "key-" + k,
                          (key, v) -> {
                            attempts.incrementAndGet();
                            return Integer.toString(v == null ? 1 : Integer.parseInt(v) + 1);
                          });
                      applied.incrementAndGet(k);
                    } catch (UpdateContentionException e) {
                      contended.incrementAndGet();
                    }
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    return new Run(applied, contended, attempts, CLIENTS * updatesPerClient);
  }

  /** Every key's counter, read by a fresh instance (empty memory), equals its successful updates. */
  private void assertAppliedExactlyOnce(String name, Run run, int keys) {
    MultiTenantCache<String, String> reader = instance(name);
    for (int k = 0; k < keys; k++) {
      String v = reader.getIfPresent("key-" + k);
      int stored = v == null ? 0 : Integer.parseInt(v);
      assertThat(stored).as("updates applied to key-" + k).isEqualTo(run.applied().get(k));
    }
  }

  @Test
  void compute_32ClientsOver1000Keys_everyUpdateAppliedOnce_99PercentWithinBound() throws Exception {
    String name = "cas-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    List<MultiTenantCache<String, String>> instances = new ArrayList<>();
    for (int i = 0; i < INSTANCES; i++) {
      instances.add(instance(name));
    }
    int perClient = Integer.getInteger("cachet.cas.updates", 60);
    Run uniform = run(instances, KEYS, perClient);
    assertAppliedExactlyOnce(name, uniform, KEYS);
    int succeeded = uniform.total() - uniform.contended().get();
    double rate = succeeded / (double) uniform.total();
    String test = "TieredConditionalUpdateIntegrationTests";
    ReliabilityFigures.record(test, "uniform.updates", uniform.total());
    ReliabilityFigures.record(test, "uniform.successRate", rate);
    ReliabilityFigures.record(test, "uniform.attemptsPerUpdate", uniform.attempts().get() / (double) uniform.total());
    assertThat(rate).as("updates within " + AbstractCache.MAX_UPDATE_ATTEMPTS + " attempts").isGreaterThanOrEqualTo(0.99);

    // the hot key: every client on one key
    String hotName = name + "-hot";
    List<MultiTenantCache<String, String>> hotInstances = new ArrayList<>();
    for (int i = 0; i < INSTANCES; i++) {
      hotInstances.add(instance(hotName));
    }
    int hotPerClient = Math.max(5, perClient / 6);
    Run hot = run(hotInstances, 1, hotPerClient);
    assertAppliedExactlyOnce(hotName, hot, 1);
    double hotRate = (hot.total() - hot.contended().get()) / (double) hot.total();
    ReliabilityFigures.record(test, "hot.updates", hot.total());
    ReliabilityFigures.record(test, "hot.successRate", hotRate);
    ReliabilityFigures.record(test, "hot.attemptsPerUpdate", hot.attempts().get() / (double) hot.total());
    System.out.printf(
        "conditional updates: uniform %d updates, %.4f within bound, %.2f attempts each; hot key %d updates,"
            + " %.4f within bound, %.2f attempts each%n",
        uniform.total(), rate, uniform.attempts().get() / (double) uniform.total(), hot.total(), hotRate,
        hot.attempts().get() / (double) hot.total());
  }
}
