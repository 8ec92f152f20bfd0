package dev.cachet.redis;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The cache contract against the Redis tier over three command connections (an odd count, so that keys
 * of neighbouring slots land on different connections): splitting commands by key changes nothing a
 * caller can observe.
 */
class RedisStripedCacheContractIntegrationTests extends CacheContractTests {

  @RedisStandaloneServer static RedisServer redis;
  static RedisConnections connections;

  @BeforeAll
  static void connect() {
    connections = RedisConnections.newBuilder().uri(redis.uri()).commandConnections(3).build();
  }

  @AfterAll
  static void disconnect() {
    connections.close();
  }

  @Override
  protected <K> Cache<K, String> newCache(Spec<K> spec) {
    return RedisCacheContractIntegrationTests.build(
        spec, connections, RedisTestSupport.prefixFrom(redis.keyPrefix()));
  }

  @Override
  protected Set<Capability> capabilities() {
    return EnumSet.noneOf(Capability.class);
  }
}
