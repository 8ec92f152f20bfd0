package dev.cachet.spi;

import java.util.Objects;

/**
 * A value read from a remote tier with the absolute expiry its writer sealed into it, so a tiered cache
 * can refill memory without asking the server for a TTL, and the exact stored bytes it was read from,
 * so a later conditional write can compare against them ({@link RemoteTier#replace}).
 *
 * @param value the deserialized value, never null
 * @param expiresAtEpochMillis when the entry dies, in epoch milliseconds of the <em>reader's</em> clock
 *     (the tier converts the writer's server-time expiry with its clock offset; authenticated for sealed
 *     entries; for formats without an authenticated expiry, the read time plus the server's TTL or the
 *     default TTL)
 * @param token the exact bytes stored remotely, opaque to callers and never inspected by them; null when
 *     the tier cannot compare-and-set. Not part of {@code toString()}.
 */
public record RemoteEntry<V>(V value, long expiresAtEpochMillis, byte[] token) {
  /**
   * An entry; see the record's parameters.
   *
   * @throws NullPointerException if {@code value} is null
   */
  public RemoteEntry {
    Objects.requireNonNull(value, "value must not be null");
  }

  /** An entry without a comparable token. */
  public RemoteEntry(V value, long expiresAtEpochMillis) {
    this(value, expiresAtEpochMillis, null);
  }

  /** Milliseconds left at {@code nowMillis}, never negative. */
  public long remainingMillis(long nowMillis) {
    return Math.max(0, expiresAtEpochMillis - nowMillis);
  }

  /** Names the value's class and the expiry; never the value or the token. */
  @Override
  public String toString() {
    return "RemoteEntry[" + value.getClass().getSimpleName() + ", expiresAt=" + expiresAtEpochMillis + "]";
  }
}
