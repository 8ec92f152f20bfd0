package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CoherenceMessageTests {

  @Test
  void encodeDecode_roundTripsItemsWithAnyCharacters() {
    List<String> items = List.of("-:plain", "-:with space", "t.acme:a:b", "-:7:tricky", "-:", "-:\0k", "-:ключ 🌍");
    CoherenceMessage m = CoherenceMessage.invalidate("abc123", 42, false, items);
    assertThat(CoherenceMessage.decode(m.encode())).isEqualTo(m);
    CoherenceMessage hidden = CoherenceMessage.invalidate("abc123", 43, true, List.of("-:Zm9v"));
    assertThat(CoherenceMessage.decode(hidden.encode())).isEqualTo(hidden);
    assertThat(hidden.hidden()).isTrue();
  }

  @Test
  void encode_isCompactText() {
    assertThat(CoherenceMessage.invalidate("o1", 7, false, List.of("-:user:1")).encode())
        .isEqualTo("cachet2 o1 7 I - 8:-:user:1");
    assertThat(CoherenceMessage.invalidate("o1", 7, true, List.of("t.acme:Zm9v")).encode())
        .isEqualTo("cachet2 o1 7 I h 11:t.acme:Zm9v");
    assertThat(CoherenceMessage.of("o1", 7, CoherenceMessage.HEARTBEAT).encode()).isEqualTo("cachet2 o1 7 H -");
    assertThat(CoherenceMessage.of("o1", 7, CoherenceMessage.GOODBYE).encode()).isEqualTo("cachet2 o1 7 B -");
    assertThat(CoherenceMessage.of("o1", 8, CoherenceMessage.CLEAR).encode()).isEqualTo("cachet2 o1 8 C -");
  }

  /** The previous version, as a fixture: what instances of the previous release send. */
  @Test
  void decode_previousVersion() {
    CoherenceMessage m = CoherenceMessage.decode("cachet1 o1 7 I 6:user:1 5:\0t\0k1");
    assertThat(m.version()).isEqualTo(1);
    assertThat(m.items()).containsExactly("user:1", "\0t\0k1");
    assertThat(m.isSequenced()).isTrue();
    assertThat(CoherenceMessage.decode("cachet1 o1 7 H").isSequenced()).isFalse();
    assertThat(new CoherenceMessage(1, "o1", 7, 'I', "", List.of("user:1")).encode())
        .isEqualTo("cachet1 o1 7 I 6:user:1");
  }

  @Test
  void unknownKindsAndFlags_decode_butAreNotUnderstood() {
    CoherenceMessage tenantClear = CoherenceMessage.decode("cachet2 o1 9 T - 4:acme");
    assertThat(tenantClear).isNotNull();
    assertThat(tenantClear.isSequenced()).isTrue();
    assertThat(tenantClear.understood()).isFalse();
    assertThat(CoherenceMessage.decode("cachet2 o1 9 I hz 3:-:k").understood()).isFalse();
    assertThat(CoherenceMessage.decode("cachet2 o1 9 I h 3:-:k").understood()).isTrue();
  }

  @Test
  void memoryKeys_mapToItemsAndBack() {
    CoherenceKeys clear = new CoherenceKeys(null);
    for (String memoryKey : List.of("user:1", "\0acme\0user:1", "\0\1\0weird", "")) {
      String item = clear.itemOf(memoryKey);
      assertThat(CoherenceKeys.memoryKeyOfClearItem(item)).isEqualTo(memoryKey);
    }
    assertThat(clear.itemOf("\0acme\0user:1")).isEqualTo("t.acme:user:1");
    CoherenceKeys hidden = new CoherenceKeys((tenant, key) -> "H" + key.length());
    assertThat(hidden.itemOf("\0acme\0user:1")).isEqualTo("t.acme:H6");
    assertThat(hidden.itemOf("user:1")).isEqualTo("-:H6");
  }

  @Test
  void decode_malformed_returnsNull() {
    for (String bad :
        new String[] {
          null, "", "hello", "cachet2 ", "cachet2 o1 x I -", "cachet2 o1 1 I", "cachet2 o1 1 I - 9:short",
          "cachet2 o1 1 H - 1:k", "cachet2  1 I -", "cachet2 o1 1 I - x", "cachet2 o1 1 I H", "cachet2 o1 -1 H -",
          "cachet1 o1 1 Z", "cachet1 o1 1 H 1:k", "cachet1 o1 1 I 9:short"
        }) {
      assertThat(CoherenceMessage.decode(bad)).as(String.valueOf(bad)).isNull();
    }
  }
}
