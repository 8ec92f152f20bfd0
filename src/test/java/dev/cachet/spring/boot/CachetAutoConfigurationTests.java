package dev.cachet.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheConfigurationException;
import dev.cachet.factory.CacheFactory;
import dev.cachet.spring.CachetCacheManager;
import dev.cachet.spring.CachetProperties;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.cache.CacheManager;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Boot 4 auto-configuration with memory caches (no Redis): activation, properties, metrics with
 * the {@code cache.manager} tag, health, secrets masking, misconfiguration at start-up. Runs on
 * Framework 7 (spring7 execution).
 */
class CachetAutoConfigurationTests {

  @Test
  void notEnabled_leavesTheCacheManagerToBoot() {
    try (ConfigurableApplicationContext context = BootTestApp.start()) {
      assertThat(context.getBeansOfType(CachetCacheManager.class)).isEmpty();
    }
  }

  @Test
  void enabled_memoryPreset_cachesMethodResults_andNullsByDefault() {
    try (ConfigurableApplicationContext context =
        BootTestApp.start(
            "cachet.enabled=true", "cachet.caches.products.ttl=5m", "cachet.caches.products.maximum-size=100")) {
      assertThat(context.getBean(CacheManager.class)).isInstanceOf(CachetCacheManager.class);
      BootTestApp.Catalog catalog = context.getBean(BootTestApp.Catalog.class);
      assertThat(catalog.productUnsynced("1")).isEqualTo("product-1");
      assertThat(catalog.productUnsynced("1")).isEqualTo("product-1");
      assertThat(catalog.productCalls()).hasValue(1);
      assertThat(catalog.nothing("x")).isNull();
      assertThat(catalog.nothing("x")).isNull();
      assertThat(catalog.nothingCalls()).hasValue(1);
      assertThat(catalog.unlisted("a")).isEqualTo("u-a");
    }
  }

  @Test
  void completableFutureMethods_areCachedThroughRetrieve() throws Exception {
    try (ConfigurableApplicationContext context = BootTestApp.start("cachet.enabled=true")) {
      BootTestApp.Catalog catalog = context.getBean(BootTestApp.Catalog.class);
      assertThat(catalog.future("1").get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("f-1");
      assertThat(catalog.future("1").get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("f-1");
      assertThat(catalog.futureCalls()).hasValue(1);
    }
  }

  @Test
  void reactiveMethods_areCachedThroughRetrieve() {
    try (ConfigurableApplicationContext context = BootTestApp.start("cachet.enabled=true")) {
      BootTestApp.Catalog catalog = context.getBean(BootTestApp.Catalog.class);
      assertThat(catalog.mono("1").block(java.time.Duration.ofSeconds(10))).isEqualTo("m-1");
      assertThat(catalog.mono("1").block(java.time.Duration.ofSeconds(10))).isEqualTo("m-1");
      assertThat(catalog.monoCalls()).hasValue(1);
    }
  }

  @Test
  @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
  void theKey_fromAnyPropertySource_isUsed_andNeverLogged(
      org.springframework.boot.test.system.CapturedOutput output) {
    String key = dev.cachet.crypto.FernetKey.generate().revealBase64();
    // a secrets store (Vault, a cloud secret manager) contributes a PropertySource like this one
    var secrets =
        new org.springframework.core.env.MapPropertySource(
            "secrets-store", java.util.Map.of("cachet.encryption.keys", key));
    try (ConfigurableApplicationContext context =
        new org.springframework.boot.builder.SpringApplicationBuilder(BootTestApp.class)
            .web(org.springframework.boot.WebApplicationType.NONE)
            .initializers(c -> c.getEnvironment().getPropertySources().addFirst(secrets))
            .properties(
                "cachet.enabled=true",
                // never connected in this test: building the connections does not need Redis up
                "cachet.redis.url=redis://127.0.0.1:1",
                "cachet.caches.products.preset=MEMORY",
                "logging.level.dev.cachet=TRACE",
                "debug=true")
            .run()) {
      assertThat(context.getBean(CacheManager.class).getCacheNames()).contains("products");
      assertThat(context.getBean(CachetProperties.class).toString()).doesNotContain(key);
    }
    assertThat(output.getAll()).isNotEmpty().doesNotContain(key);
  }

  @Test
  void allowNullValuesOff_callsTheMethodEachTime() {
    try (ConfigurableApplicationContext context =
        BootTestApp.start("cachet.enabled=true", "cachet.allow-null-values=false")) {
      BootTestApp.Catalog catalog = context.getBean(BootTestApp.Catalog.class);
      assertThat(catalog.nothing("x")).isNull();
      assertThat(catalog.nothing("x")).isNull();
      assertThat(catalog.nothingCalls()).hasValue(2);
    }
  }

  @Test
  void dynamicOff_refusesCachesNotConfigured() {
    try (ConfigurableApplicationContext context =
        BootTestApp.start(
            "cachet.enabled=true", "cachet.dynamic=false", "cachet.caches.products.ttl=1m")) {
      BootTestApp.Catalog catalog = context.getBean(BootTestApp.Catalog.class);
      assertThat(catalog.productUnsynced("1")).isEqualTo("product-1");
      assertThatThrownBy(() -> catalog.unlisted("a"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("unlisted");
    }
  }

  @Test
  void metrics_areBoundOnceWithTheCacheManagerTag() {
    try (ConfigurableApplicationContext context =
        BootTestApp.start("cachet.enabled=true", "cachet.caches.products.ttl=1m")) {
      BootTestApp.Catalog catalog = context.getBean(BootTestApp.Catalog.class);
      catalog.productUnsynced("1");
      catalog.productUnsynced("1");
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      List<Meter> hits = List.copyOf(
          registry.find("cache.gets").tag("cache", "products").tag("result", "hit").meters());
      assertThat(hits).hasSize(1);
      Meter hit = hits.get(0);
      assertThat(hit.getId().getTag("cache.manager")).isEqualTo("cacheManager");
      assertThat(registry.get("cache.gets").tag("cache", "products").tag("result", "hit")
              .functionCounter().count())
          .isEqualTo(1.0);
      assertThat(registry.find("cache.gets").tag("cache", "products").meters())
          .allSatisfy(m -> assertThat(m.getId().getTag("cache.manager")).isEqualTo("cacheManager"));
    }
  }

  @Test
  void actuatorEndpoints_showCachetMetersOnce_andItsHealth() {
    try (ConfigurableApplicationContext context =
        BootTestApp.start(
            "cachet.enabled=true",
            "cachet.caches.products.ttl=1m",
            "management.endpoints.web.exposure.include=health,metrics",
            "management.endpoint.health.show-details=always")) {
      context.getBean(BootTestApp.Catalog.class).productUnsynced("e1");
      var metrics =
          context.getBean(org.springframework.boot.micrometer.metrics.actuate.endpoint.MetricsEndpoint.class);
      assertThat(metrics.listNames().getNames()).contains("cache.gets", "cache.puts", "cache.tier.gets");
      var gets = metrics.metric("cache.gets", List.of("cache:products", "cache.manager:cacheManager"));
      assertThat(gets).isNotNull();
      assertThat(gets.getMeasurements()).singleElement()
          .satisfies(m -> assertThat(m.getValue()).isEqualTo(1.0)); // one miss, counted once
      var health =
          context.getBean(org.springframework.boot.health.actuate.endpoint.HealthEndpoint.class);
      var cachet = health.healthForPath("cachet");
      assertThat(cachet).isNotNull();
      assertThat(cachet.getStatus()).isEqualTo(Status.UP);
    }
  }

  @Test
  void cachesMadeAfterStartUp_getTheirMetersOnce() {
    try (ConfigurableApplicationContext context =
        BootTestApp.start("cachet.enabled=true", "cachet.caches.products.ttl=1m")) {
      BootTestApp.Catalog catalog = context.getBean(BootTestApp.Catalog.class);
      catalog.unlisted("a");
      catalog.unlisted("a");
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      assertThat(registry.find("cache.gets").tag("cache", "unlisted").meters())
          .hasSize(2)
          .allSatisfy(m -> assertThat(m.getId().getTag("cache.manager")).isEqualTo("cacheManager"));
      assertThat(registry.get("cache.gets").tag("cache", "unlisted").tag("result", "hit")
              .functionCounter().count())
          .isEqualTo(1.0);
      assertThat(registry.find("cache.gets").tag("cache", "products").meters()).hasSize(2);
    }
  }

  @Test
  void health_isUpWithEachCache() {
    try (ConfigurableApplicationContext context =
        BootTestApp.start("cachet.enabled=true", "cachet.caches.products.ttl=1m")) {
      HealthIndicator health = context.getBean("cachetHealthIndicator", HealthIndicator.class);
      var result = health.health();
      assertThat(result.getStatus()).isEqualTo(Status.UP);
      assertThat(result.getDetails()).containsKey("caches");
      assertThat(result.getDetails().get("caches").toString()).contains("products");
    }
  }

  @Test
  void secrets_areMaskedInTheActuator() {
    try (ConfigurableApplicationContext context = BootTestApp.start("cachet.enabled=true")) {
      SanitizingFunction sanitizer =
          context.getBean("cachetSanitizingFunction", SanitizingFunction.class);
      for (String key :
          List.of(
              "cachet.encryption.keys",
              "cachet.encryption.key-naming-secret",
              "cachet.redis.url",
              "CACHET_ENCRYPTION_KEYS",
              "REDIS_ENCRYPTION_KEY",
              "CACHET_REDIS_URL")) {
        SanitizableData data = new SanitizableData(null, key, "secret-value");
        assertThat(sanitizer.applyUnlessFiltered(data).getValue())
            .as(key)
            .isEqualTo(SanitizableData.SANITIZED_VALUE);
      }
      SanitizableData ttl = new SanitizableData(null, "cachet.defaults.ttl", "5m");
      assertThat(sanitizer.applyUnlessFiltered(ttl).getValue()).isEqualTo("5m");
    }
  }

  @Test
  void envAndConfigpropsEndpoints_maskTheSecrets_evenWhenShowingValues() {
    String key = dev.cachet.crypto.FernetKey.generate().revealBase64();
    try (ConfigurableApplicationContext context =
        BootTestApp.start(
            "cachet.enabled=true",
            "cachet.encryption.keys=" + key,
            "cachet.redis.key-prefix=visible-prefix",
            "management.endpoints.web.exposure.include=env,configprops",
            "management.endpoint.env.show-values=always",
            "management.endpoint.configprops.show-values=always")) {
      var env = context.getBean(org.springframework.boot.actuate.env.EnvironmentEndpoint.class);
      assertThat(env.environmentEntry("cachet.encryption.keys").getProperty().getValue())
          .isEqualTo(SanitizableData.SANITIZED_VALUE);
      assertThat(env.environmentEntry("cachet.redis.key-prefix").getProperty().getValue())
          .isEqualTo("visible-prefix");
      var configprops =
          context.getBean(
              org.springframework.boot.actuate.context.properties.ConfigurationPropertiesReportEndpoint.class);
      String report = String.valueOf(configprops.configurationPropertiesWithPrefix("cachet").getContexts()
          .values().stream().flatMap(c -> c.getBeans().values().stream())
          .map(b -> b.getProperties()).toList());
      assertThat(report).contains("visible-prefix").doesNotContain(key);
    }
  }

  @Test
  void configurationMetadata_isGenerated() throws Exception {
    try (InputStream in =
        getClass().getClassLoader().getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
      assertThat(in).isNotNull();
      String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(json)
          .contains("\"cachet.redis.url\"", "\"cachet.encryption.keys\"", "\"cachet.caches\"",
              "\"cachet.allow-null-values\"");
    }
  }

  @Test
  void anApplicationCacheManager_winsOverCachet() {
    try (ConfigurableApplicationContext context =
        new org.springframework.boot.builder.SpringApplicationBuilder(BootTestApp.class, OwnManager.class)
            .web(org.springframework.boot.WebApplicationType.NONE)
            .properties("cachet.enabled=true")
            .run()) {
      assertThat(context.getBean(CacheManager.class))
          .isInstanceOf(org.springframework.cache.concurrent.ConcurrentMapCacheManager.class);
    }
  }

  @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
  static class OwnManager {
    @org.springframework.context.annotation.Bean
    CacheManager cacheManager() {
      return new org.springframework.cache.concurrent.ConcurrentMapCacheManager();
    }
  }

  @Test
  void anApplicationCacheFactory_makesTheCaches_andItsHealthIsShown() {
    try (ConfigurableApplicationContext context =
        new org.springframework.boot.builder.SpringApplicationBuilder(BootTestApp.class, OwnFactory.class)
            .web(org.springframework.boot.WebApplicationType.NONE)
            .properties("cachet.enabled=true")
            .run()) {
      CachetCacheManager manager = (CachetCacheManager) context.getBean(CacheManager.class);
      CacheFactory factory = context.getBean(CacheFactory.class);
      assertThat(manager.factory()).containsSame(factory);
      assertThat(context.containsBean("cachetSpringResources")).isFalse();
      BootTestApp.Catalog catalog = context.getBean(BootTestApp.Catalog.class);
      assertThat(catalog.productUnsynced("1")).isEqualTo("product-1");
      assertThat(catalog.productUnsynced("1")).isEqualTo("product-1");
      assertThat(catalog.productCalls()).hasValue(1);
      assertThat(factory.health().details()).containsKey("cache.products");
      // the factory's testing preset: a one-minute TTL on its ticker
      factory.ticker().orElseThrow().advance(java.time.Duration.ofSeconds(61));
      catalog.productUnsynced("1");
      assertThat(catalog.productCalls()).hasValue(2);

      var health = context.getBean("cachetHealthIndicator", HealthIndicator.class).health();
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails().get("factory").toString()).contains("preset=testing");
    }
  }

  @Test
  void anApplicationCacheFactory_withCachetRedisProperties_failsTheStart_namingThem() {
    assertThatThrownBy(
            () ->
                new org.springframework.boot.builder.SpringApplicationBuilder(
                        BootTestApp.class, OwnFactory.class)
                    .web(org.springframework.boot.WebApplicationType.NONE)
                    .properties(
                        "cachet.enabled=true",
                        "cachet.redis.url=redis://127.0.0.1:1",
                        "cachet.caches.products.ttl=5m")
                    .run())
        .satisfies(
            e -> assertThat(causes(e))
                .anySatisfy(c -> assertThat(c).isInstanceOf(CacheConfigurationException.class)
                    .hasMessageContaining("cachet.redis.url")
                    .hasMessageContaining("cachet.caches.products")
                    .hasMessageContaining("CacheFactory bean")));
  }

  @Test
  void twoApplicationCacheFactories_withoutAPrimary_failTheStart() {
    assertThatThrownBy(
            () ->
                new org.springframework.boot.builder.SpringApplicationBuilder(
                        BootTestApp.class, OwnFactory.class, SecondFactory.class)
                    .web(org.springframework.boot.WebApplicationType.NONE)
                    .properties("cachet.enabled=true")
                    .run())
        .satisfies(
            e -> assertThat(causes(e))
                .anySatisfy(c -> assertThat(c).isInstanceOf(CacheConfigurationException.class)
                    .hasMessageContaining("several CacheFactory beans")
                    .hasMessageContaining("@Primary")));
  }

  @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
  static class SecondFactory {
    @org.springframework.context.annotation.Bean(destroyMethod = "close")
    CacheFactory secondCacheFactory() {
      return CacheFactory.forTesting();
    }
  }

  @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
  static class OwnFactory {
    @org.springframework.context.annotation.Bean(destroyMethod = "close")
    CacheFactory cacheFactory() {
      return CacheFactory.forTesting();
    }
  }

  @Test
  void redisWithoutAKey_failsTheStart_namingTheProperty() {
    assertThatThrownBy(
            () -> BootTestApp.start("cachet.enabled=true", "cachet.redis.url=redis://127.0.0.1:1"))
        .rootCause()
        .isInstanceOf(CacheConfigurationException.class)
        .hasMessageContaining("cachet.encryption.keys");
  }

  @Test
  void badRedisUrl_failsTheStart_namingTheProperty() {
    assertThatThrownBy(
            () -> BootTestApp.start("cachet.enabled=true", "cachet.redis.url=http://nowhere:6379"))
        .satisfies(
            e -> assertThat(causes(e))
                .anySatisfy(c -> assertThat(c).isInstanceOf(CacheConfigurationException.class)
                    .hasMessageContaining("cachet.redis.url")));
  }

  @Test
  void badKey_failsTheStart_namingThePropertyButNotTheValue() {
    assertThatThrownBy(
            () ->
                BootTestApp.start("cachet.enabled=true", "cachet.encryption.keys=not-a-key-SECRETVALUE"))
        .satisfies(
            e -> assertThat(causes(e))
                .anySatisfy(c -> assertThat(c).isInstanceOf(CacheConfigurationException.class)
                    .hasMessageContaining("cachet.encryption.keys"))
                .noneSatisfy(c -> assertThat(String.valueOf(c.getMessage())).contains("SECRETVALUE")));
  }

  @Test
  void badCacheName_failsTheStart_namingTheCache() {
    assertThatThrownBy(() -> BootTestApp.start("cachet.enabled=true", "cachet.caches.BadName.ttl=1m"))
        .satisfies(
            e -> assertThat(causes(e))
                .anySatisfy(c -> assertThat(c).isInstanceOf(CacheConfigurationException.class)
                    .hasMessageContaining("cachet.caches.BadName")));
  }

  @Test
  @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
  void aRejectedConfiguration_isReportedByBootsFailureAnalysis(
      org.springframework.boot.test.system.CapturedOutput output) {
    assertThatThrownBy(
        () -> BootTestApp.start("cachet.enabled=true", "cachet.redis.url=http://nowhere:6379"));
    assertThat(output.getAll())
        .contains("APPLICATION FAILED TO START")
        .contains("Cachet's configuration was rejected: cachet.redis.url is not valid")
        .contains("Correct the cachet.* property named above");
  }

  @Test
  void theFailureAnalyzer_namesTheActionForAnUnsupportedLibrary() throws Exception {
    // registered in META-INF/spring.factories: the test above sees Boot use it
    var constructor =
        Class.forName("dev.cachet.spring.CachetFailureAnalyzer").getDeclaredConstructor();
    constructor.setAccessible(true);
    var cachet = (org.springframework.boot.diagnostics.FailureAnalyzer) constructor.newInstance();
    var analysis =
        cachet.analyze(
            new IllegalStateException(
                new CacheConfigurationException(
                    CacheConfigurationException.Reason.UNSUPPORTED_DEPENDENCY, "Caffeine 3.1.8 ...")));
    assertThat(analysis.getDescription()).contains("Caffeine 3.1.8");
    assertThat(analysis.getAction()).contains("Boot's version property");
  }

  private static List<Throwable> causes(Throwable e) {
    List<Throwable> all = new java.util.ArrayList<>();
    for (Throwable c = e; c != null && !all.contains(c); c = c.getCause()) {
      all.add(c);
    }
    return all;
  }
}
