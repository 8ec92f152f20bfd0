package dev.cachet.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.resilience.ResilienceTestSupport.Node;
import dev.cachet.resilience.ResilienceTestSupport.Workload;
import dev.cachet.Tier;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.ReliabilityFigures;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import dev.cachet.testing.redis.RedisNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Resharding under load on the 6-node cluster: every slot of the master that holds the cache's shard
 * channel (and with them a third of the data keys) moves to another master with {@code redis-cli
 * --cluster reshard} while four threads use one instance and another instance reads. Lettuce follows
 * {@code MOVED}/{@code ASK}; afterwards an invalidation from one instance still reaches the other, no
 * caller of either instance (B runs two threads of the same workload) saw an exception or a wrong
 * value, the breaker never opened, and each instance's memory hit rate is back within 10 points of its
 * level before the reshard within 10 s of the reshard's end.
 */
class ReshardingIntegrationTests {

  private static final ResilienceSettings SETTINGS = ResilienceSettings.testing();

  @Test
  void reshardChannelAndDataSlots_underLoad_invalidationsStillArrive_noWrongValue(
      @RedisClusterServers(owned = true) RedisCluster cluster) throws Exception {
    cluster.awaitHealthy(Duration.ofSeconds(30));
    try (Node a = ResilienceTestSupport.node("reshard", ResilienceTestSupport.clusterConnections(cluster.seedUris(), SETTINGS), "rs", SETTINGS, b -> {});
        Node b = ResilienceTestSupport.node("reshard", ResilienceTestSupport.clusterConnections(cluster.seedUris(), SETTINGS), "rs", SETTINGS, x -> {})) {
      long[] opened = new long[1];
      a.breaker().getEventPublisher().onStateTransition(e -> {
        if (e.getStateTransition().getToState() == io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN) {
          opened[0]++;
        }
      });
      assertInvalidationArrives(a, b, "before");
      RedisNode seed = cluster.masters().get(0);
      int channelSlot = Integer.parseInt(seed.command("CLUSTER", "KEYSLOT", "rs:reshard:bus").trim());
      RedisNode source = null;
      for (RedisNode m : cluster.masters()) {
        if (ownsSlot(m, channelSlot)) {
          source = m;
        }
      }
      assertThat(source).as("the master of slot %s", channelSlot).isNotNull();
      RedisNode target = cluster.masters().stream().filter(m -> !ownsSlot(m, channelSlot)).findFirst().orElseThrow();
      String sourceId = source.command("CLUSTER", "MYID").trim();
      String targetId = target.command("CLUSTER", "MYID").trim();

      try (Workload w = new Workload(a.cache, a.breaker(), a::inFlight, 4, 256);
          Workload wb = new Workload(b.cache, b.breaker(), b::inFlight, 2, 256)) {
        long warm = w.calls.get() + 200;
        Eventually.await(Duration.ofSeconds(20), "warm-up calls", () -> w.calls.get() >= warm);
        long warmB = wb.calls.get() + 100;
        Eventually.await(Duration.ofSeconds(20), "warm-up calls on B", () -> wb.calls.get() >= warmB);
        double beforeA = hitRate(a, w, 600);
        double beforeB = hitRate(b, wb, 300);
        long start = System.nanoTime();
        Process reshard = new ProcessBuilder("redis-cli", "--cluster", "reshard",
            source.host() + ":" + source.port(), "--cluster-from", sourceId, "--cluster-to", targetId,
            "--cluster-slots", "16384", "--cluster-yes", "--cluster-pipeline", "100")
            .redirectErrorStream(true).start();
        byte[] out = reshard.getInputStream().readAllBytes();
        assertThat(reshard.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(reshard.exitValue()).as(new String(out, StandardCharsets.UTF_8)).isZero();
        long reshardEnd = System.nanoTime();
        long reshardMillis = (reshardEnd - start) / 1_000_000;
        assertThat(ownsSlot(target, channelSlot)).isTrue();
        // the memory hit rate is back within 10 points of its level before the reshard within 10 s: the
        // rate over consecutive windows of calls, until one window reaches it (each window ends on an
        // event, a number of calls, not on a timer)
        long backA = backWithin(a, w, 600, beforeA, reshardEnd);
        long backB = backWithin(b, wb, 300, beforeB, reshardEnd);
        long afterCalls = w.calls.get() + 200;
        Eventually.await(Duration.ofSeconds(20), "calls after resharding", () -> w.calls.get() >= afterCalls);
        w.close();
        wb.close();
        ReliabilityFigures.record("ReshardingIntegrationTests", "memoryHitRateBeforePercentA", Math.round(beforeA * 100));
        ReliabilityFigures.record("ReshardingIntegrationTests", "memoryHitRateBeforePercentB", Math.round(beforeB * 100));
        ReliabilityFigures.record("ReshardingIntegrationTests", "memoryHitRateBackMillisA", backA);
        ReliabilityFigures.record("ReshardingIntegrationTests", "memoryHitRateBackMillisB", backB);
        ReliabilityFigures.record("ReshardingIntegrationTests", "callsB", wb.calls.get());
        assertThat(backA).as("A's memory hit rate back within 10 points (of %.2f) within 10 s", beforeA)
            .isLessThanOrEqualTo(10_000);
        assertThat(backB).as("B's memory hit rate back within 10 points (of %.2f) within 10 s", beforeB)
            .isLessThanOrEqualTo(10_000);
        assertThat(wb.exceptions).as(wb.describe()).isEmpty();
        assertThat(wb.wrongValues.get()).isZero();
        ReliabilityFigures.record("ReshardingIntegrationTests", "reshardMillis", reshardMillis);
        ReliabilityFigures.record("ReshardingIntegrationTests", "calls", w.calls.get());
        ReliabilityFigures.record("ReshardingIntegrationTests", "callerExceptions", w.exceptions.size());
        ReliabilityFigures.record("ReshardingIntegrationTests", "wrongValues", w.wrongValues.get());
        ReliabilityFigures.record("ReshardingIntegrationTests", "breakerOpened", opened[0]);
        ReliabilityFigures.record("ReshardingIntegrationTests", "serverBusyErrors", a.remoteErrors(RemoteErrorReason.SERVER_BUSY));
        assertThat(w.exceptions).as(w.describe()).isEmpty();
        assertThat(w.wrongValues.get()).isZero();
      }
      long sent = System.nanoTime();
      Eventually.await(Duration.ofSeconds(10), Duration.ofMillis(200), "invalidations reach the other instance after resharding",
          () -> assertInvalidationArrives(a, b, "after"));
      ReliabilityFigures.record("ReshardingIntegrationTests", "invalidationAfterReshardMillis", (System.nanoTime() - sent) / 1_000_000);
      assertThat(opened[0]).as("the breaker never opened").isZero();
    }
  }

  private static boolean ownsSlot(RedisNode master, int slot) {
    String nodes = master.command("CLUSTER", "NODES");
    for (String line : nodes.split("\n")) {
      if (!line.contains("myself")) {
        continue;
      }
      String[] parts = line.trim().split(" ");
      for (int i = 8; i < parts.length; i++) {
        String range = parts[i];
        if (range.startsWith("[")) {
          continue;
        }
        String[] ends = range.split("-");
        int lo = Integer.parseInt(ends[0]);
        int hi = ends.length > 1 ? Integer.parseInt(ends[1]) : lo;
        if (slot >= lo && slot <= hi) {
          return true;
        }
      }
    }
    return false;
  }

  /** The memory hit rate of {@code node} over the next {@code calls} workload calls. */
  private static double hitRate(Node node, Workload w, int calls) {
    long hits = node.instrumentation.tierGetCount(Tier.MEMORY, true);
    long misses = node.instrumentation.tierGetCount(Tier.MEMORY, false);
    long until = w.calls.get() + calls;
    Eventually.await(Duration.ofSeconds(30), calls + " workload calls", () -> w.calls.get() >= until);
    long h = node.instrumentation.tierGetCount(Tier.MEMORY, true) - hits;
    long m = node.instrumentation.tierGetCount(Tier.MEMORY, false) - misses;
    return h + m == 0 ? 0 : (double) h / (h + m);
  }

  /**
   * Milliseconds from {@code since} to the end of the first window of {@code calls} calls whose memory
   * hit rate is within 10 points of {@code before}; gives up (and returns the time so far) after 20 s.
   */
  private static long backWithin(Node node, Workload w, int calls, double before, long since) {
    while (true) {
      double rate = hitRate(node, w, calls);
      long elapsed = (System.nanoTime() - since) / 1_000_000;
      if (rate >= before - 0.10 || elapsed > 20_000) {
        return elapsed;
      }
    }
  }

  private static int round;

  /** B caches a key, A changes it; B must see the change (not its stale memory copy) within 3 s. */
  private static void assertInvalidationArrives(Node a, Node b, String when) {
    String key = "inv-" + when + "-" + (round++);
    a.cache.put(key, "v1");
    assertThat(b.cache.get(key, k -> "loaded")).isEqualTo("v1");
    a.cache.put(key, "v2");
    Eventually.await(Duration.ofSeconds(3), "B sees A's change " + when + " resharding",
        () -> "v2".equals(b.cache.getIfPresent(key)));
  }

}
