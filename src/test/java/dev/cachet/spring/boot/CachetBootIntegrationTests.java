package dev.cachet.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.crypto.FernetKey;
import dev.cachet.spring.CachetSpringCache;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Boot 4 applications on Framework 7 with tiered caches on real Redis: {@code @Cacheable(sync = true)}
 * under 64 threads, {@code @CachePut} / {@code @CacheEvict} / {@code allEntries} seen by a second
 * application context sharing the Redis, null values both ways, metrics once each with the {@code
 * cache.manager} tag, and health.
 */
class CachetBootIntegrationTests {

  private static final String KEY = FernetKey.generate().revealBase64();

  private static String[] properties(RedisServer redis, String... extra) {
    String prefix = redis.keyPrefix().replace(':', '.').replaceAll("[^A-Za-z0-9_.-]", "_");
    while (prefix.endsWith(".")) {
      prefix = prefix.substring(0, prefix.length() - 1);
    }
    List<String> all = new ArrayList<>(List.of(
        "cachet.enabled=true",
        "cachet.redis.url=" + redis.uri(),
        "cachet.redis.key-prefix=" + (prefix.isEmpty() ? "cachet" : prefix),
        "cachet.encryption.keys=" + KEY,
        "cachet.resilience-profile=TESTING",
        "cachet.caches.products.ttl=5m",
        "cachet.caches.nothing.ttl=5m"));
    all.addAll(List.of(extra));
    return all.toArray(String[]::new);
  }

  /**
   * The spring7 execution runs on Framework 7 with Cachet's own library versions, boot-managed on the
   * versions Boot 4.0.7 manages: check that each got what it asked for.
   */
  @Test
  void runsOnTheLibraryVersionsTheBuildChose() throws Exception {
    String expected = System.getProperty("cachet.expected.jars");
    org.junit.jupiter.api.Assumptions.assumeTrue(expected != null, "not run by the Maven build");
    List<String> jars = new ArrayList<>();
    for (String type :
        List.of(
            "org.springframework.core.SpringVersion",
            "io.lettuce.core.RedisClient",
            "com.github.benmanes.caffeine.cache.Caffeine",
            "io.micrometer.core.instrument.MeterRegistry",
            "com.fasterxml.jackson.databind.ObjectMapper")) {
      String location =
          Class.forName(type).getProtectionDomain().getCodeSource().getLocation().getPath();
      jars.add(location.substring(location.lastIndexOf('/') + 1));
    }
    assertThat(jars).containsExactlyInAnyOrder(expected.split(","));
  }

  @Test
  void syncCacheable_64Threads_callTheMethodOnce(@RedisStandaloneServer RedisServer redis) throws Exception {
    try (ConfigurableApplicationContext context = BootTestApp.start(properties(redis))) {
      BootTestApp.Catalog catalog = context.getBean(BootTestApp.Catalog.class);
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      CountDownLatch gate = new CountDownLatch(1);
      catalog.gate(gate);
      ExecutorService pool = Executors.newFixedThreadPool(64);
      try {
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          results.add(pool.submit(() -> catalog.product("p1")));
        }
        // each caller counts its memory miss before it joins the key's single flight
        Eventually.await(
            Duration.ofSeconds(30),
            "all 64 callers missed memory",
            () ->
                registry.get("cache.tier.gets").tag("cache", "products").tag("tier", "memory")
                        .tag("result", "miss").functionCounter().count()
                    >= 64);
        gate.countDown();
        for (Future<String> result : results) {
          assertThat(result.get(30, TimeUnit.SECONDS)).isEqualTo("product-p1");
        }
        assertThat(catalog.productCalls()).hasValue(1);
      } finally {
        gate.countDown();
        pool.shutdownNow();
      }
    }
  }

  @Test
  void putEvictAndAllEntries_onOneInstance_areSeenByTheOther(@RedisStandaloneServer RedisServer redis) {
    try (ConfigurableApplicationContext a = BootTestApp.start(properties(redis));
        ConfigurableApplicationContext b = BootTestApp.start(properties(redis))) {
      BootTestApp.Catalog onA = a.getBean(BootTestApp.Catalog.class);
      BootTestApp.Catalog onB = b.getBean(BootTestApp.Catalog.class);
      Cache productsOnB = b.getBean(CacheManager.class).getCache("products");

      assertThat(onA.productUnsynced("1")).isEqualTo("product-1");
      assertThat(onB.productUnsynced("1")).isEqualTo("product-1");
      assertThat(onB.productCalls()).hasValue(0); // B read A's value from Redis

      onA.update("1", "renamed");
      Eventually.await(
          Duration.ofSeconds(10), "B sees A's @CachePut", () -> "renamed".equals(onB.productUnsynced("1")));

      onA.remove("1");
      Eventually.await(Duration.ofSeconds(10), "B sees A's @CacheEvict", () -> productsOnB.get("1") == null);

      onA.productUnsynced("2");
      onA.productUnsynced("3");
      assertThat(productsOnB.get("2")).isNotNull();
      assertThat(productsOnB.get("3")).isNotNull();
      onA.removeAll();
      Eventually.await(
          Duration.ofSeconds(10),
          "B sees A's allEntries eviction",
          () -> productsOnB.get("2") == null && productsOnB.get("3") == null);
      assertThat(onB.productCalls()).hasValue(0);
    }
  }

  @Test
  void nullValues_allowed_areSharedThroughRedis(@RedisStandaloneServer RedisServer redis) {
    try (ConfigurableApplicationContext a = BootTestApp.start(properties(redis));
        ConfigurableApplicationContext b = BootTestApp.start(properties(redis))) {
      BootTestApp.Catalog onA = a.getBean(BootTestApp.Catalog.class);
      BootTestApp.Catalog onB = b.getBean(BootTestApp.Catalog.class);
      assertThat(onA.nothing("allowed")).isNull();
      assertThat(onB.nothing("allowed")).isNull();
      assertThat(onA.nothingCalls()).hasValue(1);
      assertThat(onB.nothingCalls()).hasValue(0);
    }
  }

  @Test
  void nullValues_refused_areNeverCached(@RedisStandaloneServer RedisServer redis) {
    try (ConfigurableApplicationContext a =
            BootTestApp.start(properties(redis, "cachet.allow-null-values=false"));
        ConfigurableApplicationContext b =
            BootTestApp.start(properties(redis, "cachet.allow-null-values=false"))) {
      BootTestApp.Catalog onA = a.getBean(BootTestApp.Catalog.class);
      BootTestApp.Catalog onB = b.getBean(BootTestApp.Catalog.class);
      assertThat(onA.nothing("refused")).isNull();
      assertThat(onA.nothing("refused")).isNull();
      assertThat(onB.nothing("refused")).isNull();
      assertThat(onA.nothingCalls()).hasValue(2);
      assertThat(onB.nothingCalls()).hasValue(1);
    }
  }

  @Test
  void metricsOnceEach_andHealth(@RedisStandaloneServer RedisServer redis) {
    try (ConfigurableApplicationContext context =
        BootTestApp.start(
            properties(
                redis,
                "management.endpoints.web.exposure.include=health,metrics",
                "management.endpoint.health.show-details=always"))) {
      BootTestApp.Catalog catalog = context.getBean(BootTestApp.Catalog.class);
      catalog.productUnsynced("metrics-1");
      catalog.productUnsynced("metrics-1");
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      List<Meter> cachet =
          registry.getMeters().stream()
              .filter(m -> "products".equals(m.getId().getTag("cache")))
              .toList();
      assertThat(cachet).isNotEmpty();
      assertThat(cachet).allSatisfy(m -> assertThat(m.getId().getTag("cache.manager")).isEqualTo("cacheManager"));
      Map<Meter.Id, Integer> seen = new HashMap<>();
      cachet.forEach(m -> seen.merge(m.getId(), 1, Integer::sum));
      assertThat(seen.values()).allSatisfy(count -> assertThat(count).isEqualTo(1));
      assertThat(cachet).extracting(m -> m.getId().getName()).contains("cache.gets", "cache.puts");
      assertThat(registry.get("cache.gets").tag("cache", "products").tag("result", "hit")
              .functionCounter().count())
          .isEqualTo(1.0);

      Health health = context.getBean("cachetHealthIndicator", HealthIndicator.class).health();
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails().get("caches").toString()).contains("products", "tier.redis=UP");

      // the same through the actuator's endpoints
      var metrics =
          context.getBean(org.springframework.boot.micrometer.metrics.actuate.endpoint.MetricsEndpoint.class);
      var hits =
          metrics.metric("cache.gets", List.of("cache:products", "cache.manager:cacheManager", "result:hit"));
      assertThat(hits).isNotNull();
      assertThat(hits.getMeasurements()).singleElement()
          .satisfies(m -> assertThat(m.getValue()).isEqualTo(1.0)); // one hit, counted once
      var endpoint =
          context.getBean(org.springframework.boot.health.actuate.endpoint.HealthEndpoint.class);
      assertThat(endpoint.healthForPath("cachet").getStatus()).isEqualTo(Status.UP);
    }
  }

  @Test
  void redisDown_underServeDegraded_healthStaysUp_withTheCacheDegradedInItsDetails(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    try (ConfigurableApplicationContext context = BootTestApp.start(properties(redis))) {
      BootTestApp.Catalog catalog = context.getBean(BootTestApp.Catalog.class);
      HealthIndicator indicator = context.getBean("cachetHealthIndicator", HealthIndicator.class);
      assertThat(catalog.productUnsynced("before")).isEqualTo("product-before");
      CachetSpringCache products =
          (CachetSpringCache) context.getBean(CacheManager.class).getCache("products");
      redis.kill();
      int[] n = {0};
      // each call reaches the dead Redis until the cache notices the outage; callers keep getting values
      Eventually.await(
          Duration.ofSeconds(60),
          "the products cache degrades",
          () -> {
            assertThat(catalog.productUnsynced("during-" + n[0]++)).startsWith("product-during-");
            return products.getNativeCache().health().status() == dev.cachet.CacheHealth.Status.DEGRADED;
          });
      Health health = indicator.health();
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails().get("caches").toString())
          .contains("products={status=DEGRADED", "tier.redis=DOWN");
    }
  }

  @Test
  void strictPolicy_healthIsDownWhenACacheIs(@RedisStandaloneServer RedisServer redis) {
    try (ConfigurableApplicationContext context =
        BootTestApp.start(properties(redis, "cachet.failure-policy=STRICT"))) {
      HealthIndicator indicator = context.getBean("cachetHealthIndicator", HealthIndicator.class);
      assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
      CachetSpringCache products =
          (CachetSpringCache) context.getBean(CacheManager.class).getCache("products");
      products.getNativeCache().close(); // a closed cache reports DOWN
      assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
    }
  }
}
