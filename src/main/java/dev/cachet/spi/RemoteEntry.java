package dev.cachet.spi;

import java.util.Objects;

/**
 * A value read from a remote tier with the absolute expiry its writer sealed into it, so a tiered cache
 * can refill memory without asking the server for a TTL.
 *
 * @param value the deserialized value, never null
 * @param expiresAtEpochMillis when the entry dies, in epoch milliseconds (authenticated for sealed
 *     entries; for formats without an authenticated expiry, the read time plus the server's TTL or the
 *     default TTL)
 */
public record RemoteEntry<V>(V value, long expiresAtEpochMillis) {
  public RemoteEntry {
    Objects.requireNonNull(value, "value must not be null");
  }

  /** Milliseconds left at {@code nowMillis}, never negative. */
  public long remainingMillis(long nowMillis) {
    return Math.max(0, expiresAtEpochMillis - nowMillis);
  }
}
