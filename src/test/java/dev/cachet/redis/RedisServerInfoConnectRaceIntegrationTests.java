package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.FaultProxy;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.api.StatefulConnection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link RedisServerInfo} (what the CLI's {@code inspect} runs first) does not fail when Redis is fine
 * but the connection is not usable yet. Lettuce's handshake has a timeout of the command timeout, run off
 * the channel's event loop: on a loaded machine a handshake finishing just then can both succeed (the
 * connect future completes with the connection) and be failed by the timeout (the channel is closed right
 * after), so the first command finds the connection disconnected and is rejected ({@code RedisException
 * "Currently not connected. Commands are rejected."}, seen once in {@code CliLeakIntegrationTests}) until
 * Lettuce's watchdog reconnects; or the timeout wins and the first attempt fails, with the next scheduled
 * a reconnect interval later. The connect hook stages both exactly, so each test is deterministic.
 */
class RedisServerInfoConnectRaceIntegrationTests {

  /** When the connection handed over by the first attempt loses its channel. */
  enum Drop {
    /** Before the connections get it: disconnected at hand-over, the watchdog reconnecting. */
    BEFORE_HAND_OVER,
    /** While the connections take it: the reset is on its way as the first command is written. */
    AT_HAND_OVER
  }

  private static RedisConnections connections(String uri, Duration reconnect,
      UnaryOperator<CompletableFuture<StatefulConnection<byte[], byte[]>>> hook) {
    return RedisConnections.newBuilder()
        .uri(uri)
        .connectTimeout(Duration.ofSeconds(10))
        .reconnectInterval(reconnect)
        // one command connection, so the hook's attempt numbers are that connection's attempts
        // (RedisCommandConnectionsIntegrationTests covers a connect of several)
        .commandConnections(1)
        .connectHook(hook)
        .build();
  }

  @ParameterizedTest
  @EnumSource(Drop.class)
  void connectionDroppedRightAfterConnecting_queryWaitsForTheReconnect(Drop drop,
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    AtomicInteger attempts = new AtomicInteger();
    try (FaultProxy proxy = FaultProxy.forward(redis);
        RedisConnections connections = connections(proxy.uri(), Duration.ofMillis(500),
            f -> attempts.incrementAndGet() > 1 ? f : f.thenApplyAsync(c -> {
              proxy.resetAll(); // what the handshake timeout's close does to the channel
              if (drop == Drop.BEFORE_HAND_OVER) {
                Eventually.await(Duration.ofSeconds(20), "the channel closed", () -> !c.isOpen());
              }
              return c;
            }))) {
      RedisServerInfo info = RedisServerInfo.query(connections);
      assertThat(info.version()).matches("\\d+\\.\\d+\\.\\d+");
      assertThat(attempts).hasValue(1); // Lettuce's watchdog reconnected the connection handed over
      assertThat(connections.isConnected()).isTrue();
    }
  }

  @Test
  void handshakeTimedOutOnTheFirstAttempt_queryConnectsAgainAtOnce(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    AtomicInteger attempts = new AtomicInteger();
    // no scheduled retry during the test: only an attempt the query starts can connect
    try (RedisConnections connections = connections(redis.uri(), Duration.ofMinutes(5),
        f -> attempts.incrementAndGet() > 1 ? f : f.handle((c, error) -> {
          if (c != null) {
            c.closeAsync();
          }
          throw new CompletionException(
              new RedisCommandTimeoutException("Connection initialization timed out after 1 second(s)"));
        }))) {
      assertThat(connections.isConnected()).isFalse();
      RedisServerInfo info = RedisServerInfo.query(connections);
      assertThat(info.version()).matches("\\d+\\.\\d+\\.\\d+");
      assertThat(attempts).hasValue(2);
    }
  }

  @Test
  void refusedPassword_failsWithoutWaitingForTheConnectTimeout(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    redis.command("ACL", "SETUSER", "app", "on", ">right-Pw-1", "~*", "+@all");
    String wrong = "redis://app:wrong-Pw-1@127.0.0.1:" + redis.port();
    try (RedisConnections connections = RedisConnections.newBuilder().uri(wrong)
        .connectTimeout(Duration.ofMinutes(5)).reconnectInterval(Duration.ofMinutes(5)).build()) {
      // waiting for the connection would take the 5-minute connect timeout: the preemptive bound
      // only catches that, it measures nothing
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
          assertThatThrownBy(() -> RedisServerInfo.query(connections))
              .isInstanceOf(IllegalStateException.class)
              .satisfies(e -> assertThat(RedisErrors.permissionWord(e)).isEqualTo("WRONGPASS")));
    } finally {
      redis.command("ACL", "DELUSER", "app");
    }
  }
}
