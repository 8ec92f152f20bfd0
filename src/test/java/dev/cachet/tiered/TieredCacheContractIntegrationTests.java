package dev.cachet.tiered;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The cache contract against the tiered cache (memory in front of standalone Redis). */
class TieredCacheContractIntegrationTests extends CacheContractTests {

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

  static <K> Cache<K, String> build(Spec<K> spec, RedisConnections connections, String prefix) {
    TieredCacheBuilder<K, String> b =
        TieredTestSupport.builder(spec.name(), spec.keyCodec(), connections, prefix)
            .defaultTtl(spec.defaultTtl())
            .maxKeyLength(spec.maxKeyLength());
    if (spec.maximumSize() > 0) {
      b.memoryMaximumSize(spec.maximumSize());
    }
    if (spec.loader() != null) {
      b.loader(spec.loader());
    }
    return b.build();
  }

  @Override
  protected <K> Cache<K, String> newCache(Spec<K> spec) {
    return build(spec, connections, TieredTestSupport.prefixFrom(redis.keyPrefix()));
  }

  @Override
  protected Set<Capability> capabilities() {
    // the memory bound does not bound the cache (Redis holds everything); TTLs run on Redis's clock
    return EnumSet.noneOf(Capability.class);
  }
}
