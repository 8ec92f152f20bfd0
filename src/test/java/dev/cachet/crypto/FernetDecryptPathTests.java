package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The one decryption path at every size: pooled buffers (tokens up to {@link
 * FernetKeyRing#MAX_POOLED_TOKEN}), buffers of their own above, the allocating and the in-place API,
 * every padding length, and a key other than the ring's first.
 */
class FernetDecryptPathTests {

  private static byte[] data(int size) {
    byte[] b = new byte[size];
    new SplittableRandom(size).nextBytes(b);
    return b;
  }

  @Test
  void everySize_decryptsToThePlaintext_allocatingAndInPlace_pooledAndNot() {
    FernetKey old = FernetKey.generate();
    FernetKeyRing writer = FernetKeyRing.of(old);
    FernetKeyRing reader = FernetKeyRing.of(FernetKey.generate(), old); // the second key opens it
    int[] sizes = {0, 1, 15, 16, 17, 31, 32, 33, 1_000, 2_048, 10_000, 48_000, 49_100, 70_000, 300_000};
    for (int size : sizes) {
      byte[] plaintext = data(size);
      byte[] token = writer.encrypt(plaintext);
      assertThat(reader.decrypt(token)).as("size %d", size).isEqualTo(plaintext);
      assertThat(reader.decrypt(token, Duration.ofMinutes(1))).as("size %d, ttl", size).isEqualTo(plaintext);
      assertThat(reader.decrypt(new String(token, java.nio.charset.StandardCharsets.US_ASCII)))
          .isEqualTo(plaintext);
      byte[] inPlace = reader.decrypt(token, (buf, off, len) -> Arrays.copyOfRange(buf, off, off + len));
      assertThat(inPlace).as("size %d, in place", size).isEqualTo(plaintext);
      assertThat(reader.decrypt(reader.rotate(token))).as("size %d, rotated", size).isEqualTo(plaintext);
    }
  }

  @Test
  void aTokenOfAnotherKey_failsAuthentication_atEverySize() {
    FernetKeyRing ring = FernetKeyRing.of(FernetKey.generate());
    FernetKeyRing other = FernetKeyRing.of(FernetKey.generate());
    for (int size : new int[] {10, 5_000, 100_000}) {
      byte[] token = other.encrypt(data(size));
      assertThatThrownBy(() -> ring.decrypt(token))
          .isInstanceOfSatisfying(
              ValueDecryptionException.class,
              e -> assertThat(e.reason()).isEqualTo(ValueDecryptionException.Reason.AUTHENTICATION));
      assertThatThrownBy(() -> ring.decrypt(token, (buf, off, len) -> len))
          .isInstanceOf(ValueDecryptionException.class);
    }
  }
}
