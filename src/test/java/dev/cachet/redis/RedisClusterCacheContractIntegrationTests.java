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
