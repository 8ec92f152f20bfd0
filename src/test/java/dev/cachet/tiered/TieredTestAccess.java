package dev.cachet.tiered;

import dev.cachet.Cache;
import dev.cachet.spi.RemoteTier;

/** Test-only access to a tiered cache's parts from tests in other packages. */
public final class TieredTestAccess {
  private TieredTestAccess() {}

  /** The remote tier {@code cache} calls (with its resilience decorator, when it has one). */
  @SuppressWarnings("unchecked")
  public static <V> RemoteTier<V> remoteOf(Cache<?, V> cache) {
    return ((TieredCache<?, V>) cache).remote();
  }
}
