package dev.cachet.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import dev.cachet.tiered.TieredCacheBuilder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache;
import org.springframework.cache.interceptor.SimpleKey;

/**
 * The Spring adapter over tiered caches on real Redis, two managers standing for two instances of an
 * application: loads once across instances through the cross-instance lease, the null marker travels
 * sealed through Redis, evictions are immediate here and reach the other instance. Runs on Framework
 * 6.2 (default execution) and 7.0 (spring7).
 */
class CachetSpringCacheIntegrationTests {

  private static final FernetKeyRing RING = FernetKeyRing.of(FernetKey.generate());

  private static String prefix(RedisServer redis) {
    String p = redis.keyPrefix().replace(':', '.').replaceAll("[^A-Za-z0-9_.-]", "_");
    while (p.endsWith(".")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.isEmpty() ? "cachet" : (p.length() > 64 ? p.substring(p.length() - 64) : p);
  }

  private static CachetCacheManager instance(RedisConnections connections, String prefix, boolean nulls) {
    return CachetCacheManager.newBuilder(
            spec ->
                TieredCacheBuilder.<Object, Object>newBuilder()
                    .name(spec.name())
                    .keyCodec(spec.keyCodec())
                    .defaultTtl(Duration.ofMinutes(5))
                    .heartbeatInterval(Duration.ofMillis(200))
                    .crossInstanceLoading(Duration.ofSeconds(30), Duration.ofSeconds(30))
                    .remote(
                        RedisCacheBuilder.<Object, Object>newBuilder()
                            .connections(connections)
                            .keyRing(RING)
                            .keyPrefix(prefix)
                            .serializer(spec.valueSerializer()))
                    .build())
        .allowNullValues(nulls)
        .allowedValuePackages("dev.cachet.spring")
        .build();
  }

  public record Product(String id, String name) {}

  @Test
  void getWithCallable_loadsOnceAcrossInstances(@RedisStandaloneServer RedisServer redis) throws Exception {
    try (RedisConnections ca = RedisConnections.create(redis.uri());
        RedisConnections cb = RedisConnections.create(redis.uri());
        CachetCacheManager a = instance(ca, prefix(redis), true);
        CachetCacheManager b = instance(cb, prefix(redis), true)) {
      Cache onA = a.getCache("products");
      Cache onB = b.getCache("products");
      SimpleKey key = new SimpleKey("shop", 42);
      CountDownLatch loading = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      AtomicInteger calls = new AtomicInteger();
      CompletableFuture<Product> first =
          CompletableFuture.supplyAsync(
              () ->
                  onA.get(
                      key,
                      () -> {
                        calls.incrementAndGet();
                        loading.countDown();
                        release.await();
                        return new Product("42", "kettle");
                      }));
      assertThat(loading.await(30, TimeUnit.SECONDS)).isTrue(); // A holds the lease now
      CompletableFuture<Product> second =
          CompletableFuture.supplyAsync(
              () -> onB.get(key, () -> { calls.incrementAndGet(); return new Product("42", "other"); }));
      release.countDown();
      assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(new Product("42", "kettle"));
      assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(new Product("42", "kettle"));
      assertThat(calls).hasValue(1);
    }
  }

  @Test
  void nullMarker_travelsThroughRedis_andEvictionsReachTheOtherInstance(
      @RedisStandaloneServer RedisServer redis) {
    try (RedisConnections ca = RedisConnections.create(redis.uri());
        RedisConnections cb = RedisConnections.create(redis.uri());
        CachetCacheManager a = instance(ca, prefix(redis), true);
        CachetCacheManager b = instance(cb, prefix(redis), true)) {
      Cache onA = a.getCache("lookups");
      Cache onB = b.getCache("lookups");
      assertThat(onA.<String>get("missing", () -> null)).isNull();
      Cache.ValueWrapper fromB = onB.get("missing");
      assertThat(fromB).isNotNull();
      assertThat(fromB.get()).isNull();

      onA.put("k", new Product("1", "cup"));
      assertThat(onB.get("k", Product.class)).isEqualTo(new Product("1", "cup"));
      onA.evictIfPresent("k");
      assertThat(onA.get("k")).isNull();
      Eventually.await(Duration.ofSeconds(10), "B dropped the evicted key", () -> onB.get("k") == null);

      onA.put("x", "1");
      onA.put("y", "2");
      assertThat(onB.get("x")).isNotNull();
      assertThat(onB.get("y")).isNotNull();
      onA.invalidate();
      assertThat(onA.get("x")).isNull();
      Eventually.await(
          Duration.ofSeconds(10), "B dropped every entry", () -> onB.get("x") == null && onB.get("y") == null);
    }
  }

  @Test
  void nullValuesRefused_nothingIsCachedInEitherTier(@RedisStandaloneServer RedisServer redis) {
    try (RedisConnections ca = RedisConnections.create(redis.uri());
        CachetCacheManager a = instance(ca, prefix(redis), false)) {
      Cache cache = a.getCache("strict");
      AtomicInteger calls = new AtomicInteger();
      assertThat(cache.<String>get("k", () -> { calls.incrementAndGet(); return null; })).isNull();
      assertThat(cache.<String>get("k", () -> { calls.incrementAndGet(); return null; })).isNull();
      assertThat(calls).hasValue(2);
      assertThat(cache.get("k")).isNull();
    }
  }
}
