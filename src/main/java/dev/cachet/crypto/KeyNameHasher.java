package dev.cachet.crypto;

import com.google.crypto.tink.subtle.Hkdf;
import dev.cachet.CacheConfigurationException;
import dev.cachet.CachetEnvironment;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Hides cache key names: {@link #hash(String)} maps a key name to a keyed hash, so Redis (and anyone
 * reading it) sees {@code cachet:users:Zm9v...} instead of {@code cachet:users:alice@example.com}.
 *
 * <p>The hash is HMAC-SHA256 under a key derived with HKDF-SHA256 (RFC 5869, empty salt, info {@value
 * #HKDF_INFO}, 32 bytes) from a dedicated <em>naming secret</em>. The naming secret is separate from the
 * Fernet encryption keys and does not rotate with them: changing it renames every stored key, which
 * amounts to emptying the cache. The output is the 32-byte MAC as URL-safe base64 <em>without</em>
 * padding (43 characters).
 *
 * <p>A Python service computes the same name with the standard library only:
 *
 * <pre>{@code
 * import base64, hashlib, hmac
 * secret = base64.urlsafe_b64decode(os.environ["CACHET_KEY_NAMING_SECRET"])
 * prk = hmac.new(b"\0" * 32, secret, hashlib.sha256).digest()                       # HKDF-Extract
 * naming_key = hmac.new(prk, b"cachet key-name hashing v1\x01", hashlib.sha256).digest()  # HKDF-Expand
 * digest = hmac.new(naming_key, key_name.encode("utf-8"), hashlib.sha256).digest()
 * name = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
 * }</pre>
 *
 * <p>Immutable and thread-safe; the {@code Mac} objects come from a small bounded pool. {@link
 * #toString()} shows no secret.
 */
public final class KeyNameHasher {
  /** The HKDF info string that dedicates the derived key to key-name hashing. */
  public static final String HKDF_INFO = "cachet key-name hashing v1";

  /** The shortest naming secret accepted, in bytes. */
  public static final int MIN_SECRET_BYTES = 32;

  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private final BoundedPool<Mac> macs;

  private KeyNameHasher(byte[] secret) {
    byte[] derived;
    try {
      derived =
          Hkdf.computeHkdf(
              "HMACSHA256", secret, new byte[0], HKDF_INFO.getBytes(StandardCharsets.US_ASCII), 32);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HKDF-SHA256 is unavailable", e);
    }
    SecretKeySpec key = new SecretKeySpec(derived, "HmacSHA256");
    Arrays.fill(derived, (byte) 0);
    this.macs =
        new BoundedPool<>(
            BoundedPool.defaultCapacity(),
            () -> {
              try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return mac;
              } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HMAC-SHA256 is unavailable", e);
              }
            });
  }

  /**
   * A hasher for {@code secret} (copied by derivation; the caller may wipe its array afterwards).
   *
   * @throws IllegalArgumentException if {@code secret} is shorter than {@value #MIN_SECRET_BYTES} bytes
   */
  public static KeyNameHasher of(byte[] secret) {
    Objects.requireNonNull(secret, "secret must not be null");
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          "key-naming secret must have at least " + MIN_SECRET_BYTES + " bytes, has " + secret.length);
    }
    return new KeyNameHasher(secret);
  }

  /**
   * The hasher configured by {@value CachetEnvironment#KEY_NAMING_SECRET}: at least 32 bytes as URL-safe
   * base64 with padding (the output of {@code keygen} works).
   *
   * @return the hasher, or empty when the variable is unset (key names stay readable)
   * @throws CacheConfigurationException ({@code INVALID_ENVIRONMENT_VARIABLE}) if the value is not valid;
   *     the message never echoes it
   */
  public static Optional<KeyNameHasher> fromEnvironment(CachetEnvironment env) {
    Objects.requireNonNull(env, "env must not be null");
    Optional<String> value = env.secret(CachetEnvironment.KEY_NAMING_SECRET);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    byte[] secret = FernetBase64.decode(value.get());
    if (secret == null || secret.length < MIN_SECRET_BYTES) {
      throw new CacheConfigurationException(
          CacheConfigurationException.Reason.INVALID_ENVIRONMENT_VARIABLE,
          "environment variable " + CachetEnvironment.KEY_NAMING_SECRET + " is not a valid key-naming"
              + " secret: expected at least " + MIN_SECRET_BYTES + " random bytes as URL-safe base64 with"
              + " padding; generate one with 'java -jar cachet-<version>-cli.jar keygen'");
    }
    try {
      return Optional.of(new KeyNameHasher(secret));
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  /**
   * The hidden form of {@code keyName}: HMAC-SHA256 of its UTF-8 bytes as URL-safe base64 without
   * padding (43 characters). Deterministic for a given naming secret.
   */
  public String hash(String keyName) {
    Objects.requireNonNull(keyName, "keyName must not be null");
    byte[] input = keyName.getBytes(StandardCharsets.UTF_8);
    Mac mac = macs.acquire();
    byte[] digest = mac.doFinal(input);
    macs.release(mac);
    return ENCODER.encodeToString(digest);
  }

  /** Says what it is, never the secret. */
  @Override
  public String toString() {
    return "KeyNameHasher[HMAC-SHA256, secret hidden]";
  }
}
