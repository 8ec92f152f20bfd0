/**
 * Micrometer metrics for Cachet caches: {@link dev.cachet.metrics.TieredCacheMetrics} binds a cache's
 * counters, timers and its Resilience4j breaker and retry to a {@code MeterRegistry}. The only package
 * that imports Micrometer: the tiers record into {@code dev.cachet.internal.CacheInstrumentation} and
 * know nothing of it. Arguments and results are non-null unless stated.
 */
package dev.cachet.metrics;
