package dev.cachet.spi;

import dev.cachet.CacheException;
import dev.cachet.internal.StatsRecorder.RemoteErrorReason;
import java.util.Objects;

/**
 * A remote-tier failure, classified once at the tier boundary (the Redis tier translates Lettuce's
 * exceptions and Redis error replies into this), so that retries, metrics and the failure policy never
 * need to know the client library. {@link #isTransient()} says whether retrying can help: timeouts,
 * connection loss, {@code LOADING}, {@code BUSY}, {@code TRYAGAIN}, {@code CLUSTERDOWN} are transient;
 * authentication, permissions, serialization and decryption failures, and an open circuit are not.
 */
public class RemoteTierException extends CacheException {
  private static final long serialVersionUID = 1L;

  private final RemoteErrorReason reason;
  private final boolean transientFailure;

  public RemoteTierException(
      String cacheName, RemoteErrorReason reason, boolean transientFailure, String message, Throwable cause) {
    super(cacheName, message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.transientFailure = transientFailure;
  }

  /** The bounded reason, used as a metric tag. */
  public RemoteErrorReason reason() {
    return reason;
  }

  /** Whether retrying the same call may succeed. */
  public boolean isTransient() {
    return transientFailure;
  }
}
