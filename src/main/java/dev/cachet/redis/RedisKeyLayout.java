package dev.cachet.redis;

import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.internal.Preconditions;
import java.util.regex.Pattern;

/**
 * Maps encoded cache keys to Redis key names, one-to-one:
 *
 * <pre>
 *   entry:      {prefix}:{cache}:v{schema}:g{generation}:{tenant}:k:{encodedKey}
 *   hidden:     {prefix}:{cache}:v{schema}:g{generation}:{tenant}:h:{hmac(encodedKey)}
 *   counter:    {prefix}:{cache}:v{schema}:g{generation}:{tenant}:n:{encodedKey}
 *   hidden:     {prefix}:{cache}:v{schema}:g{generation}:{tenant}:m:{hmac("#counter:" + encodedKey)}
 *   generation: {prefix}:{cache}:gen
 *   lease:      {prefix}:{cache}:lease:v{schema}:{tenant}:k:{encodedKey}
 *   channel:    {prefix}:{cache}:bus
 * </pre>
 *
 * where {@code {tenant}} is {@code -} without a tenant and {@code t.<id>} with one. Every segment before
 * the encoded key is validated to exclude {@code :} and glob characters, so the segments parse back
 * unambiguously: tenant {@code a} + key {@code b:c} and tenant {@code a:b} + key {@code c} cannot both
 * exist (the second tenant is invalid), and the key is always the whole rest of the name. The key itself
 * needs no escaping for the mapping; it is escaped wherever it enters a {@code SCAN MATCH} pattern.
 * Immutable and thread-safe.
 */
final class RedisKeyLayout {

  /** Prefix and tenant segments: no ':' and no glob characters. */
  static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private final String prefix;
  private final String cacheName;
  private final int schemaVersion;
  private final String tenant;
  private final KeyNameHasher hasher;
  private final String cacheRoot;
  private final String tenantSegment;

  RedisKeyLayout(
      String prefix, String cacheName, int schemaVersion, String tenant, KeyNameHasher hasher) {
    this.prefix = requireSegment(prefix, "keyPrefix");
    this.cacheName = Preconditions.requireCacheName(cacheName);
    Preconditions.requireArgument(
        schemaVersion >= 0, () -> "schemaVersion must not be negative: " + schemaVersion);
    this.schemaVersion = schemaVersion;
    this.tenant = tenant == null ? null : requireSegment(tenant, "tenant");
    this.hasher = hasher;
    this.cacheRoot = prefix + ":" + cacheName + ":";
    this.tenantSegment = tenant == null ? "-" : "t." + tenant;
  }

  static String requireSegment(String value, String what) {
    Preconditions.requireNonNull(value, what);
    Preconditions.requireArgument(
        SEGMENT.matcher(value).matches(),
        () -> what + " must match [A-Za-z0-9_.-]{1,64} (no ':' and no glob characters): '"
            + Preconditions.printable(value) + "'");
    return value;
  }

  RedisKeyLayout forTenant(String tenantId) {
    return new RedisKeyLayout(prefix, cacheName, schemaVersion, tenantId, hasher);
  }

  String tenant() {
    return tenant;
  }

  boolean hidesNames() {
    return hasher != null;
  }

  String generationKey() {
    return cacheRoot + "gen";
  }

  String channel() {
    return cacheRoot + "bus";
  }

  private String keyPart(String encodedKey) {
    return hasher == null ? "k:" + encodedKey : "h:" + hasher.hash(encodedKey);
  }

  /**
   * The hidden name of an encoded key (what follows {@code h:} in its Redis names), or null when names
   * are not hidden. Coherence messages carry it instead of the key.
   */
  String hiddenName(String encodedKey) {
    return hasher == null ? null : hasher.hash(encodedKey);
  }

  String entryKey(long generation, String encodedKey) {
    return cacheRoot + "v" + schemaVersion + ":g" + generation + ":" + tenantSegment + ":"
        + keyPart(encodedKey);
  }

  /**
   * The Redis key of {@code encodedKey}'s counter: beside its entry (the same generation, so {@code
   * invalidateAll} and the cleanup of old generations take counters too), never equal to any entry key
   * (the {@code n:}/{@code m:} segment), and, with hidden names, not linkable to the entry's name.
   */
  String counterKey(long generation, String encodedKey) {
    return cacheRoot + "v" + schemaVersion + ":g" + generation + ":" + tenantSegment + ":"
        + (hasher == null ? "n:" + encodedKey : "m:" + hasher.hash("#counter:" + encodedKey));
  }

  String leaseKey(String encodedKey) {
    return cacheRoot + "lease:v" + schemaVersion + ":" + tenantSegment + ":" + keyPart(encodedKey);
  }

  /**
   * The {@code SCAN MATCH} pattern of this view's entries in {@code generation} whose encoded key
   * matches {@code glob} ({@code *} and {@code ?} wild, everything else literal).
   */
  String matchPattern(long generation, String glob) {
    return escapeGlob(cacheRoot + "v" + schemaVersion + ":g" + generation + ":" + tenantSegment + ":k:")
        + globToRedis(glob);
  }

  /** The pattern of every entry of the cache, all schema versions, generations and tenants. */
  String allEntriesPattern() {
    return escapeGlob(cacheRoot + "v") + "*";
  }

  /** The generation of an entry key of this cache, or -1 when the name is not one. */
  long generationOf(String redisKey) {
    if (!redisKey.startsWith(cacheRoot + "v")) {
      return -1;
    }
    int g = redisKey.indexOf(":g", cacheRoot.length());
    if (g < 0) {
      return -1;
    }
    int end = redisKey.indexOf(':', g + 2);
    if (end < 0) {
      return -1;
    }
    try {
      return Long.parseLong(redisKey, g + 2, end, 10);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Whether {@code redisKey} is an entry key of this view's tenant (or of the untenanted view), in any
   * schema version and generation.
   */
  boolean isEntryOfThisTenant(String redisKey) {
    if (generationOf(redisKey) < 0) {
      return false;
    }
    int g = redisKey.indexOf(":g", cacheRoot.length());
    int afterGeneration = redisKey.indexOf(':', g + 2) + 1;
    return redisKey.startsWith(tenantSegment + ":", afterGeneration);
  }

  /** Escapes every glob metacharacter of Redis {@code MATCH}: {@code * ? [ ] \}. */
  static String escapeGlob(String literal) {
    StringBuilder sb = new StringBuilder(literal.length() + 8);
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
        sb.append('\\');
      }
      sb.append(c);
    }
    return sb.toString();
  }

  /** A user glob ({@code *}, {@code ?} wild; {@code [}, {@code ]}, {@code \} literal) for Redis MATCH. */
  static String globToRedis(String glob) {
    StringBuilder sb = new StringBuilder(glob.length() + 8);
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '[' || c == ']' || c == '\\') {
        sb.append('\\');
      }
      sb.append(c);
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return cacheRoot + "v" + schemaVersion + ":g*:" + tenantSegment + (hasher == null ? ":k:*" : ":h:*");
  }
}
