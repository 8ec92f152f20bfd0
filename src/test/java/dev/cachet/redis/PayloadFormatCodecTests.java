package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheConfigurationException;
import dev.cachet.KeyCodec;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.OptionalDependencies;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.serialization.PayloadFormat;
import dev.cachet.serialization.ValueSerializer;
import dev.cachet.serialization.ValueSerializers;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Phase 1 (every payload format is read whatever is written) and phase 2 (writing CBOR) of the binary
 * value format, at the codec and the builder, without Redis.
 */
class PayloadFormatCodecTests {

  record Order(String id, long cents, List<String> items, Instant placed, byte[] blob) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Order other && id.equals(other.id) && cents == other.cents
          && items.equals(other.items) && placed.equals(other.placed)
          && java.util.Arrays.equals(blob, other.blob);
    }

    @Override
    public int hashCode() {
      return id.hashCode();
    }
  }

  private static final String KEY = "cachet:orders:v1:g1:-:k:o-1";
  private static final long NOW = 1_000_000L;
  private static final Order ORDER =
      new Order("o-1", 12_345, java.util.Collections.nCopies(20, "tea and scones"), Instant.parse("2026-01-02T03:04:05Z"), new byte[] {1, 2, 3});

  @AfterEach
  void restoreClassPath() {
    OptionalDependencies.overrideCborPresentForTests(null);
  }

  private static ValueCodec<Order> codec(PayloadFormat write, int compression) {
    return codec(ValueSerializers.json(Order.class), write, compression);
  }

  private static <V> ValueCodec<V> codec(ValueSerializer<V> serializer, PayloadFormat write, int compression) {
    return new ValueCodec<>(
        "orders", RedisTestSupport.RING, serializer, RedisValueFormat.SEALED, compression,
        RedisCacheBuilder.DEFAULT_MAX_VALUE_SIZE, new CacheInstrumentation(), write.id());
  }

  private static byte[] seal(ValueCodec<Order> writer) {
    return writer.sealPayload(KEY, writer.serialize(ORDER), NOW + 60_000);
  }

  /** The flags byte of a sealed token. */
  private static int flags(byte[] token) {
    return RedisTestSupport.RING.decrypt(token)[1] & 0xff;
  }

  /** {@code token} with its envelope's flags replaced (re-encrypted, so it still authenticates). */
  private static byte[] withFlags(byte[] token, int flags) {
    byte[] plaintext = RedisTestSupport.RING.decrypt(token);
    plaintext[1] = (byte) flags;
    return RedisTestSupport.RING.encrypt(plaintext);
  }

  @Test
  void jsonWriter_setsPayloadFormat0_cborWriter_setsPayloadFormat1() {
    assertThat(flags(seal(codec(PayloadFormat.JSON, -1)))).isEqualTo(0b000);
    assertThat(flags(seal(codec(PayloadFormat.CBOR, -1)))).isEqualTo(0b010);
    assertThat(flags(seal(codec(PayloadFormat.CBOR, 0)))).isEqualTo(0b011); // deflated CBOR
  }

  @Test
  void everyReader_readsJsonCborAndDeflatedCbor_whateverItWrites() {
    for (PayloadFormat written : PayloadFormat.values()) {
      for (int compression : new int[] {-1, 0}) {
        byte[] token = seal(codec(written, compression));
        for (PayloadFormat reader : PayloadFormat.values()) {
          ValueCodec<Order> r = codec(reader, -1);
          ValueCodec.Opened<Order> opened = r.open(KEY, token, NOW, 0);
          assertThat(opened.failure).as("%s (compression %s) read by a %s writer", written, compression, reader)
              .isNull();
          assertThat(opened.value).isEqualTo(ORDER);
          assertThat(opened.expiresAtMillis).isEqualTo(NOW + 60_000);
          assertThat(r.verify(KEY, token, NOW)).isNull();
        }
      }
    }
  }

  @Test
  void cbor_isSmallerThanJson_forThisRecord() {
    assertThat(codec(PayloadFormat.CBOR, -1).serialize(ORDER).length)
        .isLessThan(codec(PayloadFormat.JSON, -1).serialize(ORDER).length);
  }

  @Test
  void unknownPayloadFormatIds_areUnsupportedFormat_openAndVerify() {
    byte[] token = seal(codec(PayloadFormat.JSON, -1));
    for (int flags : new int[] {0b100, 0b101, 0b110, 0b111}) {
      byte[] unknown = withFlags(token, flags);
      for (PayloadFormat reader : PayloadFormat.values()) {
        ValueCodec<Order> r = codec(reader, -1);
        assertThat(r.open(KEY, unknown, NOW, 0).failure).as("flags %s", flags)
            .isEqualTo(DecryptionFailureReason.UNSUPPORTED_FORMAT);
        assertThat(r.verify(KEY, unknown, NOW)).isEqualTo(DecryptionFailureReason.UNSUPPORTED_FORMAT);
      }
    }
    // flag bits 3-7 stay a malformed envelope; key binding and expiry are checked before the format
    assertThat(codec(PayloadFormat.JSON, -1).open(KEY, withFlags(token, 0b1000), NOW, 0).failure)
        .isEqualTo(DecryptionFailureReason.FORMAT);
    assertThat(codec(PayloadFormat.JSON, -1).open(KEY + "x", withFlags(token, 0b100), NOW, 0).failure)
        .isEqualTo(DecryptionFailureReason.KEY_BINDING);
    assertThat(codec(PayloadFormat.JSON, -1).open(KEY, withFlags(token, 0b100), NOW + 60_000, 0).failure)
        .isEqualTo(DecryptionFailureReason.EXPIRED);
  }

  @Test
  void cborEntry_withoutTheCborJar_isUnsupportedFormat_notAFormatOrDeserializeFailure() {
    byte[] cbor = seal(codec(PayloadFormat.CBOR, 0));
    byte[] json = seal(codec(PayloadFormat.JSON, -1));
    OptionalDependencies.overrideCborPresentForTests(false);
    ValueCodec<Order> reader = codec(PayloadFormat.JSON, -1);
    assertThat(reader.open(KEY, cbor, NOW, 0).failure).isEqualTo(DecryptionFailureReason.UNSUPPORTED_FORMAT);
    assertThat(reader.verify(KEY, cbor, NOW)).isEqualTo(DecryptionFailureReason.UNSUPPORTED_FORMAT);
    assertThat(reader.open(KEY, json, NOW, 0).value).isEqualTo(ORDER);
  }

  @Test
  void cborEntry_readWithANonJacksonSerializer_isUnsupportedFormat() {
    ValueCodec<String> writer = codec(ValueSerializers.json(String.class), PayloadFormat.CBOR, -1);
    byte[] token = writer.sealPayload(KEY, writer.serialize("hello"), NOW + 60_000);
    ValueCodec<String> reader = codec(ValueSerializers.utf8Strings(), PayloadFormat.JSON, -1);
    assertThat(reader.open(KEY, token, NOW, 0).failure).isEqualTo(DecryptionFailureReason.UNSUPPORTED_FORMAT);
  }

  @Test
  void cborPayloadThatDoesNotParse_isADeserializeFailure() {
    ValueCodec<Order> codec = codec(PayloadFormat.CBOR, -1);
    byte[] token = codec.sealPayload(KEY, new byte[] {(byte) 0xff, 0x00, 0x13}, NOW + 60_000);
    assertThat(codec.open(KEY, token, NOW, 0).failure).isEqualTo(DecryptionFailureReason.DESERIALIZE);
  }

  // ------------------------------------------------------------------------------- the builder

  private static RedisCacheBuilder<String, Order> builder() {
    return RedisCacheBuilder.newBuilder(String.class, Order.class)
        .name("orders")
        .keyRing(RedisTestSupport.RING)
        .payloadFormat(PayloadFormat.CBOR);
  }

  @Test
  void build_cborWithoutTheJar_failsNamingTheArtifactAndHowToAddIt() {
    OptionalDependencies.overrideCborPresentForTests(false);
    assertThatThrownBy(() -> builder().build())
        .isInstanceOfSatisfying(CacheConfigurationException.class, e -> {
          assertThat(e.reason()).isEqualTo(CacheConfigurationException.Reason.MISSING_DEPENDENCY);
          assertThat(e.getMessage())
              .contains("orders")
              .contains("com.fasterxml.jackson.dataformat:jackson-dataformat-cbor")
              .contains("<artifactId>jackson-dataformat-cbor</artifactId>");
        });
  }

  @Test
  void build_cborWithPlainJson_isRejected_plainJsonCachesCannotSwitchFormat() {
    assertThatThrownBy(() -> builder().format(RedisValueFormat.PLAIN_JSON).build())
        .isInstanceOfSatisfying(CacheConfigurationException.class, e -> {
          assertThat(e.reason()).isEqualTo(CacheConfigurationException.Reason.INCONSISTENT_SETTINGS);
          assertThat(e.getMessage()).contains("PLAIN_JSON").contains("cannot switch its payload format");
        });
  }

  @Test
  void build_cborWithANonJacksonSerializer_isRejected() {
    assertThatThrownBy(() -> RedisCacheBuilder.<String, String>newBuilder()
            .name("orders").keyCodec(KeyCodec.strings()).keyRing(RedisTestSupport.RING)
            .serializer(ValueSerializers.utf8Strings()).payloadFormat(PayloadFormat.CBOR).build())
        .isInstanceOfSatisfying(CacheConfigurationException.class, e -> {
          assertThat(e.reason()).isEqualTo(CacheConfigurationException.Reason.INCONSISTENT_SETTINGS);
          assertThat(e.getMessage()).contains("ValueSerializers.json");
        });
  }

  @Test
  void payloadFormat_setTwice_orNull_throws() {
    assertThatThrownBy(() -> builder().payloadFormat(PayloadFormat.JSON)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> RedisCacheBuilder.newBuilder(String.class, Map.class).payloadFormat(null))
        .isInstanceOf(NullPointerException.class);
    assertThat(builder().toString()).contains("payloadFormat=CBOR");
  }
}
