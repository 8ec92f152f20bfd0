package dev.cachet.internal;

import dev.cachet.Cache;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** Test-only access to {@link AbstractCache}'s hooks from tests in other packages. */
public final class InternalTestAccess {
  private InternalTestAccess() {}

  /**
   * Makes every later loading read of {@code cache} ({@code getAll(keys, loader)}, and the async
   * {@code get}/{@code getAll} with future-returning loaders) call {@code hook} once its lookup has
   * answered, and claim its missing keys only when the returned future completes; null removes it.
   * The hook must not block (it may run on a Redis client thread).
   */
  public static void afterLookup(Cache<?, ?> cache, Supplier<CompletableFuture<?>> hook) {
    ((AbstractCache<?, ?>) cache).afterLookupHook = hook;
  }
}
