package dev.cachet.redis;

/**
 * How a Redis cache lays out the plaintext it encrypts with Fernet. Chosen per cache with {@link
 * RedisCacheBuilder#format(RedisValueFormat)}; every instance sharing a cache must use the same format.
 */
public enum RedisValueFormat {
  /**
   * The default: a binary envelope (format byte, flags, authenticated absolute expiry, digest of the full
   * Redis key, payload, optionally deflated). A token moved to another key, cache or tenant, or kept past
   * its expiry by {@code PERSIST}, is rejected. Byte layout in {@code docs/security.md}.
   */
  SEALED,
  /**
   * The Fernet plaintext is exactly the UTF-8 JSON of the value, as existing Python services write it.
   * Gives up key binding, tenant binding, authenticated expiry and compression; use only for caches
   * shared with such services.
   */
  PLAIN_JSON
}
