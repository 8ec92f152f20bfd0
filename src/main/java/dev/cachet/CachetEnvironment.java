package dev.cachet;

import dev.cachet.CacheConfigurationException.Reason;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place Cachet reads configuration from the environment. Every variable Cachet understands is
 * a constant here; nothing else in Cachet calls {@link System#getenv()}.
 *
 * <p>Values come from an injectable {@code Map} ({@link #of(Map)}), the process environment by default
 * ({@link #system()}), so tests never need real variables. A blank value counts as unset. A value that
 * cannot be parsed throws a {@link CacheConfigurationException} with reason {@code
 * INVALID_ENVIRONMENT_VARIABLE} naming the variable and the accepted form; variables holding secrets are
 * read through {@link #secret(String)} and their values are never echoed.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class CachetEnvironment {

  /** Primary Fernet key (URL-safe base64, 44 characters). */
  public static final String ENCRYPTION_KEY = "CACHET_ENCRYPTION_KEY";
  /** The name existing Python deployments use for the same key; read when {@link #ENCRYPTION_KEY} is unset. */
  public static final String LEGACY_ENCRYPTION_KEY = "REDIS_ENCRYPTION_KEY";
  /** A comma-separated key ring, primary first; takes precedence over the single-key variables. */
  public static final String ENCRYPTION_KEYS = "CACHET_ENCRYPTION_KEYS";
  /**
   * Secret for hiding Redis key names ({@code dev.cachet.crypto.KeyNameHasher}): at least 32 bytes as
   * URL-safe base64 with padding, e.g. the output of {@code keygen}. Separate from the encryption keys
   * and never rotated with them, because changing it renames every key.
   */
  public static final String KEY_NAMING_SECRET = "CACHET_KEY_NAMING_SECRET";
  /** Redis URI: {@code redis://}, {@code rediss://} or {@code redis-sentinel://}. */
  public static final String REDIS_URL = "CACHET_REDIS_URL";
  /** Comma-separated Redis Cluster seed URIs. */
  public static final String REDIS_CLUSTER_NODES = "CACHET_REDIS_CLUSTER_NODES";
  /** Timeout of every Redis command, e.g. {@code 500ms}; default 1 s. */
  public static final String REDIS_COMMAND_TIMEOUT = "CACHET_REDIS_COMMAND_TIMEOUT";
  /** Timeout of one Redis connection attempt, e.g. {@code 2s}; default 2 s. */
  public static final String REDIS_CONNECT_TIMEOUT = "CACHET_REDIS_CONNECT_TIMEOUT";
  /**
   * Resilience preset: {@code development}, {@code production} or {@code testing}; when unset, the one
   * {@link #ENV} names.
   */
  public static final String RESILIENCE_PROFILE = "CACHET_RESILIENCE_PROFILE";
  /**
   * The deployment: {@code development}, {@code production} or {@code testing}; unset means {@code
   * production}. Picks the resilience preset (unless {@link #RESILIENCE_PROFILE} is set) and the
   * factory's defaults.
   */
  public static final String ENV = "CACHET_ENV";
  /**
   * Which preset {@code CacheFactory.fromEnvironment()} uses: {@code web-app} (the default) or {@code
   * ai-app}.
   */
  public static final String PRESET = "CACHET_PRESET";
  /**
   * {@code true} makes an unknown {@code CACHET_*} variable an error instead of a warning; default
   * {@code false}.
   */
  public static final String STRICT_ENV = "CACHET_STRICT_ENV";
  /**
   * The payload format a factory's Redis-backed caches write: {@code json} (the default) or {@code
   * cbor} (needs {@code jackson-dataformat-cbor}; safe only once every reader of the cache runs a
   * release that reads it, see {@code dev.cachet.serialization.PayloadFormat}). Every cache reads both.
   */
  public static final String PAYLOAD_FORMAT = "CACHET_PAYLOAD_FORMAT";
  /**
   * Prefix of the per-cache variables {@code CACHET_CACHE_<NAME>_TTL} and {@code
   * CACHET_CACHE_<NAME>_MAX_SIZE}; see {@link #cacheVariable(String, String)}.
   */
  public static final String CACHE_PREFIX = "CACHET_CACHE_";
  /** Suffix of a cache's default time to live, e.g. {@code CACHET_CACHE_USER_PROFILES_TTL=10m}. */
  public static final String TTL_SUFFIX = "_TTL";
  /**
   * Suffix of a cache's memory-tier entry bound, e.g. {@code CACHET_CACHE_USERS_MAX_SIZE=50000} (it
   * replaces a byte bound).
   */
  public static final String MAX_SIZE_SUFFIX = "_MAX_SIZE";
  /** Variables with this prefix are reserved for Cachet's own tests and never checked. */
  public static final String TEST_PREFIX = "CACHET_TEST_";

  /** The deployments {@link #ENV} names. */
  public enum Deployment {
    /** A developer's machine: fail fast. */
    DEVELOPMENT,
    /** The default. */
    PRODUCTION,
    /** Automated tests. */
    TESTING
  }

  private static final List<String> KNOWN =
      List.of(
          ENCRYPTION_KEY, ENCRYPTION_KEYS, KEY_NAMING_SECRET, REDIS_URL, REDIS_CLUSTER_NODES,
          REDIS_COMMAND_TIMEOUT, REDIS_CONNECT_TIMEOUT, RESILIENCE_PROFILE, ENV, PRESET, STRICT_ENV,
          PAYLOAD_FORMAT);

  private static final String REDIS_URI_FORM =
      "redis://[user:password@]host[:port][/db], rediss://... or"
          + " redis-sentinel://[password@]host[:port][,host:port]#masterName";

  private static final Pattern CACHE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
  private static final Pattern SIMPLE_DURATION =
      Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

  private final Map<String, String> variables;

  private CachetEnvironment(Map<String, String> variables) {
    this.variables = Map.copyOf(variables);
  }

  /** The process environment. */
  public static CachetEnvironment system() {
    return new CachetEnvironment(System.getenv());
  }

  /**
   * An environment backed by {@code variables} (copied).
   *
   * @throws NullPointerException if {@code variables} or any key or value in it is null
   */
  public static CachetEnvironment of(Map<String, String> variables) {
    Objects.requireNonNull(variables, "variables must not be null");
    return new CachetEnvironment(variables);
  }

  /** The trimmed value of {@code name}, empty when unset or blank. The value may be echoed in errors. */
  public Optional<String> string(String name) {
    Objects.requireNonNull(name, "name must not be null");
    String value = variables.get(name);
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(value.trim());
  }

  /**
   * The trimmed value of a variable that holds a secret. Identical to {@link #string(String)}, but marks
   * the call site: callers must never put the value in a message, log or {@code toString()}.
   */
  public Optional<String> secret(String name) {
    return string(name);
  }

  /**
   * A duration: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d} or ISO-8601 ({@code
   * PT30S}). Must be positive.
   */
  public Optional<Duration> duration(String name) {
    return string(name).map(value -> parseDuration(name, value));
  }

  /** A whole number, at least {@code min}. */
  public OptionalLong longValue(String name, long min) {
    Optional<String> value = string(name);
    if (value.isEmpty()) {
      return OptionalLong.empty();
    }
    long parsed;
    try {
      parsed = Long.parseLong(value.get());
    } catch (NumberFormatException e) {
      throw invalid(name, value.get(), "a whole number of at least " + min);
    }
    if (parsed < min) {
      throw invalid(name, value.get(), "a whole number of at least " + min);
    }
    return OptionalLong.of(parsed);
  }

  /** {@code true}/{@code false} (also {@code yes}/{@code no}, {@code 1}/{@code 0}), case-insensitive. */
  public Optional<Boolean> bool(String name) {
    return string(name)
        .map(
            value -> {
              switch (value.toLowerCase(Locale.ROOT)) {
                case "true":
                case "yes":
                case "1":
                  return Boolean.TRUE;
                case "false":
                case "no":
                case "0":
                  return Boolean.FALSE;
                default:
                  throw invalid(name, value, "true or false");
              }
            });
  }

  /** One of {@code type}'s constants, matched case-insensitively with {@code -} read as {@code _}. */
  public <E extends Enum<E>> Optional<E> enumValue(String name, Class<E> type) {
    return string(name)
        .map(
            value -> {
              String wanted = value.replace('-', '_').toUpperCase(Locale.ROOT);
              for (E constant : type.getEnumConstants()) {
                if (constant.name().equals(wanted)) {
                  return constant;
                }
              }
              List<String> accepted = new ArrayList<>();
              for (E constant : type.getEnumConstants()) {
                accepted.add(constant.name().toLowerCase(Locale.ROOT));
              }
              throw invalid(name, value, "one of " + accepted);
            });
  }

  /** A comma-separated list, items trimmed, empty items rejected; empty when unset. */
  public List<String> list(String name) {
    return string(name).map(value -> splitList(name, value, false)).orElse(List.of());
  }

  /** Like {@link #list(String)} for a variable holding secrets: errors never echo the value. */
  public List<String> secretList(String name) {
    return secret(name).map(value -> splitList(name, value, true)).orElse(List.of());
  }

  private static List<String> splitList(String name, String value, boolean secret) {
    List<String> items = new ArrayList<>();
    for (String item : value.split(",", -1)) {
      String trimmed = item.trim();
      if (trimmed.isEmpty()) {
        String shown = secret ? "<hidden>" : value;
        throw invalid(name, shown, "a comma-separated list without empty items");
      }
      items.add(trimmed);
    }
    return List.copyOf(items);
  }

  static Duration parseDuration(String name, String value) {
    Duration duration;
    Matcher matcher = SIMPLE_DURATION.matcher(value);
    if (matcher.matches()) {
      long amount = Long.parseLong(matcher.group(1));
      switch (matcher.group(2).toLowerCase(Locale.ROOT)) {
        case "ms":
          duration = Duration.ofMillis(amount);
          break;
        case "s":
          duration = Duration.ofSeconds(amount);
          break;
        case "m":
          duration = Duration.ofMinutes(amount);
          break;
        case "h":
          duration = Duration.ofHours(amount);
          break;
        default:
          duration = Duration.ofDays(amount);
          break;
      }
    } else {
      try {
        duration = Duration.parse(value);
      } catch (DateTimeParseException e) {
        throw invalid(name, value, DURATION_FORM);
      }
    }
    if (duration.isZero() || duration.isNegative()) {
      throw invalid(name, value, DURATION_FORM);
    }
    return duration;
  }

  private static final String DURATION_FORM =
      "a positive duration such as 500ms, 30s, 5m, 2h, 1d or ISO-8601 PT30S";

  private static CacheConfigurationException invalid(String name, String shown, String expected) {
    return new CacheConfigurationException(
        Reason.INVALID_ENVIRONMENT_VARIABLE,
        "environment variable " + name + " is '" + shown + "'; expected " + expected);
  }

  /** {@link #ENV}, {@code PRODUCTION} when unset. */
  public Deployment deployment() {
    return enumValue(ENV, Deployment.class).orElse(Deployment.PRODUCTION);
  }

  /**
   * The name of a per-cache variable: {@code CACHET_CACHE_} + the cache name in upper case with {@code
   * -} and {@code .} written as {@code _} + {@code suffix} ({@link #TTL_SUFFIX} or {@link
   * #MAX_SIZE_SUFFIX}). So {@code user-profiles} reads {@code CACHET_CACHE_USER_PROFILES_TTL}; names
   * that differ only in those characters share their variables.
   *
   * @throws IllegalArgumentException if {@code cacheName} is not a cache name
   */
  public static String cacheVariable(String cacheName, String suffix) {
    Objects.requireNonNull(cacheName, "cacheName must not be null");
    Objects.requireNonNull(suffix, "suffix must not be null");
    if (!CACHE_NAME.matcher(cacheName).matches()) {
      throw new IllegalArgumentException(
          "not a cache name: '" + cacheName + "'; expected letters, digits, '_', '-' or '.'");
    }
    return CACHE_PREFIX
        + cacheName.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_')
        + suffix;
  }

  /** {@code CACHET_CACHE_<NAME>_TTL}: the cache's default time to live, when set. */
  public Optional<Duration> cacheTtl(String cacheName) {
    return duration(cacheVariable(cacheName, TTL_SUFFIX));
  }

  /** {@code CACHET_CACHE_<NAME>_MAX_SIZE}: the cache's memory-tier entry bound (at least 1), when set. */
  public OptionalLong cacheMaximumSize(String cacheName) {
    return longValue(cacheVariable(cacheName, MAX_SIZE_SUFFIX), 1);
  }

  /**
   * {@link #REDIS_URL}, checked for its form (scheme, hosts, ports, a Sentinel master name).
   *
   * @throws CacheConfigurationException ({@code INVALID_REDIS_URI}) naming the variable, what is wrong
   *     and the accepted form; never the value, which may hold a password
   */
  public Optional<String> redisUrl() {
    return secret(REDIS_URL).map(url -> checkRedisUri(REDIS_URL, url, false));
  }

  /**
   * {@link #REDIS_CLUSTER_NODES}: seed URIs ({@code redis://host:port} or {@code host:port}), each
   * checked like {@link #redisUrl()}; empty when unset.
   *
   * @throws CacheConfigurationException ({@code INVALID_REDIS_URI}) naming the variable and the item
   */
  public List<String> redisClusterNodes() {
    List<String> seeds = secretList(REDIS_CLUSTER_NODES);
    for (int i = 0; i < seeds.size(); i++) {
      String seed = seeds.get(i);
      checkRedisUri(
          REDIS_CLUSTER_NODES + " (item " + (i + 1) + " of " + seeds.size() + ")",
          seed.contains("://") ? seed : "redis://" + seed,
          true);
    }
    return seeds;
  }

  private static String checkRedisUri(String where, String uri, boolean clusterSeed) {
    String problem = redisUriProblem(uri, clusterSeed);
    if (problem != null) {
      throw new CacheConfigurationException(
          Reason.INVALID_REDIS_URI,
          "environment variable " + where + " is not a valid Redis URI: " + problem
              + " (the value is not shown because it may hold a password); expected "
              + (clusterSeed ? "redis://host:port or host:port" : REDIS_URI_FORM));
    }
    return uri;
  }

  /** What is wrong with {@code uri}, or null. Messages never quote the URI. */
  private static String redisUriProblem(String uri, boolean clusterSeed) {
    int schemeEnd = uri.indexOf("://");
    if (schemeEnd < 0) {
      return "no scheme";
    }
    String scheme = uri.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
    boolean sentinel = scheme.equals("redis-sentinel") || scheme.equals("rediss-sentinel");
    if (!(scheme.equals("redis") || scheme.equals("rediss") || sentinel)) {
      return "the scheme is not redis, rediss or redis-sentinel";
    }
    if (clusterSeed && sentinel) {
      return "a cluster seed cannot be a Sentinel URI";
    }
    String rest = uri.substring(schemeEnd + 3);
    if (rest.chars().anyMatch(c -> c <= ' ')) {
      return "it contains spaces or control characters";
    }
    int authorityEnd = rest.length();
    for (char c : new char[] {'/', '?', '#'}) {
      int at = rest.indexOf(c, rest.lastIndexOf('@') + 1);
      if (at >= 0 && at < authorityEnd) {
        authorityEnd = at;
      }
    }
    String authority = rest.substring(rest.lastIndexOf('@', authorityEnd) + 1, authorityEnd);
    if (authority.isEmpty()) {
      return "no host";
    }
    String[] hosts = authority.split(",", -1);
    if (hosts.length > 1 && !sentinel) {
      return "several hosts are only accepted for redis-sentinel:// (use "
          + REDIS_CLUSTER_NODES + " for a cluster)";
    }
    for (String hostPort : hosts) {
      String host = hostPort;
      String port = null;
      if (hostPort.startsWith("[")) { // IPv6 literal
        int close = hostPort.indexOf(']');
        if (close < 0) {
          return "an IPv6 host lacks its closing ']'";
        }
        host = hostPort.substring(0, close + 1);
        if (close + 1 < hostPort.length()) {
          if (hostPort.charAt(close + 1) != ':') {
            return "unexpected characters after an IPv6 host";
          }
          port = hostPort.substring(close + 2);
        }
      } else if (hostPort.indexOf(':') >= 0) {
        host = hostPort.substring(0, hostPort.indexOf(':'));
        port = hostPort.substring(hostPort.indexOf(':') + 1);
      }
      if (host.isEmpty()) {
        return "a host is empty";
      }
      if (port != null && !port.matches("\\d{1,5}")) {
        return "a port is not a number";
      }
      if (port != null && (Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535)) {
        return "a port is outside 1-65535";
      }
    }
    if (sentinel) {
      int hash = rest.indexOf('#', authorityEnd);
      if (hash < 0 || hash == rest.length() - 1) {
        return "a Sentinel URI needs the master name after '#'";
      }
    }
    return null;
  }

  /**
   * The names of the fixed variables Cachet reads (the per-cache ones are {@link #cacheVariable(String,
   * String)}; {@code CACHET_TEST_*} is reserved for tests).
   */
  public static List<String> knownVariables() {
    return KNOWN;
  }

  /**
   * Checks every {@code CACHET_*} variable that is set against the ones Cachet reads. Returns one
   * warning per unknown variable, naming the closest known one; under {@link #STRICT_ENV}{@code =true}
   * the first unknown variable is an error instead. {@code CACHET_TEST_*} is never checked. Values are
   * never read or echoed.
   *
   * @throws CacheConfigurationException ({@code INVALID_ENVIRONMENT_VARIABLE}) under strict checking, or
   *     if {@link #STRICT_ENV} itself is malformed
   */
  public List<String> checkVariables() {
    boolean strict = bool(STRICT_ENV).orElse(false);
    List<String> names = new ArrayList<>(variables.keySet());
    names.sort(null);
    List<String> warnings = new ArrayList<>();
    for (String name : names) {
      if (!name.startsWith("CACHET_") || name.startsWith(TEST_PREFIX) || isKnown(name)) {
        continue;
      }
      String message =
          "unknown environment variable " + name + "; did you mean " + closestKnown(name) + "?";
      if (strict) {
        throw new CacheConfigurationException(
            Reason.INVALID_ENVIRONMENT_VARIABLE,
            message + " (" + STRICT_ENV + "=true makes unknown CACHET_* variables errors; the known"
                + " ones are listed in docs/configuration.md)");
      }
      warnings.add(message + " It is ignored.");
    }
    return List.copyOf(warnings);
  }

  private static boolean isKnown(String name) {
    if (KNOWN.contains(name)) {
      return true;
    }
    if (!name.startsWith(CACHE_PREFIX)) {
      return false;
    }
    for (String suffix : List.of(TTL_SUFFIX, MAX_SIZE_SUFFIX)) {
      if (name.endsWith(suffix) && name.length() > CACHE_PREFIX.length() + suffix.length()) {
        return true;
      }
    }
    return false;
  }

  /** The known name (or per-cache pattern) nearest to {@code name} by edit distance. */
  static String closestKnown(String name) {
    List<String> candidates = new ArrayList<>(KNOWN);
    if (name.startsWith(CACHE_PREFIX)) {
      // compare the tail with the per-cache suffixes, keeping what looks like the cache name
      String tail = name.substring(CACHE_PREFIX.length());
      int cut = tail.lastIndexOf('_');
      String cache = cut > 0 ? tail.substring(0, cut) : tail;
      if (cache.endsWith("_MAX")) {
        cache = cache.substring(0, cache.length() - 4);
      }
      String base = CACHE_PREFIX + (cache.isEmpty() ? "<NAME>" : cache);
      candidates.add(base + TTL_SUFFIX);
      candidates.add(base + MAX_SIZE_SUFFIX);
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : candidates) {
      int d = editDistance(name, candidate);
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    return best;
  }

  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  /** Lists the names of the variables that are set, never their values. */
  @Override
  public String toString() {
    List<String> names = new ArrayList<>(variables.keySet());
    names.removeIf(n -> !n.startsWith("CACHET_") && !n.equals(LEGACY_ENCRYPTION_KEY));
    names.sort(null);
    return "CachetEnvironment" + names;
  }
}
