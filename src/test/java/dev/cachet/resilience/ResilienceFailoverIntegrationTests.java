package dev.cachet.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Tier;
import dev.cachet.redis.RedisConnections;
import dev.cachet.resilience.ResilienceTestSupport.Node;
import dev.cachet.resilience.ResilienceTestSupport.Workload;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import dev.cachet.testing.redis.RedisNode;
import dev.cachet.testing.redis.RedisSentinel;
import dev.cachet.testing.redis.RedisSentinelServers;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Failover under load: a cluster master or the Sentinel-managed master is killed while threads use the
 * cache; no caller sees an exception, and within 5 s of the failover the cache serves from Redis again
 * (a value written by one instance is read from Redis by another), without a restart.
 */
class ResilienceFailoverIntegrationTests {

  private static final Duration BACK_TO_REDIS = Duration.ofSeconds(5);
  private static final AtomicLong IDS = new AtomicLong();

  private static final ResilienceSettings SETTINGS =
      ResilienceSettings.newBuilder(ResilienceSettings.testing()).waitDurationInOpenState(Duration.ofMillis(500)).build();

  private static Node node(String name, RedisConnections connections) {
    return ResilienceTestSupport.node(name, connections, "failover", SETTINGS, b -> {});
  }

  /** One fresh key per call, written by {@code writer}, must be a Redis hit for {@code reader}. */
  private static void assertServedFromRedis(Node writer, Node reader) {
    for (int i = 0; i < 8; i++) { // 8 keys spread over the slots of every master
      String key = "fresh-" + IDS.incrementAndGet();
      writer.cache.put(key, "written");
      long hits = reader.instrumentation.tierGetCount(Tier.REDIS, true);
      assertThat(reader.cache.get(key, k -> "loaded")).isEqualTo("written");
      assertThat(reader.instrumentation.tierGetCount(Tier.REDIS, true)).isGreaterThan(hits);
    }
    assertThat(writer.cache.health().details()).containsEntry("degraded", "false");
  }

  private static void runFailover(Node a, Node b, Runnable kill, Runnable awaitFailover) throws Exception {
    try (Workload w = new Workload(a.cache, a.breaker(), a::inFlight, 4, 256)) {
      long target = w.calls.get() + 200;
      Eventually.await(Duration.ofSeconds(20), "warm-up calls", () -> w.calls.get() >= target);
      Eventually.await(Duration.ofSeconds(10), Duration.ofMillis(100),
          "both instances serve from Redis before the fault (" + a.cache.health() + " / " + b.cache.health() + ")",
          () -> assertServedFromRedis(a, b));

      kill.run();
      awaitFailover.run();
      long failedOverAt = System.nanoTime();
      Eventually.await(BACK_TO_REDIS, Duration.ofMillis(100),
          "Redis hits within " + BACK_TO_REDIS + " of the failover (" + w.describe() + ", " + a.cache.health() + ")",
          () -> assertServedFromRedis(a, b));
      long backMillis = (System.nanoTime() - failedOverAt) / 1_000_000;
      long after = w.calls.get() + 100;
      Eventually.await(Duration.ofSeconds(10), "calls after failover", () -> w.calls.get() >= after);
      w.close();
      System.out.printf("failover: back to Redis hits %d ms after the failover; %s%n", backMillis, w.describe());
      assertThat(w.exceptions).as("no caller saw an exception: " + w.describe()).isEmpty();
      assertThat(w.wrongValues.get()).isZero();
      assertThat(w.maxLatencyMillis()).isLessThanOrEqualTo(a.remoteTimeout.toMillis() + 300);
    }
  }

  @Test
  void clusterMasterKilledUnderLoad_backToRedisWithin5s_noCallerException(
      @RedisClusterServers(owned = true) RedisCluster cluster) throws Exception {
    cluster.awaitHealthy(Duration.ofSeconds(30));
    try (Node a = node("clusterfo", ResilienceTestSupport.clusterConnections(cluster.seedUris(), SETTINGS));
        Node b = node("clusterfo", ResilienceTestSupport.clusterConnections(cluster.seedUris(), SETTINGS))) {
      RedisNode[] killed = new RedisNode[1];
      runFailover(a, b,
          () -> killed[0] = cluster.killMaster(0),
          () -> cluster.awaitFailover(killed[0], Duration.ofSeconds(20)));
    }
  }

  @Test
  void sentinelMasterKilledUnderLoad_backToRedisWithin5s_noCallerException(
      @RedisSentinelServers(owned = true) RedisSentinel sentinel) throws Exception {
    try (Node a = node("sentinelfo", ResilienceTestSupport.connections(sentinel.sentinelUri(), SETTINGS));
        Node b = node("sentinelfo", ResilienceTestSupport.connections(sentinel.sentinelUri(), SETTINGS))) {
      RedisNode replica = sentinel.replica();
      runFailover(a, b,
          () -> sentinel.master().kill(),
          () -> sentinel.awaitMaster(replica, Duration.ofSeconds(20)));
    }
  }
}
