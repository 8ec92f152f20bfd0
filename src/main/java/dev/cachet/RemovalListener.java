package dev.cachet;

/**
 * Told when an entry leaves a cache's memory tier, with the {@link RemovalCause}. Set on the builder
 * ({@code MemoryCacheBuilder.removalListener}, {@code TieredCacheBuilder.removalListener}). Called on the
 * cache's executor, never on the thread that caused the removal, in no guaranteed order; an exception it
 * throws is contained (logged at most once a minute and counted in {@code cache.removal.listener.failures})
 * and never reaches a cache call. Must be thread-safe.
 *
 * @param <K> the key type (a tiered cache reports its <em>encoded</em> keys, the {@link KeyCodec} output)
 * @param <V> the value type
 */
@FunctionalInterface
public interface RemovalListener<K, V> {

  /** {@code key} and {@code value} left the memory tier because of {@code cause}; never null. */
  void onRemoval(K key, V value, RemovalCause cause);
}
