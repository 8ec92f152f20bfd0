package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FernetBase64Tests {

  @Test
  void decode_canonicalEncodings_matchJdk() {
    Random random = new Random(42);
    for (int size = 0; size < 300; size++) {
      byte[] data = new byte[size];
      random.nextBytes(data);
      byte[] encoded = FernetBase64.encode(data);
      assertThat(new String(encoded, StandardCharsets.US_ASCII))
          .isEqualTo(Base64.getUrlEncoder().encodeToString(data));
      if (size == 0) {
        assertThat(FernetBase64.decode(encoded)).isNull();
      } else {
        assertThat(FernetBase64.decode(encoded)).as("size %d", size).isEqualTo(data);
      }
    }
  }

  @Test
  void decode_nonZeroPaddingBits_returnsNullWhereJdkAccepts() {
    // "AB==" is canonical (one byte 0x00); "AF==" has unused bits set; the JDK accepts both.
    assertThat(FernetBase64.decode("AA==")).containsExactly(0);
    assertThat(FernetBase64.decode("AF==")).isNull();
    assertThat(Base64.getUrlDecoder().decode("AF==")).containsExactly(0);
    assertThat(FernetBase64.decode("AAA=")).containsExactly(0, 0);
    assertThat(FernetBase64.decode("AAB=")).isNull();
    assertThat(Base64.getUrlDecoder().decode("AAB=")).containsExactly(0, 0);
  }

  @Test
  void decode_badShapes_returnNull() {
    for (String bad : new String[] {"A", "AA", "AAA", "AAAAA", "A===", "====", "AA=A", "A+AA", "A/AA",
        "AA A", "AAA\n", "=AAA", "AA==AAAA"}) {
      assertThat(FernetBase64.decode(bad)).as(bad).isNull();
    }
  }

  @Test
  void decode_everyByteOutsideAlphabet_returnsNull() {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int b = 0; b < 256; b++) {
      if (alphabet.indexOf(b) >= 0) {
        continue;
      }
      byte[] input = {'A', 'A', 'A', (byte) b, 'A', 'A', 'A', 'A'};
      assertThat(FernetBase64.decode(input)).as("byte %d", b).isNull();
    }
  }

  @Test
  void decode_randomMutations_acceptOnlyTheCanonicalForm() {
    // Whatever decodes must re-encode to exactly the input: one text form per byte string.
    Random random = new Random(7);
    String symbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .";
    int accepted = 0;
    for (int round = 0; round < 20_000; round++) {
      byte[] data = new byte[1 + random.nextInt(40)];
      random.nextBytes(data);
      byte[] text = FernetBase64.encode(data);
      int mutations = random.nextInt(3);
      for (int m = 0; m < mutations; m++) {
        text[random.nextInt(text.length)] = (byte) symbols.charAt(random.nextInt(symbols.length()));
      }
      byte[] decoded = FernetBase64.decode(text);
      if (decoded != null) {
        accepted++;
        assertThat(FernetBase64.encode(decoded)).isEqualTo(text);
      }
    }
    assertThat(accepted).isGreaterThan(5_000);
  }

  @Test
  void decode_missingPadding_returnsNullWhereJdkAccepts() {
    assertThat(Base64.getUrlDecoder().decode("AAA")).containsExactly(0, 0);
    assertThat(FernetBase64.decode("AAA")).isNull();
    assertThat(FernetBase64.decode("AAAAAA")).isNull();
  }
}
