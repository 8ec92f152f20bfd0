package dev.cachet.testing.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Fixtures for {@link RedisExtensionMissingBinaryTests}, run through the JUnit testkit with {@code
 * redis-server} hidden from PATH. Not picked up by the build (the name does not end in {@code Tests}).
 */
final class MissingRedisFixtures {
  private MissingRedisFixtures() {}

  static class ParameterFixtures {
    @Test
    void cluster(@RedisClusterServers RedisCluster cluster) {
      assertThat(cluster).isNotNull();
    }

    @Test
    void sentinel(@RedisSentinelServers(owned = true) RedisSentinel sentinel) {
      assertThat(sentinel).isNotNull();
    }
  }

  static class FieldFixture {
    @RedisClusterServers RedisCluster cluster;

    @Test
    void usesTheField() {
      assertThat(cluster).isNotNull();
    }
  }
}
