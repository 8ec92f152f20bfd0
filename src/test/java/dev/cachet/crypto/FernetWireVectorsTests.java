package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The shared wire vectors' Fernet tokens ({@code src/test/resources/wire-vectors/envelopes.json}):
 * {@link FernetCipher} with the vector's timestamp and IV produces exactly the vector's token, and the
 * reader ring [key 1, key 2] opens each to the vector's plaintext (also checked by {@code
 * python/test_cachet_compat.py}).
 */
class FernetWireVectorsTests {

  @Test
  void everyAcceptedToken_isDeterministicFernet_andOpensToItsPlaintext() throws IOException {
    JsonNode file =
        new ObjectMapper().readTree(Files.readString(
            Path.of("src/test/resources/wire-vectors/envelopes.json"), StandardCharsets.UTF_8));
    FernetKeyRing ring =
        FernetKeyRing.of(FernetKey.parse(file.get("key_1").asText()), FernetKey.parse(file.get("key_2").asText()));
    int n = 0;
    for (JsonNode c : file.get("accepted")) {
      byte[] key = Base64.getUrlDecoder().decode(c.get("key").asText());
      byte[] plaintext = HexFormat.of().parseHex(c.get("plaintext_hex").asText());
      byte[] iv = HexFormat.of().parseHex(c.get("iv_hex").asText());
      String token =
          FernetBase64.encodeToString(new FernetCipher(key).seal(plaintext, c.get("fernet_timestamp").asLong(), iv));
      assertThat(token).as(c.get("name").asText()).isEqualTo(c.get("token").asText());
      assertThat(ring.decrypt(token)).isEqualTo(plaintext);
      n++;
    }
    assertThat(n).isGreaterThanOrEqualTo(6);
  }
}
