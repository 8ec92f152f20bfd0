package dev.cachet.tiered;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The cache contract against the tiered cache over a 6-node Redis Cluster. */
class TieredClusterCacheContractIntegrationTests extends CacheContractTests {

  @RedisClusterServers static RedisCluster cluster;
  static RedisConnections connections;

  @BeforeAll
  static void connect() {
    connections = RedisConnections.createCluster(cluster.seedUris());
  }

  @AfterAll
  static void disconnect() {
    connections.close();
  }

  @Override
  protected <K> Cache<K, String> newCache(Spec<K> spec) {
    return TieredCacheContractIntegrationTests.build(spec, connections, "tiered-cluster");
  }

  @Override
  protected Set<Capability> capabilities() {
    return EnumSet.noneOf(Capability.class);
  }
}
