package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.testing.Fuzzer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes Fernet token decoding (base64, version, timestamp, IV, ciphertext, MAC, padding): no input
 * raises anything but {@link ValueDecryptionException}, and none decrypts to a plaintext that was never
 * sealed (mutations cannot forge a MAC). Corpus: {@code src/test/resources/fuzz/fernet-token/}, tokens
 * under the Fernet specification's key; see {@link Fuzzer} for the budget and the {@code fuzz} profile.
 */
class FernetTokenFuzzTests {

  /** The Fernet specification's test secret (spec/generate.json): public, not a secret. */
  static final String SPEC_SECRET = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

  private static final List<String> PLAINTEXTS = List.of("hello", "", "x".repeat(15), "y".repeat(16), "z".repeat(100));

  @Test
  void decode_onlyValueDecryptionException_neverAForgedPlaintext() {
    FernetKeyRing ring = FernetKeyRing.of(FernetKey.parse(SPEC_SECRET));
    List<byte[]> seeds = new ArrayList<>();
    for (String p : PLAINTEXTS) {
      seeds.add(ring.encrypt(p.getBytes(StandardCharsets.UTF_8)));
    }
    Set<String> sealed = PLAINTEXTS.stream().collect(Collectors.toSet());
    long inputs =
        Fuzzer.of("fernet-token", seeds)
            .run(
                input -> {
                  for (int variant = 0; variant < 2; variant++) {
                    byte[] plaintext;
                    try {
                      plaintext = variant == 0
                          ? ring.decrypt(input)
                          : ring.decrypt(new String(input, StandardCharsets.ISO_8859_1));
                    } catch (ValueDecryptionException expected) {
                      assertThat(expected.getMessage()).isEqualTo(ValueDecryptionException.MESSAGE);
                      continue;
                    }
                    assertThat(sealed).as("a decrypted plaintext was sealed by the corpus")
                        .contains(new String(plaintext, StandardCharsets.UTF_8));
                  }
                });
    assertThat(inputs).isGreaterThan(PLAINTEXTS.size());
  }
}
