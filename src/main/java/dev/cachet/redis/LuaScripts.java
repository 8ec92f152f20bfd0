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
   * The generation of a cache. ARGV[1] = 'bump' or 'ensure', ARGV[2] = the caller's clock (ms; kept
   * for compatibility, not used), ARGV[3] = the highest generation the caller has seen. 'bump' sets a
   * generation above now, the highest seen and the stored one; 'ensure' returns the stored one,
   * recreating it above the highest seen (and above now) when it was lost or went backwards. "Now" is
   * the Redis server's own clock in microseconds ({@code TIME}), not the caller's: application clocks
   * may be skewed, and millisecond resolution let a key recreated within the same millisecond as the
   * last bump land on the bumped generation. A recreated key therefore lands above every generation
   * used before the loss unless more than one bump per microsecond ran ahead of the server clock.
   *
   * <p>Returns {@code {generation, seconds, microseconds}}: the generation and the server's {@code TIME}
   * reply, from which the caller learns the offset of its clock to the server's (expiry is sealed in
   * server time) without a command of its own.
   */
  static final String GENERATION =
      "local raw = redis.call('GET', KEYS[1]) "
          + "local cur = nil "
          + "if raw then cur = tonumber(raw) end "
          + "local t = redis.call('TIME') "
          + "local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) + 1 "
          + "local seen = tonumber(ARGV[3]) "
          + "if ARGV[1] == 'ensure' and cur and cur >= seen then return {cur, tonumber(t[1]), tonumber(t[2])} end "
          + "local n = math.max(now, seen + 1) "
          + "if cur and cur >= n then n = cur + 1 end "
          + "redis.call('SET', KEYS[1], string.format('%d', n)) "
          + "return {n, tonumber(t[1]), tonumber(t[2])}";

  /**
   * Compare-and-set on one entry key: sets KEYS[1] to ARGV[2] with {@code PX} ARGV[3] only if it holds
   * exactly the bytes ARGV[1]; returns 1 when set, 0 otherwise (changed, deleted, expired, or a value
   * of another type, which is left alone).
   */
  static final String COMPARE_AND_SET =
      "local cur = redis.pcall('GET', KEYS[1]) "
          + "if type(cur) ~= 'string' or cur ~= ARGV[1] then return 0 end "
          + "redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) "
          + "return 1";

  /**
   * Deletes KEYS[1] only if it holds a value that is not a string (a list, hash, set, ... where an
   * entry belongs: a {@code WRONGTYPE} reply); returns 1 when deleted. A string written meanwhile is a
   * real entry and is left alone.
   */
  static final String DELETE_IF_NOT_STRING =
      "local t = redis.call('TYPE', KEYS[1])['ok'] "
          + "if t ~= 'string' and t ~= 'none' then return redis.call('DEL', KEYS[1]) end "
          + "return 0";

  /**
   * The generations of a cache's tenants, in the hash KEYS[1] (field = tenant id). ARGV[1] = 'bump' or
   * 'ensure', then pairs ARGV[2i] = tenant, ARGV[2i+1] = the highest generation the caller has seen of
   * it. Per tenant, the rules of {@link #GENERATION}: 'bump' sets a generation above the server's clock
   * in microseconds, the highest seen and the stored one; 'ensure' returns the stored one, recreating it
   * the same way when it is missing or went backwards. Returns the generations in argument order.
   */
  static final String TENANT_GENERATIONS =
      "local t = redis.call('TIME') "
          + "local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) + 1 "
          + "local out = {} "
          + "for i = 2, #ARGV, 2 do "
          + "local f = ARGV[i] "
          + "local seen = tonumber(ARGV[i + 1]) "
          + "local raw = redis.call('HGET', KEYS[1], f) "
          + "local cur = nil "
          + "if raw then cur = tonumber(raw) end "
          + "if ARGV[1] == 'ensure' and cur and cur >= seen then "
          + "out[#out + 1] = cur "
          + "else "
          + "local n = math.max(now, seen + 1) "
          + "if cur and cur >= n then n = cur + 1 end "
          + "redis.call('HSET', KEYS[1], f, string.format('%d', n)) "
          + "out[#out + 1] = n "
          + "end "
          + "end "
          + "return out";

  /**
   * The counters' compare-and-set on one key: sets KEYS[1] to ARGV[2] with {@code PXAT} ARGV[3] (the
   * sealed expiry, in the server's epoch milliseconds) only if it holds exactly the bytes ARGV[1], or,
   * when ARGV[1] is empty (a Fernet token never is), only if it holds nothing. Returns 1 when set, 0
   * otherwise (changed, deleted, expired, created meanwhile, or a value of another type, left alone).
   */
  static final String COUNTER_COMPARE_AND_SET =
      "local cur = redis.pcall('GET', KEYS[1]) "
          + "if ARGV[1] == '' then "
          + "if cur ~= false then return 0 end "
          + "elseif type(cur) ~= 'string' or cur ~= ARGV[1] then return 0 end "
          + "redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3]) "
          + "return 1";
}
