package dev.cachet.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.cache.metrics.CacheMetricsRegistrar;

/**
 * Boot's {@code CacheMetricsRegistrar} binds the caches that exist at start-up; caches the manager makes
 * later (a name first used after start-up, with {@code cachet.dynamic=true}) are bound here, through
 * the same registrar and with the same {@code cache.manager} tag. A cache already bound (its {@code
 * cache.gets} meter exists with this manager's tag) is never bound twice.
 */
final class CachetLateCacheMetrics implements SmartInitializingSingleton {

  /** Boot's {@code cache.manager} tag for the auto-configured bean {@code cacheManager}. */
  static final String MANAGER_TAG_VALUE = "cacheManager";

  private final ObjectProvider<CacheMetricsRegistrar> registrar;
  private final ObjectProvider<MeterRegistry> registry;
  private final ObjectProvider<CachetCacheManager> manager;

  CachetLateCacheMetrics(
      ObjectProvider<CacheMetricsRegistrar> registrar,
      ObjectProvider<MeterRegistry> registry,
      ObjectProvider<CachetCacheManager> manager) {
    this.registrar = registrar;
    this.registry = registry;
    this.manager = manager;
  }

  @Override
  public void afterSingletonsInstantiated() {
    CacheMetricsRegistrar metrics = registrar.getIfAvailable();
    MeterRegistry meters = registry.getIfAvailable();
    CachetCacheManager cachet = manager.getIfAvailable();
    if (metrics == null || meters == null || cachet == null) {
      return;
    }
    cachet.lateListener(cache -> bindOnce(metrics, meters, cache));
    for (CachetSpringCache cache : cachet.caches()) {
      bindOnce(metrics, meters, cache);
    }
  }

  private static synchronized void bindOnce(
      CacheMetricsRegistrar metrics, MeterRegistry meters, CachetSpringCache cache) {
    boolean bound =
        meters.find("cache.gets")
                .tag("cache", cache.getName())
                .tag("cache.manager", MANAGER_TAG_VALUE)
                .meter()
            != null;
    if (!bound) {
      metrics.bindCacheToRegistry(cache, Tag.of("cache.manager", MANAGER_TAG_VALUE));
    }
  }
}
