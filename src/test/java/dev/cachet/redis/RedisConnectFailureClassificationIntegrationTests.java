package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A refused password is the caller's configuration error ({@code permission}) for every call, never an
 * outage ({@code connection}), even when Lettuce loses the connect handshake's outcome: when the
 * server's refusal arrives before Lettuce's connect listener runs (a loaded machine), Lettuce fails the
 * attempt with {@code IllegalStateException("RedisHandshakeHandler not registered")} instead of the
 * {@code NOAUTH} reply (what made {@code AuthenticationFaultIntegrationTests.missingPassword_permission}
 * count 1-4 calls as {@code connection}), or, when it closes the refused channel first, with {@code
 * RedisConnectionException("Connection closed prematurely")} (seen 19 times in 60 repetitions of {@code
 * wrongAclUser_permission} on a loaded machine, once counted as {@code connection}). The connect hook
 * fails chosen attempts exactly as Lettuce does, in both forms, so each test is deterministic.
 */
class RedisConnectFailureClassificationIntegrationTests {

  private static final String PASSWORD = "right-Pw-123";

  /** The two ways Lettuce fails an attempt whose handshake's outcome it lost. */
  enum Lost {
    /** The handshake ended before Lettuce's connect listener ran. */
    HANDLER_GONE {
      @Override
      RuntimeException failure() {
        return new RedisConnectionException(
            "Unable to connect to 127.0.0.1", new IllegalStateException("RedisHandshakeHandler not registered"));
      }
    },
    /** Lettuce closed the refused channel before the server's reply reached the attempt. */
    CLOSED_PREMATURELY {
      @Override
      RuntimeException failure() {
        return new RedisConnectionException("Connection closed prematurely");
      }
    };

    abstract RuntimeException failure();

    /** The real attempt, its outcome replaced by this failure. */
    CompletableFuture<StatefulConnection<byte[], byte[]>> lose(
        CompletableFuture<StatefulConnection<byte[], byte[]>> real) {
      return real.handle(
          (c, error) -> {
            if (c != null) {
              c.closeAsync();
            }
            throw new CompletionException(failure());
          });
    }
  }

  private static RedisConnections connections(RedisServer redis, Duration reconnect, Lost form,
      IntPredicate lose, AtomicInteger attempts) {
    return RedisConnections.newBuilder()
        .uri("redis://127.0.0.1:" + redis.port())
        .connectTimeout(Duration.ofSeconds(5))
        .reconnectInterval(reconnect)
        // one command connection, so the hook's attempt numbers are that connection's attempts
        // (RedisCommandConnectionsIntegrationTests covers a connect of several)
        .commandConnections(1)
        .connectHook(f -> lose.test(attempts.incrementAndGet()) ? form.lose(f) : f)
        .build();
  }

  private static RemoteErrorReason callFailure(RedisConnections connections) throws Exception {
    CompletableFuture<?> call = connections.commands();
    try {
      call.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return RedisErrors.classify(e.getCause());
    }
    throw new AssertionError("the call succeeded without a password");
  }

  @ParameterizedTest
  @EnumSource(Lost.class)
  void lostHandshakeOnTheFirstAttempt_isAttemptedAgain_andCallsArePermission(Lost form,
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    redis.command("CONFIG", "SET", "requirepass", PASSWORD);
    AtomicInteger attempts = new AtomicInteger();
    // no scheduled retry during the test: only the immediate re-attempt can replace the lost outcome
    try (RedisConnections connections = connections(redis, Duration.ofMinutes(5), form, n -> n == 1, attempts)) {
      assertThat(attempts).hasValue(2);
      assertThat(connections.lastConnectFailureReason()).isEqualTo("permission");
      for (int i = 0; i < 5; i++) { // each call also starts an attempt (no lost outcome any more)
        assertThat(callFailure(connections)).isEqualTo(RemoteErrorReason.PERMISSION);
      }
    } finally {
      clearPassword(redis);
    }
  }

  @ParameterizedTest
  @EnumSource(Lost.class)
  void lostHandshakeOnLaterAttempts_keepsThePermissionClassification(Lost form,
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    redis.command("CONFIG", "SET", "requirepass", PASSWORD);
    AtomicInteger attempts = new AtomicInteger();
    // the first attempt gets the server's NOAUTH; every later one (the retries every 100 ms and their
    // immediate re-attempts) loses the handshake's outcome
    try (RedisConnections connections = connections(redis, Duration.ofMillis(100), form, n -> n > 1, attempts)) {
      assertThat(connections.lastConnectFailureReason()).isEqualTo("permission");
      int seen = attempts.get();
      Eventually.await(Duration.ofSeconds(20), "two scheduled retries, each with its re-attempts",
          () -> attempts.get() >= seen + 2 * (RedisConnections.LOST_HANDSHAKE_RETRIES + 1));
      assertThat(connections.lastConnectFailureReason()).isEqualTo("permission");
      assertThat(callFailure(connections)).isEqualTo(RemoteErrorReason.PERMISSION);
    } finally {
      clearPassword(redis);
    }
  }

  @ParameterizedTest
  @EnumSource(Lost.class)
  void lostHandshakeWithNothingKnownBefore_isConnectionAfterTheReattempts(Lost form,
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    // no password needed, but every attempt loses its outcome: nothing says it was refused
    try (RedisConnections connections = connections(redis, Duration.ofMinutes(5), form, n -> true, attempts)) {
      assertThat(attempts).hasValue(RedisConnections.LOST_HANDSHAKE_RETRIES + 1);
      assertThat(connections.lastConnectFailureReason()).isEqualTo("connection");
      assertThat(callFailure(connections)).isEqualTo(RemoteErrorReason.CONNECTION);
    }
  }

  private static void clearPassword(RedisServer redis) {
    RedisClient client = RedisClient.create("redis://:" + PASSWORD + "@127.0.0.1:" + redis.port());
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      c.sync().configSet("requirepass", "");
    } finally {
      client.shutdown();
    }
  }
}
