package dev.cachet.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.serialization.SerializationException;
import dev.cachet.spi.RemoteTierException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.internal.ExceptionFactory;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Which failures are retried and which the breaker records. Remote failures are built the way the Redis
 * tier builds them ({@code RedisErrors.wrap}: a reason plus Lettuce's exception as the cause); {@code
 * RedisErrorsTests} checks that Lettuce's exceptions get those reasons.
 */
class FailureClassifierTests {

  private static RemoteTierException remote(RemoteErrorReason reason, Throwable lettuceCause) {
    return new RemoteTierException(
        "users", RemoteOperation.GET, reason, "Redis get failed for cache 'users': " + reason.tagValue(),
        lettuceCause);
  }

  static Stream<Arguments> failures() {
    CallNotPermittedException open =
        CallNotPermittedException.createCallNotPermittedException(CircuitBreaker.ofDefaults("users"));
    return Stream.of(
        // failure, retried, recorded by the breaker
        Arguments.of("command timeout",
            remote(RemoteErrorReason.TIMEOUT, ExceptionFactory.createTimeoutException(Duration.ofSeconds(1))),
            true, true),
        Arguments.of("connection refused",
            remote(RemoteErrorReason.CONNECTION, new RedisConnectionException("Unable to connect to 127.0.0.1:1")),
            true, true),
        Arguments.of("rejected while disconnected",
            remote(RemoteErrorReason.REJECTED, new RedisException("Currently not connected. Commands are rejected.")),
            true, true),
        Arguments.of("LOADING",
            remote(RemoteErrorReason.SERVER_BUSY,
                ExceptionFactory.createExecutionException("LOADING Redis is loading the dataset in memory")),
            true, true),
        Arguments.of("BUSY",
            remote(RemoteErrorReason.SERVER_BUSY,
                ExceptionFactory.createExecutionException("BUSY Redis is busy running a script.")),
            true, true),
        Arguments.of("TRYAGAIN",
            remote(RemoteErrorReason.SERVER_BUSY,
                ExceptionFactory.createExecutionException("TRYAGAIN Multiple keys request during rehashing of slot")),
            true, true),
        Arguments.of("CLUSTERDOWN",
            remote(RemoteErrorReason.SERVER_BUSY,
                ExceptionFactory.createExecutionException("CLUSTERDOWN The cluster is down")),
            true, true),
        Arguments.of("OOM: a write-only failure, neither retried nor recorded",
            remote(RemoteErrorReason.OOM,
                ExceptionFactory.createExecutionException("OOM command not allowed when used memory > 'maxmemory'.")),
            false, false),
        Arguments.of("NOAUTH",
            remote(RemoteErrorReason.PERMISSION,
                ExceptionFactory.createExecutionException("NOAUTH Authentication required.")),
            false, true),
        Arguments.of("WRONGPASS",
            remote(RemoteErrorReason.PERMISSION,
                ExceptionFactory.createExecutionException("WRONGPASS invalid username-password pair")),
            false, true),
        Arguments.of("NOPERM",
            remote(RemoteErrorReason.PERMISSION,
                ExceptionFactory.createExecutionException(
                    "NOPERM User app has no permissions to run the 'set' command")),
            false, true),
        Arguments.of("decode (serialization or decryption)",
            remote(RemoteErrorReason.DECODE, new SerializationException("cannot deserialize", null)),
            false, false),
        Arguments.of("unclassified server error",
            remote(RemoteErrorReason.OTHER, ExceptionFactory.createExecutionException("ERR unknown command")),
            false, true),
        Arguments.of("open circuit (raw)", open, false, true),
        Arguments.of("open circuit (translated)", remote(RemoteErrorReason.CIRCUIT_OPEN, open), false, true),
        Arguments.of("plain TimeoutException", new TimeoutException(), true, true),
        Arguments.of("illegal state (closed tier)", new IllegalStateException("closed"), false, true),
        Arguments.of("cancelled", new CancellationException(), false, false));
  }

  @ParameterizedTest(name = "{0}: retried={2}, recorded={3}")
  @MethodSource("failures")
  void classify_eachFailureClass(String label, Throwable failure, boolean retried, boolean recorded) {
    assertThat(FailureClassifier.isRetryable(failure)).as("retried: " + label).isEqualTo(retried);
    assertThat(FailureClassifier.isRecordedByBreaker(failure)).as("recorded: " + label).isEqualTo(recorded);
  }

  @ParameterizedTest(name = "{0} wrapped: retried={2}, recorded={3}")
  @MethodSource("failures")
  void classify_wrappedInCompletionOrExecutionException_sameDecision(
      String label, Throwable failure, boolean retried, boolean recorded) {
    Throwable completion = new CompletionException(failure);
    Throwable execution = new ExecutionException(new CompletionException(failure));
    assertThat(FailureClassifier.isRetryable(completion)).isEqualTo(retried);
    assertThat(FailureClassifier.isRetryable(execution)).isEqualTo(retried);
    assertThat(FailureClassifier.isRecordedByBreaker(completion)).isEqualTo(recorded);
    assertThat(FailureClassifier.isRecordedByBreaker(execution)).isEqualTo(recorded);
  }

  @Test
  void unwrap_completionWithoutCause_returnsItself() {
    CompletionException bare = new CompletionException("no cause", null);
    assertThat(FailureClassifier.unwrap(bare)).isSameAs(bare);
  }
}
