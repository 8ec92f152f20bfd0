package dev.cachet.crypto;

import com.google.crypto.tink.subtle.Bytes;
import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * A 32-byte Fernet key: bytes 0-15 sign (HMAC-SHA256), bytes 16-31 encrypt (AES-128-CBC). Its text
 * form is URL-safe base64 with padding, 44 characters, exactly what Python's {@code
 * Fernet.generate_key()} prints.
 *
 * <p>Keys never show their material: {@link #toString()} gives only the {@linkplain #keyId() key id},
 * parse errors never echo the input, and the class is not {@code Serializable}. {@link #revealBase64()}
 * is the only way to get the material back out, for {@code keygen} and tooling.
 *
 * <p>Immutable and thread-safe. Each key also owns the small pool of JCE objects that encrypt and
 * decrypt with it, so rings sharing a key share the pool.
 */
public final class FernetKey {
  /** Length of a key's text form. */
  public static final int ENCODED_LENGTH = 44;

  static final String FORMAT_HELP =
      "expected a Fernet key: 32 bytes as URL-safe base64 with padding (44 characters, alphabet A-Z a-z"
          + " 0-9 - _, ending in '='). Generate one with 'java -jar cachet-<version>-cli.jar keygen' or Python's"
          + " 'cryptography.fernet.Fernet.generate_key()'";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int SIZE = 32;

  private final byte[] material;
  private final String keyId;
  final FernetCipher cipher;

  private FernetKey(byte[] material) {
    this.material = material;
    this.keyId = idOf(material);
    this.cipher = new FernetCipher(material);
  }

  /**
   * Parses a key from its text form.
   *
   * @throws CacheConfigurationException with reason {@code INVALID_ENCRYPTION_KEY} if {@code encoded}
   *     is not 44 characters of canonical URL-safe base64 with padding; the message says what is
   *     expected and how to generate a key, and contains no part of {@code encoded}
   * @throws NullPointerException if {@code encoded} is null
   */
  public static FernetKey parse(String encoded) {
    Objects.requireNonNull(encoded, "encryption key must not be null");
    byte[] material = encoded.length() == ENCODED_LENGTH ? FernetBase64.decode(encoded) : null;
    if (material == null || material.length != SIZE) {
      throw new CacheConfigurationException(
          Reason.INVALID_ENCRYPTION_KEY, "invalid encryption key: " + FORMAT_HELP);
    }
    return new FernetKey(material);
  }

  /** A new random key from {@link SecureRandom}. */
  public static FernetKey generate() {
    byte[] material = new byte[SIZE];
    RANDOM.nextBytes(material);
    return new FernetKey(material);
  }

  /** Package-private: a key from raw bytes (copied), for tests and the encrypted-ring loader. */
  static FernetKey ofBytes(byte[] material) {
    if (material.length != SIZE) {
      throw new CacheConfigurationException(
          Reason.INVALID_ENCRYPTION_KEY, "invalid encryption key: " + FORMAT_HELP);
    }
    return new FernetKey(material.clone());
  }

  /**
   * A short identifier: the first 8 hex digits of the SHA-256 of the key. It reveals nothing usable
   * about the key, is stable across processes and languages (Python: {@code
   * hashlib.sha256(base64.urlsafe_b64decode(key)).hexdigest()[:8]}), and is what logs and errors show.
   */
  public String keyId() {
    return keyId;
  }

  /**
   * The key's text form: the secret itself. Only for exporting a key ({@code keygen}, migration
   * tooling); never log it or put it in a message.
   */
  public String revealBase64() {
    return FernetBase64.encodeToString(material);
  }

  /** Package-private view of the material; callers must not modify or leak it. */
  byte[] material() {
    return material;
  }

  /** Keys are equal when their material is, compared in constant time (Tink's {@code Bytes.equal}). */
  @Override
  public boolean equals(Object other) {
    return other instanceof FernetKey && Bytes.equal(material, ((FernetKey) other).material);
  }

  @Override
  public int hashCode() {
    return keyId.hashCode();
  }

  /** {@code FernetKey[id=<keyId>]}; never the material. */
  @Override
  public String toString() {
    return "FernetKey[id=" + keyId + "]";
  }

  private static String idOf(byte[] material) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(material);
      StringBuilder hex = new StringBuilder(8);
      for (int i = 0; i < 4; i++) {
        hex.append(Character.forDigit((digest[i] >> 4) & 0xf, 16))
            .append(Character.forDigit(digest[i] & 0xf, 16));
      }
      Arrays.fill(digest, (byte) 0);
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }
}
