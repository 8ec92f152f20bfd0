package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.HexFormat;

/** Assertions that text carries no key material in any common encoding. */
final class CryptoSecrets {
  private CryptoSecrets() {}

  static void assertNoMaterial(String text, FernetKey... keys) {
    for (FernetKey key : keys) {
      byte[] material = key.material();
      String base64 = key.revealBase64();
      assertThat(text).doesNotContain(base64).doesNotContain(base64.substring(0, 43))
          .doesNotContain(base64.substring(0, 12)).doesNotContain(base64.substring(22, 34));
      assertThat(text).doesNotContain(Base64.getEncoder().encodeToString(material).substring(0, 12));
      String hex = HexFormat.of().formatHex(material);
      assertThat(text.toLowerCase()).doesNotContain(hex).doesNotContain(hex.substring(0, 16))
          .doesNotContain(hex.substring(32, 48)).doesNotContain(hex.substring(48));
    }
  }
}
