/**
 * Resilience4j retry and circuit breaker around every remote-tier call, composed as
 * Fallback(Retry(CircuitBreaker(call))): the breaker sees every attempt, an open breaker ends the
 * retries at once, and the fallback (degraded mode) lives in the tiered cache, which owns the memory
 * tier. The only package that imports Resilience4j (besides metrics). Entry points: {@link
 * dev.cachet.resilience.ResilienceSettings} and {@link dev.cachet.resilience.Resilience}.
 */
package dev.cachet.resilience;
