package dev.cachet.metrics;

/**
 * The names of every meter {@link TieredCacheMetrics} registers, lowercase and dot-separated as
 * Micrometer names meters. The first four are Micrometer's own {@code CacheMeterBinder} meters, so a
 * Cachet cache sits next to every other cache of the application; the rest are new names, each always
 * of the same meter type with the same tag keys (the Prometheus registry requires it).
 *
 * <p>The circuit breaker and retry meters are Resilience4j's own ({@code resilience4j.circuitbreaker.*},
 * {@code resilience4j.retry.calls}), tagged {@code name=<cache name>}.
 */
public final class CacheMetricNames {

  private CacheMetricNames() {}

  /** FunctionCounter {@code {cache, result=hit|miss}}: lookups of the whole cache (every tier). */
  public static final String GETS = "cache.gets";

  /** FunctionCounter {@code {cache}}: entries stored. */
  public static final String PUTS = "cache.puts";

  /** FunctionCounter {@code {cache}}: memory-tier evictions by size or expiry. */
  public static final String EVICTIONS = "cache.evictions";

  /** Gauge {@code {cache}}: approximate memory-tier entry count. */
  public static final String SIZE = "cache.size";

  /** FunctionCounter {@code {cache}}: entries removed explicitly or replaced. */
  public static final String REMOVALS = "cache.removals";

  /** FunctionCounter {@code {cache}}, base unit bytes or entries: total weight of evicted entries. */
  public static final String EVICTION_WEIGHT = "cache.eviction.weight";

  /** FunctionCounter {@code {cache, result=success|failure}}: loader calls. */
  public static final String LOAD = "cache.load";

  /** TimeGauge {@code {cache}}: total time spent in loaders (as Micrometer's Caffeine binder). */
  public static final String LOAD_DURATION = "cache.load.duration";

  /** FunctionCounter {@code {cache, tier=memory|redis, result=hit|miss}}: lookups of one tier. */
  public static final String TIER_GETS = "cache.tier.gets";

  /** Timer {@code {cache, operation, result=success|failure}}: one Redis-tier operation. */
  public static final String REDIS_OPERATION = "cache.redis.operation";

  /** FunctionCounter {@code {cache, operation, reason}}: Redis-tier failures, classified. */
  public static final String REDIS_ERRORS = "cache.redis.errors";

  /** FunctionCounter {@code {cache, reason}}: stored values that could not be opened (security signal). */
  public static final String DECRYPTION_FAILURES = "cache.decryption.failures";

  /**
   * FunctionCounter {@code {cache}}: with cross-instance single flight on, loads this instance ran
   * without the key's lease while another instance may have been loading it (the wait for the holder's
   * value ran out, or the lease could not be taken): each is at most one duplicate loader call.
   */
  public static final String DUPLICATE_LOADS = "cache.load.duplicates";

  /** Gauge {@code {cache}}: 1 while the cache serves without its Redis tier, else 0. */
  public static final String DEGRADED = "cache.degraded";

  /** Timer {@code {cache}}: one encryption of a value. */
  public static final String ENCRYPT = "cache.encrypt";

  /** Timer {@code {cache}}: one successful decryption of a value. */
  public static final String DECRYPT = "cache.decrypt";

  /** DistributionSummary {@code {cache, operation=encrypt|decrypt}}, base unit bytes: plaintext sizes. */
  public static final String VALUE_SIZE = "cache.value.size";

  /** FunctionCounter {@code {cache}}: counter compare-and-set writes sent to Redis. */
  public static final String COUNTER_ATTEMPTS = "cache.counter.attempts";

  /** FunctionCounter {@code {cache}}: counter writes that lost to another writer (and were retried). */
  public static final String COUNTER_CONFLICTS = "cache.counter.conflicts";

  /** FunctionCounter {@code {cache}}: counter changes whose outcome could not be decided. */
  public static final String COUNTER_UNKNOWN_OUTCOMES = "cache.counter.unknown.outcomes";

  /** Time gauge: the default time to live the cache applies to writes now (changeable at run time). */
  public static final String DEFAULT_TTL = "cache.ttl.default";

  /** FunctionCounter {@code {cache}}: removal listener calls that threw (contained, never reach a cache call). */
  public static final String REMOVAL_LISTENER_FAILURES = "cache.removal.listener.failures";
}
