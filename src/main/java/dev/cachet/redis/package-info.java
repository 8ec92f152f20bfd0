/**
 * The Redis tier on Lettuce: {@link dev.cachet.redis.RedisConnections} (shared, closeable) and {@link
 * dev.cachet.redis.RedisCacheBuilder}. The only package that imports Lettuce; implementations are
 * package-private. Parameters and results are non-null unless documented otherwise.
 */
package dev.cachet.redis;
