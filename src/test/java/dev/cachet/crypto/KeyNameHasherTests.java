package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CachetEnvironment;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class KeyNameHasherTests {
  private static final byte[] SECRET = new byte[32];

  static {
    for (int i = 0; i < SECRET.length; i++) {
      SECRET[i] = (byte) i;
    }
  }

  @Test
  void hash_matchesHkdfThenHmacComputedByHand() throws Exception {
    // RFC 5869 with an empty salt, written out with plain HMAC as the Python snippet does.
    Mac extract = Mac.getInstance("HmacSHA256");
    extract.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
    byte[] prk = extract.doFinal(SECRET);
    Mac expand = Mac.getInstance("HmacSHA256");
    expand.init(new SecretKeySpec(prk, "HmacSHA256"));
    expand.update(KeyNameHasher.HKDF_INFO.getBytes(StandardCharsets.US_ASCII));
    byte[] namingKey = expand.doFinal(new byte[] {1});
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(namingKey, "HmacSHA256"));
    String expected = Base64.getUrlEncoder().withoutPadding()
        .encodeToString(mac.doFinal("user:42".getBytes(StandardCharsets.UTF_8)));

    assertThat(KeyNameHasher.of(SECRET).hash("user:42")).isEqualTo(expected).hasSize(43);
  }

  @Test
  void hash_isDeterministicAndSecretDependent() {
    byte[] other = SECRET.clone();
    other[0] ^= 1;
    KeyNameHasher hasher = KeyNameHasher.of(SECRET);

    assertThat(hasher.hash("a")).isEqualTo(KeyNameHasher.of(SECRET).hash("a"));
    assertThat(hasher.hash("a")).isNotEqualTo(hasher.hash("b"));
    assertThat(hasher.hash("a")).isNotEqualTo(KeyNameHasher.of(other).hash("a"));
    assertThat(hasher.hash("a")).doesNotContain("=", "+", "/");
  }

  @Test
  void of_shortSecret_isRejected() {
    assertThatThrownBy(() -> KeyNameHasher.of(new byte[31])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void fromEnvironment_readsNamingSecretVariable() {
    String encoded = Base64.getUrlEncoder().encodeToString(SECRET);

    assertThat(KeyNameHasher.fromEnvironment(CachetEnvironment.of(Map.of()))).isEmpty();
    assertThat(KeyNameHasher.fromEnvironment(
                CachetEnvironment.of(Map.of(CachetEnvironment.KEY_NAMING_SECRET, encoded)))
            .orElseThrow()
            .hash("k"))
        .isEqualTo(KeyNameHasher.of(SECRET).hash("k"));
  }

  @Test
  void fromEnvironment_invalidSecret_namesVariableNotValue() {
    String bad = Base64.getUrlEncoder().encodeToString(new byte[16]);
    assertThatThrownBy(() -> KeyNameHasher.fromEnvironment(
            CachetEnvironment.of(Map.of(CachetEnvironment.KEY_NAMING_SECRET, bad))))
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> assertThat(e.getMessage()).contains("CACHET_KEY_NAMING_SECRET").doesNotContain(bad));
  }

  @Test
  void toString_hidesSecret() {
    assertThat(KeyNameHasher.of(SECRET).toString())
        .doesNotContain(Base64.getUrlEncoder().encodeToString(SECRET).substring(0, 10));
  }
}
