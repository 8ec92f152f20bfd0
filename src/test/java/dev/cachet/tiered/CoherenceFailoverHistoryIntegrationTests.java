package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.history.History;
import dev.cachet.testing.history.HistoryChecker;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import dev.cachet.testing.redis.RedisNode;
import dev.cachet.testing.redis.RedisSentinel;
import dev.cachet.testing.redis.RedisSentinelServers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The history checker of {@link CoherenceHistoryIntegrationTests} (same workload, same bound) across a
 * failover of the cache's Redis shard: on an owned 6-node cluster, the slot of the cache's sharded
 * invalidation channel and the slots of its data keys on that master move to another master while three
 * instances run the workload. Clients follow {@code ASK}/{@code MOVED}; the old owner drops the shard
 * channel's subscribers, which resubscribe where it lives now and confirm their sync like after any
 * broken subscription. The model's bound for a failover holds: no wrong value, no read staler than D.
 */
class CoherenceFailoverHistoryIntegrationTests {

  private static final String PREFIX = "hist";

  @RegisterExtension final TieredInstances fleet = new TieredInstances();

  private TieredCache<String, String> instance(RedisCluster cluster, String name) {
    return fleet.on(fleet.add(RedisConnections.createCluster(cluster.seedUris())), PREFIX, name, b -> {});
  }

  @Test
  void clusterSlotMove_ofTheChannelAndDataKeys_underThreeInstances(
      @RedisClusterServers(owned = true) RedisCluster cluster) throws Exception {
    cluster.awaitHealthy(Duration.ofSeconds(30));
    String name = TieredInstances.uniqueName("hist");
    List<TieredCache<String, String>> instances =
        List.of(instance(cluster, name), instance(cluster, name), instance(cluster, name));
    for (TieredCache<String, String> cache : instances) {
      dev.cachet.testing.Eventually.await(Duration.ofSeconds(20), "subscribed",
          () -> cache.coherence().isSubscribed());
    }
    long[] resubscribedBefore = new long[instances.size()];
    for (int i = 0; i < instances.size(); i++) {
      resubscribedBefore[i] = instances.get(i).coherence().resubscriptions();
    }
    String channel = PREFIX + ":" + name + ":bus";
    int channelSlot = Integer.parseInt(cluster.masters().get(0).command("CLUSTER", "KEYSLOT", channel).trim());
    int[] moved = new int[1];
    History history = CoherenceHistoryIntegrationTests.run(instances, (running, stops) -> {
      CoherenceHistoryIntegrationTests.pause(Duration.ofMillis(1000), running);
      RedisNode source = cluster.ownerOf(channelSlot);
      RedisNode target = cluster.masters().stream().filter(m -> m.port() != source.port()).findFirst().orElseThrow();
      // the slots of the cache's keys on that master (a third of them), then the channel's
      Set<Integer> slots = new TreeSet<>();
      String cursor = "0";
      do {
        List<?> page = (List<?>) source.call("SCAN", cursor, "MATCH", PREFIX + ":" + name + ":*", "COUNT", "1000");
        cursor = (String) page.get(0);
        for (Object key : (List<?>) page.get(1)) {
          slots.add(Integer.parseInt(source.command("CLUSTER", "KEYSLOT", (String) key).trim()));
        }
      } while (!cursor.equals("0"));
      slots.remove(channelSlot);
      for (int slot : slots) {
        cluster.moveSlot(slot, target);
      }
      cluster.moveSlot(channelSlot, target);
      moved[0] = slots.size() + 1;
      CoherenceHistoryIntegrationTests.pause(Duration.ofMillis(2000), running);
    });
    HistoryChecker.Result result = CoherenceHistoryIntegrationTests.checkAndLog("cluster slot move", history);
    assertThat(moved[0]).as("slots moved").isGreaterThan(1);
    assertThat(result.ok()).as(result.toString()).isTrue();
    assertThat(result.hits()).as("reads that returned a value").isPositive();
    for (int i = 0; i < instances.size(); i++) {
      TieredCache<String, String> cache = instances.get(i);
      assertThat(cache.coherence().resubscriptions())
          .as("the slot move took effect: instance %s's sharded subscription was dropped and renewed", i)
          .isGreaterThan(resubscribedBefore[i]);
      assertThat(cache.coherence().clearCount()).as(cache.coherence().lastClearReason()).isZero();
    }
    CoherenceHistoryIntegrationTests.assertNoneDegraded(instances);
  }

  @Test
  void sentinelFailover_underThreeInstances(@RedisSentinelServers(owned = true) RedisSentinel sentinel)
      throws Exception {
    String name = TieredInstances.uniqueName("hist");
    List<TieredCache<String, String>> instances = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      instances.add(fleet.on(fleet.add(RedisConnections.create(sentinel.sentinelUri())), PREFIX, name, b -> {}));
    }
    for (TieredCache<String, String> cache : instances) {
      dev.cachet.testing.Eventually.await(Duration.ofSeconds(20), "subscribed",
          () -> cache.coherence().isSubscribed());
    }
    RedisNode[] demoted = new RedisNode[1];
    CoherenceHistoryIntegrationTests.WriteGate writes = new CoherenceHistoryIntegrationTests.WriteGate();
    History history = CoherenceHistoryIntegrationTests.run(instances, writes, (running, stops) -> {
      CoherenceHistoryIntegrationTests.pause(Duration.ofMillis(1000), running);
      // Between the replica's promotion and the old master's demotion both accept writes, and Redis drops
      // what the old one acknowledged then (asynchronous replication; see the model): not Cachet's to
      // check, so writes pause for the switch itself, reads go on throughout. Writes resume on the
      // demoted master: READONLY, and each instance's connections move to the new master.
      writes.pause();
      RedisNode oldMaster = sentinel.master();
      demoted[0] = oldMaster;
      long written = Long.parseLong(oldMaster.info("replication").get("master_repl_offset"));
      dev.cachet.testing.Eventually.await(Duration.ofSeconds(10), "the replica has every write", () ->
          Long.parseLong(sentinel.replica().info("replication").get("slave_repl_offset")) >= written);
      sentinel.failover();
      writes.resume();
      CoherenceHistoryIntegrationTests.pause(Duration.ofMillis(2500), running);
    });
    HistoryChecker.Result result = CoherenceHistoryIntegrationTests.checkAndLog("sentinel failover", history);
    assertThat(result.ok()).as(result.toString()).isTrue();
    assertThat(result.hits()).as("reads that returned a value").isPositive();
    assertThat(demoted[0].info("errorstats").getOrDefault("errorstat_READONLY", "none"))
        .as("the failover took effect: writes reached the demoted master, which answered READONLY")
        .startsWith("count=");
    for (TieredCache<String, String> cache : instances) {
      assertThat(cache.coherence().clearCount()).as(cache.coherence().lastClearReason()).isZero();
    }
  }
}
