package dev.cachet.redis;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The cache contract against a Redis-only cache built with resilience settings
 * ({@code RedisCacheBuilder.resilience(...)}): retries and the breaker change nothing a caller relies on.
 */
class RedisResilientCacheContractIntegrationTests extends CacheContractTests {

  @RedisStandaloneServer static RedisServer redis;
  static RedisConnections connections;

  @BeforeAll
  static void connect() {
    connections = RedisConnections.create(redis.uri());
  }

  @AfterAll
  static void disconnect() {
    connections.close();
  }

  @Override
  protected <K> Cache<K, String> newCache(Spec<K> spec) {
    return RedisCacheContractIntegrationTests.builder(
            spec, connections, RedisTestSupport.prefixFrom(redis.keyPrefix()))
        .resilience(ResilienceSettings.production())
        .build();
  }

  @Override
  protected Set<Capability> capabilities() {
    return EnumSet.noneOf(Capability.class);
  }
}
