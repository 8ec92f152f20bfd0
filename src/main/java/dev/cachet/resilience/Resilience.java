package dev.cachet.resilience;

import dev.cachet.CacheConfigurationException;
import dev.cachet.Cache;
import dev.cachet.internal.Instrumented;
import dev.cachet.internal.Preconditions;
import dev.cachet.internal.ReconnectNotifier;
import dev.cachet.spi.RemoteTier;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryRegistry;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Puts a remote tier behind Resilience4j: {@code Resilience.decorate(redisTier, settings)} returns the
 * same tier with Retry(CircuitBreaker(call)) around every call, one breaker and one retry per cache,
 * both named after the cache. Most code never calls it: {@code TieredCacheBuilder.resilience(settings)}
 * and {@code RedisCacheBuilder.resilience(settings)} decorate the tier they build. The fallback
 * (degraded mode) is the tiered cache's.
 *
 * <p>When the tier tells that its connection came back (the Redis tier does, on every reconnect), an
 * open breaker moves to half-open at once, so a recovered Redis is used again within a probe's time.
 *
 * <p>Breakers and retries are created in the settings' registries when given (a breaker of the same
 * name already there is reused), else in private ones that are dropped when the tier closes.
 */
public final class Resilience {

  private static final ScheduledExecutorService RETRY_SCHEDULER = retryScheduler();
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Resilience.class);

  private Resilience() {}

  /**
   * Decorates {@code tier}; the result owns {@code tier} and closes it.
   *
   * @throws NullPointerException if an argument is null
   * @throws CacheConfigurationException if the tier's command timeout exceeds the settings'
   */
  public static <V> RemoteTier<V> decorate(RemoteTier<V> tier, ResilienceSettings settings) {
    Preconditions.requireNonNull(tier, "tier");
    Preconditions.requireNonNull(settings, "settings");
    String name = tier.cacheName();
    tier.commandTimeout()
        .filter(t -> t.compareTo(settings.commandTimeout()) > 0)
        .ifPresent(
            t -> {
              throw new CacheConfigurationException(
                  CacheConfigurationException.Reason.INCONSISTENT_SETTINGS,
                  "cache '" + name + "': the Redis command timeout (" + t.toMillis()
                      + " ms) is longer than the resilience settings' commandTimeout ("
                      + settings.commandTimeout().toMillis() + " ms); the retry bound and the"
                      + " slow-call threshold assume the latter. Set both to the same value.");
            });
    CircuitBreakerRegistry breakers =
        settings.circuitBreakerRegistry().orElseGet(CircuitBreakerRegistry::ofDefaults);
    RetryRegistry retries = settings.retryRegistry().orElseGet(RetryRegistry::ofDefaults);
    boolean ownBreakers = settings.circuitBreakerRegistry().isEmpty();
    boolean ownRetries = settings.retryRegistry().isEmpty();
    CircuitBreaker breaker = breakers.circuitBreaker(name, settings.circuitBreakerConfig());
    Retry retry = retries.retry(name, settings.retryConfig());
    AutoCloseable reconnects =
        tier instanceof ReconnectNotifier
            ? ((ReconnectNotifier) tier).onReconnected(() -> probeNow(breaker))
            : () -> {};
    Runnable onClose =
        () -> {
          try {
            reconnects.close();
          } catch (Exception e) {
            // never thrown by our notifiers; nothing to do while closing
          }
          if (ownBreakers) {
            breakers.remove(name);
          }
          if (ownRetries) {
            retries.remove(name);
          }
        };
    ResilientRemoteTier<V> decorated =
        new ResilientRemoteTier<>(tier, breaker, retry, RETRY_SCHEDULER, onClose, true);
    decorated.worstCaseLatency(settings.worstCaseLatency());
    return decorated;
  }

  /**
   * Moves an open breaker to half-open: the connection is back, so probe now instead of waiting out the
   * open state. A concurrent transition wins; nothing else changes.
   */
  static void probeNow(CircuitBreaker breaker) {
    if (breaker.getState() != CircuitBreaker.State.OPEN) {
      return;
    }
    try {
      breaker.transitionToHalfOpenState();
      log.info("circuit breaker '{}': the Redis connection is back; probing now (HALF_OPEN) instead of"
          + " waiting out the open state", breaker.getName());
    } catch (RuntimeException e) { // IllegalStateTransitionException: another thread moved it
      log.debug("circuit breaker '{}' moved meanwhile: {}", breaker.getName(), breaker.getState());
    }
  }

  /**
   * The circuit breaker guarding {@code cache}'s remote tier (a tiered or Redis-only cache built with
   * resilience settings), for metrics, health checks and operators; empty for caches without one.
   *
   * @throws NullPointerException if {@code cache} is null
   */
  public static Optional<CircuitBreaker> circuitBreakerOf(Cache<?, ?> cache) {
    Preconditions.requireNonNull(cache, "cache");
    return cache instanceof Instrumented
        ? ((Instrumented) cache).circuitBreaker().filter(CircuitBreaker.class::isInstance).map(CircuitBreaker.class::cast)
        : Optional.empty();
  }

  /**
   * The retry of {@code cache}'s remote tier; empty for caches without resilience settings.
   *
   * @throws NullPointerException if {@code cache} is null
   */
  public static Optional<Retry> retryOf(Cache<?, ?> cache) {
    Preconditions.requireNonNull(cache, "cache");
    return cache instanceof Instrumented
        ? ((Instrumented) cache).retry().filter(Retry.class::isInstance).map(Retry.class::cast)
        : Optional.empty();
  }

  /** The breaker of a tier made by {@link #decorate}, for metrics and operators. */
  public static Optional<CircuitBreaker> circuitBreakerOf(RemoteTier<?> tier) {
    return tier instanceof ResilientRemoteTier
        ? Optional.of(((ResilientRemoteTier<?>) tier).breaker())
        : Optional.empty();
  }

  /** The retry of a tier made by {@link #decorate}. */
  public static Optional<Retry> retryOf(RemoteTier<?> tier) {
    return tier instanceof ResilientRemoteTier
        ? Optional.of(((ResilientRemoteTier<?>) tier).retryInstance())
        : Optional.empty();
  }

  private static ScheduledExecutorService retryScheduler() {
    AtomicInteger count = new AtomicInteger();
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "cachet-retry-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }
}
