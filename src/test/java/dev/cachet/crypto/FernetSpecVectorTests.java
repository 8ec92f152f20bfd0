package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Known-answer tests from github.com/fernet/spec (copied to {@code src/test/resources/fernet-spec}). */
class FernetSpecVectorTests {

  static List<JsonNode> vectors(String file) throws IOException {
    try (InputStream in = FernetSpecVectorTests.class.getResourceAsStream("/fernet-spec/" + file)) {
      assertThat(in).as(file).isNotNull();
      List<JsonNode> cases = new ArrayList<>();
      new ObjectMapper().readTree(in).forEach(cases::add);
      return cases;
    }
  }

  static long epochSeconds(JsonNode vector) {
    return OffsetDateTime.parse(vector.get("now").asText()).toEpochSecond();
  }

  static Clock clockAt(JsonNode vector) {
    return Clock.fixed(Instant.ofEpochSecond(epochSeconds(vector)), ZoneOffset.UTC);
  }

  static Stream<Arguments> generateVectors() throws IOException {
    return vectors("generate.json").stream().map(v -> Arguments.of(v.get("src").asText(), v));
  }

  static Stream<Arguments> verifyVectors() throws IOException {
    return vectors("verify.json").stream().map(v -> Arguments.of(v.get("src").asText(), v));
  }

  static Stream<Arguments> invalidVectors() throws IOException {
    return vectors("invalid.json").stream().map(v -> Arguments.of(v.get("desc").asText(), v));
  }

  @Test
  void vectors_allFilesPresent_haveExpectedCounts() throws IOException {
    assertThat(vectors("generate.json")).hasSize(1);
    assertThat(vectors("verify.json")).hasSize(1);
    assertThat(vectors("invalid.json")).hasSize(8);
  }

  @ParameterizedTest(name = "generate {0}")
  @MethodSource("generateVectors")
  void seal_fixedIvAndTime_producesSpecToken(String src, JsonNode vector) {
    FernetKey key = FernetKey.parse(vector.get("secret").asText());
    byte[] iv = new byte[16];
    for (int i = 0; i < 16; i++) {
      iv[i] = (byte) vector.get("iv").get(i).asInt();
    }
    byte[] raw = key.cipher.seal(src.getBytes(StandardCharsets.UTF_8), epochSeconds(vector), iv);

    assertThat(FernetBase64.encodeToString(raw)).isEqualTo(vector.get("token").asText());
  }

  @ParameterizedTest(name = "generate {0}")
  @MethodSource("generateVectors")
  void decrypt_generatedToken_roundTrips(String src, JsonNode vector) {
    FernetKeyRing ring = FernetKeyRing.parse(vector.get("secret").asText()).withClock(clockAt(vector));

    assertThat(ring.decrypt(vector.get("token").asText())).asString(StandardCharsets.UTF_8).isEqualTo(src);
    assertThat(ring.extractTimestamp(vector.get("token").asText().getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(epochSeconds(vector));
  }

  @ParameterizedTest(name = "verify {0}")
  @MethodSource("verifyVectors")
  void decrypt_verifyVector_returnsSource(String src, JsonNode vector) {
    FernetKeyRing ring = FernetKeyRing.parse(vector.get("secret").asText()).withClock(clockAt(vector));
    byte[] token = vector.get("token").asText().getBytes(StandardCharsets.US_ASCII);
    Duration ttl = Duration.ofSeconds(vector.get("ttl_sec").asLong());

    assertThat(ring.decrypt(token, ttl)).asString(StandardCharsets.UTF_8).isEqualTo(src);
    assertThat(ring.decrypt(vector.get("token").asText(), ttl))
        .asString(StandardCharsets.UTF_8)
        .isEqualTo(src);
    assertThat(ring.decrypt(token)).asString(StandardCharsets.UTF_8).isEqualTo(src);
  }

  @ParameterizedTest(name = "invalid: {0}")
  @MethodSource("invalidVectors")
  void decrypt_invalidVector_fails(String desc, JsonNode vector) {
    FernetKeyRing ring = FernetKeyRing.parse(vector.get("secret").asText()).withClock(clockAt(vector));
    byte[] token = vector.get("token").asText().getBytes(StandardCharsets.US_ASCII);
    Duration ttl = Duration.ofSeconds(vector.get("ttl_sec").asLong());

    assertThatThrownBy(() -> ring.decrypt(token, ttl))
        .isInstanceOf(ValueDecryptionException.class)
        .hasMessage(ValueDecryptionException.MESSAGE)
        .hasNoCause();
    assertThatThrownBy(() -> ring.decrypt(vector.get("token").asText(), ttl))
        .isInstanceOf(ValueDecryptionException.class);
  }

  @Test
  void decrypt_invalidVectors_reportExpectedReasons() throws IOException {
    for (JsonNode vector : vectors("invalid.json")) {
      FernetKeyRing ring = FernetKeyRing.parse(vector.get("secret").asText()).withClock(clockAt(vector));
      byte[] token = vector.get("token").asText().getBytes(StandardCharsets.US_ASCII);
      Duration ttl = Duration.ofSeconds(vector.get("ttl_sec").asLong());
      ValueDecryptionException.Reason expected;
      switch (vector.get("desc").asText()) {
        case "incorrect mac":
          expected = ValueDecryptionException.Reason.AUTHENTICATION;
          break;
        case "far-future TS (unacceptable clock skew)":
        case "expired TTL":
          expected = ValueDecryptionException.Reason.EXPIRED;
          break;
        default:
          expected = ValueDecryptionException.Reason.FORMAT;
          break;
      }
      assertThatThrownBy(() -> ring.decrypt(token, ttl))
          .as(vector.get("desc").asText())
          .isInstanceOfSatisfying(
              ValueDecryptionException.class, e -> assertThat(e.reason()).isEqualTo(expected));
    }
  }

  @Test
  void decrypt_timeOnlyInvalidVectorsWithoutTtl_succeed() throws IOException {
    // The spec README: these two carry a correct HMAC and are invalid only because of now/ttl.
    for (JsonNode vector : vectors("invalid.json")) {
      String desc = vector.get("desc").asText();
      if (desc.startsWith("far-future") || desc.equals("expired TTL")) {
        FernetKeyRing ring = FernetKeyRing.parse(vector.get("secret").asText()).withClock(clockAt(vector));
        assertThat(ring.decrypt(vector.get("token").asText())).as(desc).isEmpty();
      }
    }
  }

  @Test
  void decrypt_ttlBoundaries_matchPython() {
    FernetKey key = FernetKey.generate();
    long created = 1_700_000_000L;
    byte[] token =
        FernetBase64.encode(key.cipher.seal(new byte[] {1, 2, 3}, created, null));
    Duration ttl = Duration.ofSeconds(60);

    // exactly ttl seconds old: accepted; one more second: expired
    assertThat(ringAt(key, created + 60).decrypt(token, ttl)).containsExactly(1, 2, 3);
    assertThatThrownBy(() -> ringAt(key, created + 61).decrypt(token, ttl))
        .isInstanceOfSatisfying(
            ValueDecryptionException.class,
            e -> assertThat(e.reason()).isEqualTo(ValueDecryptionException.Reason.EXPIRED));
    // 60 s in the future: accepted; 61 s: rejected
    assertThat(ringAt(key, created - 60).decrypt(token, ttl)).containsExactly(1, 2, 3);
    assertThatThrownBy(() -> ringAt(key, created - 61).decrypt(token, ttl))
        .isInstanceOf(ValueDecryptionException.class);
    // without a ttl neither check applies
    assertThat(ringAt(key, created - 10_000).decrypt(token)).containsExactly(1, 2, 3);
    assertThat(ringAt(key, created + 10_000_000).decrypt(token)).containsExactly(1, 2, 3);
    // sub-second clock readings are floored, like Python's int(time.time())
    FernetKeyRing almost =
        FernetKeyRing.of(key)
            .withClock(Clock.fixed(Instant.ofEpochSecond(created + 60, 999_000_000), ZoneOffset.UTC));
    assertThat(almost.decrypt(token, ttl)).containsExactly(1, 2, 3);
  }

  @Test
  void decrypt_maximalUnsignedTimestampWithTtl_isExpired() {
    FernetKey key = FernetKey.generate();
    byte[] token = FernetBase64.encode(key.cipher.seal(new byte[0], -1L, null));

    assertThatThrownBy(() -> ringAt(key, 1_700_000_000L).decrypt(token, Duration.ofDays(365)))
        .isInstanceOf(ValueDecryptionException.class);
    assertThat(ringAt(key, 1_700_000_000L).decrypt(token)).isEmpty();
    assertThat(ringAt(key, 1_700_000_000L).extractTimestamp(token)).isEqualTo(-1L);
  }

  @Test
  void encrypt_usesClockTime() {
    FernetKeyRing ring = ringAt(FernetKey.generate(), 499_162_800L);

    assertThat(ring.extractTimestamp(ring.encrypt(new byte[5]))).isEqualTo(499_162_800L);
  }

  static FernetKeyRing ringAt(FernetKey key, long epochSeconds) {
    return FernetKeyRing.of(key).withClock(Clock.fixed(Instant.ofEpochSecond(epochSeconds), ZoneOffset.UTC));
  }
}
