package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CoherenceMessageTests {

  @Test
  void encodeDecode_roundTripsKeysWithAnyCharacters() {
    List<String> keys = List.of("plain", "with space", "a:b", "7:tricky", "", "\0t\0k", "ключ 🌍");
    CoherenceMessage m = new CoherenceMessage("abc123", 42, CoherenceMessage.Kind.INVALIDATE, keys);
    assertThat(CoherenceMessage.decode(m.encode())).isEqualTo(m);
  }

  @Test
  void encode_isCompactText() {
    CoherenceMessage m = new CoherenceMessage("o1", 7, CoherenceMessage.Kind.INVALIDATE, List.of("user:1"));
    assertThat(m.encode()).isEqualTo("cachet1 o1 7 I 6:user:1");
    assertThat(new CoherenceMessage("o1", 7, CoherenceMessage.Kind.HEARTBEAT, List.of()).encode())
        .isEqualTo("cachet1 o1 7 H");
  }

  @Test
  void decode_malformed_returnsNull() {
    for (String bad :
        new String[] {
          null, "", "hello", "cachet1 ", "cachet1 o1 x I", "cachet1 o1 1 Z", "cachet1 o1 1 I 9:short",
          "cachet1 o1 1 H 1:k", "cachet1  1 I", "cachet1 o1 1 I x"
        }) {
      assertThat(CoherenceMessage.decode(bad)).as(String.valueOf(bad)).isNull();
    }
  }
}
