package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Encryption through the engine's reused raw-token buffer: at every size (padding lengths, around the
 * pooled bound, a small token after a large one in the same engine), the token is exactly what {@link
 * FernetCipher#seal} makes with the same IV and timestamp, its ciphertext is one JCE CBC {@code doFinal}
 * of the plaintext, and it opens.
 */
class FernetEncryptPathTests {

  private static byte[] data(int size) {
    byte[] b = new byte[size];
    new SplittableRandom(size).nextBytes(b);
    return b;
  }

  private static byte[] jceCbc(byte[] key, byte[] iv, byte[] plaintext) {
    try {
      javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/CBC/PKCS5Padding");
      c.init(
          javax.crypto.Cipher.ENCRYPT_MODE,
          new javax.crypto.spec.SecretKeySpec(key, 16, 16, "AES"),
          new javax.crypto.spec.IvParameterSpec(iv));
      return c.doFinal(plaintext);
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void everySize_theTokenIsTheSealedRawTokenEncoded_andOpens() {
    byte[] key = data(32);
    FernetCipher cipher = new FernetCipher(key);
    int bound = FernetCipher.Engine.MAX_POOLED_RAW;
    int aroundBound = bound - FernetCipher.MIN_RAW_SIZE; // raw size = bound - 16 + padding
    int[] sizes = {
      0, 1, 15, 16, 17, 1_000, 2_048, aroundBound - 16, aroundBound - 1, aroundBound, aroundBound + 1,
      aroundBound + 16, 300_000, 1_000, 0, 70_000, 17
    };
    long timestamp = 1_700_000_000L;
    for (int size : sizes) {
      byte[] plaintext = data(size);
      byte[] token = cipher.encrypt(plaintext, timestamp);
      byte[] raw = FernetBase64.decode(token);
      assertThat(raw).as("size %d", size).isNotNull();
      assertThat(raw.length).isEqualTo(FernetCipher.CIPHERTEXT_OFFSET + (size / 16 + 1) * 16 + 32);
      byte[] iv = Arrays.copyOfRange(raw, FernetCipher.IV_OFFSET, FernetCipher.IV_OFFSET + 16);
      assertThat(raw).as("size %d", size).isEqualTo(cipher.seal(plaintext, timestamp, iv));
      // the ciphertext is what one JCE doFinal of the whole plaintext makes (AES key: bytes 16-31)
      byte[] expected = jceCbc(key, iv, plaintext);
      assertThat(Arrays.copyOfRange(raw, FernetCipher.CIPHERTEXT_OFFSET, raw.length - 32))
          .as("size %d", size)
          .isEqualTo(expected);
      FernetKeyRing ring = FernetKeyRing.of(FernetKey.ofBytes(key));
      assertThat(ring.decrypt(token)).as("size %d", size).isEqualTo(plaintext);
    }
  }
}
