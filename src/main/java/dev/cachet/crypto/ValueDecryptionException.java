package dev.cachet.crypto;

import dev.cachet.CacheException;
import java.util.Objects;

/**
 * A stored value could not be decrypted: the token is malformed, no key in the ring authenticates it,
 * it is older than the allowed time to live (or too far in the future), or, for the Redis value
 * envelope, it was sealed for a different cache key.
 *
 * <p>The message is the same generic {@value #MESSAGE} for every reason and never says whether the MAC,
 * the padding or the clock failed (as Tink's {@code WrappedAead} does); no cause is attached. {@link
 * #reason()} is for metrics and tests. A token written under a key this instance does not have yet is
 * indistinguishable from a forged one and is reported as {@link Reason#AUTHENTICATION}: see the
 * two-phase rotation procedure in {@code docs/security.md}.
 */
public class ValueDecryptionException extends CacheException {
  private static final long serialVersionUID = 1L;

  /** The message of every instance. */
  public static final String MESSAGE = "value decryption failed";

  /** Why decryption failed. The set only grows; switch on it with a default branch. */
  public enum Reason {
    /**
     * Not a well-formed token: bad or non-canonical base64, wrong version byte, wrong length, or an
     * authenticated token whose padding is invalid.
     */
    FORMAT,
    /** No key in the ring produced a matching HMAC: forged, corrupted, or written under an unknown key. */
    AUTHENTICATION,
    /** A time to live was given and the token is older than it, or more than 60 s in the future. */
    EXPIRED,
    /** The token decrypted, but the envelope inside names a different cache key (Redis tier). */
    KEY_BINDING
  }

  private final Reason reason;

  /** Creates an exception for {@code reason}, not tied to a cache. */
  public ValueDecryptionException(Reason reason) {
    this(null, reason);
  }

  /**
   * Creates an exception for {@code reason} in cache {@code cacheName}.
   *
   * @param cacheName the cache the value belongs to, or {@code null}
   * @throws NullPointerException if {@code reason} is null
   */
  public ValueDecryptionException(String cacheName, Reason reason) {
    super(cacheName, MESSAGE, null);
    this.reason = Objects.requireNonNull(reason, "reason must not be null");
  }

  /** Why decryption failed; never {@code null}. */
  public Reason reason() {
    return reason;
  }
}
