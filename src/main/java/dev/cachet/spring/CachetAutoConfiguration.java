package dev.cachet.spring;

import dev.cachet.CachetEnvironment;
import dev.cachet.factory.CacheFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cache.CacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Spring Boot 4 auto-configuration of Cachet, registered in {@code
 * META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports}. Active when
 * {@code cachet.enabled=true} (Boot's {@code spring.cache.type} accepts only Boot's own kinds); runs
 * before Boot's {@code org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration} (module
 * {@code spring-boot-cache}), so its {@link CachetCacheManager} is the application's {@code
 * CacheManager} unless the application declares one.
 *
 * <ul>
 *   <li>{@link CachetProperties} ({@code cachet.*}) decide each cache's preset, TTL and size; caches
 *       under {@code cachet.caches} are created at start-up, others on first use from {@code
 *       cachet.defaults} or refused ({@code cachet.dynamic=false}).
 *   <li>When the application declares a {@code CacheFactory} bean, the manager is built over it
 *       ({@link CachetCacheManager#newBuilder(CacheFactory)}): the factory decides Redis, keys and each
 *       cache's settings, and setting {@code cachet.redis.*}, {@code cachet.encryption.*}, {@code
 *       cachet.resilience-profile}, {@code cachet.defaults} or a cache's settings too fails the start.
 *       Only the names, {@code allow-null-values}, {@code dynamic} and {@code
 *       serialization.allowed-packages} apply.
 *   <li>Misconfiguration (a bad Redis URL, Redis without a key, a bad key) fails the context start with
 *       a {@code CacheConfigurationException} naming the property.
 *   <li>Before any cache is made, Lettuce, Caffeine, Micrometer and Jackson 2 on the class path are
 *       checked against the oldest versions Cachet supports (those Boot 4.0.7 manages); an older one
 *       fails the start naming the Boot version property to override ({@code lettuce.version}, {@code
 *       caffeine.version}, {@code micrometer.version}, {@code jackson-2-bom.version}); {@code
 *       cachet.verify-dependency-versions=false} turns the check off.
 *   <li>With {@code spring-boot-cache} and Micrometer present, a {@code CacheMeterBinderProvider}
 *       ({@code org.springframework.boot.cache.metrics}) lets Boot bind each cache's meters once, tagged
 *       {@code cache} and {@code cache.manager}.
 *   <li>With {@code spring-boot-health}, a {@code HealthIndicator} ({@code
 *       org.springframework.boot.health.contributor}) named {@code cachet}.
 *   <li>With {@code spring-boot-actuator}, a {@code SanitizingFunction} ({@code
 *       org.springframework.boot.actuate.endpoint}) masks {@code cachet.encryption.*} and {@code
 *       cachet.redis.url} in {@code /env} and {@code /configprops} even when values are shown.
 * </ul>
 *
 * <p>Application code never needs this class; it is public because Boot loads it by name.
 */
@AutoConfiguration(
    beforeName = "org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration")
@ConditionalOnClass(CacheManager.class)
@ConditionalOnProperty(prefix = "cachet", name = "enabled", havingValue = "true")
@EnableConfigurationProperties(CachetProperties.class)
public class CachetAutoConfiguration {

  /** Creates the auto-configuration; Boot calls it. */
  public CachetAutoConfiguration() {}

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean({CacheManager.class, CacheFactory.class})
  CachetSpringResources cachetSpringResources(
      CachetProperties properties, ObjectProvider<CachetEnvironment> environment) {
    verifyDependencyVersions(properties);
    return new CachetSpringResources(
        properties, environment.getIfAvailable(CachetEnvironment::system));
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(CacheManager.class)
  CachetCacheManager cacheManager(
      CachetProperties properties,
      ObjectProvider<CacheFactory> factory,
      ObjectProvider<CachetSpringResources> resources) {
    verifyDependencyVersions(properties);
    CacheFactory applicationFactory = factory.getIfUnique();
    if (applicationFactory == null && factory.stream().findAny().isPresent()) {
      throw new dev.cachet.CacheConfigurationException(
          dev.cachet.CacheConfigurationException.Reason.INCONSISTENT_SETTINGS,
          "the application declares several CacheFactory beans: mark the one Spring's caches come"
              + " from @Primary");
    }
    CachetCacheManager.Builder builder;
    if (applicationFactory != null) {
      refuseSettingsTheFactoryOwns(properties);
      builder = CachetCacheManager.newBuilder(applicationFactory);
    } else {
      builder = CachetCacheManager.newBuilder(resources.getObject()::create);
    }
    return builder
        .cacheNames(properties.getCaches().keySet())
        .allowNullValues(properties.isAllowNullValues())
        .dynamic(properties.isDynamic())
        .allowedValuePackages(properties.getSerialization().getAllowedPackages())
        .build();
  }

  /** Before any cache is made: see {@link DependencyVersions}. */
  private static void verifyDependencyVersions(CachetProperties properties) {
    if (properties.isVerifyDependencyVersions()) {
      DependencyVersions.verify(CachetAutoConfiguration.class.getClassLoader());
    }
  }

  /**
   * With an application {@code CacheFactory} the factory decides Redis, keys and each cache's settings:
   * a {@code cachet.*} property that would do so too is an error, not silently ignored.
   */
  static void refuseSettingsTheFactoryOwns(CachetProperties p) {
    java.util.List<String> set = new java.util.ArrayList<>();
    if (p.getRedis().isConfigured()) {
      set.add(p.getRedis().getClusterNodes().isEmpty() ? "cachet.redis.url" : "cachet.redis.cluster-nodes");
    }
    if (p.getRedis().getKeyPrefix() != null) {
      set.add("cachet.redis.key-prefix");
    }
    if (p.getEncryption().getKeys() != null) {
      set.add("cachet.encryption.keys");
    }
    if (p.getEncryption().getKeyNamingSecret() != null) {
      set.add("cachet.encryption.key-naming-secret");
    }
    if (p.getResilienceProfile() != null) {
      set.add("cachet.resilience-profile");
    }
    if (p.getDefaults().isSet()) {
      set.add("cachet.defaults");
    }
    p.getCaches().forEach((name, settings) -> {
      if (settings != null && settings.isSet()) {
        set.add("cachet.caches." + name);
      }
    });
    if (!set.isEmpty()) {
      throw new dev.cachet.CacheConfigurationException(
          dev.cachet.CacheConfigurationException.Reason.INCONSISTENT_SETTINGS,
          String.join(", ", set)
              + " set, but the application declares a CacheFactory bean, which decides Redis, keys"
              + " and each cache's settings: configure the factory (CACHET_* variables or its"
              + " builder) and remove these properties, or remove the CacheFactory bean");
    }
  }

  /** Boot's cache metrics: binds Cachet's meters, with the {@code cache.manager} tag. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "org.springframework.boot.cache.metrics.CacheMeterBinderProvider",
        "io.micrometer.core.instrument.MeterRegistry"
      })
  static class Metrics {
    @Bean
    CachetCacheMeterBinderProvider cachetCacheMeterBinderProvider() {
      return new CachetCacheMeterBinderProvider();
    }

    /** Binds caches that Boot's start-up pass did not see (made on first use, later). */
    @Bean
    CachetLateCacheMetrics cachetLateCacheMetrics(
        ObjectProvider<org.springframework.boot.cache.metrics.CacheMetricsRegistrar> registrar,
        ObjectProvider<io.micrometer.core.instrument.MeterRegistry> registry,
        ObjectProvider<CachetCacheManager> manager) {
      return new CachetLateCacheMetrics(registrar, registry, manager);
    }
  }

  /** The {@code cachet} health component. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  static class HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "cachetHealthIndicator")
    CachetHealthIndicator cachetHealthIndicator(
        ObjectProvider<CachetCacheManager> manager, CachetProperties properties) {
      return new CachetHealthIndicator(manager::getIfAvailable, properties.getFailurePolicy());
    }
  }

  /** Masks Cachet's secrets in the actuator's {@code /env} and {@code /configprops}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.SanitizingFunction")
  static class Sanitizing {
    @Bean
    SanitizingFunction cachetSanitizingFunction() {
      return SanitizingFunction.sanitizeValue()
          .ifKeyMatches(
              key -> {
                String k = key.toLowerCase(java.util.Locale.ROOT).replace("-", "").replace("_", "");
                return k.startsWith("cachet.encryption.")
                    || k.equals("cachet.redis.url")
                    || k.startsWith("cachet.redis.clusternodes")
                    || k.startsWith("cachetencryption")
                    || k.equals("cachetredisurl")
                    || k.equals("cachetredisclusternodes")
                    || k.equals("cachetkeynamingsecret")
                    || k.equals("redisencryptionkey");
              });
    }
  }
}
