package dev.cachet.internal;

import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.Tier;

/**
 * The instrumentation seam every tier reports to, in the style of Caffeine's {@code StatsCounter}.
 * Every method has a no-op default, so a recorder implements only what it needs. Calls happen on hot
 * paths: implementations must be cheap and thread-safe and must not throw (wrap foreign recorders with
 * {@link #guarded(StatsRecorder)}). Tag-like arguments are enums, so their values stay bounded.
 */
public interface StatsRecorder {

  /** Lookups of the whole cache that found a value. */
  default void recordHits(int count) {}

  /** Lookups of the whole cache that found nothing. */
  default void recordMisses(int count) {}

  /** A lookup in one tier. */
  default void recordTierGet(Tier tier, boolean hit, int count) {}

  /** A loader call that returned. */
  default void recordLoadSuccess(long loadTimeNanos) {}

  /** A loader call that threw. */
  default void recordLoadFailure(long loadTimeNanos) {}

  /** Entries stored. */
  default void recordPuts(int count) {}

  /** An entry evicted by size or expiry from the memory tier. */
  default void recordEviction(int weight) {}

  /** Entries removed explicitly or replaced. */
  default void recordRemovals(int count) {}

  /** A remote-tier operation that completed, successfully or not. */
  default void recordRemoteOperation(RemoteOperation operation, long nanos, boolean success) {}

  /** A remote-tier failure, classified. */
  default void recordRemoteError(RemoteOperation operation, RemoteErrorReason reason) {}

  /** One encryption of {@code plaintextBytes}. */
  default void recordEncryption(long nanos, int plaintextBytes) {}

  /** One successful decryption yielding {@code plaintextBytes}. */
  default void recordDecryption(long nanos, int plaintextBytes) {}

  /** A stored value that could not be opened. */
  default void recordDecryptionFailure(DecryptionFailureReason reason) {}

  /** The cache started ({@code true}) or stopped ({@code false}) serving without its remote tier. */
  default void recordDegraded(boolean degraded) {}

  /** The recorder that ignores everything. */
  static StatsRecorder noop() {
    return NoopRecorder.INSTANCE;
  }

  /** Wraps {@code delegate} so that nothing it throws reaches a cache call (it is logged once). */
  static StatsRecorder guarded(StatsRecorder delegate) {
    return delegate instanceof GuardedStatsRecorder || delegate == NoopRecorder.INSTANCE
        ? delegate
        : new GuardedStatsRecorder(delegate);
  }


  /** Why a stored value was rejected, used as bounded tag values ({@code reason=authentication}). */
  enum DecryptionFailureReason {
    /** No key in the ring authenticates the token (tampering, or a key this instance lacks). */
    AUTHENTICATION,
    /** The envelope was made for another key, cache or tenant. */
    KEY_BINDING,
    /** Not a well-formed token or envelope. */
    FORMAT,
    /** The envelope's authenticated expiry has passed. */
    EXPIRED,
    /** Decrypted, but the payload could not be deserialized. */
    DESERIALIZE,
    /**
     * Authentic and meant for this key, but in a payload format this instance cannot read: an id a later
     * release assigned, or CBOR without {@code jackson-dataformat-cbor}. A miss that is never deleted
     * (the entry belongs to a writer that can read it).
     */
    UNSUPPORTED_FORMAT;

    public String tagValue() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}

/** Ignores everything. */
enum NoopRecorder implements StatsRecorder {
  INSTANCE
}
