package dev.cachet.metrics;

import dev.cachet.CacheHealth;
import dev.cachet.Tier;
import dev.cachet.internal.AbstractCache;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.CacheSettings;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A map-backed cache that declares a memory and a Redis tier and optionally a breaker and retry, so
 * that the binder registers its Redis, crypto and resilience meters; tests drive those through its
 * {@link CacheInstrumentation} as the real tiers will.
 */
final class FakeRemoteCache extends AbstractCache<String, String> {

  private final ConcurrentHashMap<String, String> map = new ConcurrentHashMap<>();
  private final Object circuitBreaker;
  private final Object retry;

  FakeRemoteCache(String name, Object circuitBreaker, Object retry) {
    super(
        new CacheSettings<>(name, null, 1024, Duration.ofMinutes(1), null, null),
        new CacheInstrumentation());
    this.circuitBreaker = circuitBreaker;
    this.retry = retry;
  }

  FakeRemoteCache(String name) {
    this(name, null, null);
  }

  @Override
  protected Object lookup(String key) {
    String value = map.get(key);
    instrumentation.recordTierGet(Tier.MEMORY, value != null, 1);
    if (value == null) {
      instrumentation.recordTierGet(Tier.REDIS, false, 1);
    }
    return value;
  }

  @Override
  protected void store(String key, String value, Duration ttl) {
    map.put(key, value);
  }

  @Override
  protected void remove(String key) {
    if (map.remove(key) != null) {
      instrumentation.recordRemovals(1);
    }
  }

  @Override
  protected void clear() {
    map.clear();
  }

  @Override
  protected CacheHealth currentHealth() {
    return CacheHealth.newBuilder(CacheHealth.Status.UP).build();
  }

  @Override
  public Set<Tier> tiers() {
    return Set.of(Tier.MEMORY, Tier.REDIS);
  }

  @Override
  public Optional<Object> circuitBreaker() {
    return Optional.ofNullable(circuitBreaker);
  }

  @Override
  public Optional<Object> retry() {
    return Optional.ofNullable(retry);
  }
}
