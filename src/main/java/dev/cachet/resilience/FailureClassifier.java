package dev.cachet.resilience;

import dev.cachet.InvalidValueException;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteTierException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The one place that decides which remote failures are retried and which count against the circuit
 * breaker. The Redis tier has already turned Lettuce's exceptions and Redis error replies into {@link
 * RemoteTierException}s with a reason; this class only reads that reason.
 *
 * <ul>
 *   <li>Retried (transient): timeouts, connection loss, commands rejected while disconnected, a busy or
 *       reorganizing server ({@code LOADING}, {@code BUSY}, {@code TRYAGAIN}, {@code CLUSTERDOWN},
 *       {@code MASTERDOWN}).
 *   <li>Never retried (permanent): authentication and permission errors ({@code NOAUTH}, {@code
 *       WRONGPASS}, {@code NOPERM}), serialization and decryption failures, an open breaker ({@link
 *       CallNotPermittedException}), and anything unclassified.
 *   <li>Recorded by the breaker: every remote failure (a server that refuses us permission is as
 *       unusable as one that is down), but not decryption or serialization failures of one entry, which
 *       say nothing about Redis's health, nor {@code OOM} (a full server refuses writes but serves
 *       reads: opening the breaker would stop the reads too). {@code OOM} is not retried either.
 *   <li>Caller errors ({@link InvalidValueException}: a value too large or not serializable, refused
 *       before anything is sent) are neither retried nor recorded: the breaker <em>ignores</em> them
 *       ({@link #isCallerError}), so they count neither as failures nor as successes.
 * </ul>
 */
final class FailureClassifier {

  private FailureClassifier() {}

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Whether {@code failure} is the caller's mistake, not the remote tier's: ignored by the breaker. */
  static boolean isCallerError(Throwable failure) {
    return unwrap(failure) instanceof InvalidValueException;
  }

  /** Whether retrying may help. */
  static boolean isRetryable(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof CallNotPermittedException || t instanceof InvalidValueException) {
      return false;
    }
    if (t instanceof RemoteTierException) {
      return ((RemoteTierException) t).isTransient();
    }
    return t instanceof TimeoutException;
  }

  /** Whether the breaker counts the failure. */
  static boolean isRecordedByBreaker(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof CancellationException || t instanceof InvalidValueException) {
      return false;
    }
    if (t instanceof RemoteTierException) {
      RemoteErrorReason reason = ((RemoteTierException) t).reason();
      // one entry's decoding, and a full server refusing writes while it still serves reads, say
      // nothing about whether Redis can be called
      return reason != RemoteErrorReason.DECODE && reason != RemoteErrorReason.OOM;
    }
    return true;
  }
}
