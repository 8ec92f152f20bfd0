package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Per-tenant generations on a cluster: one hash, one slot, one script per refresh. */
class RedisClusterTenantIntegrationTests {

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

  @Test
  void tenantInvalidateAll_onACluster_leavesOtherTenantsAndTheRoot() throws Exception {
    String prefix = "tenc" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    try (Cache<String, String> t1 = builder(prefix).tenant("t1").build();
        Cache<String, String> t2 = builder(prefix).tenant("t2").build();
        Cache<String, String> root = builder(prefix).build()) {
      for (int i = 0; i < 50; i++) { // keys spread over every master
        t1.put("k" + i, "one");
        t2.put("k" + i, "two");
        root.put("k" + i, "root");
      }
      t1.invalidateAll();
      for (int i = 0; i < 50; i++) {
        assertThat(t1.getIfPresent("k" + i)).isNull();
        assertThat(t2.getIfPresent("k" + i)).isEqualTo("two");
        assertThat(root.getIfPresent("k" + i)).isEqualTo("root");
      }
      t1.put("k0", "again");
      assertThat(t1.getIfPresent("k0")).isEqualTo("again");
    }
  }

  private static RedisCacheBuilder<String, String> builder(String prefix) {
    return RedisCacheBuilder.newBuilder(String.class, String.class)
        .name("tenants")
        .connections(connections)
        .keyPrefix(prefix)
        .keyRing(RedisTestSupport.RING);
  }
}
