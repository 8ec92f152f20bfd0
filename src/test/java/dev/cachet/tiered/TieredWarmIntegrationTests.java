package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.BulkLoader;
import dev.cachet.WarmReport;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.ReliabilityFigures;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code warm(keys, loader)} on many tiered instances at once (issue 19): instances started together on
 * the same 1,000 keys call the loader once per key in total, each instance's report adds up, and
 * afterwards every instance reads every key from memory or Redis without loading. Figures go to {@link
 * ReliabilityFigures} (docs/reliability.md).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TieredWarmIntegrationTests {

  private static final int KEYS = 1_000;

  @RegisterExtension final TieredInstances instances = new TieredInstances();

  private static List<String> keys() {
    List<String> keys = new ArrayList<>(KEYS);
    for (int i = 0; i < KEYS; i++) {
      keys.add("key-" + i);
    }
    return keys;
  }

  @Test
  void twentyInstances_warmingTheSameKeysAtOnce_callTheLoaderOncePerKey(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    String name = TieredInstances.uniqueName("warm");
    List<TieredCache<String, String>> fleet = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      fleet.add(instances.on(redis, name));
    }
    warmTogether("TieredWarmIntegrationTests.standalone", fleet);
  }

  @Test
  void sixInstancesOnACluster_warmingTheSameKeysAtOnce_callTheLoaderOncePerKey(
      @RedisClusterServers RedisCluster cluster) throws Exception {
    String name = TieredInstances.uniqueName("warm");
    List<TieredCache<String, String>> fleet = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      RedisConnections connections = instances.add(RedisConnections.createCluster(cluster.seedUris()));
      TieredCache<String, String> cache = instances.on(connections, "warm-cluster", name, b -> {});
      // until every node connection is open a redirected command can be rejected: write once per slot range
      Eventually.await(Duration.ofSeconds(20), "every node accepts writes", () -> {
        for (int k = 0; k < 64; k++) {
          cache.put("probe-" + k, "x");
        }
      });
      cache.invalidateAll(probeKeys());
      fleet.add(cache);
    }
    warmTogether("TieredWarmIntegrationTests.cluster", fleet);
  }

  /** Keys a0..a4 then b0..b4: with batches of 5, the a-batch and the b-batch. */
  private static List<String> twoBatches() {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      keys.add("b" + i);
      keys.add("a" + i);
    }
    return keys;
  }

  private static BulkLoader<String, String> recording(List<List<String>> calls, String source) {
    return batch -> {
      calls.add(List.copyOf(new java.util.TreeSet<>(batch)));
      Map<String, String> values = new HashMap<>();
      batch.forEach(k -> values.put(k, source + "-" + k));
      return values;
    };
  }

  /** A warm of {@code aBatch} by {@code holder} whose loader holds the batch lease until {@link #finish}. */
  private record HeldBatch(CompletableFuture<WarmReport> warm, CountDownLatch release) {
    /** Starts the warm and returns once its loader runs (the holder has the batch's lease). */
    static HeldBatch start(TieredCache<String, String> holder, List<String> aBatch) throws InterruptedException {
      CountDownLatch holding = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<WarmReport> warm =
          holder.async().warm(aBatch, batch -> {
            holding.countDown();
            assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
            Map<String, String> values = new HashMap<>();
            batch.forEach(k -> values.put(k, "holder-" + k));
            return values;
          }, 5);
      assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
      return new HeldBatch(warm, release);
    }

    /** Lets the loader return and waits for the holder's report. */
    WarmReport finish() throws Exception {
      release.countDown();
      return warm.get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void batchLeaseHeldByAnotherInstance_isPutOff_thenWaitedFor_andItsKeysAreNotLoadedAgain(
      @RedisStandaloneServer RedisServer redis) throws Exception {
    String name = TieredInstances.uniqueName("warm");
    TieredCache<String, String> holder = instances.on(redis, name);
    TieredCache<String, String> other = instances.on(redis, name);
    List<String> aBatch = List.of("a0", "a1", "a2", "a3", "a4");
    HeldBatch first = HeldBatch.start(holder, aBatch); // the holder has the a-batch's lease
    List<List<String>> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<WarmReport> second = other.async().warm(twoBatches(), recording(calls, "other"), 5);
    // the a-batch's lease is busy: the other instance puts it off and loads the b-batch first
    Eventually.await(Duration.ofSeconds(30), "the b-batch was loaded", () -> assertThat(calls).hasSize(1));
    assertThat(calls.get(0)).containsExactly("b0", "b1", "b2", "b3", "b4");
    WarmReport holderReport = first.finish();
    WarmReport otherReport = second.get(30, TimeUnit.SECONDS);
    assertThat(holderReport.loaded()).isEqualTo(5);
    // once the lease was free, the re-read found the holder's values: the a-keys were not loaded again
    assertThat(calls).hasSize(1);
    assertThat(otherReport.loaded()).as(otherReport.toString()).isEqualTo(5);
    assertThat(otherReport.alreadyPresent()).as(otherReport.toString()).isEqualTo(5);
    assertThat(otherReport.possibleDuplicates()).isZero();
    assertThat(other.getIfPresent("a3")).isEqualTo("holder-a3");
  }

  @Test
  void batchLeaseHeldLongerThanTheWaitBound_isLoadedAnyway_andCountedAsPossibleDuplicates(
      @RedisStandaloneServer RedisServer redis) throws Exception {
    String name = TieredInstances.uniqueName("warm");
    java.util.function.Consumer<TieredCacheBuilder<String, String>> shortWait =
        b -> b.crossInstanceLoading(Duration.ofSeconds(30), Duration.ofMillis(300));
    TieredCache<String, String> holder = instances.on(redis, name, shortWait);
    TieredCache<String, String> other = instances.on(redis, name, shortWait);
    List<String> aBatch = List.of("a0", "a1", "a2", "a3", "a4");
    HeldBatch first = HeldBatch.start(holder, aBatch);
    List<List<String>> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    WarmReport otherReport = other.async().warm(aBatch, recording(calls, "other"), 5).get(30, TimeUnit.SECONDS);
    WarmReport holderReport = first.finish();
    assertThat(calls).containsExactly(aBatch); // the holder was still loading after the wait bound
    assertThat(otherReport.loaded()).isEqualTo(5);
    assertThat(otherReport.possibleDuplicates()).as(otherReport.toString()).isEqualTo(5);
    assertThat(holderReport.possibleDuplicates()).isZero();
    assertThat(other.instrumentation().duplicateLoadCount()).isEqualTo(5);
    // SET NX: the first value written stays, on both instances
    assertThat(holder.getIfPresent("a1")).isEqualTo("other-a1");
  }

  @Test
  void batchLeaseLostWhileLoading_isReportedAsPossibleDuplicates_byItsFormerHolder(
      @RedisStandaloneServer RedisServer redis) throws Exception {
    String name = TieredInstances.uniqueName("warm");
    TieredCache<String, String> holder = instances.on(redis, name);
    TieredCache<String, String> other = instances.on(redis, name);
    List<String> aBatch = List.of("a0", "a1", "a2", "a3", "a4");
    HeldBatch first = HeldBatch.start(holder, aBatch);
    // the lease disappears while the holder loads (as if it expired during a long pause)
    String pattern = TieredTestSupport.prefixFrom(redis.keyPrefix()) + ":" + name + ":lease:*";
    List<?> leases = (List<?>) redis.call("KEYS", pattern);
    assertThat(leases).hasSize(1);
    redis.call("DEL", (String) leases.get(0));
    List<List<String>> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    WarmReport otherReport = other.async().warm(aBatch, recording(calls, "other"), 5).get(30, TimeUnit.SECONDS);
    WarmReport holderReport = first.finish();
    // two loads of each key, both reported: by the holder, whose lease was gone when it released it
    assertThat(calls).containsExactly(aBatch);
    assertThat(otherReport.possibleDuplicates()).isZero();
    assertThat(holderReport.loaded()).isEqualTo(5);
    assertThat(holderReport.possibleDuplicates()).as(holderReport.toString()).isEqualTo(5);
    assertThat(holder.getIfPresent("a2")).isEqualTo("other-a2"); // SET NX: the first write stays
  }

  private static List<String> probeKeys() {
    List<String> keys = new ArrayList<>();
    for (int k = 0; k < 64; k++) {
      keys.add("probe-" + k);
    }
    return keys;
  }

  /** Starts every instance's warm of the same keys at once (a latch), then checks loads and reports. */
  private static void warmTogether(String figures, List<TieredCache<String, String>> fleet) throws Exception {
    List<String> keys = keys();
    Map<String, AtomicInteger> callsPerKey = new ConcurrentHashMap<>();
    AtomicInteger loaderCalls = new AtomicInteger();
    BulkLoader<String, String> loader =
        batch -> {
          loaderCalls.incrementAndGet();
          Map<String, String> values = new HashMap<>();
          for (String key : batch) {
            callsPerKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            values.put(key, "value-of-" + key);
          }
          TimeUnit.MILLISECONDS.sleep(5); // a source that takes a little while per batch
          return values;
        };
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService callers = Executors.newFixedThreadPool(fleet.size());
    List<Future<CompletableFuture<WarmReport>>> started = new ArrayList<>();
    long began;
    List<WarmReport> reports = new ArrayList<>();
    try {
      for (int i = 0; i < fleet.size(); i++) {
        TieredCache<String, String> cache = fleet.get(i);
        List<String> order = new ArrayList<>(keys);
        java.util.Collections.shuffle(order, new java.util.Random(i)); // each instance in its own order
        started.add(callers.submit(() -> {
          start.await();
          return cache.async().warm(order, loader);
        }));
      }
      began = System.nanoTime();
      start.countDown();
      for (Future<CompletableFuture<WarmReport>> f : started) {
        reports.add(f.get(45, TimeUnit.SECONDS).get(45, TimeUnit.SECONDS));
      }
    } finally {
      callers.shutdownNow();
    }
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);

    long loadedKeys = callsPerKey.values().stream().mapToLong(AtomicInteger::get).sum();
    long reportedDuplicates = reports.stream().mapToLong(WarmReport::possibleDuplicates).sum();
    long reportedLoaded = reports.stream().mapToLong(WarmReport::loaded).sum();
    ReliabilityFigures.record(figures, "instances", fleet.size());
    ReliabilityFigures.record(figures, "keys", KEYS);
    ReliabilityFigures.record(figures, "keyLoads", loadedKeys);
    ReliabilityFigures.record(figures, "loaderCalls", loaderCalls.get());
    ReliabilityFigures.record(figures, "possibleDuplicates", reportedDuplicates);
    ReliabilityFigures.record(figures, "elapsedMillis", elapsedMillis);
    ReliabilityFigures.record(figures, "instancesThatLoaded", reports.stream().filter(r -> r.loaded() > 0).count());

    // every key loaded, once in total, unless an instance reported a possible duplicate (none expected)
    assertThat(callsPerKey).hasSize(KEYS);
    assertThat(loadedKeys).as("key loads across the fleet").isEqualTo(KEYS + reportedDuplicates);
    assertThat(reportedDuplicates).as("possible duplicates reported (a lease lost or a wait run out)").isZero();
    assertThat(reportedLoaded).isEqualTo(KEYS);
    for (WarmReport report : reports) {
      assertThat(report.requested()).as(report.toString()).isEqualTo(KEYS);
      assertThat(report.failed()).as(report.toString()).isZero();
      assertThat(report.absent()).as(report.toString()).isZero();
      assertThat(report.loaded() + report.alreadyPresent()).as(report.toString()).isEqualTo(KEYS);
    }

    // afterwards every instance reads every key from memory or Redis: no loader runs
    for (TieredCache<String, String> cache : fleet) {
      Map<String, String> values =
          cache.getAll(keys, batch -> { throw new AssertionError("loaded after the warm: " + batch.size()); });
      assertThat(values).hasSize(KEYS);
      assertThat(values.get("key-7")).isEqualTo("value-of-key-7");
    }
    assertThat(loadedKeys).isEqualTo(KEYS);
  }
}
