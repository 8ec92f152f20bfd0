package dev.cachet.redis;

/** The server-side scripts of the Redis tier; each touches one key, so all are cluster-safe. */
final class LuaScripts {

  private LuaScripts() {}

  /** Deletes KEYS[1] only if it still holds ARGV[1]; returns 1 when deleted. */
  static final String COMPARE_AND_DELETE =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

  /** Sets PEXPIRE ARGV[2] on KEYS[1] only if it still holds ARGV[1]; returns 1 when renewed. */
  static final String COMPARE_AND_PEXPIRE =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end"
          + " return 0";

  /**
   * Replaces KEYS[1] with ARGV[2] only if it still holds ARGV[1], keeping its remaining TTL; returns 1
   * when replaced, 0 when the value changed or the key is gone or has no TTL left.
   */
  static final String COMPARE_AND_SET_KEEP_TTL =
      "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end "
          + "local ttl = redis.call('PTTL', KEYS[1]) "
          + "if ttl == -1 then redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') return 1 end "
          + "if ttl <= 0 then return 0 end "
          + "redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl) return 1";

  /**
   * The generation of a cache. ARGV[1] = 'bump' or 'ensure', ARGV[2] = now (ms), ARGV[3] = the highest
   * generation the caller has seen. 'bump' sets a generation above now, the highest seen and the stored
   * one; 'ensure' returns the stored one, recreating it above the highest seen (and at least now) when
   * it was lost or went backwards. Generations are whole milliseconds, so a recreated key lands above
   * every generation used before the loss.
   */
  static final String GENERATION =
      "local raw = redis.call('GET', KEYS[1]) "
          + "local cur = nil "
          + "if raw then cur = tonumber(raw) end "
          + "local now = tonumber(ARGV[2]) "
          + "local seen = tonumber(ARGV[3]) "
          + "if ARGV[1] == 'ensure' and cur and cur >= seen then return cur end "
          + "local n = math.max(now, seen + 1) "
          + "if cur and cur >= n then n = cur + 1 end "
          + "redis.call('SET', KEYS[1], string.format('%d', n)) "
          + "return n";
}
