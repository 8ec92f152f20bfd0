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
  /** Resilience preset: {@code development}, {@code production} or {@code testing}. */
  public static final String RESILIENCE_PROFILE = "CACHET_RESILIENCE_PROFILE";

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

  /** Lists the names of the variables that are set, never their values. */
  @Override
  public String toString() {
    List<String> names = new ArrayList<>(variables.keySet());
    names.removeIf(n -> !n.startsWith("CACHET_") && !n.equals(LEGACY_ENCRYPTION_KEY));
    names.sort(null);
    return "CachetEnvironment" + names;
  }
}
