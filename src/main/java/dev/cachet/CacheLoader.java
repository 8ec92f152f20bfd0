package dev.cachet;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Computes values for a cache on a miss. Used per call ({@link Cache#get(Object, CacheLoader)}) or at
 * build time, where refresh-ahead needs it.
 *
 * <p>Implementations must be thread-safe: a cache may call them from several threads at once, but never
 * for the same key at the same time within one cache instance (single-flight). A loader may block (it
 * never runs inside a lock that guards other keys) and may throw: unchecked exceptions reach the caller
 * as they are, checked ones wrapped in {@link CacheLoaderException}; either way nothing is stored.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface CacheLoader<K, V> {

  /**
   * Computes the value for {@code key}.
   *
   * @param key the absent key, never null
   * @return the value, or {@code null} to store nothing (or a short-lived absence marker when the cache
   *     caches absences)
   * @throws Exception any failure; the cache stores nothing for the key
   */
  V load(K key) throws Exception;

  /**
   * Computes the values for several absent keys at once. The default calls {@link #load(Object)} for
   * each key in turn; override it when the source has a batch call. Keys missing from the result (or
   * mapped to null) are treated as absent; extra keys in the result are ignored.
   */
  default Map<K, V> loadAll(Set<? extends K> keys) throws Exception {
    Map<K, V> result = new HashMap<>(Math.max(4, keys.size() * 2));
    for (K key : keys) {
      V value = load(key);
      if (value != null) {
        result.put(key, value);
      }
    }
    return result;
  }

  /**
   * Computes a fresh value for a key that is still cached, for refresh-ahead ({@code
   * TieredCacheBuilder.refreshAfterWrite}), on a background thread. The default calls {@link
   * #load(Object)}.
   *
   * @param key the cached key, never null
   * @param oldValue the value cached now, never null
   * @return the fresh value; {@code null} keeps the current value until it expires, is replaced or is
   *     invalidated (a refresh never removes an entry: invalidate it for that)
   * @throws Exception any failure; it is logged and counted as a load failure, and the current value
   *     stays, as with {@code null}
   */
  default V reload(K key, V oldValue) throws Exception {
    return load(key);
  }
}
