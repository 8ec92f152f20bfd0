package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.spi.RemoteTier;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import dev.cachet.testing.redis.RedisNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Cluster node connections are open before the first command: a cache built on a fresh cluster
 * connection writes to every slot range at once with no rejection, and a failover's new master gets its
 * connection opened in the background. No warm-up anywhere.
 */
class RedisClusterConnectionsIntegrationTests {

  private static RemoteTier<String> tier(RedisConnections c, String name) {
    return RedisCacheBuilder.newBuilder(String.class, String.class)
        .name(name)
        .connections(c)
        .keyRing(RedisTestSupport.RING)
        .buildRemoteTier();
  }

  /** Issues 512 puts at once (keys over every slot range) and returns how many failed. */
  private static int burst(RemoteTier<String> tier, String tag) throws InterruptedException {
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int i = 0; i < 512; i++) {
      writes.add(tier.put(tag + "-" + i, "v" + i, Duration.ofMinutes(1)));
    }
    int failed = 0;
    for (CompletableFuture<Void> w : writes) {
      try {
        w.get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        failed++;
      }
    }
    return failed;
  }

  private static void assertEveryMasterHoldsKeys(RedisCluster cluster) {
    for (RedisNode master : cluster.masters()) {
      assertThat(Long.parseLong(master.command("DBSIZE").trim()))
          .as("keys on master %s", master)
          .isPositive();
    }
  }

  @Test
  void freshClusterAndFreshConnection_writesToEverySlotRangeAtOnce_noRejections(
      @RedisClusterServers(owned = true) RedisCluster cluster) throws Exception {
    try (RedisConnections c = RedisConnections.createCluster(cluster.seedUris());
        RemoteTier<String> tier = tier(c, "fresh")) {
      assertThat(c.isConnected()).isTrue();
      assertThat(burst(tier, "k")).isZero();
      assertEveryMasterHoldsKeys(cluster);
      assertThat(tier.getAll(List.of("k-0", "k-1", "k-511")).get(5, TimeUnit.SECONDS)).hasSize(3);
    }
  }

  @Test
  void sharedCluster_newConnection_noRejectionsOnFirstCommands(
      @RedisClusterServers RedisCluster cluster) throws Exception {
    try (RedisConnections c = RedisConnections.createCluster(cluster.seedUris());
        RemoteTier<String> tier = tier(c, "fresh-shared")) {
      assertThat(c.nodeConnectionAttempts()).isEqualTo(3);
      assertThat(burst(tier, "k")).isZero();
    }
  }

  @Test
  void afterFailover_newMastersConnectionIsOpenedInTheBackground(
      @RedisClusterServers(owned = true) RedisCluster cluster) throws Exception {
    try (RedisConnections c = RedisConnections.createCluster(cluster.seedUris());
        RemoteTier<String> tier = tier(c, "failover")) {
      assertThat(burst(tier, "before")).isZero();
      long initial = c.nodeConnectionAttempts();
      RedisNode killed = cluster.killMaster(0);
      RedisNode promoted = cluster.awaitFailover(killed, Duration.ofSeconds(30));
      // Lettuce notices the change (adaptive or periodic refresh) and reports it on the event bus.
      Eventually.await(
          Duration.ofSeconds(30),
          "node connections reopened after the topology change",
          () -> c.nodeConnectionAttempts() > initial);
      Eventually.await(
          Duration.ofSeconds(30),
          "a connection from the tier to the promoted master " + promoted,
          () -> promoted.command("CLIENT", "LIST").lines().count() >= 2);
      // Writes to the failed-over range resume; once they do, a whole burst has no failure.
      Eventually.await(
          Duration.ofSeconds(30), "writes to every slot range succeed", () -> burstQuietly(tier) == 0);
      assertThat(burst(tier, "after")).isZero();
    }
  }

  private static int burstQuietly(RemoteTier<String> tier) {
    try {
      return burst(tier, "probe");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
