package dev.cachet.tiered;

import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteTierException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Maps a remote failure to its metric reason; tiers classify at their boundary. */
final class RemoteErrors {
  private RemoteErrors() {}

  static RemoteErrorReason classify(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof RemoteTierException) {
      return ((RemoteTierException) t).reason();
    }
    if (t instanceof TimeoutException || t instanceof CancellationException) {
      return RemoteErrorReason.TIMEOUT;
    }
    return RemoteErrorReason.OTHER;
  }
}
