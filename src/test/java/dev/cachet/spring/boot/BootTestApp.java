package dev.cachet.spring.boot;

import dev.cachet.CachetEnvironment;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** A small Boot application for the auto-configuration tests: a catalog with cached methods. */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
@EnableCaching
public class BootTestApp {

  @Bean
  Catalog catalog() {
    return new Catalog();
  }

  /** No environment variables: the tests configure everything through properties. */
  @Bean
  CachetEnvironment cachetEnvironment() {
    return CachetEnvironment.of(Map.of());
  }

  /** Starts the application with {@code properties} ({@code key=value}), without a web server. */
  static ConfigurableApplicationContext start(String... properties) {
    return new SpringApplicationBuilder(BootTestApp.class)
        .web(WebApplicationType.NONE)
        .properties("spring.main.banner-mode=off")
        .properties(properties)
        .run();
  }

  /** Cached methods; counts calls of each. */
  public static class Catalog {
    private final AtomicInteger productCalls = new AtomicInteger();
    private final AtomicInteger nothingCalls = new AtomicInteger();
    private volatile CountDownLatch gate = new CountDownLatch(0);

    /** Calls of the product methods (a method, not a field: the bean is a CGLIB proxy). */
    public AtomicInteger productCalls() {
      return productCalls;
    }

    public AtomicInteger nothingCalls() {
      return nothingCalls;
    }

    /** Makes {@link #product} wait for {@code latch}. */
    public void gate(CountDownLatch latch) {
      this.gate = latch;
    }

    @Cacheable(cacheNames = "products", sync = true)
    public String product(String id) throws InterruptedException {
      productCalls.incrementAndGet();
      gate.await();
      return "product-" + id;
    }

    @Cacheable(cacheNames = "products")
    public String productUnsynced(String id) {
      productCalls.incrementAndGet();
      return "product-" + id;
    }

    @CachePut(cacheNames = "products", key = "#p0")
    public String update(String id, String value) {
      return value;
    }

    @CacheEvict(cacheNames = "products")
    public void remove(String id) {}

    @CacheEvict(cacheNames = "products", allEntries = true)
    public void removeAll() {}

    @Cacheable(cacheNames = "nothing")
    public String nothing(String id) {
      nothingCalls.incrementAndGet();
      return null;
    }

    private final AtomicInteger futureCalls = new AtomicInteger();

    public AtomicInteger futureCalls() {
      return futureCalls;
    }

    /** Spring caches the future's result through {@code Cache.retrieve}. */
    @Cacheable(cacheNames = "futures")
    public java.util.concurrent.CompletableFuture<String> future(String id) {
      futureCalls.incrementAndGet();
      return java.util.concurrent.CompletableFuture.supplyAsync(() -> "f-" + id);
    }

    private final AtomicInteger monoCalls = new AtomicInteger();

    public AtomicInteger monoCalls() {
      return monoCalls;
    }

    /** A reactive method: Spring caches the Mono's value through {@code Cache.retrieve}. */
    @Cacheable(cacheNames = "monos")
    public reactor.core.publisher.Mono<String> mono(String id) {
      return reactor.core.publisher.Mono.fromSupplier(
          () -> {
            monoCalls.incrementAndGet();
            return "m-" + id;
          });
    }

    @Cacheable(cacheNames = "unlisted")
    public String unlisted(String id) {
      return "u-" + id;
    }
  }
}
