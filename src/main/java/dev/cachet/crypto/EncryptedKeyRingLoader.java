package dev.cachet.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;

/**
 * Loads a Fernet key ring that is stored encrypted (envelope encryption) under a Tink AEAD
 * key-encryption key, typically one held by a KMS ({@code GcpKmsClient}, {@code AwsKmsClient}, ...) so
 * that the Fernet keys never sit in plain text in configuration.
 *
 * <p>The stored plaintext is the comma-separated key ring, primary first, exactly as {@value
 * dev.cachet.CachetEnvironment#ENCRYPTION_KEYS} would hold it. The AEAD's associated data binds the
 * ciphertext to its purpose: {@value #ASSOCIATED_DATA_PREFIX} followed, when a context is given, by
 * {@code ":" + context} (for example a deployment name), so a blob sealed for another purpose or
 * context does not load.
 *
 * <p>This is the only class in Cachet that uses Tink's keyset API, which needs {@code protobuf-java}
 * 4.x on the class path: Cachet declares that dependency optional, so an application that passes a
 * {@link KeysetHandle} adds {@code com.google.protobuf:protobuf-java} itself (without it, or with 3.x,
 * these overloads throw a {@link CacheConfigurationException} saying so). The overloads taking an
 * {@link Aead} (a KMS client's, for example) and everything that encrypts or decrypts values never
 * load protobuf. Stateless and thread-safe.
 */
public final class EncryptedKeyRingLoader {
  /** Associated data of every sealed key ring, before the optional {@code ":" + context}. */
  public static final String ASSOCIATED_DATA_PREFIX = "dev.cachet.crypto.FernetKeyRing/v1";

  private EncryptedKeyRingLoader() {}

  /** Decrypts a ring sealed by {@link #seal(FernetKeyRing, Aead)}. */
  public static FernetKeyRing load(byte[] sealedRing, Aead keyEncryptionKey) {
    return load(sealedRing, keyEncryptionKey, "");
  }

  /**
   * Decrypts a ring sealed by {@link #seal(FernetKeyRing, Aead, String)} with the same {@code context}.
   *
   * @param context binds the blob to a deployment or purpose; {@code ""} for none
   * @throws CacheConfigurationException ({@code INVALID_ENCRYPTION_KEY}) if the blob does not decrypt
   *     under {@code keyEncryptionKey} with this context, or does not hold a valid key ring
   */
  public static FernetKeyRing load(byte[] sealedRing, Aead keyEncryptionKey, String context) {
    Objects.requireNonNull(sealedRing, "sealedRing must not be null");
    Objects.requireNonNull(keyEncryptionKey, "keyEncryptionKey must not be null");
    byte[] plaintext;
    try {
      plaintext = keyEncryptionKey.decrypt(sealedRing, associatedData(context));
    } catch (GeneralSecurityException e) {
      throw new CacheConfigurationException(
          Reason.INVALID_ENCRYPTION_KEY,
          "encrypted key ring could not be decrypted: wrong key-encryption key, wrong context, or a"
              + " corrupted blob",
          e);
    }
    try {
      return FernetKeyRing.parse(new String(plaintext, StandardCharsets.US_ASCII), "encrypted key ring");
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /**
   * Decrypts a ring with the AEAD primitive of {@code keyEncryptionKeyset} (Tink's AEAD key types are
   * registered on first use).
   */
  public static FernetKeyRing load(
      byte[] sealedRing, KeysetHandle keyEncryptionKeyset, String context) {
    return load(sealedRing, aead(keyEncryptionKeyset), context);
  }

  /** Encrypts {@code ring} for storage; the inverse of {@link #load(byte[], Aead)}. */
  public static byte[] seal(FernetKeyRing ring, Aead keyEncryptionKey) {
    return seal(ring, keyEncryptionKey, "");
  }

  /**
   * Encrypts {@code ring} for storage under {@code keyEncryptionKey}, bound to {@code context}.
   *
   * @throws CacheConfigurationException ({@code INVALID_ENCRYPTION_KEY}) if the AEAD fails
   */
  public static byte[] seal(FernetKeyRing ring, Aead keyEncryptionKey, String context) {
    Objects.requireNonNull(ring, "ring must not be null");
    Objects.requireNonNull(keyEncryptionKey, "keyEncryptionKey must not be null");
    StringBuilder text = new StringBuilder();
    for (FernetKey key : ring.keys()) {
      if (text.length() > 0) {
        text.append(',');
      }
      text.append(key.revealBase64());
    }
    byte[] plaintext = text.toString().getBytes(StandardCharsets.US_ASCII);
    try {
      return keyEncryptionKey.encrypt(plaintext, associatedData(context));
    } catch (GeneralSecurityException e) {
      throw new CacheConfigurationException(
          Reason.INVALID_ENCRYPTION_KEY, "key ring could not be encrypted: " + e.getClass().getName(), e);
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
  }

  /** Like {@link #seal(FernetKeyRing, Aead, String)} with the AEAD of a Tink keyset. */
  public static byte[] seal(FernetKeyRing ring, KeysetHandle keyEncryptionKeyset, String context) {
    return seal(ring, aead(keyEncryptionKeyset), context);
  }

  static byte[] associatedData(String context) {
    Objects.requireNonNull(context, "context must not be null");
    String ad = context.isEmpty() ? ASSOCIATED_DATA_PREFIX : ASSOCIATED_DATA_PREFIX + ":" + context;
    return ad.getBytes(StandardCharsets.UTF_8);
  }

  private static Aead aead(KeysetHandle handle) {
    Objects.requireNonNull(handle, "keyEncryptionKeyset must not be null");
    try {
      AeadConfig.register();
      return handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
    } catch (GeneralSecurityException e) {
      throw new CacheConfigurationException(
          Reason.INVALID_ENCRYPTION_KEY,
          "key-encryption keyset has no usable AEAD primary key: " + e.getMessage(),
          e);
    } catch (LinkageError e) {
      throw missingProtobuf(e);
    }
  }

  /** Tink's keyset API without protobuf-java 4.x: say what to add instead of a bare linkage error. */
  static CacheConfigurationException missingProtobuf(LinkageError e) {
    return new CacheConfigurationException(
        Reason.INCONSISTENT_SETTINGS,
        "EncryptedKeyRingLoader's keyset overloads use Tink's keyset API, which needs"
            + " com.google.protobuf:protobuf-java 4.x on the class path (" + e.getClass().getSimpleName()
            + "): add it to your build; Cachet declares it optional, and the overloads taking an Aead"
            + " do not need it",
        e);
  }
}
