package dev.cachet.spi;

import java.util.Locale;

/**
 * A remote-tier operation, as reported by {@link RemoteTierException#operation()} and used as a bounded
 * meter tag value ({@code operation=get}).
 */
public enum RemoteOperation {
  /** A single-key read. */
  GET,
  /** A batch read. */
  GET_ALL,
  /** A single-key write. */
  PUT,
  /** A batch write. */
  PUT_ALL,
  /** Removal of one or more keys. */
  INVALIDATE,
  /** Removal of every entry of a cache. */
  INVALIDATE_ALL,
  /** Publication of a coherence message. */
  PUBLISH,
  /** Acquiring, renewing or releasing a cross-instance lease. */
  LEASE,
  /** Establishing a connection. */
  CONNECT;

  /** The lowercase name used as a tag value. */
  public String tagValue() {
    return name().toLowerCase(Locale.ROOT);
  }
}
