package dev.cachet;

import java.util.Map;
import java.util.Set;

/**
 * Loads several absent keys in one call, for {@link Cache#getAll(Iterable, BulkLoader)}. Same
 * contract as {@link CacheLoader#loadAll(Set)}: thread-safe, may throw, keys missing from the result
 * are absent.
 */
@FunctionalInterface
public interface BulkLoader<K, V> {

  /** Loads the values of {@code keys}, none of which was cached when the call began. */
  Map<? extends K, ? extends V> loadAll(Set<? extends K> keys) throws Exception;

  /** Adapts a {@link CacheLoader}'s {@code loadAll}. */
  static <K, V> BulkLoader<K, V> of(CacheLoader<K, V> loader) {
    return loader::loadAll;
  }
}
