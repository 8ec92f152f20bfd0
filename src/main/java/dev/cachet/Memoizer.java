package dev.cachet;

import java.util.Objects;
import java.util.function.Function;

/**
 * Wraps a function so its calls go through a cache: the Java counterpart of the {@code @cache_result}
 * / {@code @memoize} decorators that Python caching layers offer. Concurrent calls with the same argument
 * run the function once (the cache's single-flight). A function returning {@code null} is not cached.
 */
public final class Memoizer {

  private Memoizer() {}

  /**
   * A function that answers from {@code cache}, calling {@code function} on a miss.
   *
   * @throws NullPointerException if an argument is null, or later if the function is called with null
   */
  public static <K, V> Function<K, V> memoize(Cache<K, V> cache, Function<? super K, ? extends V> function) {
    Objects.requireNonNull(cache, "cache must not be null");
    Objects.requireNonNull(function, "function must not be null");
    return key -> cache.get(key, function::apply);
  }

  /** Like {@link #memoize(Cache, Function)} for a loader that may throw. */
  public static <K, V> Function<K, V> memoizeLoader(Cache<K, V> cache, CacheLoader<? super K, ? extends V> loader) {
    Objects.requireNonNull(cache, "cache must not be null");
    Objects.requireNonNull(loader, "loader must not be null");
    return key -> cache.get(key, loader);
  }
}
