package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.InvalidValueException;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.serialization.SerializationException;
import dev.cachet.serialization.ValueSerializer;
import dev.cachet.serialization.ValueSerializers;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The codec's caller errors and its expiry check, without Redis. */
class ValueCodecTests {

  private static ValueCodec<String> codec(ValueSerializer<String> serializer, int maxValueSize) {
    return new ValueCodec<>(
        "orders", RedisTestSupport.RING, serializer, RedisValueFormat.SEALED, -1, maxValueSize,
        new CacheInstrumentation());
  }

  @Test
  void serialize_tooLarge_throwsInvalidValueExceptionNamingTheLimitNotTheValue() {
    ValueCodec<String> codec = codec(ValueSerializers.json(String.class), 16);
    assertThatThrownBy(() -> codec.serialize("SECRET-VALUE-longer-than-sixteen"))
        .isInstanceOfSatisfying(
            InvalidValueException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(InvalidValueException.Reason.TOO_LARGE);
              assertThat(e.getMessage()).contains("orders").contains("16 bytes").doesNotContain("SECRET");
            });
  }

  @Test
  void serialize_serializerThrows_throwsNotSerializableKeepingTheCause() {
    SerializationException failure = new SerializationException("cannot serialize Order", null);
    ValueCodec<String> codec =
        codec(
            new ValueSerializer<>() {
              @Override
              public byte[] serialize(String value) {
                throw failure;
              }

              @Override
              public String deserialize(byte[] bytes) {
                return new String(bytes, StandardCharsets.UTF_8);
              }
            },
            1024);
    assertThatThrownBy(() -> codec.serialize("SECRET"))
        .isInstanceOfSatisfying(
            InvalidValueException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(InvalidValueException.Reason.NOT_SERIALIZABLE);
              assertThat(e.getMessage()).contains("orders").contains("java.lang.String").doesNotContain("SECRET");
              assertThat(e.getCause()).isSameAs(failure);
            });
  }

  @Test
  void serialize_serializerReturnsNull_throwsNotSerializable() {
    ValueCodec<String> codec =
        codec(
            new ValueSerializer<>() {
              @Override
              public byte[] serialize(String value) {
                return null;
              }

              @Override
              public String deserialize(byte[] bytes) {
                return null;
              }
            },
            1024);
    assertThatThrownBy(() -> codec.serialize("v"))
        .isInstanceOfSatisfying(
            InvalidValueException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidValueException.Reason.NOT_SERIALIZABLE));
  }

  @Test
  void open_expiryIsComparedWithTheGivenTime_expiredExactlyAtIt() {
    ValueCodec<String> codec = codec(ValueSerializers.json(String.class), 1024);
    byte[] token = codec.sealPayload("k", codec.serialize("v"), 10_000);
    assertThat(codec.open("k", token, 9_999, 0).value).isEqualTo("v");
    assertThat(codec.open("k", token, 9_999, 0).expiresAtMillis).isEqualTo(10_000);
    assertThat(codec.open("k", token, 10_000, 0).failure).isEqualTo(DecryptionFailureReason.EXPIRED);
  }
}
