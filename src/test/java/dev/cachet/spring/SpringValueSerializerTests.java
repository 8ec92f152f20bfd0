package dev.cachet.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.serialization.SerializationException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpringValueSerializerTests {

  public record User(String id, String name) {}

  private final TypedJsonSerializer typed =
      new TypedJsonSerializer(List.of("dev.cachet.spring"), getClass().getClassLoader());
  private final NullAwareSerializer values = new NullAwareSerializer(typed);

  @Test
  void recordsScalarsAndTheNullMarker_roundTrip() {
    for (Object value :
        List.<Object>of(
            new User("1", "Ada"), "text", 42, 42L, 1.5d, true, java.time.Instant.ofEpochSecond(1, 5),
            java.time.LocalDate.of(2026, 12, 3), java.time.Duration.ofMillis(1500))) {
      assertThat(values.deserialize(values.serialize(value))).isEqualTo(value);
    }
    assertThat(values.serialize(NullMarker.INSTANCE)).containsExactly(NullAwareSerializer.NULL_TAG);
    assertThat(values.deserialize(new byte[] {NullAwareSerializer.NULL_TAG})).isSameAs(NullMarker.INSTANCE);
  }

  @Test
  void typesOutsideTheAllowedPackages_areRefusedBothWays() {
    assertThatThrownBy(() -> typed.serialize(new java.util.ArrayList<>()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("record");
    assertThatThrownBy(() -> typed.serialize(com.github.benmanes.caffeine.cache.stats.CacheStats.empty()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("allowed-packages");
    byte[] name = "java.util.ArrayList".getBytes(StandardCharsets.UTF_8);
    byte[] forged = new byte[2 + name.length + 2];
    forged[1] = (byte) name.length;
    System.arraycopy(name, 0, forged, 2, name.length);
    forged[forged.length - 2] = '[';
    forged[forged.length - 1] = ']';
    assertThatThrownBy(() -> typed.deserialize(forged)).isInstanceOf(SerializationException.class);
  }

  @Test
  void jdkPackages_cannotBeAllowed() {
    assertThatThrownBy(() -> new TypedJsonSerializer(List.of("java.util"), getClass().getClassLoader()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unknownTagByte_isASerializationException() {
    assertThatThrownBy(() -> values.deserialize(new byte[] {7, 1}))
        .isInstanceOf(SerializationException.class);
  }
}
