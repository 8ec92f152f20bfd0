package dev.cachet.internal;

import java.time.Duration;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/** Argument and state checks with messages that name the parameter and the bad value. */
public final class Preconditions {

  private static final Pattern CACHE_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  /** The one tenant-id grammar (builders, tenant views, the CLI): a Redis key segment. */
  public static final String TENANT_ID_RULE = "[A-Za-z0-9_.-]{1,64}";

  private static final Pattern TENANT_ID = Pattern.compile(TENANT_ID_RULE);

  /** The longest time to live Cachet accepts; longer ones would overflow nanosecond arithmetic. */
  public static final Duration MAX_TTL = Duration.ofDays(365 * 100L);

  private Preconditions() {}

  /** Throws {@code NullPointerException("<name> must not be null")} when {@code value} is null. */
  public static <T> T requireNonNull(T value, String name) {
    if (value == null) {
      throw new NullPointerException(name + " must not be null");
    }
    return value;
  }

  /** Throws {@code IllegalArgumentException} with the message when {@code condition} is false. */
  public static void requireArgument(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Like {@link #requireArgument(boolean, String)}, building the message only on failure. */
  public static void requireArgument(boolean condition, Supplier<String> message) {
    if (!condition) {
      throw new IllegalArgumentException(message.get());
    }
  }

  /** Throws {@code IllegalStateException} with the message when {@code condition} is false. */
  public static void requireState(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }

  /**
   * Checks a time to live: non-null, positive, at most {@link #MAX_TTL}.
   *
   * @return {@code ttl}
   */
  public static Duration requireTtl(Duration ttl, String name) {
    requireNonNull(ttl, name);
    if (ttl.isZero() || ttl.isNegative()) {
      throw new IllegalArgumentException(name + " must be positive: " + ttl.toMillis() + " ms");
    }
    if (ttl.compareTo(MAX_TTL) > 0) {
      throw new IllegalArgumentException(
          name + " must be at most " + MAX_TTL.toDays() + " days: " + ttl.toDays() + " days");
    }
    return ttl;
  }

  /** Checks a positive duration (timeouts and intervals). */
  public static Duration requirePositive(Duration duration, String name) {
    requireNonNull(duration, name);
    if (duration.isZero() || duration.isNegative()) {
      throw new IllegalArgumentException(
          name + " must be positive: " + duration.toMillis() + " ms");
    }
    return duration;
  }

  /** Checks {@code value >= min}. */
  public static long requireAtLeast(long value, long min, String name) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be at least " + min + ": " + value);
    }
    return value;
  }

  /**
   * Checks a cache name against {@code [a-z0-9][a-z0-9_-]{0,62}}: cache names become metric tags and
   * Redis key segments.
   */
  public static String requireCacheName(String name) {
    requireNonNull(name, "name");
    if (!CACHE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "cache name must match [a-z0-9][a-z0-9_-]{0,62} (lowercase letters, digits, '_' and '-',"
              + " at most 63 characters, starting with a letter or digit): '"
              + printable(name)
              + "'");
    }
    return name;
  }

  /**
   * Checks a tenant id against {@value #TENANT_ID_RULE}: letters, digits, {@code _ . -}, 1 to 64
   * characters (no {@code :} and no glob characters, so it is a safe Redis key segment). The one rule for
   * {@code RedisCacheBuilder.tenant}, {@code MultiTenantCache.forTenant} and the CLI.
   *
   * @return {@code tenantId}
   * @throws NullPointerException if {@code tenantId} is null
   * @throws IllegalArgumentException naming the rule, if it does not match
   */
  public static String requireTenantId(String tenantId) {
    requireNonNull(tenantId, "tenantId");
    if (!TENANT_ID.matcher(tenantId).matches()) {
      throw new IllegalArgumentException(
          "tenantId must match " + TENANT_ID_RULE + " (letters, digits, '_', '.' and '-', 1 to 64"
              + " characters; no ':' or glob characters): '" + printable(tenantId) + "'");
    }
    return tenantId;
  }

  /** A short, printable rendering of a user string for messages (truncated, controls escaped). */
  public static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    int limit = Math.min(s.length(), 80);
    for (int i = 0; i < limit; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (s.length() > limit) {
      sb.append("...(").append(s.length()).append(" chars)");
    }
    return sb.toString();
  }
}
