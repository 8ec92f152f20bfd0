package dev.cachet.redis;

import dev.cachet.spi.RemoteErrorReason;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * What an operator needs to know about the Redis behind a {@link RedisConnections}: the server version,
 * the deployment mode and the round-trip time of a {@code PING}; plus two operator helpers that work on
 * raw keys under a key prefix ({@link #rawValue} and {@link #deleteKeys}), used by the {@code -cli} JAR's
 * {@code inspect} and {@code demo}. Applications do not need this class.
 *
 * <p>Immutable and thread-safe. Nothing here returns or logs credentials; {@link #toString()} shows the
 * target without them. Methods throw {@link NullPointerException} for null arguments and {@link
 * IllegalStateException} (naming the failure's class and the target, never a value) when Redis fails
 * or does not answer within the connections' command timeout plus one second.
 */
public final class RedisServerInfo {

  /** The deployment kind. */
  public enum Mode {
    /** One server (or a server reached directly, replicas or not). */
    STANDALONE,
    /** The master that the Sentinels name, followed across failovers. */
    SENTINEL,
    /** A Redis Cluster. */
    CLUSTER
  }

  private final String version;
  private final Mode mode;
  private final String target;
  private final Duration pingLatency;

  private RedisServerInfo(String version, Mode mode, String target, Duration pingLatency) {
    this.version = version;
    this.mode = mode;
    this.target = target;
    this.pingLatency = pingLatency;
  }

  /**
   * Asks the server ({@code INFO server}, then a timed {@code PING}); connects first if needed, waiting
   * for the connection up to the connect timeout plus the reconnect interval (not failing at once because
   * an attempt just failed or the connection is down for a reconnect), except when a password was
   * refused.
   */
  public static RedisServerInfo query(RedisConnections connections) {
    Objects.requireNonNull(connections, "connections must not be null");
    String info = call(connections, c -> c.info("server"), "INFO");
    long[] start = new long[1];
    call(connections, c -> {
      start[0] = System.nanoTime();
      return c.ping();
    }, "PING");
    Duration ping = Duration.ofNanos(System.nanoTime() - start[0]);
    Mode mode =
        switch (connections.mode()) {
          case CLUSTER -> Mode.CLUSTER;
          case SENTINEL -> Mode.SENTINEL;
          case STANDALONE -> Mode.STANDALONE;
        };
    return new RedisServerInfo(field(info, "redis_version").orElse("unknown"), mode,
        connections.target(), ping);
  }

  /** The value of {@code field} in {@code INFO} output ({@code name:value} lines). */
  static Optional<String> field(String info, String field) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return Optional.of(line.substring(field.length() + 1).trim());
      }
    }
    return Optional.empty();
  }

  /** The server version, for example {@code 7.0.15}; {@code unknown} if the server did not say. */
  public String version() {
    return version;
  }

  /** Standalone, Sentinel (the master found through Sentinels) or Cluster. */
  public Mode mode() {
    return mode;
  }

  /** Scheme, hosts and ports of the deployment, without user name or password. */
  public String target() {
    return target;
  }

  /** The time of one {@code PING} round trip, measured by {@link #query}. */
  public Duration pingLatency() {
    return pingLatency;
  }

  /**
   * The raw stored value of one entry of cache {@code cacheName} under {@code keyPrefix} (any
   * generation, tenant or schema version), exactly as Redis holds it: a Fernet token, never plaintext.
   * Empty if the cache has no entry.
   *
   * @throws IllegalArgumentException if {@code keyPrefix} or {@code cacheName} is not a valid one
   */
  public static Optional<String> rawValue(RedisConnections connections, String keyPrefix, String cacheName) {
    Objects.requireNonNull(connections, "connections must not be null");
    RedisKeyLayout layout = new RedisKeyLayout(keyPrefix, cacheName, 0, null, null);
    RedisClusterAsyncCommands<byte[], byte[]> c = connected(connections);
    ScanArgs args = ScanArgs.Builder.matches(layout.allEntriesPattern()).limit(500);
    KeyScanCursor<byte[]> cursor = await(connections, c.scan(args).toCompletableFuture(), "SCAN");
    while (true) {
      for (byte[] key : cursor.getKeys()) {
        if (layout.generationOf(new String(key, StandardCharsets.UTF_8)) < 0) {
          continue;
        }
        String type = await(connections, c.type(key).toCompletableFuture(), "TYPE");
        if ("string".equals(type)) {
          byte[] value = await(connections, c.get(key).toCompletableFuture(), "GET");
          if (value != null) {
            return Optional.of(new String(value, StandardCharsets.ISO_8859_1));
          }
        }
      }
      if (cursor.isFinished()) {
        return Optional.empty();
      }
      cursor = await(connections, c.scan((ScanCursor) cursor, args).toCompletableFuture(), "SCAN");
    }
  }

  /**
   * Deletes every key whose name starts with {@code keyPrefix + ":"} ({@code SCAN} and {@code UNLINK};
   * on a cluster, on every master), for cleaning up after a demo or a probe.
   *
   * @return how many keys were deleted
   * @throws IllegalArgumentException if {@code keyPrefix} does not match {@code [A-Za-z0-9_.-]{1,64}}
   */
  public static long deleteKeys(RedisConnections connections, String keyPrefix) {
    Objects.requireNonNull(connections, "connections must not be null");
    String pattern = RedisKeyLayout.requireSegment(keyPrefix, "keyPrefix") + ":*";
    RedisClusterAsyncCommands<byte[], byte[]> c = connected(connections);
    ScanArgs args = ScanArgs.Builder.matches(pattern).limit(500);
    long deleted = 0;
    KeyScanCursor<byte[]> cursor = await(connections, c.scan(args).toCompletableFuture(), "SCAN");
    while (true) {
      List<CompletableFuture<Long>> unlinks = new ArrayList<>();
      for (byte[] key : cursor.getKeys()) {
        unlinks.add(c.unlink(key).toCompletableFuture());
      }
      for (CompletableFuture<Long> unlink : unlinks) {
        Long n = await(connections, unlink, "UNLINK");
        deleted += n == null ? 0 : n;
      }
      if (cursor.isFinished()) {
        return deleted;
      }
      cursor = await(connections, c.scan((ScanCursor) cursor, args).toCompletableFuture(), "SCAN");
    }
  }

  /**
   * The commands once the connection is up: waits for it as {@link RedisConnections#connectedCommands()}
   * does (a one-shot operator call must not fail because the connection was still being established).
   */
  private static RedisClusterAsyncCommands<byte[], byte[]> connected(RedisConnections connections) {
    return await(connections, connections.connectedCommands(), "connect",
        connections.connectedWait().toMillis() + 1_000);
  }

  /**
   * Runs the read {@code command} on a connected connection; while it fails because the connection went
   * down right after connecting (Lettuce can hand over a connection whose channel its handshake timeout
   * is closing: the command is rejected, not sent), waits for the connection again and runs it again,
   * until the connections' connect wait has passed.
   */
  private static <T> T call(RedisConnections connections,
      Function<RedisClusterAsyncCommands<byte[], byte[]>, RedisFuture<T>> command, String what) {
    long deadline = System.nanoTime() + connections.connectedWait().toNanos();
    while (true) {
      RedisClusterAsyncCommands<byte[], byte[]> c = connected(connections); // its failure is final
      try {
        return await(connections, command.apply(c).toCompletableFuture(), what);
      } catch (IllegalStateException e) {
        RemoteErrorReason reason = e.getCause() == null ? null : RedisErrors.classify(e.getCause());
        if ((reason != RemoteErrorReason.CONNECTION && reason != RemoteErrorReason.REJECTED)
            || System.nanoTime() - deadline >= 0) {
          throw e;
        }
      }
    }
  }

  private static <T> T await(RedisConnections connections, CompletableFuture<T> future, String what) {
    return await(connections, future, what, connections.commandTimeout().toMillis() + 1_000);
  }

  private static <T> T await(RedisConnections connections, CompletableFuture<T> future, String what,
      long millis) {
    try {
      return future.get(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + what + " on "
          + connections.target(), e);
    } catch (ExecutionException e) {
      Throwable cause = RedisErrors.unwrap(e);
      throw new IllegalStateException(
          what + " on " + connections.target() + " failed: " + cause.getClass().getSimpleName(), cause);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new IllegalStateException(
          what + " on " + connections.target() + " did not answer within " + millis + " ms", e);
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "RedisServerInfo{%s, redis %s, %s, ping %.2f ms}",
        mode.name().toLowerCase(Locale.ROOT), version, target, pingLatency.toNanos() / 1e6);
  }
}
