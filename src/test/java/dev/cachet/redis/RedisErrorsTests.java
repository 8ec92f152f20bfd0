package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.spi.RemoteTierException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.internal.ExceptionFactory;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Lettuce's exceptions and Redis's error replies, as Lettuce builds them, mapped to a reason and to
 * transient (retried) or permanent.
 */
class RedisErrorsTests {

  static Stream<Arguments> lettuceFailures() {
    return Stream.of(
        Arguments.of(ExceptionFactory.createTimeoutException(Duration.ofSeconds(1)), RemoteErrorReason.TIMEOUT, true),
        Arguments.of(new TimeoutException(), RemoteErrorReason.TIMEOUT, true),
        Arguments.of(new RedisConnectionException("Unable to connect to 127.0.0.1/<unresolved>:6379"),
            RemoteErrorReason.CONNECTION, true),
        Arguments.of(new ClosedChannelException(), RemoteErrorReason.CONNECTION, true),
        Arguments.of(new RedisErrors.NotConnectedException("redis://127.0.0.1:6379"), RemoteErrorReason.CONNECTION, true),
        Arguments.of(new RedisException("Connection closed"), RemoteErrorReason.CONNECTION, true),
        Arguments.of(new RedisException("Currently not connected. Commands are rejected."),
            RemoteErrorReason.REJECTED, true),
        Arguments.of(new RedisException("Request queue size exceeded: 10000. Commands are not accepted until the"
            + " queue size drops."), RemoteErrorReason.REJECTED, true),
        Arguments.of(ExceptionFactory.createExecutionException("LOADING Redis is loading the dataset in memory"),
            RemoteErrorReason.SERVER_BUSY, true),
        Arguments.of(ExceptionFactory.createExecutionException(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."),
            RemoteErrorReason.SERVER_BUSY, true),
        Arguments.of(ExceptionFactory.createExecutionException("TRYAGAIN Multiple keys request during rehashing of slot"),
            RemoteErrorReason.SERVER_BUSY, true),
        Arguments.of(ExceptionFactory.createExecutionException("CLUSTERDOWN The cluster is down"),
            RemoteErrorReason.SERVER_BUSY, true),
        Arguments.of(ExceptionFactory.createExecutionException(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."),
            RemoteErrorReason.SERVER_BUSY, true),
        Arguments.of(ExceptionFactory.createExecutionException("READONLY You can't write against a read only replica."),
            RemoteErrorReason.SERVER_BUSY, true),
        Arguments.of(ExceptionFactory.createExecutionException("NOAUTH Authentication required."),
            RemoteErrorReason.PERMISSION, false),
        Arguments.of(ExceptionFactory.createExecutionException(
            "OOM command not allowed when used memory > 'maxmemory'."), RemoteErrorReason.OOM, false),
        Arguments.of(new RedisConnectionException("Unable to connect to 127.0.0.1:6379",
            ExceptionFactory.createExecutionException("WRONGPASS invalid username-password pair or user is"
                + " disabled.")), RemoteErrorReason.PERMISSION, false),
        Arguments.of(new RedisErrors.NotConnectedException("redis://127.0.0.1:6379",
            new RedisConnectionException("Unable to connect",
                ExceptionFactory.createExecutionException("NOAUTH HELLO must be called with the client already"
                    + " authenticated"))), RemoteErrorReason.PERMISSION, false),
        Arguments.of(ExceptionFactory.createExecutionException(
            "WRONGPASS invalid username-password pair or user is disabled."), RemoteErrorReason.PERMISSION, false),
        Arguments.of(ExceptionFactory.createExecutionException(
            "NOPERM User app has no permissions to run the 'get' command"), RemoteErrorReason.PERMISSION, false),
        Arguments.of(ExceptionFactory.createExecutionException("ERR unknown command 'FOO'"),
            RemoteErrorReason.OTHER, false),
        Arguments.of(new IllegalArgumentException("bad"), RemoteErrorReason.OTHER, false));
  }

  @ParameterizedTest(name = "{0} -> {1}, transient={2}")
  @MethodSource("lettuceFailures")
  void wrap_lettuceFailure_reasonAndTransience(Throwable failure, RemoteErrorReason reason, boolean transientFailure) {
    assertThat(RedisErrors.classify(failure)).isEqualTo(reason);
    assertThat(RedisErrors.classify(new CompletionException(failure))).isEqualTo(reason);
    RemoteTierException e = RedisErrors.wrap("users", RemoteOperation.GET, new CompletionException(failure));
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.isTransient()).isEqualTo(transientFailure);
    assertThat(e.cacheName()).isEqualTo("users");
    assertThat(e.operation()).isEqualTo(RemoteOperation.GET);
    assertThat(e.getCause()).isSameAs(failure);
    assertThat(e).hasMessageStartingWith("Redis get failed for cache 'users': " + reason.tagValue());
  }

  @Test
  void wrap_serverError_namesTheFirstWordOnly() {
    RemoteTierException e =
        RedisErrors.wrap("users", RemoteOperation.PUT,
            ExceptionFactory.createExecutionException("NOPERM User app has no permissions to run the 'set' command"));
    assertThat(e).hasMessage("Redis put failed for cache 'users': permission (server replied NOPERM;"
        + " will not fix itself: check the user, password and ACL)");
  }

  @Test
  void wrap_clientError_namesTheExceptionClass() {
    RemoteTierException e =
        RedisErrors.wrap("users", RemoteOperation.GET, new RedisCommandTimeoutException("Command timed out after 1 second(s)"));
    assertThat(e).hasMessage("Redis get failed for cache 'users': timeout (RedisCommandTimeoutException)");
  }

  @Test
  void wrap_alreadyWrapped_returnedAsIs() {
    RemoteTierException inner =
        new RemoteTierException("users", RemoteOperation.GET, RemoteErrorReason.DECODE, "decode", null);
    assertThat(RedisErrors.wrap("users", RemoteOperation.GET, new CompletionException(inner))).isSameAs(inner);
    assertThat(RedisErrors.classify(inner)).isEqualTo(RemoteErrorReason.DECODE);
  }

  @Test
  void serverErrorWord_edgeCases() {
    assertThat(RedisErrors.serverErrorWord(new RedisException((String) null))).isEmpty();
    assertThat(RedisErrors.serverErrorWord(new RedisException("LOADING"))).isEqualTo("LOADING");
    assertThat(RedisErrors.serverErrorWord(new RedisException("loading x"))).isEqualTo("LOADING");
    assertThat(RedisErrors.serverErrorWord(new RedisException("x".repeat(40)))).isEmpty();
  }

  @Test
  void lostHandshake_isOnlyLettucesTwoWaysOfLosingTheOutcome_notAnOutageOrARefusal() {
    assertThat(RedisErrors.isLostHandshake(new CompletionException(new RedisConnectionException(
        "Unable to connect to 127.0.0.1", new IllegalStateException("RedisHandshakeHandler not registered")))))
        .isTrue();
    assertThat(RedisErrors.isLostHandshake(new CompletionException(
        new RedisConnectionException("Connection closed prematurely")))).isTrue();
    // a refused TCP connection, a refused password and a timeout are outcomes, recorded as they are
    assertThat(RedisErrors.isLostHandshake(new RedisConnectionException("Unable to connect to 127.0.0.1",
        new java.net.ConnectException("Connection refused")))).isFalse();
    assertThat(RedisErrors.isLostHandshake(new RedisConnectionException("Unable to connect to 127.0.0.1",
        ExceptionFactory.createExecutionException("WRONGPASS invalid username-password pair")))).isFalse();
    assertThat(RedisErrors.isLostHandshake(new TimeoutException())).isFalse();
    // the same words on another type are not Lettuce's handshake
    assertThat(RedisErrors.isLostHandshake(new IllegalStateException("Connection closed prematurely"))).isFalse();
  }
}
