package dev.cachet.testing.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A standalone Redis server for a test, declared with {@link RedisStandaloneServer}.
 *
 * <ul>
 *   <li><b>Shared</b> (the default): one server per JVM, reused by every test class. Each test class gets
 *       its own {@link #keyPrefix()} and must put it in front of every key. Process control ({@code kill},
 *       {@code stop}, {@code pause}, ...) is refused.
 *   <li><b>Owned</b> ({@code owned = true}): a fresh server for one test (or one class, when declared on a
 *       static field or a {@code @BeforeAll} parameter), stopped afterwards; everything is allowed.
 *   <li><b>External</b>: with {@code CACHET_TEST_REDIS_URL} set, shared servers point at that server.
 *       {@link #flushAll()} then only deletes this class's keys; process control is refused.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class RedisServer {

  private final RedisNode node; // null for an external server
  private final ExternalTarget external; // null for a local server
  private final String keyPrefix;
  private final boolean owned;

  private RedisServer(RedisNode node, ExternalTarget external, String keyPrefix, boolean owned) {
    this.node = node;
    this.external = external;
    this.keyPrefix = keyPrefix;
    this.owned = owned;
  }

  static RedisServer local(RedisNode node, String keyPrefix, boolean owned) {
    return new RedisServer(node, null, keyPrefix, owned);
  }

  static RedisServer external(String url, String keyPrefix) {
    return new RedisServer(null, ExternalTarget.parse(url), keyPrefix, false);
  }

  /** Starts a standalone node (not registered with any test: the caller closes it via {@link #closeNode()}). */
  static RedisNode startNode(String name, RedisBinaries.Binary binary) {
    return RedisNode.launch(name, binary, false, (port, dir) -> RedisNode.baseArguments(binary, port, dir));
  }

  public String host() {
    return node != null ? node.host() : external.host;
  }

  public int port() {
    return node != null ? node.port() : external.port;
  }

  /**
   * A URI Lettuce accepts: {@code redis://127.0.0.1:port} for a local server, the configured URL (which
   * may hold credentials: do not print it) for an external one.
   */
  public String uri() {
    return node != null ? node.uri() : external.url;
  }

  /**
   * Prefix for every key a test writes: random per test class on shared servers, empty on owned ones.
   * Ends with {@code :} when not empty.
   */
  public String keyPrefix() {
    return keyPrefix;
  }

  /** {@code keyPrefix() + key}. */
  public String key(String key) {
    return keyPrefix + key;
  }

  /** Whether this test owns the server (may kill, pause, restart it). */
  public boolean isOwned() {
    return owned;
  }

  /** Whether this is the server named by {@code CACHET_TEST_REDIS_URL}. */
  public boolean isExternal() {
    return external != null;
  }

  /** The local process, empty for an external server. */
  public Optional<RedisNode> node() {
    return Optional.ofNullable(node);
  }

  /** The PID of the server process. */
  public long pid() {
    return local("pid").pid();
  }

  /** Whether the server process is alive; for an external server, whether it answers {@code PING}. */
  public boolean isRunning() {
    return node != null ? node.isRunning() : answersPing();
  }

  /** Whether {@code PING} answers {@code PONG} within a second. */
  public boolean answersPing() {
    if (node != null) {
      return node.answersPing();
    }
    return external.client(Duration.ofSeconds(1)).ping();
  }

  /** SIGKILL; {@link #start()} brings it back on the same port. Owned servers only. */
  public void kill() {
    controllable("kill").kill();
  }

  /** SIGTERM, then SIGKILL after a bound. Owned servers only. */
  public void stop() {
    controllable("stop").stop();
  }

  /** Starts a stopped or killed server on the same port and waits for {@code PING}. Owned servers only. */
  public void start() {
    controllable("start").start();
  }

  /** {@link #stop()} then {@link #start()} on the same port. Owned servers only. */
  public void restart() {
    controllable("restart").restart();
  }

  /** SIGSTOP: the server keeps its connections and answers nothing. Owned servers only. */
  public void pause() {
    controllable("pause").pause();
  }

  /** SIGCONT after {@link #pause()}. Owned servers only. */
  public void resume() {
    controllable("resume").resume();
  }

  /** Runs a command, see {@link RedisNode#command(String...)}. */
  public String command(String... args) {
    return RespClient.format(call(args));
  }

  /** Runs a command and returns the raw reply, see {@link RedisNode#call(String...)}. */
  public Object call(String... args) {
    if (node != null) {
      return node.call(args);
    }
    Objects.requireNonNull(args, "args must not be null");
    if (args.length > 0 && args[0].toUpperCase(java.util.Locale.ROOT).startsWith("FLUSH")) {
      throw new IllegalStateException("never FLUSH* the external server named by CACHET_TEST_REDIS_URL");
    }
    try {
      return external.client(RedisNode.COMMAND_TIMEOUT).call(args);
    } catch (IOException e) {
      throw new UncheckedIOException("external redis did not answer " + args[0] + ": " + e, e);
    }
  }

  /**
   * Removes test data: {@code FLUSHALL} on a local server; on an external server only the keys under
   * {@link #keyPrefix()} ({@code SCAN} + {@code UNLINK}), never {@code FLUSH*}.
   */
  public void flushAll() {
    if (node != null) {
      node.command("FLUSHALL");
      return;
    }
    if (keyPrefix.isEmpty()) {
      throw new IllegalStateException("refusing to delete every key of the external server");
    }
    String cursor = "0";
    do {
      List<?> reply = (List<?>) call("SCAN", cursor, "MATCH", keyPrefix + "*", "COUNT", "500");
      cursor = String.valueOf(reply.get(0));
      List<?> keys = (List<?>) reply.get(1);
      if (!keys.isEmpty()) {
        String[] unlink = new String[keys.size() + 1];
        unlink[0] = "UNLINK";
        for (int i = 0; i < keys.size(); i++) {
          unlink[i + 1] = String.valueOf(keys.get(i));
        }
        call(unlink);
      }
    } while (!cursor.equals("0"));
  }

  private RedisNode local(String operation) {
    if (node == null) {
      throw new IllegalStateException(
          "cannot "
              + operation
              + " the external server named by CACHET_TEST_REDIS_URL; declare"
              + " @RedisStandaloneServer(owned = true) for fault injection");
    }
    return node;
  }

  private RedisNode controllable(String operation) {
    RedisNode local = local(operation);
    if (!owned) {
      throw new IllegalStateException(
          "cannot "
              + operation
              + " the shared Redis server; declare @RedisStandaloneServer(owned = true) for fault"
              + " injection");
    }
    return local;
  }

  @Override
  public String toString() {
    String where = node != null ? "127.0.0.1:" + node.port() : "external " + external.host + ":" + external.port;
    return "RedisServer{" + where + (owned ? ", owned" : ", shared") + ", keyPrefix='" + keyPrefix + "'}";
  }

  /** An external server parsed from {@code redis://[[user:]password@]host[:port][/db]} or {@code rediss://}. */
  static final class ExternalTarget {
    final String url;
    final String host;
    final int port;
    final boolean tls;
    final String username;
    final String password;
    final int database;

    private ExternalTarget(
        String url, String host, int port, boolean tls, String username, String password, int database) {
      this.url = url;
      this.host = host;
      this.port = port;
      this.tls = tls;
      this.username = username;
      this.password = password;
      this.database = database;
    }

    static ExternalTarget parse(String url) {
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("CACHET_TEST_REDIS_URL is not a URI (value not shown)");
      }
      String scheme = String.valueOf(uri.getScheme());
      if (!scheme.equals("redis") && !scheme.equals("rediss")) {
        throw new IllegalArgumentException(
            "CACHET_TEST_REDIS_URL must start with redis:// or rediss://, not " + scheme + "://");
      }
      if (uri.getHost() == null) {
        throw new IllegalArgumentException("CACHET_TEST_REDIS_URL has no host");
      }
      String username = null;
      String password = null;
      String userInfo = uri.getRawUserInfo();
      if (userInfo != null && !userInfo.isEmpty()) {
        int colon = userInfo.indexOf(':');
        if (colon < 0) {
          password = decode(userInfo);
        } else {
          String user = decode(userInfo.substring(0, colon));
          username = user.isEmpty() ? null : user;
          password = decode(userInfo.substring(colon + 1));
        }
      }
      int database = 0;
      String path = uri.getPath();
      if (path != null && path.length() > 1) {
        database = Integer.parseInt(path.substring(1));
      }
      int port = uri.getPort() > 0 ? uri.getPort() : 6379;
      return new ExternalTarget(url, uri.getHost(), port, scheme.equals("rediss"), username, password, database);
    }

    private static String decode(String s) {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    RespClient client(Duration timeout) {
      return new RespClient(host, port, timeout, tls, username, password, database);
    }
  }
}
