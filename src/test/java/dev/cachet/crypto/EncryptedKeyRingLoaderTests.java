package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EncryptedKeyRingLoaderTests {
  private static KeysetHandle kekKeyset;
  private static Aead kek;

  private final FernetKey primary = FernetKey.generate();
  private final FernetKey secondary = FernetKey.generate();
  private final FernetKeyRing ring = FernetKeyRing.of(primary, secondary);

  @BeforeAll
  static void generateKeyEncryptionKey() throws Exception {
    AeadConfig.register();
    kekKeyset = KeysetHandle.generateNew(PredefinedAeadParameters.AES128_GCM);
    kek = kekKeyset.getPrimitive(RegistryConfiguration.get(), Aead.class);
  }

  @Test
  void load_sealedRing_restoresKeysInOrder() {
    byte[] sealed = EncryptedKeyRingLoader.seal(ring, kek);
    FernetKeyRing loaded = EncryptedKeyRingLoader.load(sealed, kek);

    assertThat(loaded.keyIds()).containsExactly(primary.keyId(), secondary.keyId());
    assertThat(loaded.decrypt(ring.encrypt(new byte[] {1, 2}))).containsExactly(1, 2);
    assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain(primary.revealBase64());
  }

  @Test
  void load_withKeysetHandleAndContext_roundTrips() {
    byte[] sealed = EncryptedKeyRingLoader.seal(ring, kekKeyset, "prod-eu");

    assertThat(EncryptedKeyRingLoader.load(sealed, kekKeyset, "prod-eu").keyIds())
        .containsExactly(primary.keyId(), secondary.keyId());
  }

  @Test
  void load_pythonStylePlaintext_isParsed() throws Exception {
    // A ring sealed by other tooling: the plaintext is just the comma-separated key list.
    byte[] plaintext = (primary.revealBase64() + "," + secondary.revealBase64()).getBytes(StandardCharsets.US_ASCII);
    byte[] sealed = kek.encrypt(plaintext, EncryptedKeyRingLoader.ASSOCIATED_DATA_PREFIX.getBytes(StandardCharsets.UTF_8));

    assertThat(EncryptedKeyRingLoader.load(sealed, kek).primaryKeyId()).isEqualTo(primary.keyId());
  }

  @Test
  void load_wrongContextOrPurpose_fails() throws Exception {
    byte[] sealed = EncryptedKeyRingLoader.seal(ring, kek, "prod-eu");
    byte[] otherPurpose = kek.encrypt(primary.revealBase64().getBytes(StandardCharsets.US_ASCII), new byte[0]);

    assertThatThrownBy(() -> EncryptedKeyRingLoader.load(sealed, kek, "prod-us"))
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_ENCRYPTION_KEY));
    assertThatThrownBy(() -> EncryptedKeyRingLoader.load(sealed, kek))
        .isInstanceOf(CacheConfigurationException.class);
    assertThatThrownBy(() -> EncryptedKeyRingLoader.load(otherPurpose, kek))
        .isInstanceOf(CacheConfigurationException.class);
  }

  @Test
  void load_wrongKeyEncryptionKey_failsWithoutMaterial() throws Exception {
    byte[] sealed = EncryptedKeyRingLoader.seal(ring, kek);
    Aead otherKek =
        KeysetHandle.generateNew(PredefinedAeadParameters.AES128_GCM)
            .getPrimitive(RegistryConfiguration.get(), Aead.class);

    assertThatThrownBy(() -> EncryptedKeyRingLoader.load(sealed, otherKek))
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> CryptoSecrets.assertNoMaterial(String.valueOf(e) + e.getCause(), primary, secondary));
  }

  @Test
  void load_sealedGarbage_reportsInvalidKeyWithoutEchoing() throws Exception {
    byte[] sealed = kek.encrypt("not-a-key,also-not".getBytes(StandardCharsets.US_ASCII),
        EncryptedKeyRingLoader.associatedData(""));

    assertThatThrownBy(() -> EncryptedKeyRingLoader.load(sealed, kek))
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.INVALID_ENCRYPTION_KEY);
              assertThat(e.getMessage()).contains("encrypted key ring").doesNotContain("not-a-key");
            });
  }

  @Test
  void missingProtobuf_isReportedAsWhatToAdd() {
    CacheConfigurationException e =
        EncryptedKeyRingLoader.missingProtobuf(new NoClassDefFoundError("com/google/protobuf/MessageLite"));
    assertThat(e.reason()).isEqualTo(Reason.INCONSISTENT_SETTINGS);
    assertThat(e.getMessage()).contains("com.google.protobuf:protobuf-java 4.x").contains("NoClassDefFoundError");
    assertThat(e.getCause()).isInstanceOf(NoClassDefFoundError.class);
  }
}
