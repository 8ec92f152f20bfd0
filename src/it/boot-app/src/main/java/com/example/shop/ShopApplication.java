package com.example.shop;

import com.example.shop.model.Product;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * Two instances of one application in one process, sharing a Redis (application.yaml, REDIS_URL,
 * CACHET_ENCRYPTION_KEYS): a {@code @Cacheable(sync = true)} value loaded by one is read by the other
 * from Redis, an eviction on one reaches the other, meters and health are there. Prints the library
 * versions it ran on, then "OK"; any failed check throws (exit code 1).
 */
@SpringBootApplication
@EnableCaching
public class ShopApplication {

  @Bean
  Catalog catalog() {
    return new Catalog();
  }

  public static void main(String[] args) throws Exception {
    try (ConfigurableApplicationContext a = SpringApplication.run(ShopApplication.class, args);
        ConfigurableApplicationContext b = SpringApplication.run(ShopApplication.class, args)) {
      CacheManager manager = a.getBean(CacheManager.class);
      check(manager.getClass().getName().equals("dev.cachet.spring.CachetCacheManager"),
          "the CacheManager is Cachet's: " + manager.getClass().getName());
      check(Set.copyOf(manager.getCacheNames()).equals(Set.of("products", "exchange-rates")),
          "the caches of application.yaml: " + manager.getCacheNames());

      Catalog onA = a.getBean(Catalog.class);
      Catalog onB = b.getBean(Catalog.class);
      Product loaded = onA.product("p1");
      check(onB.product("p1").equals(loaded) && onB.loads() == 0,
          "B reads A's value from Redis: loads on B = " + onB.loads());
      check(onA.rate("EUR").equals(onA.rate("EUR")) && onA.loads() == 2, "the memory cache");

      onA.evict("p1");
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (b.getBean(CacheManager.class).getCache("products").get("p1") != null) {
        check(System.nanoTime() < deadline, "B sees A's eviction within 30 s");
        Thread.sleep(20);
      }
      check(onB.product("p1").equals(loaded) && onB.loads() == 1, "B loads again after the eviction");

      MeterRegistry registry = a.getBean(MeterRegistry.class);
      List<Meter.Id> gets = registry.getMeters().stream().map(Meter::getId)
          .filter(id -> id.getName().equals("cache.gets") && "products".equals(id.getTag("cache")))
          .toList();
      check(!gets.isEmpty() && gets.size() == new TreeSet<>(gets.stream().map(Meter.Id::toString).toList()).size()
              && gets.stream().allMatch(id -> "cacheManager".equals(id.getTag("cache.manager"))),
          "cache.gets of products, once each, tagged cache.manager: " + gets);
      Status health = a.getBean("cachetHealthIndicator", HealthIndicator.class).health().getStatus();
      check(Status.UP.equals(health), "health: " + health);

      System.out.println("versions lettuce=" + version("io.lettuce.core.RedisClient")
          + " caffeine=" + version("com.github.benmanes.caffeine.cache.Caffeine")
          + " micrometer=" + version("io.micrometer.core.instrument.MeterRegistry")
          + " jackson=" + version("com.fasterxml.jackson.databind.ObjectMapper")
          + " spring=" + org.springframework.core.SpringVersion.getVersion());
      System.out.println("OK");
    }
  }

  private static String version(String type) throws ClassNotFoundException {
    return Class.forName(type).getPackage().getImplementationVersion();
  }

  private static void check(boolean condition, String what) {
    if (!condition) {
      throw new IllegalStateException("check failed: " + what);
    }
  }
}
