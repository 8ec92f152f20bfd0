package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shared wire vectors' coherence messages ({@code src/test/resources/wire-vectors}, also checked
 * by {@code python/test_cachet_compat.py}) against {@link CoherenceMessage}: encoding gives the
 * vector's text, decoding gives its fields, malformed texts decode to nothing; the invalidation of
 * every key-layout vector is what a Java instance would send.
 */
class CoherenceWireVectorsTests {

  private static JsonNode vectors(String name) throws IOException {
    return new ObjectMapper().readTree(
        Files.readString(Path.of("src/test/resources/wire-vectors", name), StandardCharsets.UTF_8));
  }

  private static List<String> items(JsonNode node) {
    List<String> out = new ArrayList<>();
    node.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void messages_encodeAndDecodeAsTheVectorsSay() throws IOException {
    JsonNode file = vectors("messages.json");
    for (JsonNode m : file.get("messages")) {
      CoherenceMessage message =
          new CoherenceMessage(2, m.get("origin").asText(), m.get("sequence").asLong(), m.get("kind").asText().charAt(0),
              m.get("flags").asText(), items(m.get("items")));
      assertThat(message.encode()).isEqualTo(m.get("text").asText());
      assertThat(CoherenceMessage.decode(m.get("text").asText())).isEqualTo(message);
    }
    for (JsonNode m : file.get("legacy")) {
      CoherenceMessage decoded = CoherenceMessage.decode(m.get("text").asText());
      assertThat(decoded).isEqualTo(new CoherenceMessage(1, m.get("origin").asText(), m.get("sequence").asLong(),
          m.get("kind").asText().charAt(0), m.get("flags").asText(), items(m.get("items"))));
    }
    for (JsonNode m : file.get("malformed")) {
      assertThat(CoherenceMessage.decode(m.asText())).as(m.asText()).isNull();
    }
  }

  @Test
  void invalidationOfEveryLayoutVector_isWhatJavaSends() throws IOException {
    for (JsonNode c : vectors("key-layout.json").get("cases")) {
      boolean hidden = c.get("naming_scheme").asInt() != 0;
      String text =
          CoherenceMessage.invalidate("py7", 7, hidden, List.of(c.get("message_item").asText())).encode();
      assertThat(text).isEqualTo(c.get("invalidate_message").asText());
    }
  }
}
