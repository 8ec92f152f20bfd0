package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import java.io.Serializable;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class FernetKeyTests {
  static final String SPEC_KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

  @Test
  void parse_validKey_roundTripsThroughReveal() {
    assertThat(FernetKey.parse(SPEC_KEY).revealBase64()).isEqualTo(SPEC_KEY);
  }

  @Test
  void generate_producesDistinctParsableKeys() {
    FernetKey a = FernetKey.generate();
    FernetKey b = FernetKey.generate();
    assertThat(a).isNotEqualTo(b);
    assertThat(a.revealBase64()).hasSize(44).endsWith("=");
    assertThat(FernetKey.parse(a.revealBase64())).isEqualTo(a).hasSameHashCodeAs(a);
  }

  @Test
  void keyId_isFirstEightHexOfSha256() throws Exception {
    byte[] material = Base64.getUrlDecoder().decode(SPEC_KEY);
    byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(material);
    assertThat(FernetKey.parse(SPEC_KEY).keyId()).isEqualTo(HexFormat.of().formatHex(digest).substring(0, 8));
  }

  @Test
  void parse_invalidForms_throwInvalidKeyWithoutEchoingInput() {
    String[] bad = {
      "",
      SPEC_KEY.substring(0, 43), // too short
      SPEC_KEY + "A",
      SPEC_KEY.replace('-', '+'), // standard alphabet
      SPEC_KEY.replace("=", "A"), // no padding, 33 bytes
      SPEC_KEY.substring(0, 42) + "5=", // non-canonical padding bits ('4' -> '5')
      Base64.getUrlEncoder().encodeToString(new byte[24]) + "AAAAAAAAAAAA", // wrong length content
      Base64.getUrlEncoder().encodeToString(new byte[16]), // AES-128-only key
      Base64.getEncoder().encodeToString(new byte[64]), // 64-byte key
      " " + SPEC_KEY.substring(1),
    };
    for (String input : bad) {
      assertThatThrownBy(() -> FernetKey.parse(input))
          .as(input)
          .isInstanceOfSatisfying(
              CacheConfigurationException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.INVALID_ENCRYPTION_KEY);
                assertThat(e.getMessage()).contains("44 characters").contains("keygen");
                for (int i = 0; i + 6 <= input.length(); i++) {
                  assertThat(e.getMessage()).doesNotContain(input.substring(i, i + 6));
                }
              });
    }
  }

  @Test
  void parse_null_throwsNpe() {
    assertThatThrownBy(() -> FernetKey.parse(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void toString_showsOnlyKeyId() {
    FernetKey key = FernetKey.parse(SPEC_KEY);
    assertThat(key.toString()).isEqualTo("FernetKey[id=" + key.keyId() + "]");
    CryptoSecrets.assertNoMaterial(key.toString(), key);
  }

  @Test
  void fernetKey_isNotSerializable() {
    assertThat(Serializable.class.isAssignableFrom(FernetKey.class)).isFalse();
    assertThat(Serializable.class.isAssignableFrom(FernetKeyRing.class)).isFalse();
    assertThat(Serializable.class.isAssignableFrom(KeyNameHasher.class)).isFalse();
  }
}
