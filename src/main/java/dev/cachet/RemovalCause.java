package dev.cachet;

/** Why an entry left a cache's memory tier, as reported to a {@link RemovalListener}. */
public enum RemovalCause {
  /** This instance invalidated the key ({@code invalidate}, {@code invalidateAll}, {@code compute} to null). */
  EXPLICIT,
  /** This instance wrote a new value for the key ({@code put}, {@code compute}, a refresh). */
  REPLACED,
  /** The entry's time to live ran out (reported when the memory tier notices, not at the instant). */
  EXPIRED,
  /** The memory bound evicted the entry. */
  SIZE,
  /** Another instance changed or invalidated the key, and coherence dropped this instance's copy. */
  PEER_INVALIDATED,
  /** Coherence cleared memory: another instance's {@code invalidateAll} or tenant clear, or lost messages. */
  COHERENCE_CLEARED
}
