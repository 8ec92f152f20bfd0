package dev.cachet.redis;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The cache contract against the Redis tier on a standalone server. */
class RedisCacheContractIntegrationTests extends CacheContractTests {

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
    return builder(spec, connections, prefix).build();
  }

  /** The builder every Redis-only contract class starts from: the spec's settings, JSON, the test ring. */
  static <K> RedisCacheBuilder<K, String> builder(Spec<K> spec, RedisConnections connections, String prefix) {
    RedisCacheBuilder<K, String> b =
        RedisCacheBuilder.<K, String>newBuilder()
            .name(spec.name())
            .connections(connections)
            .keyRing(RedisTestSupport.RING)
            .serializer(ValueSerializers.json(String.class))
            .keyPrefix(prefix)
            .keyCodec(spec.keyCodec())
            .defaultTtl(spec.defaultTtl())
            .maxKeyLength(spec.maxKeyLength());
    if (spec.loader() != null) {
      b.loader(spec.loader());
    }
    return b;
  }

  @Override
  protected <K> Cache<K, String> newCache(Spec<K> spec) {
    return build(spec, connections, RedisTestSupport.prefixFrom(redis.keyPrefix()));
  }

  @Override
  protected Set<Capability> capabilities() {
    return EnumSet.noneOf(Capability.class);
  }
}
