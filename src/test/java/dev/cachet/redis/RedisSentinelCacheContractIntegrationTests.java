package dev.cachet.redis;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import dev.cachet.testing.redis.RedisSentinel;
import dev.cachet.testing.redis.RedisSentinelServers;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The cache contract against the Redis tier through Redis Sentinel ({@code redis-sentinel://}). */
class RedisSentinelCacheContractIntegrationTests extends CacheContractTests {

  @RedisSentinelServers static RedisSentinel sentinel;
  static RedisConnections connections;

  @BeforeAll
  static void connect() {
    connections = RedisConnections.create(sentinel.sentinelUri());
  }

  @AfterAll
  static void disconnect() {
    connections.close();
  }

  @Override
  protected <K> Cache<K, String> newCache(Spec<K> spec) {
    return RedisCacheContractIntegrationTests.build(spec, connections, "cachet-sentinel-contract");
  }

  @Override
  protected Set<Capability> capabilities() {
    return EnumSet.noneOf(Capability.class);
  }
}
