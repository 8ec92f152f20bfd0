package dev.cachet.spring;

import dev.cachet.metrics.TieredCacheMetrics;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.cache.metrics.CacheMeterBinderProvider;

/**
 * Lets Boot's cache metrics ({@code org.springframework.boot.cache.metrics}, module {@code
 * spring-boot-cache}) bind Cachet's meters with the tags Boot adds ({@code cache.manager}, {@code
 * name}; {@code cache} comes from Micrometer's cache binder). Under Boot this provider is the only
 * thing that binds a Spring cache's meters: the manager binds none. Thread-safe.
 */
final class CachetCacheMeterBinderProvider implements CacheMeterBinderProvider<CachetSpringCache> {

  @Override
  public MeterBinder getMeterBinder(CachetSpringCache cache, Iterable<Tag> tags) {
    return TieredCacheMetrics.of(cache.getNativeCache(), tags);
  }
}
