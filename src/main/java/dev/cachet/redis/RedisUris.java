package dev.cachet.redis;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import io.lettuce.core.RedisURI;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Validates Redis URIs fully before Lettuce sees them: Lettuce accepts {@code
 * redis://127.0.0.1:notaport}, an unescaped {@code @} in a password or an empty host and gives
 * connections that never connect. Every problem is a {@link CacheConfigurationException} with reason
 * {@code INVALID_REDIS_URI} that names the part that is wrong and the fix, and never echoes the value
 * (it may hold a password). Stateless and thread-safe.
 */
final class RedisUris {

  private RedisUris() {}

  static final List<String> QUERY_OPTIONS =
      List.of(
          RedisURI.PARAMETER_NAME_TIMEOUT,
          RedisURI.PARAMETER_NAME_DATABASE,
          RedisURI.PARAMETER_NAME_DATABASE_ALT,
          RedisURI.PARAMETER_NAME_SENTINEL_MASTER_ID,
          RedisURI.PARAMETER_NAME_CLIENT_NAME,
          RedisURI.PARAMETER_NAME_LIBRARY_NAME,
          RedisURI.PARAMETER_NAME_LIBRARY_VERSION,
          RedisURI.PARAMETER_NAME_VERIFY_PEER);

  private static final String FORMS =
      "expected redis://[user:password@]host[:port][/db][?option=value], rediss://... or"
          + " redis-sentinel://[password@]host[:port][,host[:port]]#masterName";
  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?");
  private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.]+(%[A-Za-z0-9._~-]+)?]");
  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,9}");
  private static final Pattern TIMEOUT = Pattern.compile("[0-9]{1,12}(ns|us|ms|s|m|h|d)?");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");
  private static final Pattern PERCENT = Pattern.compile("%(?![0-9A-Fa-f]{2})");

  /**
   * Validates {@code value} and parses it with Lettuce.
   *
   * @throws NullPointerException if {@code value} is null
   * @throws CacheConfigurationException ({@code INVALID_REDIS_URI}) naming what is wrong
   */
  static RedisURI parse(String value) {
    Objects.requireNonNull(value, "uri must not be null");
    validate(value);
    RedisURI parsed;
    try {
      parsed = RedisURI.create(value);
    } catch (RuntimeException e) {
      // The cause is dropped on purpose: its message may quote the URI, password included.
      throw invalid("Lettuce could not parse it", FORMS);
    }
    if (parsed.getSentinels().isEmpty() && (parsed.getHost() == null || parsed.getHost().isEmpty())) {
      throw invalid("it names no host", FORMS);
    }
    return parsed;
  }

  /** Checks the syntax; see {@link #parse}. */
  static void validate(String value) {
    String lower = value.toLowerCase(Locale.ROOT);
    boolean sentinel;
    int schemeEnd = lower.indexOf("://");
    String scheme = schemeEnd < 0 ? "" : lower.substring(0, schemeEnd);
    switch (scheme) {
      case "redis":
      case "rediss":
        sentinel = false;
        break;
      case "redis-sentinel":
      case "rediss-sentinel":
        sentinel = true;
        break;
      default:
        throw invalid("the scheme must be redis://, rediss://, redis-sentinel:// or rediss-sentinel://",
            FORMS);
    }
    String rest = value.substring(schemeEnd + 3);
    for (int i = 0; i < rest.length(); i++) {
      char c = rest.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        throw invalid("it contains a space or a control character at position " + (schemeEnd + 3 + i),
            "remove it, or percent-encode it (%20) if it belongs to the password");
      }
    }
    if (PERCENT.matcher(rest).find()) {
      throw invalid("it contains a '%' that does not start a percent-encoded byte",
          "percent-encode a '%' in the password as %25");
    }
    String fragment = null;
    int hash = rest.indexOf('#');
    if (hash >= 0) {
      if (!sentinel) {
        throw invalid("it has a '#' fragment, which only redis-sentinel:// uses",
            "percent-encode '#' in the password as %23");
      }
      fragment = rest.substring(hash + 1);
      rest = rest.substring(0, hash);
    }
    String query = null;
    int question = rest.indexOf('?');
    if (question >= 0) {
      query = rest.substring(question + 1);
      rest = rest.substring(0, question);
    }
    // The authority ends at the first '/' after the last '@' (a '/' in a password is legal there only
    // when encoded, but looking after the '@' keeps the message about the real problem).
    int at = rest.lastIndexOf('@');
    int slash = rest.indexOf('/', at + 1);
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash);
    String hosts = authority;
    if (at >= 0) {
      String userInfo = authority.substring(0, at);
      hosts = authority.substring(at + 1);
      if (userInfo.indexOf('@') >= 0) {
        throw invalid("the user info contains an unescaped '@'",
            "percent-encode '@' in the user name or password as %40");
      }
      if (userInfo.indexOf('/') >= 0 || userInfo.indexOf('?') >= 0) {
        throw invalid("the user info contains an unescaped '/' or '?'",
            "percent-encode them in the password as %2F and %3F");
      }
      if (userInfo.isEmpty()) {
        throw invalid("it has an '@' but no user info before it",
            "remove the '@', or give [user]:password before it");
      }
      int colon = userInfo.indexOf(':');
      if (colon >= 0 && userInfo.indexOf(':', colon + 1) >= 0) {
        throw invalid("the user info contains more than one ':'",
            "percent-encode ':' in the password as %3A");
      }
    }
    if (hosts.isEmpty()) {
      throw invalid("the host is empty", FORMS);
    }
    String[] parts = hosts.split(",", -1);
    if (!sentinel && parts.length > 1) {
      throw invalid("it lists several hosts, which only redis-sentinel:// accepts",
          "use redis-sentinel://host1,host2#masterName, or RedisConnections.createCluster(seeds) for"
              + " a Redis Cluster");
    }
    for (String hostPort : parts) {
      validateHostPort(hostPort);
    }
    if (!path.isEmpty() && !path.equals("/")) {
      String db = path.substring(1);
      if (!DIGITS.matcher(db).matches()) {
        throw invalid("the database after '/' is not a non-negative number",
            "write the database number, e.g. redis://host:6379/0");
      }
    }
    if (sentinel) {
      boolean masterInQuery =
          query != null && query.contains(RedisURI.PARAMETER_NAME_SENTINEL_MASTER_ID + "=");
      if ((fragment == null || fragment.isEmpty()) && !masterInQuery) {
        throw invalid("a Sentinel URI needs the master name",
            "append #masterName, e.g. redis-sentinel://host:26379#mymaster");
      }
    }
    if (fragment != null && !fragment.isEmpty() && !NAME.matcher(fragment).matches()) {
      throw invalid("the Sentinel master name is not a plain name", "use letters, digits, '_', '.', ':' or '-'");
    }
    if (query != null) {
      validateQuery(query);
    }
  }

  private static void validateHostPort(String hostPort) {
    String host;
    String port = null;
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0) {
        throw invalid("an IPv6 host lacks its closing ']'", "write [::1]:6379");
      }
      host = hostPort.substring(0, close + 1);
      String after = hostPort.substring(close + 1);
      if (!after.isEmpty()) {
        if (!after.startsWith(":")) {
          throw invalid("an IPv6 host is followed by something other than ':port'", "write [::1]:6379");
        }
        port = after.substring(1);
      }
      if (!IPV6.matcher(host).matches()) {
        throw invalid("an IPv6 host is malformed", "write [::1]:6379");
      }
    } else {
      int colon = hostPort.indexOf(':');
      host = colon < 0 ? hostPort : hostPort.substring(0, colon);
      port = colon < 0 ? null : hostPort.substring(colon + 1);
      if (host.isEmpty()) {
        throw invalid("the host is empty", FORMS);
      }
      if (!HOST_NAME.matcher(host).matches()) {
        throw invalid("the host is not a host name or an IP address (a ':' or '@' in the password"
            + " must be percent-encoded)", FORMS);
      }
    }
    if (port != null) {
      int p = -1;
      if (DIGITS.matcher(port).matches()) {
        p = Integer.parseInt(port);
      }
      if (p < 1 || p > 65_535) {
        throw invalid("the port is not a number between 1 and 65535",
            "write host:6379, or leave the port out for the default (a ':' or '@' in the password"
                + " must be percent-encoded)");
      }
    }
  }

  private static void validateQuery(String query) {
    if (query.isEmpty()) {
      return;
    }
    for (String pair : query.split("&", -1)) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw invalid("a query option is not name=value", "write ?timeout=2s&clientName=app");
      }
      String name = pair.substring(0, eq);
      String v = pair.substring(eq + 1);
      if (!QUERY_OPTIONS.contains(name)) {
        throw invalid("it has an unknown query option (its name is not shown: it may be part of a"
            + " password with an unescaped '?')", "use only " + QUERY_OPTIONS);
      }
      boolean ok;
      switch (name) {
        case RedisURI.PARAMETER_NAME_TIMEOUT:
          ok = TIMEOUT.matcher(v.toLowerCase(Locale.ROOT)).matches();
          break;
        case RedisURI.PARAMETER_NAME_DATABASE:
        case RedisURI.PARAMETER_NAME_DATABASE_ALT:
          ok = DIGITS.matcher(v).matches();
          break;
        case RedisURI.PARAMETER_NAME_VERIFY_PEER:
          ok = List.of("none", "ca", "full", "true", "false").contains(v.toLowerCase(Locale.ROOT));
          break;
        default:
          ok = NAME.matcher(v).matches();
          break;
      }
      if (!ok) {
        throw invalid("the value of query option '" + name + "' is malformed",
            "timeout takes e.g. 2s or 500ms, database a number, verifyPeer NONE, CA or FULL, names"
                + " letters, digits, '_', '.', ':' or '-'");
      }
    }
  }

  private static CacheConfigurationException invalid(String problem, String fix) {
    return new CacheConfigurationException(
        Reason.INVALID_REDIS_URI,
        "invalid Redis URI: " + problem + "; " + fix
            + " (the value is not shown because it may hold a password)");
  }
}
