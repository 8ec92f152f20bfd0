package dev.cachet.redis;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import dev.cachet.serialization.PayloadFormat;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The cache contract against a Redis-only cache writing CBOR payloads ({@code
 * RedisCacheBuilder.payloadFormat(CBOR)}, deflated from 64 bytes): the payload format changes nothing a
 * caller relies on.
 */
class RedisCborCacheContractIntegrationTests extends CacheContractTests {

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
        .payloadFormat(PayloadFormat.CBOR)
        .compressionThreshold(64)
        .build();
  }

  @Override
  protected Set<Capability> capabilities() {
    return EnumSet.noneOf(Capability.class);
  }
}
