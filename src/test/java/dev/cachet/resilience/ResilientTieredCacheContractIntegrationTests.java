package dev.cachet.resilience;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import dev.cachet.tiered.TieredCacheBuilder;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The cache contract against the composition users deploy: the tiered cache over a Redis tier behind
 * the resilience decorator (production preset), on a standalone server.
 */
class ResilientTieredCacheContractIntegrationTests extends CacheContractTests {

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
    RedisCacheBuilder<K, String> remote =
        RedisCacheBuilder.<K, String>newBuilder()
            .name(spec.name())
            .connections(connections)
            .keyRing(ResilienceTestSupport.RING)
            .serializer(ValueSerializers.json(String.class))
            .keyPrefix(ResilienceTestSupport.prefixFrom(redis.keyPrefix()))
            .keyCodec(spec.keyCodec());
    TieredCacheBuilder<K, String> b =
        TieredCacheBuilder.<K, String>newBuilder()
            .name(spec.name())
            .keyCodec(spec.keyCodec())
            .defaultTtl(spec.defaultTtl())
            .maxKeyLength(spec.maxKeyLength())
            .remote(remote).resilience(ResilienceSettings.production());
    if (spec.maximumSize() > 0) {
      b.memoryMaximumSize(spec.maximumSize());
    }
    if (spec.loader() != null) {
      b.loader(spec.loader());
    }
    return b.build();
  }

  @Override
  protected Set<Capability> capabilities() {
    return EnumSet.noneOf(Capability.class);
  }
}
