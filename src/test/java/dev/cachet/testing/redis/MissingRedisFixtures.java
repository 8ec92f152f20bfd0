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

  /** Run with CACHET_TEST_REDIS_URL pointing at a server the calling test owns. */
  static class ExternalFixture {
    @Test
    void usesTheExternalServerUnderAPrefix(@RedisStandaloneServer RedisServer redis) {
      assertThat(redis.isExternal()).isTrue();
      assertThat(redis.keyPrefix()).startsWith("cachet-test:ExternalFixture:");
      redis.command("SET", redis.key("mine"), "1");
      redis.flushAll();
      assertThat(redis.command("EXISTS", redis.key("mine"))).isEqualTo("0");
      assertThat(redis.command("EXISTS", "not-mine")).as("flushAll keeps other keys").isEqualTo("1");
    }
  }
}
