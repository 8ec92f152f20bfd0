package dev.cachet.metrics;

import dev.cachet.Cache;
import dev.cachet.Tier;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.Instrumented;
import dev.cachet.internal.Preconditions;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetricsPublisher;
import io.github.resilience4j.micrometer.tagged.TaggedRetryMetricsPublisher;
import io.github.resilience4j.retry.Retry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.cache.CacheMeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a Cachet cache to Micrometer. Extends Micrometer's {@link CacheMeterBinder}, so the standard
 * meters ({@code cache.gets}, {@code cache.puts}, {@code cache.evictions}, {@code cache.size}) look
 * exactly like those of every other cache in the application; adds removals, loads, per-tier gets and,
 * for caches with a Redis tier, Redis operation timers and errors, decryption failures, crypto timers,
 * value sizes, the degraded-mode gauge, and Resilience4j's own meters of the cache's circuit breaker
 * and retry. {@code docs/operations.md} lists every meter; {@link CacheMetricNames} and {@link
 * CacheTagNames} name them.
 *
 * <p><b>Cost.</b> Counts are pulled: the meters read the cache's own counters (the same ones {@code
 * stats()} reads, so the two always agree), and the cache's hot paths do what they do without metrics.
 * Timers and sizes are pushed through one listener attached at bind time, with every meter created
 * once; a memory-only cache has nothing to push and gets no listener. Nothing a meter or listener
 * throws reaches a cache call. A cache that is never monitored pays nothing.
 *
 * <p><b>Lifecycle.</b> {@link #close()} removes every meter this binder registered, in every registry
 * it was bound to: Micrometer's base meters included (rebuilt from their names and this binder's tags,
 * since {@code CacheMeterBinder.bindTo} keeps no handles), and the breaker and retry meters. Closing
 * the cache closes its binders. The binder holds the cache weakly, like every {@code CacheMeterBinder}.
 * A cache's name is unique in a registry: {@link #monitor} refuses a second binding of the same name and
 * tags while the first is open.
 *
 * <p>Thread-safe.
 *
 * <pre>{@code
 * Cache<String, Profile> profiles = MemoryCacheBuilder.<String, Profile>newBuilder().name("profiles").build();
 * TieredCacheMetrics.monitor(registry, profiles, Tags.of("app", "shop"));
 * // ... profiles.close() removes the meters
 * }</pre>
 */
public final class TieredCacheMetrics extends CacheMeterBinder<Cache<?, ?>> implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TieredCacheMetrics.class);

  /** A single encryption or decryption slower than this is logged (rate-limited) as a WARN. */
  public static final Duration DEFAULT_SLOW_CRYPTO_THRESHOLD = Duration.ofMillis(50);

  private final String cacheName;
  private final CacheInstrumentation instrumentation;
  private final Set<Tier> tiers;
  private final boolean hasRedis;
  private final boolean knowsEvictions;
  private final CircuitBreaker circuitBreaker;
  private final Retry retry;
  private final SlowCryptoLog slowLog;
  private final Runnable closeHook = this::close;

  private final List<Binding> bindings = new ArrayList<>();
  private boolean slowLogAttached;
  private boolean hookAdded;
  private boolean closed;

  private TieredCacheMetrics(Cache<?, ?> cache, Iterable<Tag> tags, Duration slowCryptoThreshold) {
    super(cache, cache.name(), tags);
    Instrumented instrumented = instrumented(cache);
    this.cacheName = cache.name();
    this.instrumentation = instrumented.instrumentation();
    this.tiers = Set.copyOf(instrumented.tiers());
    this.hasRedis = tiers.contains(Tier.REDIS);
    this.knowsEvictions = cache.stats().evictionCount().isPresent();
    this.circuitBreaker =
        instrumented.circuitBreaker()
            .filter(CircuitBreaker.class::isInstance)
            .map(CircuitBreaker.class::cast)
            .orElse(null);
    this.retry =
        instrumented.retry().filter(Retry.class::isInstance).map(Retry.class::cast).orElse(null);
    this.slowLog =
        hasRedis
            ? new SlowCryptoLog(
                cacheName,
                slowCryptoThreshold.toNanos(),
                SlowCryptoLog.DEFAULT_INTERVAL_NANOS,
                System::nanoTime)
            : null;
  }

  // ---------------------------------------------------------------- factories

  /**
   * Binds {@code cache} to {@code registry} with {@link #DEFAULT_SLOW_CRYPTO_THRESHOLD}.
   *
   * @param tags extra tags for every Cachet meter (the {@code cache} tag is added)
   * @return the bound binder; close it, or the cache, to remove the meters
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code cache} is not one of Cachet's own caches
   * @throws IllegalStateException if {@code registry} already has meters for a cache of this name and
   *     these tags (another binder is open for it)
   */
  public static TieredCacheMetrics monitor(MeterRegistry registry, Cache<?, ?> cache, Iterable<Tag> tags) {
    return monitor(registry, cache, tags, DEFAULT_SLOW_CRYPTO_THRESHOLD);
  }

  /**
   * Binds {@code cache} to {@code registry}, tagged with {@code tags}, key-value pairs.
   *
   * @see #monitor(MeterRegistry, Cache, Iterable)
   */
  public static TieredCacheMetrics monitor(MeterRegistry registry, Cache<?, ?> cache, String... tags) {
    return monitor(registry, cache, Tags.of(Preconditions.requireNonNull(tags, "tags")));
  }

  /**
   * Binds {@code cache} to {@code registry}, logging crypto operations slower than {@code
   * slowCryptoThreshold}.
   *
   * @throws IllegalArgumentException if {@code slowCryptoThreshold} is not positive
   * @see #monitor(MeterRegistry, Cache, Iterable)
   */
  public static TieredCacheMetrics monitor(
      MeterRegistry registry, Cache<?, ?> cache, Iterable<Tag> tags, Duration slowCryptoThreshold) {
    Preconditions.requireNonNull(registry, "registry");
    TieredCacheMetrics binder = of(cache, tags, slowCryptoThreshold);
    if (binder.registeredIn(registry)) {
      throw new IllegalStateException(
          "registry already has meters of cache '"
              + binder.cacheName
              + "' with these tags: close the binder that registered them first (a cache name"
              + " appears once per registry)");
    }
    binder.bindTo(registry);
    return binder;
  }

  /**
   * An unbound binder, for frameworks that call {@link #bindTo} themselves (Spring Boot's {@code
   * MeterBinder} beans). Nothing is registered or attached until {@code bindTo}.
   *
   * @see #monitor(MeterRegistry, Cache, Iterable)
   */
  public static TieredCacheMetrics of(Cache<?, ?> cache, Iterable<Tag> tags) {
    return of(cache, tags, DEFAULT_SLOW_CRYPTO_THRESHOLD);
  }

  /** An unbound binder with a slow-crypto threshold. */
  public static TieredCacheMetrics of(
      Cache<?, ?> cache, Iterable<Tag> tags, Duration slowCryptoThreshold) {
    Preconditions.requireNonNull(cache, "cache");
    Preconditions.requireNonNull(tags, "tags");
    Preconditions.requirePositive(slowCryptoThreshold, "slowCryptoThreshold");
    return new TieredCacheMetrics(cache, tags, slowCryptoThreshold);
  }

  private static Instrumented instrumented(Cache<?, ?> cache) {
    if (!(cache instanceof Instrumented)) {
      throw new IllegalArgumentException(
          "cache '"
              + cache.name()
              + "' ("
              + cache.getClass().getName()
              + ") is not one of Cachet's own caches: only caches built by Cachet's builders can be"
              + " monitored");
    }
    return (Instrumented) cache;
  }

  // ---------------------------------------------------------------- CacheMeterBinder hooks

  @Override
  protected Long size() {
    if (!tiers.contains(Tier.MEMORY)) {
      return null;
    }
    Cache<?, ?> cache = getCache();
    if (cache == null) {
      return null;
    }
    try {
      OptionalLong size = ((Instrumented) cache).memoryTierSize();
      return size.isPresent() ? size.getAsLong() : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  protected long hitCount() {
    return instrumentation.hitCount();
  }

  @Override
  protected Long missCount() {
    return instrumentation.missCount();
  }

  @Override
  protected Long evictionCount() {
    return knowsEvictions ? instrumentation.evictionCount() : null;
  }

  @Override
  protected long putCount() {
    return instrumentation.putCount();
  }

  @Override
  protected synchronized void bindImplementationSpecificMetrics(MeterRegistry registry) {
    if (closed) {
      // bindTo after close: the base meters were just registered; take them back.
      removeBaseMeters(registry);
      return;
    }
    Cache<?, ?> cache = getCache();
    if (cache == null) {
      removeBaseMeters(registry);
      return;
    }
    if (registeredIn(registry)) {
      // Another open binder owns the meters of this name and tags; the base meters bindTo just
      // "registered" are its meters (Micrometer returns the existing one), so leave them alone.
      log.warn(
          "registry already has meters of cache '{}' with these tags; this binder registers nothing",
          cacheName);
      return;
    }
    Binding binding = new Binding(registry);
    bindings.add(binding);
    try {
      registerPulled(registry, cache, binding.meters);
      if (hasRedis) {
        binding.push = new PushMeters(registry, getTagsWithCacheName(), binding.meters);
        RecorderFanout.add(instrumentation, binding.push);
        if (!slowLogAttached) {
          RecorderFanout.add(instrumentation, slowLog);
          slowLogAttached = true;
        }
      }
      if (circuitBreaker != null) {
        binding.breakerPublisher = new TaggedCircuitBreakerMetricsPublisher(registry);
        binding.breakerPublisher.publishMetrics(circuitBreaker);
      }
      if (retry != null) {
        binding.retryPublisher = new TaggedRetryMetricsPublisher(registry);
        binding.retryPublisher.publishMetrics(retry);
      }
    } catch (RuntimeException e) {
      log.warn("binding the meters of cache '{}' failed; its meters are removed: {}", cacheName, e.toString());
      unbind(binding);
      bindings.remove(binding);
      return;
    }
    if (!hookAdded) {
      hookAdded = true;
      ((Instrumented) cache).addCloseHook(closeHook); // runs close() at once if the cache is closed
    }
  }

  private void registerPulled(MeterRegistry registry, Cache<?, ?> cache, List<Meter> meters) {
    Iterable<Tag> tags = getTagsWithCacheName();
    meters.add(
        counter(CacheMetricNames.REMOVALS, cache, c -> instrumentation.removalCount())
            .tags(tags)
            .description("Entries removed explicitly or replaced")
            .register(registry));
    if (knowsEvictions) {
      meters.add(
          counter(CacheMetricNames.EVICTION_WEIGHT, cache, c -> instrumentation.evictionWeight())
              .tags(tags)
              .description("Total weight of evicted entries (1 per entry unless weighed)")
              .register(registry));
    }
    meters.add(
        counter(CacheMetricNames.LOAD, cache, c -> instrumentation.loadSuccessCount())
            .tags(tags)
            .tag(CacheTagNames.RESULT, CacheTagNames.SUCCESS)
            .description("Loader calls that returned (a value or absence) or threw")
            .register(registry));
    meters.add(
        counter(CacheMetricNames.LOAD, cache, c -> instrumentation.loadFailureCount())
            .tags(tags)
            .tag(CacheTagNames.RESULT, CacheTagNames.FAILURE)
            .description("Loader calls that returned (a value or absence) or threw")
            .register(registry));
    meters.add(
        TimeGauge.builder(
                CacheMetricNames.LOAD_DURATION,
                cache,
                TimeUnit.NANOSECONDS,
                c -> instrumentation.totalLoadTimeNanos())
            .tags(tags)
            .description("Total time spent in loader calls")
            .register(registry));
    meters.add(
        TimeGauge.builder(
                CacheMetricNames.DEFAULT_TTL,
                cache,
                TimeUnit.MILLISECONDS,
                c -> {
                  java.time.Duration ttl = instrumentation.defaultTtl();
                  return ttl == null ? Double.NaN : ttl.toMillis();
                })
            .tags(tags)
            .description("The default time to live applied to writes now (changeable at run time)")
            .register(registry));
    meters.add(
        counter(CacheMetricNames.REMOVAL_LISTENER_FAILURES, cache, c -> instrumentation.removalListenerFailureCount())
            .tags(tags)
            .description("Removal listener calls that threw (contained)")
            .register(registry));
    registerTierGets(registry, cache, tags, meters);
    if (!hasRedis) {
      return;
    }
    for (RemoteOperation operation : RemoteOperation.values()) {
      for (RemoteErrorReason reason : RemoteErrorReason.values()) {
        meters.add(
            counter(
                    CacheMetricNames.REDIS_ERRORS,
                    cache,
                    c -> instrumentation.remoteErrorCount(operation, reason))
                .tags(tags)
                .tag(CacheTagNames.OPERATION, operation.tagValue())
                .tag(CacheTagNames.REASON, reason.tagValue())
                .description("Redis-tier operations that failed, by operation and reason")
                .register(registry));
      }
    }
    for (DecryptionFailureReason reason : DecryptionFailureReason.values()) {
      meters.add(
          counter(
                  CacheMetricNames.DECRYPTION_FAILURES,
                  cache,
                  c -> instrumentation.decryptionFailureCount(reason))
              .tags(tags)
              .tag(CacheTagNames.REASON, reason.tagValue())
              .description(
                  "Stored values that could not be opened (tampering, a missing key, a foreign"
                      + " envelope): a security signal")
              .register(registry));
    }
    meters.add(
        counter(CacheMetricNames.COUNTER_ATTEMPTS, cache, c -> instrumentation.counterAttemptCount())
            .tags(tags)
            .description("Counter compare-and-set writes sent to Redis (changes and zero-counter creations)")
            .register(registry));
    meters.add(
        counter(CacheMetricNames.COUNTER_CONFLICTS, cache, c -> instrumentation.counterConflictCount())
            .tags(tags)
            .description("Counter compare-and-set writes that found the counter changed by another writer")
            .register(registry));
    meters.add(
        counter(
                CacheMetricNames.COUNTER_UNKNOWN_OUTCOMES,
                cache,
                c -> instrumentation.counterUnknownOutcomeCount())
            .tags(tags)
            .description(
                "Counter changes that ended in CounterOutcomeUnknownException (applied at most once)")
            .register(registry));
    meters.add(
        counter(CacheMetricNames.DUPLICATE_LOADS, cache, c -> instrumentation.duplicateLoadCount())
            .tags(tags)
            .description(
                "Loads run without the cross-instance lease while another instance may have been"
                    + " loading the key (at most one duplicate loader call each)")
            .register(registry));
    meters.add(
        Gauge.builder(CacheMetricNames.DEGRADED, cache, c -> instrumentation.isDegraded() ? 1 : 0)
            .tags(tags)
            .description("1 while the cache serves without its Redis tier, else 0")
            .register(registry));
  }

  /**
   * {@code cache.tier.gets}: a memory-only cache's single tier is the whole cache, so its tier gets
   * are its gets; a cache with a remote tier counts each tier's lookups itself.
   */
  private void registerTierGets(
      MeterRegistry registry, Cache<?, ?> cache, Iterable<Tag> tags, List<Meter> meters) {
    boolean memoryOnly = tiers.equals(EnumSet.of(Tier.MEMORY));
    for (Tier tier : Tier.values()) {
      if (!tiers.contains(tier)) {
        continue;
      }
      for (boolean hit : new boolean[] {true, false}) {
        ToDoubleFunction<Cache<?, ?>> count =
            memoryOnly
                ? (hit ? c -> instrumentation.hitCount() : c -> instrumentation.missCount())
                : c -> instrumentation.tierGetCount(tier, hit);
        meters.add(
            counter(CacheMetricNames.TIER_GETS, cache, count)
                .tags(tags)
                .tag(CacheTagNames.TIER, tier.tagValue())
                .tag(CacheTagNames.RESULT, hit ? CacheTagNames.HIT : CacheTagNames.MISS)
                .description("Lookups of one tier that found or did not find a value")
                .register(registry));
      }
    }
  }

  private static FunctionCounter.Builder<Cache<?, ?>> counter(
      String name, Cache<?, ?> cache, ToDoubleFunction<Cache<?, ?>> f) {
    return FunctionCounter.builder(name, cache, f);
  }

  // ---------------------------------------------------------------- close

  /**
   * Removes every meter this binder registered, in every registry, and detaches its listeners.
   * Idempotent; never throws. Called by the cache's {@code close()}.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Binding binding : bindings) {
      unbind(binding);
    }
    bindings.clear();
    if (slowLogAttached) {
      RecorderFanout.remove(instrumentation, slowLog);
      slowLogAttached = false;
    }
    Cache<?, ?> cache = getCache();
    if (cache != null && hookAdded) {
      ((Instrumented) cache).removeCloseHook(closeHook);
    }
  }

  /** Whether {@link #close()} was called (or the cache closed). */
  public synchronized boolean isClosed() {
    return closed;
  }

  private void unbind(Binding binding) {
    try {
      if (binding.push != null) {
        RecorderFanout.remove(instrumentation, binding.push);
      }
      if (binding.breakerPublisher != null) {
        binding.breakerPublisher.removeMetrics(circuitBreaker);
      }
      if (binding.retryPublisher != null) {
        binding.retryPublisher.removeMetrics(retry);
      }
      for (Meter meter : binding.meters) {
        binding.registry.remove(meter);
      }
      removeBaseMeters(binding.registry);
    } catch (RuntimeException e) {
      log.warn("removing the meters of cache '{}' failed: {}", cacheName, e.toString());
    }
  }

  /** Removes the meters {@code CacheMeterBinder.bindTo} registered, rebuilt from names and tags. */
  private void removeBaseMeters(MeterRegistry registry) {
    Tags tags = Tags.of(getTagsWithCacheName());
    registry.removeByPreFilterId(id(CacheMetricNames.SIZE, tags, Meter.Type.GAUGE));
    registry.removeByPreFilterId(
        id(CacheMetricNames.GETS, tags.and(CacheTagNames.RESULT, CacheTagNames.HIT), Meter.Type.COUNTER));
    registry.removeByPreFilterId(
        id(CacheMetricNames.GETS, tags.and(CacheTagNames.RESULT, CacheTagNames.MISS), Meter.Type.COUNTER));
    registry.removeByPreFilterId(id(CacheMetricNames.PUTS, tags, Meter.Type.COUNTER));
    registry.removeByPreFilterId(id(CacheMetricNames.EVICTIONS, tags, Meter.Type.COUNTER));
  }

  private static Meter.Id id(String name, Tags tags, Meter.Type type) {
    return new Meter.Id(name, tags, null, null, type);
  }

  /** Whether {@code registry} holds this cache's own {@code cache.removals} meter already. */
  private boolean registeredIn(MeterRegistry registry) {
    return registry.find(CacheMetricNames.REMOVALS).tags(getTagsWithCacheName()).meter() != null;
  }

  // ---------------------------------------------------------------- for tests

  /** Whether the monitored cache is still strongly reachable (for tests). */
  boolean cacheIsReachable() {
    return getCache() != null;
  }

  /** The slow-crypto log, null for memory-only caches. */
  SlowCryptoLog slowCryptoLog() {
    return slowLog;
  }

  @Override
  public String toString() {
    return "TieredCacheMetrics{cache=" + cacheName + ", tiers=" + tiers + (closed ? ", closed" : "") + '}';
  }

  /** What this binder registered in one registry. */
  private static final class Binding {
    final MeterRegistry registry;
    final List<Meter> meters = new ArrayList<>();
    PushMeters push;
    TaggedCircuitBreakerMetricsPublisher breakerPublisher;
    TaggedRetryMetricsPublisher retryPublisher;

    Binding(MeterRegistry registry) {
      this.registry = registry;
    }
  }
}
