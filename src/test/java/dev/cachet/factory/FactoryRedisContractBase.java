package dev.cachet.factory;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** The cache contract against a preset over real Redis (the harness's standalone server). */
abstract class FactoryRedisContractBase extends CacheContractTests {

  @RedisStandaloneServer static RedisServer redis;
  static RedisConnections connections;
  static final FernetKeyRing RING = FernetKeyRing.of(FernetKey.generate());
  static final KeyNameHasher HASHER = randomHasher();

  private final List<CacheFactory> factories = FactoryContractSupport.newList();

  static KeyNameHasher randomHasher() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return KeyNameHasher.of(secret);
  }

  @BeforeAll
  static void connect() {
    connections = RedisConnections.create(redis.uri());
  }

  @AfterAll
  static void disconnect() {
    connections.close();
  }

  /** A valid Cachet key prefix from the harness's key prefix. */
  static String prefix(RedisServer server) {
    String p = server.keyPrefix().replace(':', '.').replaceAll("[^A-Za-z0-9_.-]", "_");
    while (p.endsWith(".")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.isEmpty() ? "cachet" : (p.length() > 64 ? p.substring(p.length() - 64) : p);
  }

  /** The preset's builder, with what tests cannot take from the environment. */
  abstract CacheFactory.Builder builder();

  @AfterEach
  void closeFactories() {
    factories.forEach(CacheFactory::close);
  }

  @Override
  protected <K> Cache<K, String> newCache(Spec<K> spec) {
    return FactoryContractSupport.build(builder().connections(connections), spec, factories);
  }

  @Override
  protected Set<Capability> capabilities() {
    // the memory bound does not bound the cache (Redis holds everything); TTLs run on Redis's clock
    return EnumSet.noneOf(Capability.class);
  }
}
