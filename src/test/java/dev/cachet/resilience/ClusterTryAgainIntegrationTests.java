package dev.cachet.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.resilience.ResilienceTestSupport.Node;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.ReliabilityFigures;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import dev.cachet.testing.redis.RedisNode;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A real {@code TRYAGAIN} from a real cluster: a slot holding three of the cache's keys is put into
 * {@code MIGRATING} on its owner and {@code IMPORTING} on another master, and one of the three keys is
 * moved with {@code MIGRATE}. Redis then answers the cache's {@code MGET} over the three keys with
 * {@code TRYAGAIN} (some keys here, some there) until the migration finishes. The cache retries it,
 * counts every refused attempt as {@code server_busy}, and, once the harness finishes the migration
 * (which it does only after the first {@code TRYAGAIN} was counted), returns the right values from
 * Redis: no loader call, no degraded state, no open breaker.
 */
class ClusterTryAgainIntegrationTests {

  /**
   * Enough retries (10 attempts, 100..400 ms apart: about 3 s) to outlast the harness finishing the
   * migration, and a breaker window larger than one call's attempts, so that the retried call alone
   * cannot open it (with a workload, successes of other calls fill the window in the same way).
   */
  private static final ResilienceSettings SETTINGS =
      ResilienceSettings.newBuilder(ResilienceSettings.testing())
          .maxAttempts(10)
          .initialBackoff(Duration.ofMillis(100))
          .backoffMultiplier(2)
          .maxBackoff(Duration.ofMillis(400))
          .slidingWindowSize(50)
          .minimumNumberOfCalls(50)
          .build();

  @Test
  void mgetDuringSlotMigration_getsTryAgain_retriedAndCounted_noDegradedResult_noWrongValue(
      @RedisClusterServers(owned = true) RedisCluster cluster) throws Exception {
    cluster.awaitHealthy(Duration.ofSeconds(30));
    try (Node a = ResilienceTestSupport.node("tryagain", ResilienceTestSupport.clusterConnections(cluster.seedUris(), SETTINGS), "ta", SETTINGS, x -> {});
        Node b = ResilienceTestSupport.node("tryagain", ResilienceTestSupport.clusterConnections(cluster.seedUris(), SETTINGS), "ta", SETTINGS, x -> {})) {
      // three keys whose Redis keys share a slot: the entry key is the cache key after a fixed prefix
      a.cache.put("probe", "v-probe");
      String probeKey = redisKeys(cluster, "ta:tryagain:*").stream().filter(k -> k.endsWith(":k:probe"))
          .findFirst().orElseThrow(() -> new AssertionError("no entry key ending in :k:probe"));
      String template = probeKey.substring(0, probeKey.length() - "probe".length());
      List<String> keys = sameSlotKeys(template, 3);
      int slot = SlotHash.getSlot(template + keys.get(0));
      Map<String, String> expected = new LinkedHashMap<>();
      for (String key : keys) {
        a.cache.put(key, "v-" + key);
        expected.put(key, "v-" + key);
      }
      RedisNode source = owner(cluster, slot);
      RedisNode target = cluster.masters().stream().filter(m -> m != source).findFirst().orElseThrow();
      String sourceId = source.command("CLUSTER", "MYID").trim();
      String targetId = target.command("CLUSTER", "MYID").trim();

      target.command("CLUSTER", "SETSLOT", Integer.toString(slot), "IMPORTING", sourceId);
      source.command("CLUSTER", "SETSLOT", Integer.toString(slot), "MIGRATING", targetId);
      migrate(source, target, template + keys.get(0));
      assertThatThrownBy(() -> source.command("MGET", template + keys.get(0), template + keys.get(1), template + keys.get(2)))
          .as("Redis answers a multi-key command over a half-moved slot with TRYAGAIN")
          .hasMessageContaining("TRYAGAIN");

      long busyBefore = b.remoteErrors(RemoteErrorReason.SERVER_BUSY);
      long retriedOkBefore = Resilience.retryOf(b.cache).orElseThrow().getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt();
      AtomicLong loads = new AtomicLong();
      long[] opened = new long[1];
      b.breaker().getEventPublisher().onStateTransition(e -> {
        if (e.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
          opened[0]++;
        }
      });
      long start = System.nanoTime();
      CompletableFuture<Map<String, String>> read = CompletableFuture.supplyAsync(() -> b.cache.getAll(keys, missing -> {
        loads.addAndGet(missing.size());
        Map<String, String> loaded = new HashMap<>();
        missing.forEach(k -> loaded.put(k, "loaded"));
        return loaded;
      }));
      // the event the migration waits for: the cache's MGET was refused with TRYAGAIN (and counted)
      Eventually.await(Duration.ofSeconds(10), "the cache's MGET got TRYAGAIN",
          () -> b.remoteErrors(RemoteErrorReason.SERVER_BUSY) > busyBefore);
      assertThat(read).as("still retrying: the migration has not finished").isNotDone();
      for (int i = 1; i < keys.size(); i++) {
        migrate(source, target, template + keys.get(i));
      }
      for (RedisNode master : cluster.masters()) {
        master.command("CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", targetId);
      }
      Map<String, String> values = read.get(30, TimeUnit.SECONDS);
      long readMillis = (System.nanoTime() - start) / 1_000_000;
      long tryAgains = b.remoteErrors(RemoteErrorReason.SERVER_BUSY) - busyBefore;

      assertThat(values).as("the values from Redis, none wrong").isEqualTo(expected);
      assertThat(loads.get()).as("no degraded result: the loader was never called").isZero();
      assertThat(b.cache.health().details()).containsEntry("degraded", "false");
      assertThat(opened[0]).as("the breaker never opened").isZero();
      assertThat(Resilience.retryOf(b.cache).orElseThrow().getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt())
          .as("the call succeeded after a retry").isGreaterThan(retriedOkBefore);
      // after the migration, calls succeed at once, from the new owner
      try (Node c = ResilienceTestSupport.node("tryagain", ResilienceTestSupport.clusterConnections(cluster.seedUris(), SETTINGS), "ta", SETTINGS, x -> {})) {
        long busy = c.remoteErrors(RemoteErrorReason.SERVER_BUSY);
        assertThat(c.cache.getAll(keys, missing -> Map.of())).isEqualTo(expected);
        assertThat(c.remoteErrors(RemoteErrorReason.SERVER_BUSY)).isEqualTo(busy);
      }
      assertThat(target.command("CLUSTER", "COUNTKEYSINSLOT", Integer.toString(slot)).trim()).isEqualTo("3");
      ReliabilityFigures.record("ClusterTryAgainIntegrationTests", "tryAgainErrorsCounted", tryAgains);
      ReliabilityFigures.record("ClusterTryAgainIntegrationTests", "retriedReadMillis", readMillis);
      ReliabilityFigures.record("ClusterTryAgainIntegrationTests", "loaderCalls", loads.get());
      ReliabilityFigures.record("ClusterTryAgainIntegrationTests", "wrongValues", values.equals(expected) ? 0 : 1);
    }
  }

  private static void migrate(RedisNode source, RedisNode target, String key) {
    String reply = source.command("MIGRATE", target.host(), Integer.toString(target.port()), "", "0", "5000", "KEYS", key);
    assertThat(reply).as("MIGRATE %s", key).isEqualTo("OK");
  }

  /** {@code count} cache keys {@code k<i>} whose Redis keys ({@code template + key}) share a slot. */
  private static List<String> sameSlotKeys(String template, int count) {
    Map<Integer, List<String>> bySlot = new HashMap<>();
    for (int i = 0; ; i++) {
      String key = "k" + i;
      List<String> same = bySlot.computeIfAbsent(SlotHash.getSlot(template + key), s -> new ArrayList<>());
      same.add(key);
      if (same.size() == count) {
        return same;
      }
    }
  }

  private static List<String> redisKeys(RedisCluster cluster, String pattern) {
    List<String> keys = new ArrayList<>();
    for (RedisNode master : cluster.masters()) {
      String reply = master.command("KEYS", pattern);
      if (reply != null && !reply.isEmpty()) {
        keys.addAll(List.of(reply.split("\n")));
      }
    }
    return keys;
  }

  private static RedisNode owner(RedisCluster cluster, int slot) {
    for (RedisNode master : cluster.masters()) {
      if (master.command("CLUSTER", "COUNTKEYSINSLOT", Integer.toString(slot)).trim().equals("0")) {
        continue; // COUNTKEYSINSLOT answers for any slot; the owner is the one holding the keys
      }
      return master;
    }
    throw new AssertionError("no master holds keys of slot " + slot);
  }
}
