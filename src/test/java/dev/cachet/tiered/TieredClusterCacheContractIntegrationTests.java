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
    warmUp();
  }

  /**
   * Until every node connection is open, a redirected command can be rejected (REJECT_COMMANDS); the
   * contract is about steady state, so write to keys across all slots once before the suite runs.
   */
  private static void warmUp() {
    try (dev.cachet.Cache<String, String> probe =
        dev.cachet.redis.RedisCacheBuilder.<String, String>newBuilder()
            .name("warmup")
            .connections(connections)
            .keyRing(TieredTestSupport.RING)
            .serializer(dev.cachet.serialization.ValueSerializers.json(String.class))
            .keyCodec(dev.cachet.KeyCodec.strings())
            .build()) {
      dev.cachet.testing.Eventually.await(java.time.Duration.ofSeconds(20), "every node accepts writes", () -> {
        for (int i = 0; i < 64; i++) {
          probe.put("warm-" + i, "x");
        }
      });
    }
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
