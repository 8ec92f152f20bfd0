package dev.cachet.tiered;

import dev.cachet.KeyCodec;
import dev.cachet.MultiTenantCache;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.ValueSerializers;
import java.time.Duration;
import java.util.function.Consumer;

/** Builds tiered caches over real Redis for the tiered integration tests. */
final class TieredTestSupport {

  static final FernetKeyRing RING = FernetKeyRing.of(FernetKey.generate());

  private TieredTestSupport() {}

  /** A valid Cachet key prefix from a harness key prefix. */
  static String prefixFrom(String harnessPrefix) {
    String p = harnessPrefix.replace(':', '.').replaceAll("[^A-Za-z0-9_.-]", "_");
    while (p.endsWith(".")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.isEmpty() ? "cachet" : (p.length() > 64 ? p.substring(p.length() - 64) : p);
  }

  static <K> TieredCacheBuilder<K, String> builder(
      String name, KeyCodec<K> codec, RedisConnections connections, String prefix) {
    RedisCacheBuilder<K, String> redis =
        RedisCacheBuilder.<K, String>newBuilder()
            .name(name)
            .connections(connections)
            .keyRing(RING)
            .serializer(ValueSerializers.json(String.class))
            .keyPrefix(prefix)
            .keyCodec(codec);
    return TieredCacheBuilder.<K, String>newBuilder()
        .name(name)
        .keyCodec(codec)
        .remote(redis)
        .heartbeatInterval(Duration.ofMillis(200));
  }

  static MultiTenantCache<String, String> cache(
      String name, RedisConnections connections, String prefix,
      Consumer<TieredCacheBuilder<String, String>> customizer) {
    TieredCacheBuilder<String, String> b = builder(name, KeyCodec.strings(), connections, prefix);
    customizer.accept(b);
    return b.build();
  }
}
