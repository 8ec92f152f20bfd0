package dev.cachet.redis;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The cache contract against the Redis tier on a 6-node Redis Cluster. */
class RedisClusterCacheContractIntegrationTests extends CacheContractTests {

  @RedisClusterServers static RedisCluster cluster;
  static RedisConnections connections;

  @BeforeAll
  static void connect() {
    connections = RedisConnections.createCluster(cluster.seedUris());
    warmUp(connections);
  }

  /**
   * Right after the cluster forms, a node may still answer MOVED for slots its peers took; Lettuce then
   * refreshes its topology, but the redirected command itself is rejected ({@code REJECT_COMMANDS})
   * while the new node connection opens. Transient by design (the resilience layer retries it); the
   * contract is about steady state, so wait for writes to every slot range to succeed first.
   */
  static void warmUp(RedisConnections connections) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        var c = connections.commands().join();
        for (int i = 0; i < 64; i++) {
          byte[] k = ("cachet-warmup-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
          c.set(k, k).get(2, java.util.concurrent.TimeUnit.SECONDS);
          c.del(k).get(2, java.util.concurrent.TimeUnit.SECONDS);
        }
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("cluster never accepted writes", e);
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  @AfterAll
  static void disconnect() {
    connections.close();
  }

  @Override
  protected <K> Cache<K, String> newCache(Spec<K> spec) {
    return RedisCacheContractIntegrationTests.build(spec, connections, "cachet-cluster-contract");
  }

  @Override
  protected Set<Capability> capabilities() {
    return EnumSet.noneOf(Capability.class);
  }
}
