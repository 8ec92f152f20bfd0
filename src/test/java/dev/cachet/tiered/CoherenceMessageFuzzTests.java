package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.testing.Fuzzer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the coherence channel's message decoding through its one entry point, {@code
 * decode(String)}: anyone who may publish on the channel can send anything, so no input may raise
 * an exception (malformed messages decode to null and are ignored and counted), and what decodes
 * re-encodes to a message that decodes the same. Corpus: {@code src/test/resources/fuzz/coherence-message/}.
 */
class CoherenceMessageFuzzTests {

  @Test
  void decode_neverThrows_andWhatDecodesRoundTrips() {
    Fuzzer.of("coherence-message", List.of()).run(bytes -> {
      String text = new String(bytes, StandardCharsets.UTF_8);
      CoherenceMessage m = CoherenceMessage.decode(text);
      if (m != null) {
        assertThat(CoherenceMessage.decode(m.encode())).as("re-decoded %s", text).isEqualTo(m);
      }
    });
  }
}
