package dev.cachet.internal;

import dev.cachet.Tier;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What a metrics binder needs from a cache, without the cache knowing any metrics library: its
 * counters, its memory-tier size, its tiers, its resilience components and a close hook. {@link
 * AbstractCache} implements it; caches with a remote tier or resilience decorators override the
 * defaults. Not API.
 */
public interface Instrumented {

  /** The counters of this cache (the source of {@code stats()} and of the pull-style meters). */
  CacheInstrumentation instrumentation();

  /** The approximate entry count of the memory tier; empty when there is none or the cache is closed. */
  OptionalLong memoryTierSize();

  /**
   * The tiers this cache stores in. Decides which tier, Redis and crypto meters a binder registers:
   * a cache with {@link Tier#REDIS} gets them, a memory-only cache does not.
   */
  Set<Tier> tiers();

  /**
   * The Resilience4j {@code CircuitBreaker} guarding the remote tier, typed {@code Object} so that
   * this package does not depend on Resilience4j; empty when there is none.
   */
  Optional<Object> circuitBreaker();

  /** The Resilience4j {@code Retry} of the remote tier, typed {@code Object}; empty when none. */
  Optional<Object> retry();

  /**
   * Runs {@code hook} once when the cache closes, after the cache's own resources are released; at
   * once when it is already closed. Hooks must not throw (what they throw is logged and ignored).
   */
  void addCloseHook(Runnable hook);

  /** Forgets a hook added by {@link #addCloseHook}; nothing when it is unknown. */
  void removeCloseHook(Runnable hook);
}
