package dev.cachet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class KeyCodecTests {

  @Test
  void sha256_isTheUnpaddedBase64urlDigestOfTheUtf8Encoding() {
    // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad
    assertThat(KeyCodec.sha256().encode("abc")).isEqualTo("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
  }

  @Test
  void sha256_ofAnyLength_is43UrlSafeCharacters() {
    String prompt = "Summarize: " + "x".repeat(10_000);
    for (String key : new String[] {"", "a", prompt, "é".repeat(5_000)}) {
      assertThat(KeyCodec.sha256().encode(key)).hasSize(43).matches("[A-Za-z0-9_-]{43}");
    }
    assertThat(KeyCodec.sha256().encode(prompt)).isEqualTo(KeyCodec.sha256().encode(new String(prompt)));
    assertThat(KeyCodec.sha256().encode(prompt)).isNotEqualTo(KeyCodec.sha256().encode(prompt + " "));
  }

  @Test
  void sha256_wrapsAnyCodec_andIsEqualForEqualInnerCodecs() {
    UUID id = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
    KeyCodec<UUID> codec = KeyCodec.sha256(KeyCodec.uuids());
    assertThat(codec.encode(id)).isEqualTo(KeyCodec.sha256().encode(id.toString()));
    assertThat(KeyCodec.sha256()).isEqualTo(KeyCodec.sha256(KeyCodec.strings()));
    assertThat(KeyCodec.sha256().hashCode()).isEqualTo(KeyCodec.sha256(KeyCodec.strings()).hashCode());
    assertThat(codec).isNotEqualTo(KeyCodec.sha256());
    assertThat(codec.toString()).startsWith("KeyCodec.sha256(");
  }

  @Test
  void sha256_ofANullCodec_isRejected() {
    assertThatThrownBy(() -> KeyCodec.sha256(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("codec");
  }

  @Test
  void sha256_innerNull_isReturnedForTheCacheToReport() {
    KeyCodec<String> broken = key -> null;
    assertThat(KeyCodec.sha256(broken).encode("k")).isNull();
  }
}
