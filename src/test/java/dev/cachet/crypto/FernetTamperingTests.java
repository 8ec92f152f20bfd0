package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.crypto.ValueDecryptionException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FernetTamperingTests {
  private final FernetKey key = FernetKey.generate();
  private final FernetKeyRing ring = FernetKeyRing.of(key);

  @Test
  void decrypt_everySingleBitFlipOfDecodedToken_fails() {
    byte[] token = ring.encrypt("attack at dawn, bring 17 bytes".getBytes(StandardCharsets.UTF_8));
    byte[] raw = FernetBase64.decode(token);
    int flips = 0;
    for (int bit = 0; bit < raw.length * 8; bit++) {
      byte[] tampered = raw.clone();
      tampered[bit / 8] ^= (byte) (1 << (bit % 8));
      byte[] tamperedToken = FernetBase64.encode(tampered);
      assertThatThrownBy(() -> ring.decrypt(tamperedToken))
          .as("bit %d", bit)
          .isInstanceOf(ValueDecryptionException.class)
          .hasMessage(ValueDecryptionException.MESSAGE);
      flips++;
    }
    assertThat(flips).isEqualTo(raw.length * 8);
  }

  @Test
  void decrypt_everyTruncation_fails() {
    byte[] token = ring.encrypt(new byte[40]);
    byte[] raw = FernetBase64.decode(token);
    for (int len = 0; len < raw.length; len++) {
      byte[] truncated = FernetBase64.encode(Arrays.copyOf(raw, len));
      assertThatThrownBy(() -> ring.decrypt(truncated)).as("length %d", len)
          .isInstanceOf(ValueDecryptionException.class);
    }
    for (int len = 0; len < token.length; len++) {
      byte[] truncatedText = Arrays.copyOf(token, len);
      assertThatThrownBy(() -> ring.decrypt(truncatedText)).as("text length %d", len)
          .isInstanceOf(ValueDecryptionException.class);
    }
  }

  @Test
  void decrypt_extendedToken_fails() {
    byte[] token = ring.encrypt(new byte[40]);
    byte[] raw = FernetBase64.decode(token);
    for (int extra = 1; extra <= 48; extra++) {
      byte[] extended = FernetBase64.encode(Arrays.copyOf(raw, raw.length + extra));
      assertThatThrownBy(() -> ring.decrypt(extended)).as("extra %d", extra)
          .isInstanceOf(ValueDecryptionException.class);
    }
    byte[] twice = new byte[token.length * 2];
    System.arraycopy(token, 0, twice, 0, token.length);
    System.arraycopy(token, 0, twice, token.length, token.length);
    assertThatThrownBy(() -> ring.decrypt(twice)).isInstanceOf(ValueDecryptionException.class);
  }

  @Test
  void decrypt_otherVersionByte_failsAsFormat() {
    byte[] token = ring.encrypt(new byte[3]);
    byte[] raw = FernetBase64.decode(token);
    for (int version = 0; version < 256; version++) {
      if (version == 0x80) {
        continue;
      }
      byte[] changed = raw.clone();
      changed[0] = (byte) version;
      byte[] changedToken = FernetBase64.encode(changed);
      assertThatThrownBy(() -> ring.decrypt(changedToken))
          .isInstanceOfSatisfying(
              ValueDecryptionException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FORMAT));
    }
  }

  @Test
  void decrypt_nonCanonicalBase64_failsAsFormat() {
    // 57 + 16 bytes = 73 = 3*24 + 1: one final byte, "==" padding, 4 unused bits.
    // 57 + 32 bytes = 89 = 3*29 + 2: two final bytes, "=" padding, 2 unused bits.
    for (int plaintextSize : new int[] {0, 16}) {
      String token = ring.encryptToString(new byte[plaintextSize]);
      int lastData = token.indexOf('=') - 1;
      assertThat(lastData).isPositive();
      String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      int value = alphabet.indexOf(token.charAt(lastData));
      String nonCanonical =
          token.substring(0, lastData) + alphabet.charAt(value | 1) + token.substring(lastData + 1);
      assertThat(nonCanonical).isNotEqualTo(token);

      assertThatThrownBy(() -> ring.decrypt(nonCanonical))
          .isInstanceOfSatisfying(
              ValueDecryptionException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FORMAT));
      assertThat(ring.decrypt(token)).hasSize(plaintextSize);
    }
  }

  @Test
  void decrypt_malformedText_failsAsFormat() {
    String token = ring.encryptToString(new byte[16]);
    String[] malformed = {
      "",
      token.replace("=", ""), // padding missing
      token + "=",
      " " + token,
      token + "\n",
      token.substring(0, 10) + "+" + token.substring(11), // standard alphabet
      token.substring(0, 10) + "/" + token.substring(11),
      token.substring(0, 10) + "\u00e9" + token.substring(11),
      token.substring(0, 10) + "=" + token.substring(11),
    };
    for (String bad : malformed) {
      assertThatThrownBy(() -> ring.decrypt(bad)).as("%s", bad)
          .isInstanceOfSatisfying(
              ValueDecryptionException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FORMAT));
    }
  }

  @Test
  void decrypt_unknownKey_failsAsAuthentication() {
    byte[] token = FernetKeyRing.of(FernetKey.generate()).encrypt(new byte[10]);

    assertThatThrownBy(() -> ring.decrypt(token))
        .isInstanceOfSatisfying(
            ValueDecryptionException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION))
        .hasMessage(ValueDecryptionException.MESSAGE)
        .hasNoCause();
    assertThatThrownBy(() -> ring.extractTimestamp(token)).isInstanceOf(ValueDecryptionException.class);
    assertThatThrownBy(() -> ring.rotate(token)).isInstanceOf(ValueDecryptionException.class);
  }

  @Test
  void decrypt_swappedSigningAndEncryptionHalves_fails() {
    byte[] material = key.material();
    byte[] swapped = new byte[32];
    System.arraycopy(material, 16, swapped, 0, 16);
    System.arraycopy(material, 0, swapped, 16, 16);
    byte[] token = ring.encrypt(new byte[10]);

    assertThatThrownBy(() -> FernetKeyRing.of(FernetKey.ofBytes(swapped)).decrypt(token))
        .isInstanceOf(ValueDecryptionException.class);
  }

  @Test
  void decryptionFailures_allShareOneMessage() {
    assertThat(new ValueDecryptionException(Reason.KEY_BINDING).getMessage())
        .isEqualTo(new ValueDecryptionException("users", Reason.EXPIRED).getMessage())
        .isEqualTo("value decryption failed");
    assertThat(new ValueDecryptionException("users", Reason.EXPIRED).cacheName()).isEqualTo("users");
  }
}
