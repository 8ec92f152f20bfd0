package dev.cachet.redis;

import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link RedisReplaceContract} on the 6-node cluster: the compare-and-set touches one key. */
class RedisClusterReplaceIntegrationTests extends RedisReplaceContract {

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
  RedisConnections connections() {
    return connections;
  }
}
