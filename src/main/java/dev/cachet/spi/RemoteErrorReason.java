package dev.cachet.spi;

import java.util.Locale;

/**
 * Why a remote-tier call failed, as reported by {@link RemoteTierException#reason()} and used as a
 * bounded meter tag value ({@code reason=timeout}). {@link RemoteTierException#isTransient()} says which
 * reasons a retry can help.
 */
public enum RemoteErrorReason {
  /** The command did not complete within its timeout. */
  TIMEOUT,
  /** The connection was lost or could not be established. */
  CONNECTION,
  /** The circuit breaker refused the call without calling Redis. */
  CIRCUIT_OPEN,
  /** The client refused the command (for example while disconnected). */
  REJECTED,
  /** Authentication or authorization failed; will not fix itself. */
  PERMISSION,
  /** The server is busy ({@code LOADING}, {@code BUSY}, {@code TRYAGAIN}, ...). */
  SERVER_BUSY,
  /**
   * The server is out of memory: it answered {@code OOM} to a write (under {@code maxmemory-policy
   * noeviction}, or when eviction cannot free enough). A write-only failure: reads keep working, so it
   * is not retried and not recorded by the circuit breaker.
   */
  OOM,
  /** A reply could not be decoded. */
  DECODE,
  /** Anything else. */
  OTHER;

  /** The lowercase name used as a tag value. */
  public String tagValue() {
    return name().toLowerCase(Locale.ROOT);
  }
}
