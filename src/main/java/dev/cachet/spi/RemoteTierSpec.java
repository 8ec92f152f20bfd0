package dev.cachet.spi;

/**
 * A remote tier not yet built: a builder (Cachet's {@code RedisCacheBuilder}) configured with what is
 * specific to the remote tier (connections, key ring, serializer, key layout...), which a composing
 * builder such as {@code TieredCacheBuilder.remote(spec)} builds with the composed cache's name, key
 * codec, TTL and statistics, so those are set once, on the composing builder.
 *
 * <p>Implemented by Cachet's remote builders only; applications pass one, they do not implement it (a
 * custom remote tier is given ready-made to {@code TieredCacheBuilder.remoteTier(RemoteTier)}). A spec
 * is read when the composing cache is built and may be reused for several caches.
 *
 * @param <V> the value type
 */
public interface RemoteTierSpec<V> {}
