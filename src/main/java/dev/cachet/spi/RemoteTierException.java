package dev.cachet.spi;

import dev.cachet.CacheUnavailableException;
import dev.cachet.Tier;
import java.util.Objects;

/**
 * How a {@link RemoteTier} reports a remote failure: futures complete exceptionally with this type, so
 * that decorators (retry, circuit breaker) can classify failures without importing the client library.
 * {@link #reason()} is the classification; {@link #isTransient()} says whether retrying can help. The
 * message names the cache and the operation, never keys, values or credentials; the client library's
 * exception is kept as the cause. Applications read {@link #operation()} and {@link #reason()} to
 * handle a failure under the {@code STRICT} failure policy; remote tiers create it.
 */
public class RemoteTierException extends CacheUnavailableException {
  private static final long serialVersionUID = 1L;

  private final RemoteOperation operation;
  private final RemoteErrorReason reason;

  /**
   * Creates the exception.
   *
   * @throws NullPointerException if {@code operation} or {@code reason} is null
   */
  public RemoteTierException(
      String cacheName, RemoteOperation operation, RemoteErrorReason reason, String message,
      Throwable cause) {
    super(cacheName, Tier.REDIS, message, cause);
    this.operation = Objects.requireNonNull(operation, "operation must not be null");
    this.reason = Objects.requireNonNull(reason, "reason must not be null");
  }

  /** The operation that failed. */
  public RemoteOperation operation() {
    return operation;
  }

  /** Why it failed. */
  public RemoteErrorReason reason() {
    return reason;
  }

  /**
   * Whether a retry may succeed: timeouts, connection loss, rejection while disconnected and a busy
   * server ({@code LOADING}, {@code BUSY}, {@code TRYAGAIN}, {@code CLUSTERDOWN}, {@code MASTERDOWN}).
   * Permission errors, decode errors, an open circuit and unclassified failures are permanent.
   */
  public boolean isTransient() {
    switch (reason) {
      case TIMEOUT:
      case CONNECTION:
      case REJECTED:
      case SERVER_BUSY:
        return true;
      default:
        return false;
    }
  }
}
