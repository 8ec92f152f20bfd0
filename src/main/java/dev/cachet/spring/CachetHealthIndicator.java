package dev.cachet.spring;

import dev.cachet.CacheHealth;
import dev.cachet.tiered.FailurePolicy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * Boot 4 health ({@code org.springframework.boot.health.contributor}, module {@code
 * spring-boot-health}) of every cache of a {@link CachetCacheManager}, shown as {@code cachet} under
 * {@code /actuator/health}. Status: {@code DOWN} only when the failure policy is {@code STRICT} and a
 * cache is {@code DOWN} or {@code DEGRADED} (callers get exceptions then); otherwise {@code UP}, with
 * each cache's status ({@code DEGRADED} while it serves from memory without Redis) and details, which
 * never hold secrets or cached values. A manager built over a {@code CacheFactory} adds the factory's
 * health summary as {@code factory} (its status counts too). Thread-safe.
 */
final class CachetHealthIndicator implements HealthIndicator {

  private final Supplier<CachetCacheManager> manager;
  private final FailurePolicy policy;

  /** {@code manager} supplies the manager, or {@code null} when the application declared its own. */
  CachetHealthIndicator(Supplier<CachetCacheManager> manager, FailurePolicy policy) {
    this.manager = manager;
    this.policy = policy;
  }

  @Override
  public Health health() {
    CachetCacheManager manager = this.manager.get();
    if (manager == null) {
      return Health.unknown().withDetail("reason", "no CachetCacheManager in this context").build();
    }
    boolean impaired = false;
    Map<String, Object> caches = new LinkedHashMap<>();
    for (String name : manager.getCacheNames()) {
      CachetSpringCache cache = (CachetSpringCache) manager.getCache(name);
      if (cache == null) {
        continue;
      }
      CacheHealth health = cache.getNativeCache().health();
      impaired |= health.status() != CacheHealth.Status.UP;
      Map<String, Object> detail = new LinkedHashMap<>();
      detail.put("status", health.status().name());
      health.tiers().forEach((tier, status) -> detail.put("tier." + tier.name().toLowerCase(), status.name()));
      detail.putAll(health.details());
      caches.put(name, detail);
    }
    Health.Builder builder = Health.unknown();
    if (manager.factory().isPresent()) {
      // the factory's summary: every open cache of the factory, its preset and redis.connected
      CacheHealth summary = manager.factory().get().health();
      impaired |= summary.status() != CacheHealth.Status.UP;
      Map<String, Object> factory = new LinkedHashMap<>();
      factory.put("status", summary.status().name());
      factory.putAll(summary.details());
      builder.withDetail("factory", factory);
    }
    Status status = impaired && policy == FailurePolicy.STRICT ? Status.DOWN : Status.UP;
    return builder
        .status(status)
        .withDetail("failurePolicy", policy.name())
        .withDetail("caches", caches)
        .build();
  }
}
