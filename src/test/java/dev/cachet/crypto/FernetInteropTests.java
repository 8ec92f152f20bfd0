package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Byte compatibility with Python's {@code cryptography.fernet}, both directions. */
class FernetInteropTests {

  /** 0 bytes to 100 KB, with every block boundary of the first blocks and around larger sizes. */
  static final int[] SIZES = {
    0, 1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 79, 80, 81, 100, 127, 128, 129, 255, 256,
    257, 1000, 1023, 1024, 1025, 4095, 4096, 4097, 10_000, 10_240, 65_535, 65_536, 65_537, 102_399,
    102_400
  };

  private static final String SCRIPT =
      String.join(
          "\n",
          "import base64, hashlib, hmac, json, sys",
          "from cryptography.fernet import Fernet, MultiFernet, InvalidToken",
          "req = json.load(open(sys.argv[1]))",
          "ring = MultiFernet([Fernet(k) for k in req['keys']])",
          "primary = Fernet(req['keys'][0])",
          "out = {'javaTokensOk': [], 'pythonTokens': [], 'pythonRotated': []}",
          "for case in req['cases']:",
          "    plain = base64.b64decode(case['plain'])",
          "    ok = ring.decrypt(case['token'].encode('ascii'), ttl=3600) == plain",
          "    ok = ok and ring.decrypt(case['secondaryToken'].encode('ascii')) == plain",
          "    out['javaTokensOk'].append(ok)",
          "    out['pythonTokens'].append(primary.encrypt(plain).decode('ascii'))",
          "    out['pythonRotated'].append(ring.rotate(case['secondaryToken'].encode('ascii')).decode('ascii'))",
          "try:",
          "    Fernet(req['keys'][0]).decrypt(req['nonCanonical'].encode('ascii'))",
          "    out['nonCanonicalAccepted'] = True",
          "except InvalidToken:",
          "    out['nonCanonicalAccepted'] = False",
          "out['javaTimestamp'] = ring.extract_timestamp(req['cases'][0]['token'].encode('ascii'))",
          "secret = base64.urlsafe_b64decode(req['namingSecret'])",
          "prk = hmac.new(b'\\0' * 32, secret, hashlib.sha256).digest()",
          "naming_key = hmac.new(prk, b'cachet key-name hashing v1\\x01', hashlib.sha256).digest()",
          "out['keyNames'] = [base64.urlsafe_b64encode(hmac.new(naming_key, n.encode('utf-8'),"
              + " hashlib.sha256).digest()).rstrip(b'=').decode('ascii') for n in req['keyNames']]",
          "naming_key_v2 = hmac.new(prk, b'cachet key-name hashing v2\\x01', hashlib.sha256).digest()",
          "def hidden_v2(prefix, cache, tenant, key_name):",
          "    bound = f\"{prefix}:{cache}:{'t.' + tenant if tenant else '-'}:{key_name}\"",
          "    digest = hmac.new(naming_key_v2, bound.encode('utf-8'), hashlib.sha256).digest()",
          "    return base64.urlsafe_b64encode(digest).rstrip(b'=').decode('ascii')",
          "out['boundNames'] = [hidden_v2('cachet', 'users', t, n) for n in req['keyNames'] for t in (None, 'acme')]",
          "out['keyId'] = hashlib.sha256(base64.urlsafe_b64decode(req['keys'][0])).hexdigest()[:8]",
          "json.dump(out, open(sys.argv[2], 'w'))",
          "");

  @Test
  void interop_javaAndPythonTokens_decryptBothWays() throws Exception {
    FernetKey primary = FernetKey.generate();
    FernetKey secondary = FernetKey.generate();
    FernetKeyRing ring = FernetKeyRing.of(primary, secondary);
    FernetKeyRing secondaryOnly = FernetKeyRing.of(secondary);
    Random random = new Random(20240611);
    List<byte[]> plaintexts = new ArrayList<>();
    List<Map<String, String>> cases = new ArrayList<>();
    for (int size : SIZES) {
      byte[] plain = new byte[size];
      random.nextBytes(plain);
      plaintexts.add(plain);
      Map<String, String> c = new LinkedHashMap<>();
      c.put("plain", Base64.getEncoder().encodeToString(plain));
      c.put("token", ring.encryptToString(plain));
      c.put("secondaryToken", new String(secondaryOnly.encrypt(plain), StandardCharsets.US_ASCII));
      cases.add(c);
    }
    String canonical = ring.encryptToString(new byte[0]); // 73 bytes: "==" padding, 4 unused bits
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int last = canonical.indexOf('=') - 1;
    String nonCanonical = canonical.substring(0, last)
        + alphabet.charAt(alphabet.indexOf(canonical.charAt(last)) | 1) + canonical.substring(last + 1);
    byte[] namingSecret = new byte[32];
    random.nextBytes(namingSecret);
    List<String> keyNames = List.of("", "user:42", "caf\u00e9/\u65e5\u672c", "x".repeat(500));

    Map<String, Object> request = new LinkedHashMap<>();
    request.put("keys", List.of(primary.revealBase64(), secondary.revealBase64()));
    request.put("cases", cases);
    request.put("nonCanonical", nonCanonical);
    request.put("namingSecret", Base64.getUrlEncoder().encodeToString(namingSecret));
    request.put("keyNames", keyNames);
    JsonNode response = PythonFernet.run(SCRIPT, request);

    for (int i = 0; i < SIZES.length; i++) {
      assertThat(response.get("javaTokensOk").get(i).asBoolean())
          .as("Python decrypts Java token of %d bytes", SIZES[i])
          .isTrue();
      String pythonToken = response.get("pythonTokens").get(i).asText();
      assertThat(ring.decrypt(pythonToken)).as("Java decrypts Python token of %d bytes", SIZES[i])
          .isEqualTo(plaintexts.get(i));
      assertThat(ring.decrypt(pythonToken.getBytes(StandardCharsets.US_ASCII), Duration.ofHours(1)))
          .isEqualTo(plaintexts.get(i));
      assertThat(FernetKeyRing.of(primary).decrypt(response.get("pythonRotated").get(i).asText()))
          .as("Python's rotate output, %d bytes", SIZES[i])
          .isEqualTo(plaintexts.get(i));
    }
    // Python ignores non-zero padding bits; Cachet is deliberately stricter (docs/security.md).
    assertThat(response.get("nonCanonicalAccepted").asBoolean()).isTrue();
    assertThatThrownBy(() -> ring.decrypt(nonCanonical)).isInstanceOf(ValueDecryptionException.class);
    assertThat(response.get("javaTimestamp").asLong())
        .isEqualTo(ring.extractTimestamp(cases.get(0).get("token").getBytes(StandardCharsets.US_ASCII)));
    assertThat(response.get("keyId").asText()).isEqualTo(primary.keyId());
    KeyNameHasher hasher = KeyNameHasher.of(namingSecret);
    for (int i = 0; i < keyNames.size(); i++) {
      assertThat(hasher.hash(keyNames.get(i))).as("key name %d", i)
          .isEqualTo(response.get("keyNames").get(i).asText());
    }
    // naming scheme 2, as the snippet in docs/security.md computes it
    KeyNameHasher bound = hasher.withScheme(KeyNameHasher.Scheme.BOUND);
    int j = 0;
    for (String name : keyNames) {
      for (String tenant : java.util.Arrays.asList(null, "acme")) {
        assertThat(bound.hash("cachet", "users", tenant, name)).as("scheme-2 name %d", j)
            .isEqualTo(response.get("boundNames").get(j++).asText());
      }
    }
  }
}
