package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Redis-only cache stores a loaded value with {@code SET NX} (never over a newer put) and undoes a
 * stale load only by compare-and-delete of exactly what it wrote. Interleavings are forced with latches.
 */
class RedisLoadIntegrationTests {

  @RedisStandaloneServer static RedisServer redis;
  static RedisConnections connections;
  static ExecutorService pool;

  @BeforeAll
  static void connect() {
    connections = RedisConnections.create(redis.uri());
    pool = Executors.newCachedThreadPool();
  }

  @AfterAll
  static void disconnect() {
    pool.shutdownNow();
    connections.close();
  }

  private final String prefix =
      "load" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);

  private Cache<String, String> cache() {
    return RedisCacheBuilder.newBuilder(String.class, String.class)
        .name("loads")
        .connections(connections)
        .keyRing(RedisTestSupport.RING)
        .keyPrefix(prefix)
        .build();
  }

  /** Starts {@code cache.get(key, loader)} whose loader waits for {@code release}; returns when it runs. */
  private CompletableFuture<String> blockedLoad(
      Cache<String, String> cache, String key, String loaded, CountDownLatch release) throws Exception {
    CountDownLatch loading = new CountDownLatch(1);
    CompletableFuture<String> result =
        CompletableFuture.supplyAsync(
            () ->
                cache.get(
                    key,
                    k -> {
                      loading.countDown();
                      assertThat(release.await(10, TimeUnit.SECONDS)).isTrue();
                      return loaded;
                    }),
            pool);
    assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
    return result;
  }

  @Test
  void getWithLoader_peerPutsANewerValueDuringTheLoad_redisKeepsTheNewerValue() throws Exception {
    try (Cache<String, String> loader = cache();
        Cache<String, String> peer = cache()) {
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> load = blockedLoad(loader, "k", "loaded-old", release);
      peer.put("k", "newer");
      release.countDown();
      assertThat(load.get(10, TimeUnit.SECONDS)).isEqualTo("loaded-old"); // what the caller loaded
      assertThat(peer.getIfPresent("k")).isEqualTo("newer");
      assertThat(loader.getIfPresent("k")).isEqualTo("newer");
      assertThat(loader.stats().putCount()).as("the loaded value was not stored").hasValue(0);
    }
  }

  @Test
  void getWithLoader_noInterference_storesTheLoadedValue() throws Exception {
    try (Cache<String, String> cache = cache()) {
      assertThat(cache.get("k", k -> "loaded")).isEqualTo("loaded");
      try (Cache<String, String> other = cache()) {
        assertThat(other.getIfPresent("k")).isEqualTo("loaded");
      }
    }
  }

  @Test
  void getWithLoader_thisInstanceInvalidatesDuringTheLoad_storesNothing() throws Exception {
    try (Cache<String, String> cache = cache()) {
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> load = blockedLoad(cache, "k", "loaded-before-invalidate", release);
      cache.invalidate("k"); // the flight turns stale
      release.countDown();
      load.get(10, TimeUnit.SECONDS);
      assertThat(cache.getIfPresent("k")).isNull();
    }
  }

  @Test
  void undoLoadedStore_removesOnlyWhatThisLoadWrote() throws Exception {
    try (Cache<String, String> cache = cache();
        Cache<String, String> peer = cache()) {
      LettuceRedisCache<String, String> redisCache = (LettuceRedisCache<String, String>) cache;
      Object handle = redisCache.storeLoaded("k", "loaded");
      assertThat(handle).isNotNull();
      peer.put("k", "newer");
      redisCache.undoLoadedStore("k", handle);
      assertThat(peer.getIfPresent("k")).as("a newer value survives the undo").isEqualTo("newer");

      Object second = redisCache.storeLoaded("j", "loaded");
      redisCache.undoLoadedStore("j", second);
      assertThat(peer.getIfPresent("j")).as("an untouched loaded value is undone").isNull();

      peer.put("x", "present");
      assertThat(redisCache.storeLoaded("x", "loaded")).as("SET NX: nothing written").isNull();
      assertThat(peer.getIfPresent("x")).isEqualTo("present");
    }
  }
}
