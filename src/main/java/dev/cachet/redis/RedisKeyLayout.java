package dev.cachet.redis;

import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.internal.Preconditions;
import java.util.regex.Pattern;

/**
 * Maps encoded cache keys to Redis key names, one-to-one:
 *
 * <pre>
 *   entry:      {prefix}:{cache}:v{schema}:g{generation}:{tenant}:k:{encodedKey}
 *   hidden:     {prefix}:{cache}:v{schema}:g{generation}:{tenant}:h:{hmac(encodedKey)}      (naming scheme 1)
 *               {prefix}:{cache}:v{schema}:g{generation}:{tenant}:h2:{hmac2(prefix:cache:tenant:encodedKey)}
 *   generation: {prefix}:{cache}:gen                  (the cache's)
 *               {prefix}:{cache}:gen:tenants          (a hash: {tenant} -> the tenant's generation)
 *   counter:    {prefix}:{cache}:v{schema}:g{generation}:{tenant}:n:{encodedKey}
 *               {prefix}:{cache}:v{schema}:g{generation}:{tenant}:m:{hmac("#counter:" + encodedKey)}   (hidden)
 *   lease:      {prefix}:{cache}:lease:v{schema}:{tenant}:k:{encodedKey}
 *   channel:    {prefix}:{cache}:bus
 * </pre>
 *
 * where {@code {tenant}} is {@code -} without a tenant and {@code t.<id>} with one ({@code
 * h.<hmac>}, {@link KeyNameHasher#hashTenant}, under naming scheme 2, so no tenant id is readable), and {@code
 * {generation}} is the cache's generation without a tenant and {@code <cache's>.<tenant's>} with one (a
 * tenant's {@code invalidateAll} bumps its own generation only). Every segment before
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
    this.tenant = tenant == null ? null : Preconditions.requireTenantId(tenant);
    this.hasher = hasher;
    this.cacheRoot = prefix + ":" + cacheName + ":";
    this.tenantSegment =
        tenant == null ? "-" : bindsNames(hasher) ? "h." + hasher.hashTenant(prefix, cacheName, tenant) : "t." + tenant;
  }

  private static boolean bindsNames(KeyNameHasher hasher) {
    return hasher != null && hasher.scheme() == KeyNameHasher.Scheme.BOUND;
  }

  /** This view's tenant segment: {@code -}, {@code t.<id>} or, under naming scheme 2, {@code h.<hmac>}. */
  String tenantSegment() {
    return tenantSegment;
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

  String tenantGenerationsKey() {
    return cacheRoot + "gen:tenants";
  }

  String channel() {
    return cacheRoot + "bus";
  }

  private String keyPart(String encodedKey) {
    if (hasher == null) {
      return "k:" + encodedKey;
    }
    if (hasher.scheme() == KeyNameHasher.Scheme.KEY_ONLY) {
      return "h:" + hasher.hash(encodedKey);
    }
    return "h2:" + hasher.hash(prefix, cacheName, tenant, encodedKey);
  }

  /**
   * How a tenant of this cache is named in coherence messages: {@code t.<id>}, or {@code h.<hmac>}
   * ({@link KeyNameHasher#hashTenant}) when key names are hidden.
   */
  String announcedTenant(String tenantId) {
    return hasher == null ? "t." + tenantId : "h." + hasher.hashTenant(prefix, cacheName, tenantId);
  }

  /**
   * The hidden name of an encoded key in this view (what follows {@code h:} or {@code h2:} in its Redis
   * names), or null when names are not hidden. Coherence messages carry it instead of the key.
   */
  String hiddenName(String encodedKey) {
    if (hasher == null) {
      return null;
    }
    return hasher.scheme() == KeyNameHasher.Scheme.KEY_ONLY
        ? hasher.hash(encodedKey)
        : hasher.hash(prefix, cacheName, tenant, encodedKey);
  }

  /** The entry key in {@code generation}: the cache's, then {@code .} and the tenant's for a tenant view. */
  String entryKey(String generation, String encodedKey) {
    return cacheRoot + "v" + schemaVersion + ":g" + generation + ":" + tenantSegment + ":"
        + keyPart(encodedKey);
  }

  /** The entry key of the untenanted view in cache generation {@code generation} (tests). */
  String entryKey(long generation, String encodedKey) {
    return entryKey(Long.toString(generation), encodedKey);
  }

  /**
   * The Redis key of {@code encodedKey}'s counter in {@code generation} (as {@link #entryKey(String,
   * String)}): beside its entry (the same generation, so {@code invalidateAll} and the cleanup of old
   * generations take counters too), never equal to any entry key (the {@code n:}/{@code m:} segment),
   * and, with hidden names, not linkable to the entry's name.
   */
  String counterKey(String generation, String encodedKey) {
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
  String matchPattern(String generation, String glob) {
    return escapeGlob(cacheRoot + "v" + schemaVersion + ":g" + generation + ":" + tenantSegment + ":k:")
        + globToRedis(glob);
  }

  /** The pattern of every entry of the cache, all schema versions, generations and tenants. */
  String allEntriesPattern() {
    return escapeGlob(cacheRoot + "v") + "*";
  }

  /**
   * The pattern of every entry of this view's tenant, all schema versions and generations (entries of
   * other tenants whose encoded key happens to match are filtered with {@link #isEntryOfThisTenant}).
   */
  String tenantEntriesPattern() {
    return escapeGlob(cacheRoot + "v") + "*:" + escapeGlob(tenantSegment + ":") + "*";
  }

  /**
   * The cache generation of an entry key of this cache, or -1 when the name is not one. Strict: {@code
   * v<digits>:g<digits>[.<digits>]:<tenant>:<k|h|h2>:<rest>} after the cache root, where the tenant is
   * {@code -}, {@code t.<segment>} or {@code h.<segment>}; a sign, a non-numeric schema, an overflowing
   * generation or a missing tenant or key part make it not an entry key (they did not, when a {@code
   * ":g"} anywhere was searched and {@code Long.parseLong} accepted a {@code +}).
   */
  long generationOf(String redisKey) {
    int[] bounds = generationBounds(redisKey);
    return bounds == null ? -1 : Long.parseLong(redisKey, bounds[0], bounds[1], 10);
  }

  /**
   * The tenant generation of an entry key of this cache ({@code g<cache>.<tenant>}), or -1 when the
   * name is not an entry key or has none (an untenanted entry, or one written before tenants had
   * generations).
   */
  long tenantGenerationOf(String redisKey) {
    int[] bounds = generationBounds(redisKey);
    return bounds == null || bounds[2] < 0 ? -1 : Long.parseLong(redisKey, bounds[2], bounds[3], 10);
  }

  /** The index just after {@code g<digits>[.<digits>]:} of an entry key, or -1 when it is not one. */
  private int afterGeneration(String redisKey) {
    int[] bounds = generationBounds(redisKey);
    return bounds == null ? -1 : bounds[4];
  }

  /**
   * For an entry key of this cache: the cache generation's digits [0, 1), the tenant generation's [2, 3)
   * (-1, -1 without one) and the index after the generation's {@code :} [4]; null when not an entry key.
   */
  private int[] generationBounds(String redisKey) {
    if (!redisKey.startsWith(cacheRoot + "v")) {
      return null;
    }
    int i = cacheRoot.length() + 1;
    int schemaEnd = digits(redisKey, i, 9);
    if (schemaEnd < 0 || !redisKey.startsWith(":g", schemaEnd)) {
      return null;
    }
    int generationStart = schemaEnd + 2;
    int generationEnd = digits(redisKey, generationStart, 18);
    if (generationEnd < 0 || generationEnd >= redisKey.length()) {
      return null;
    }
    int tenantGenerationStart = -1;
    int tenantGenerationEnd = -1;
    int after = generationEnd;
    if (redisKey.charAt(after) == '.') {
      tenantGenerationStart = after + 1;
      tenantGenerationEnd = digits(redisKey, tenantGenerationStart, 18);
      if (tenantGenerationEnd < 0 || tenantGenerationEnd >= redisKey.length()) {
        return null;
      }
      after = tenantGenerationEnd;
    }
    if (redisKey.charAt(after) != ':') {
      return null;
    }
    int tenantStart = after + 1;
    int tenantEnd = redisKey.indexOf(':', tenantStart);
    if (tenantEnd < 0) {
      return null;
    }
    String tenantPart = redisKey.substring(tenantStart, tenantEnd);
    boolean tenantOk =
        tenantPart.equals("-")
            || ((tenantPart.startsWith("t.") || tenantPart.startsWith("h."))
                && SEGMENT.matcher(tenantPart.substring(2)).matches());
    if (!tenantOk) {
      return null;
    }
    int keyStart = tenantEnd + 1;
    int keyPartEnd;
    if (redisKey.startsWith("k:", keyStart) || redisKey.startsWith("h:", keyStart)
        || redisKey.startsWith("n:", keyStart) || redisKey.startsWith("m:", keyStart)) {
      keyPartEnd = keyStart + 2;
    } else if (redisKey.startsWith("h2:", keyStart)) {
      keyPartEnd = keyStart + 3;
    } else {
      return null;
    }
    if (redisKey.length() == keyPartEnd) {
      return null;
    }
    return new int[] {generationStart, generationEnd, tenantGenerationStart, tenantGenerationEnd, after + 1};
  }

  /** The end of 1 to {@code max} ASCII digits starting at {@code from}, or -1. */
  private static int digits(String s, int from, int max) {
    int i = from;
    while (i < s.length() && i - from < max && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
      i++;
    }
    if (i == from || (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9')) {
      return -1;
    }
    return i;
  }

  /**
   * Whether {@code redisKey} is an entry key of this view's tenant (or of the untenanted view), in any
   * schema version and generation.
   */
  boolean isEntryOfThisTenant(String redisKey) {
    int afterGeneration = afterGeneration(redisKey);
    return afterGeneration >= 0 && redisKey.startsWith(tenantSegment + ":", afterGeneration);
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
    return cacheRoot + "v" + schemaVersion + ":g*:" + tenantSegment
        + (hasher == null ? ":k:*" : hasher.scheme() == KeyNameHasher.Scheme.KEY_ONLY ? ":h:*" : ":h2:*");
  }
}
