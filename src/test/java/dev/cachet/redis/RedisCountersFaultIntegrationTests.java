package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.CacheUnavailableException;
import dev.cachet.CounterContentionException;
import dev.cachet.CounterOutcomeUnknownException;
import dev.cachet.Counters;
import dev.cachet.KeyCodec;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.redis.FaultProxy;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counters under concurrency and lost replies: 4 instances (each its own connections, through one
 * {@link FaultProxy}) x 8 threads increment by 1 while the proxy cuts random server replies (the
 * scripts ran, their replies are lost with the connection, and Lettuce replays what was unanswered after
 * reconnecting). For every key: the final value is at least the increments that returned and at most
 * those plus the ones that ended in {@link CounterOutcomeUnknownException} (no call was applied twice,
 * none that returned was lost). Over 1,000 keys at least 99% of calls succeed; the hot-key success rate
 * is logged, not asserted. No timing is asserted.
 */
class RedisCountersFaultIntegrationTests {

  private static final Logger log = LoggerFactory.getLogger(RedisCountersFaultIntegrationTests.class);

  private static final int INSTANCES = 4;
  private static final int THREADS_PER_INSTANCE = 8;
  private static final double REPLY_CUT_PROBABILITY = 0.003;

  /** What one run saw, per key and in total. */
  static final class Tally {
    final AtomicLongArray successes;
    final AtomicLongArray unknown;
    final LongAdder contention = new LongAdder();
    final LongAdder unavailable = new LongAdder();
    final LongAdder calls = new LongAdder();
    final java.util.Map<String, LongAdder> unknownReasons = new java.util.concurrent.ConcurrentHashMap<>();

    Tally(int keys) {
      successes = new AtomicLongArray(keys);
      unknown = new AtomicLongArray(keys);
    }

    long total(AtomicLongArray a) {
      long sum = 0;
      for (int i = 0; i < a.length(); i++) {
        sum += a.get(i);
      }
      return sum;
    }

    double successRate() {
      return (double) total(successes) / calls.sum();
    }

    String describe() {
      return String.format(
          "calls=%d successes=%d unknown=%d %s contention=%d unavailable=%d success rate=%.4f",
          calls.sum(), total(successes), total(unknown), unknownReasons, contention.sum(),
          unavailable.sum(), successRate());
    }
  }

  static Cache<String, String> cache(RedisConnections c, String prefix) {
    return RedisCacheBuilder.<String, String>newBuilder()
        .name("fault-counters")
        .connections(c)
        .keyRing(RedisTestSupport.RING)
        .serializer(ValueSerializers.json(String.class))
        .keyCodec(KeyCodec.strings())
        .keyPrefix(prefix)
        .defaultTtl(Duration.ofMinutes(30))
        .build();
  }

  static Tally run(List<Counters<String>> instances, String keyPrefix, int keys, int callsPerThread)
      throws Exception {
    Tally tally = new Tally(keys);
    ExecutorService pool = Executors.newFixedThreadPool(INSTANCES * THREADS_PER_INSTANCE);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    try {
      for (Counters<String> counters : instances) {
        for (int t = 0; t < THREADS_PER_INSTANCE; t++) {
          futures.add(
              pool.submit(
                  () -> {
                    start.await();
                    for (int i = 0; i < callsPerThread; i++) {
                      int k = keys == 1 ? 0 : ThreadLocalRandom.current().nextInt(keys);
                      tally.calls.increment();
                      try {
                        counters.incrementBy(keyPrefix + k, 1);
                        tally.successes.incrementAndGet(k);
                      } catch (CounterOutcomeUnknownException e) {
                        tally.unknown.incrementAndGet(k);
                        String m = String.valueOf(e.getMessage());
                        String why = m.substring(m.indexOf(" and ") + 5, m.indexOf(");"));
                        tally.unknownReasons.computeIfAbsent(why, r -> new LongAdder()).increment();
                      } catch (CounterContentionException e) {
                        tally.contention.increment();
                      } catch (CacheUnavailableException e) {
                        tally.unavailable.increment();
                      }
                    }
                    return null;
                  }));
        }
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(10, TimeUnit.MINUTES); // a hang guard, not a timing assertion
      }
    } finally {
      pool.shutdownNow();
    }
    return tally;
  }

  /** Per key: successes <= final <= successes + unknown outcomes. */
  static void assertAtMostOnce(Counters<String> direct, String keyPrefix, Tally tally) {
    for (int k = 0; k < tally.successes.length(); k++) {
      long value = direct.get(keyPrefix + k);
      long ok = tally.successes.get(k);
      long unknown = tally.unknown.get(k);
      assertThat(value)
          .as("key %d: every increment that returned is counted once, and nothing is counted twice"
              + " (successes %d, unknown outcomes %d)", k, ok, unknown)
          .isBetween(ok, ok + unknown);
    }
  }

  @Test
  void fourInstancesTimesEightThreads_repliesCutAtRandom_appliedAtMostOnce(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    String prefix = "fc";
    List<RedisConnections> connections = new ArrayList<>();
    List<Cache<String, String>> caches = new ArrayList<>();
    try (FaultProxy proxy = FaultProxy.forward(redis);
        RedisConnections directConnections = RedisConnections.create(redis.uri());
        Cache<String, String> directCache = cache(directConnections, prefix)) {
      List<Counters<String>> instances = new ArrayList<>();
      for (int i = 0; i < INSTANCES; i++) {
        RedisConnections c = RedisConnections.create(proxy.uri());
        connections.add(c);
        Cache<String, String> cache = cache(c, prefix);
        caches.add(cache);
        instances.add(cache.counters().orElseThrow());
      }
      Counters<String> direct = directCache.counters().orElseThrow();

      proxy.resetRepliesAtRandom(REPLY_CUT_PROBABILITY);
      Tally spread = run(instances, "k", 1_000, 150);
      int cutSpread = proxy.repliesCut();
      proxy.resetRepliesAtRandom(0);
      long recognisedSpread = recognised(caches);
      log.info("counters over 1,000 keys, 32 clients, {} replies cut: {}; lost replies recognised on"
          + " re-read: {}", cutSpread, spread.describe(), recognisedSpread);
      assertAtMostOnce(direct, "k", spread);
      assertThat(cutSpread).as("replies were cut").isPositive();
      assertThat(spread.successRate()).as(spread.describe()).isGreaterThanOrEqualTo(0.99);

      proxy.resetRepliesAtRandom(REPLY_CUT_PROBABILITY);
      Tally hot = run(instances, "hot", 1, 40);
      int cutHot = proxy.repliesCut() - cutSpread;
      proxy.resetRepliesAtRandom(0);
      log.info("counters on one hot key, 32 clients, {} replies cut: {}; lost replies recognised on"
          + " re-read: {}", cutHot, hot.describe(), recognised(caches) - recognisedSpread);
      assertAtMostOnce(direct, "hot", hot);
      long conflicts = 0;
      long attempts = 0;
      for (Cache<String, String> cache : caches) {
        conflicts += ((LettuceRedisCache<String, String>) cache).instrumentation().counterConflictCount();
        attempts += ((LettuceRedisCache<String, String>) cache).instrumentation().counterAttemptCount();
      }
      log.info("hot-key success rate {} (attempts {}, conflicts {} over both runs)",
          String.format("%.4f", hot.successRate()), attempts, conflicts);
    } finally {
      caches.forEach(Cache::close);
      connections.forEach(RedisConnections::close);
    }
  }

  private static long recognised(List<Cache<String, String>> caches) {
    long n = 0;
    for (Cache<String, String> cache : caches) {
      n += ((RedisCounters) ((LettuceRedisCache<String, String>) cache).tier().counters().orElseThrow())
          .recognisedCount();
    }
    return n;
  }
}
