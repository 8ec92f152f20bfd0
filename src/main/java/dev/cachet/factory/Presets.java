package dev.cachet.factory;

import dev.cachet.CachetEnvironment;
import dev.cachet.factory.CacheFactory.Preset;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.tiered.FailurePolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Every value of every preset, in one place: {@link CacheFactory} builds from these, and {@code
 * docs/configuration.md}'s preset table is generated from {@link #markdownTable()} (a test checks it).
 */
final class Presets {

  private Presets() {}

  /** How a preset hides Redis key names. */
  enum KeyNaming {
    /** With {@code CACHET_KEY_NAMING_SECRET} set; names readable otherwise. */
    WHEN_CONFIGURED,
    /** A Redis cache does not start without {@code CACHET_KEY_NAMING_SECRET}. */
    REQUIRED,
    /** The configured secret, else a secret generated for this factory. */
    EPHEMERAL
  }

  /** The values of one preset. */
  record Values(
      Duration defaultTtl,
      Duration memoryTtl,
      long memoryMaximumSize,
      long memoryMaximumBytes,
      int maxValueSize,
      int compressionThreshold,
      KeyNaming keyNaming,
      Duration leaseTime,
      Duration leaseWait,
      FailurePolicy failurePolicy,
      boolean ephemeralEncryptionKey,
      boolean noRetries,
      boolean manualTicker) {

    boolean boundedByBytes() {
      return memoryMaximumBytes > 0;
    }

    boolean crossInstanceLoading() {
      return leaseTime != null;
    }
  }

  static final int MIB = 1 << 20;

  static final Values WEB_APP =
      new Values(
          Duration.ofMinutes(5), Duration.ofMinutes(1), 10_000, 0,
          RedisCacheBuilder.DEFAULT_MAX_VALUE_SIZE, 0, KeyNaming.WHEN_CONFIGURED, null, null,
          FailurePolicy.SERVE_DEGRADED, false, false, false);

  static final Values AI_APP =
      new Values(
          Duration.ofHours(24), Duration.ofHours(1), 0, 256L * MIB, 8 * MIB, 4096,
          KeyNaming.REQUIRED, Duration.ofSeconds(30), Duration.ofSeconds(90),
          FailurePolicy.SERVE_DEGRADED, false, false, false);

  static final Values TESTING =
      new Values(
          Duration.ofMinutes(1), Duration.ofMinutes(1), 1_000, 0,
          RedisCacheBuilder.DEFAULT_MAX_VALUE_SIZE, 0, KeyNaming.EPHEMERAL, null, null,
          FailurePolicy.SERVE_DEGRADED, true, true, true);

  static Values of(Preset preset) {
    switch (preset) {
      case AI_APP:
        return AI_APP;
      case TESTING:
        return TESTING;
      default:
        return WEB_APP;
    }
  }

  // ---------------------------------------------------------------- the documented table

  /** The preset table of {@code docs/configuration.md}, one markdown line per row. */
  static String markdownTable() {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"setting", "`forWebApp`", "`forAiApp`", "`forTesting`"});
    rows.add(new String[] {"---", "---", "---", "---"});
    rows.add(row("tiers", v -> "memory, + Redis when `" + CachetEnvironment.REDIS_URL + "` or `"
        + CachetEnvironment.REDIS_CLUSTER_NODES + "` is set",
        v -> "memory, + Redis when `" + CachetEnvironment.REDIS_URL + "` or `"
            + CachetEnvironment.REDIS_CLUSTER_NODES + "` is set",
        v -> "memory; + Redis only when given (`forTesting(redis)`)"));
    rows.add(row("default TTL (`defaultTtl`; `CACHET_CACHE_<NAME>_TTL`)", v -> duration(v.defaultTtl())));
    rows.add(row("memory TTL (how long memory keeps a Redis entry)", v -> duration(v.memoryTtl())));
    rows.add(row("memory bound (`CACHET_CACHE_<NAME>_MAX_SIZE` sets an entry bound instead)",
        v -> v.boundedByBytes() ? bytes(v.memoryMaximumBytes()) + " (weighed: exact for `String` and"
            + " `byte[]`, else the serialized size)" : String.format(java.util.Locale.ROOT, "%,d entries", v.memoryMaximumSize())));
    rows.add(row("largest value stored in Redis", v -> bytes(v.maxValueSize())));
    rows.add(row("compression", v -> v.compressionThreshold() == 0 ? "off"
        : "values over " + bytes(v.compressionThreshold()) + " are compressed before sealing. Leak:"
            + " the token's length then follows the compressed size, which depends on the content;"
            + " an attacker who can read Redis and influence part of a value may learn about the"
            + " rest from lengths"));
    rows.add(row("key-name hiding (`" + CachetEnvironment.KEY_NAMING_SECRET + "`)", v -> {
      switch (v.keyNaming()) {
        case REQUIRED:
          return "required: with Redis, refuses to start without the secret";
        case EPHEMERAL:
          return "the secret if the factory's environment sets it (`forTesting` reads none), else one"
              + " generated for the factory";
        default:
          return "on whenever the secret is set";
      }
    }));
    rows.add(row("cross-instance single flight", v -> !v.crossInstanceLoading() ? "off"
        : "on: lease " + duration(v.leaseTime()) + " (renewed while loading), others wait up to "
            + duration(v.leaseWait()) + "; duplicates counted in `cache.load.duplicates`"));
    rows.add(row("encryption key", v -> v.ephemeralEncryptionKey()
        ? "the builder's `keyRing(...)` if given, else an ephemeral key (logged as a WARN); never read"
            + " from the environment"
        : "required with Redis (`" + CachetEnvironment.ENCRYPTION_KEYS + "`, `"
            + CachetEnvironment.ENCRYPTION_KEY + "` or `" + CachetEnvironment.LEGACY_ENCRYPTION_KEY
            + "`); refuses to start without one"));
    rows.add(row("resilience (retries, circuit breaker)", v -> v.noRetries()
        ? "`ResilienceSettings.testing()` with 1 attempt (no retries) and a 1 s command timeout"
        : "`" + CachetEnvironment.RESILIENCE_PROFILE + "`, else `" + CachetEnvironment.ENV
            + "` (`production` when unset)"));
    rows.add(row("failure policy", v -> "`" + v.failurePolicy() + "` (memory and loaders while Redis"
        + " is down)"));
    rows.add(row("Redis key prefix", v -> v.manualTicker() ? "`cachet-test-<random>` (one per factory)"
        : "`" + RedisCacheBuilder.DEFAULT_KEY_PREFIX + "`"));
    rows.add(row("memory time source", v -> v.manualTicker() ? "a `ManualTicker` (`factory.ticker()`)"
        : "the system clock"));
    StringBuilder sb = new StringBuilder();
    for (String[] cells : rows) {
      sb.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }
    return sb.toString();
  }

  private interface Cell {
    String of(Values v);
  }

  private static String[] row(String name, Cell cell) {
    return row(name, cell, cell, cell);
  }

  private static String[] row(String name, Cell web, Cell ai, Cell testing) {
    return new String[] {name, web.of(WEB_APP), ai.of(AI_APP), testing.of(TESTING)};
  }

  static String duration(Duration d) {
    if (d.toHours() > 0 && d.equals(Duration.ofHours(d.toHours()))) {
      return d.toHours() + " h";
    }
    if (d.toMinutes() > 0 && d.equals(Duration.ofMinutes(d.toMinutes()))) {
      return d.toMinutes() + " min";
    }
    return d.toSeconds() + " s";
  }

  static String bytes(long n) {
    if (n >= MIB && n % MIB == 0) {
      return n / MIB + " MiB";
    }
    if (n >= 1024 && n % 1024 == 0) {
      return n / 1024 + " KiB";
    }
    return n + " bytes";
  }
}
