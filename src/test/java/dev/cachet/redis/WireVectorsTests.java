package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.serialization.PayloadFormat;
import dev.cachet.serialization.ValueSerializers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The shared wire vectors ({@code src/test/resources/wire-vectors}, also checked by {@code
 * python/test_cachet_compat.py}) against {@link RedisKeyLayout}, {@link ValueCodec} and {@link
 * LuaScripts}: what {@code docs/wire-format.md} specifies is what Java does.
 */
class WireVectorsTests {

  static final Path DIR = Path.of("src/test/resources/wire-vectors");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  static JsonNode vectors(String name) throws IOException {
    return JSON.readTree(Files.readString(DIR.resolve(name), StandardCharsets.UTF_8));
  }

  private static String text(JsonNode node) {
    return node == null || node.isNull() ? null : node.asText();
  }

  @Test
  void keyLayout_namesEveryVectorAsJavaDoes() throws IOException {
    JsonNode file = vectors("key-layout.json");
    byte[] secret = Base64.getUrlDecoder().decode(file.get("naming_secret").asText());
    assertThat(file.get("cases")).hasSizeGreaterThanOrEqualTo(8);
    for (JsonNode c : file.get("cases")) {
      int scheme = c.get("naming_scheme").asInt();
      KeyNameHasher hasher =
          scheme == 0 ? null
              : KeyNameHasher.of(secret).withScheme(scheme == 1 ? KeyNameHasher.Scheme.KEY_ONLY : KeyNameHasher.Scheme.BOUND);
      String tenant = text(c.get("tenant"));
      RedisKeyLayout layout =
          new RedisKeyLayout(c.get("prefix").asText(), c.get("cache").asText(), c.get("schema_version").asInt(),
              tenant, hasher);
      String key = c.get("key").asText();
      String what = c.toString();
      assertThat(layout.entryKey(c.get("generation").asText(), key)).as(what).isEqualTo(c.get("entry_key").asText());
      assertThat(layout.tenantSegment()).as(what).isEqualTo(c.get("tenant_segment").asText());
      assertThat(layout.hiddenName(key)).as(what).isEqualTo(text(c.get("hidden_name")));
      assertThat(layout.generationKey()).isEqualTo(c.get("generation_key").asText());
      assertThat(layout.tenantGenerationsKey()).isEqualTo(c.get("tenant_generations_key").asText());
      assertThat(layout.channel()).isEqualTo(c.get("channel").asText());
      // the item of an invalidation, as CoherenceKeys builds it from RemoteTier.hiddenName/announcedTenantId
      String announced = tenant == null ? null : layout.announcedTenant(tenant);
      assertThat(announced).as(what).isEqualTo(text(c.get("announced_tenant")));
      String item = (tenant == null ? "-" : announced) + ":" + (hasher == null ? key : layout.hiddenName(key));
      assertThat(item).as(what).isEqualTo(c.get("message_item").asText());
      // the parser takes the name apart again
      long generation = Long.parseLong(c.get("generation").asText().split("\\.")[0]);
      assertThat(layout.generationOf(c.get("entry_key").asText())).isEqualTo(generation);
      assertThat(layout.isEntryOfThisTenant(c.get("entry_key").asText())).isTrue();
    }
  }

  private static FernetKeyRing readerRing(JsonNode file) {
    return FernetKeyRing.of(FernetKey.parse(file.get("key_1").asText()), FernetKey.parse(file.get("key_2").asText()));
  }

  private static ValueCodec<Map<String, Object>> codec(FernetKeyRing ring, String valueFormat, int compression) {
    return codec(ring, valueFormat, compression, "json");
  }

  private static ValueCodec<Map<String, Object>> codec(
      FernetKeyRing ring, String valueFormat, int compression, String payloadFormat) {
    return new ValueCodec<>(
        "vectors", ring, ValueSerializers.json(MAP),
        valueFormat.equals("plain_json") ? RedisValueFormat.PLAIN_JSON : RedisValueFormat.SEALED,
        compression, RedisCacheBuilder.DEFAULT_MAX_VALUE_SIZE, new CacheInstrumentation(),
        payloadFormat.equals("cbor") ? PayloadFormat.CBOR.id() : PayloadFormat.JSON.id());
  }

  /**
   * Python's CBOR vectors (payload format id 1, plain and deflated): Java opens them, reads their payload,
   * and seals the same header around a CBOR payload of its own that reads back to the same value (the
   * CBOR bytes themselves may differ: Jackson writes a map of unknown size with an indefinite length,
   * cbor2 with a definite one; both are RFC 8949, and Python reads Java's in
   * PythonCompanionIntegrationTests).
   */
  @Test
  void envelopes_javaOpensEveryCborToken_andSealsACborEnvelopeWithTheSameHeader() throws IOException {
    JsonNode file = vectors("envelopes.json");
    FernetKeyRing ring = readerRing(file);
    long now = file.get("now_millis").asLong();
    int checked = 0;
    for (JsonNode c : file.get("accepted")) {
      if (!c.get("payload_format").asText().equals("cbor")) {
        continue;
      }
      String what = c.get("name").asText();
      String redisKey = c.get("redis_key").asText();
      boolean deflated = c.get("deflated").asBoolean();
      ValueCodec<Map<String, Object>> codec = codec(ring, "sealed", deflated ? 0 : -1, "cbor");
      Map<String, Object> expected = JSON.convertValue(c.get("value"), MAP);
      byte[] token = c.get("token").asText().getBytes(StandardCharsets.US_ASCII);
      // a JSON-writing reader (phase 1) and a CBOR writer both read it
      for (ValueCodec<Map<String, Object>> reader : List.of(codec(ring, "sealed", -1), codec)) {
        ValueCodec.Opened<Map<String, Object>> opened =
            reader.open(redisKey, token, now - RedisCacheBuilder.EXPIRY_SKEW_ALLOWANCE_MILLIS, 42L);
        assertThat(opened.failure).as(what).isNull();
        assertThat(opened.value).as(what).isEqualTo(expected);
        assertThat(opened.expiresAtMillis).as(what).isEqualTo(c.get("expires_at_millis").asLong());
        assertThat(reader.verify(redisKey, token, now - RedisCacheBuilder.EXPIRY_SKEW_ALLOWANCE_MILLIS))
            .as(what).isNull();
      }
      byte[] plaintext = HexFormat.of().parseHex(c.get("plaintext_hex").asText());
      assertThat(plaintext[1] & ValueCodec.PAYLOAD_FORMAT_MASK).as(what).isEqualTo(1 << 1);
      byte[] javaPayload = codec.serialize(expected);
      byte[] sealed = ring.decrypt(codec.sealPayload(redisKey, javaPayload, c.get("expires_at_millis").asLong()));
      assertThat(java.util.Arrays.copyOf(sealed, ValueCodec.HEADER)).as(what)
          .isEqualTo(java.util.Arrays.copyOf(plaintext, ValueCodec.HEADER));
      byte[] body = java.util.Arrays.copyOfRange(sealed, ValueCodec.HEADER, sealed.length);
      if (deflated) {
        body = ValueCodec.inflate(body, 1 << 20);
      }
      assertThat(body).as(what).isEqualTo(javaPayload);
      assertThat(new com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper().readValue(body, MAP))
          .as(what).isEqualTo(expected);
      checked++;
    }
    assertThat(checked).isEqualTo(2);
  }

  @Test
  void envelopes_javaOpensEveryAcceptedJsonToken_andSealsTheSameEnvelope() throws IOException {
    JsonNode file = vectors("envelopes.json");
    FernetKeyRing ring = readerRing(file);
    long now = file.get("now_millis").asLong();
    int checked = 0;
    for (JsonNode c : file.get("accepted")) {
      if (!c.get("payload_format").asText().equals("json")) {
        continue; // CBOR: envelopes_javaOpensEveryCborToken_andSealsACborEnvelopeWithTheSameHeader
      }
      String what = c.get("name").asText();
      String valueFormat = c.get("value_format").asText();
      String redisKey = c.get("redis_key").asText();
      ValueCodec<Map<String, Object>> codec = codec(ring, valueFormat, c.get("deflated").asBoolean() ? 0 : -1);
      Map<String, Object> expected = JSON.convertValue(c.get("value"), MAP);
      byte[] token = c.get("token").asText().getBytes(StandardCharsets.US_ASCII);
      ValueCodec.Opened<Map<String, Object>> opened =
          codec.open(redisKey, token, now - RedisCacheBuilder.EXPIRY_SKEW_ALLOWANCE_MILLIS, 42L);
      assertThat(opened.failure).as(what).isNull();
      assertThat(opened.value).as(what).isEqualTo(expected);
      byte[] payload = HexFormat.of().parseHex(c.get("payload_hex").asText());
      assertThat(codec.serializer().deserialize(payload)).as(what).isEqualTo(expected);
      byte[] plaintext = HexFormat.of().parseHex(c.get("plaintext_hex").asText());
      assertThat(ring.decrypt(token)).as(what).isEqualTo(plaintext);
      if (valueFormat.equals("plain_json")) {
        assertThat(opened.expiresAtMillis).isEqualTo(42L);
        assertThat(ring.decrypt(codec.sealPayload(redisKey, payload, 0))).isEqualTo(plaintext);
      } else {
        assertThat(opened.expiresAtMillis).as(what).isEqualTo(c.get("expires_at_millis").asLong());
        byte[] sealed = ring.decrypt(codec.sealPayload(redisKey, payload, c.get("expires_at_millis").asLong()));
        if (c.get("deflated").asBoolean()) {
          // zlib output may differ between zlib builds: the header must match and the payload inflate alike
          assertThat(java.util.Arrays.copyOf(sealed, ValueCodec.HEADER))
              .isEqualTo(java.util.Arrays.copyOf(plaintext, ValueCodec.HEADER));
          assertThat(ValueCodec.inflate(java.util.Arrays.copyOfRange(sealed, ValueCodec.HEADER, sealed.length), 1 << 20))
              .isEqualTo(payload);
          assertThat(ValueCodec.inflate(java.util.Arrays.copyOfRange(plaintext, ValueCodec.HEADER, plaintext.length), 1 << 20))
              .isEqualTo(payload);
        } else {
          assertThat(sealed).as(what).isEqualTo(plaintext);
        }
      }
      checked++;
    }
    assertThat(checked).isGreaterThanOrEqualTo(5);
  }

  @Test
  void envelopes_javaRefusesEveryRefusedTokenForTheSameReason() throws IOException {
    JsonNode file = vectors("envelopes.json");
    FernetKeyRing ring = readerRing(file);
    long now = file.get("now_millis").asLong();
    for (JsonNode c : file.get("refused")) {
      String what = c.get("name").asText();
      ValueCodec<Map<String, Object>> codec = codec(ring, c.get("value_format").asText(), -1);
      ValueCodec.Opened<Map<String, Object>> opened =
          codec.open(c.get("redis_key").asText(), c.get("token").asText().getBytes(StandardCharsets.US_ASCII),
              now - RedisCacheBuilder.EXPIRY_SKEW_ALLOWANCE_MILLIS, 42L);
      assertThat(opened.failure).as(what).isNotNull();
      assertThat(opened.failure.name().toLowerCase(Locale.ROOT)).as(what).isEqualTo(c.get("failure").asText());
      String failure = c.get("failure").asText();
      if (c.get("value_format").asText().equals("sealed") && !failure.equals("deserialize")
          && !what.startsWith("deflate flag")) { // verify never inflates
        // containsKey's verification refuses it for the same reason (it never deserializes)
        assertThat(codec.verify(c.get("redis_key").asText(),
                c.get("token").asText().getBytes(StandardCharsets.US_ASCII),
                now - RedisCacheBuilder.EXPIRY_SKEW_ALLOWANCE_MILLIS))
            .as(what).isNotNull()
            .extracting(r -> r.name().toLowerCase(Locale.ROOT)).isEqualTo(failure);
      }
    }
    assertThat(DecryptionFailureReason.valueOf("KEY_BINDING")).isNotNull();
  }

  @Test
  void scripts_areByteForByteJavas() throws IOException {
    JsonNode file = vectors("scripts.json");
    assertThat(file.get("generation").asText()).isEqualTo(LuaScripts.GENERATION);
    assertThat(file.get("tenant_generations").asText()).isEqualTo(LuaScripts.TENANT_GENERATIONS);
    assertThat(file.get("compare_and_delete").asText()).isEqualTo(LuaScripts.COMPARE_AND_DELETE);
    assertThat(file.get("delete_if_not_string").asText()).isEqualTo(LuaScripts.DELETE_IF_NOT_STRING);
  }
}
