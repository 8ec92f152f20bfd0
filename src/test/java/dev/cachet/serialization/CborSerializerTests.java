package dev.cachet.serialization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import dev.cachet.internal.MultiFormatSerializer;
import dev.cachet.internal.OptionalDependencies;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The CBOR twin of the built-in JSON serializers: same mapper configuration, another encoding. */
class CborSerializerTests {

  record Event(String eventName, Instant at, List<Integer> counts) {}

  private static final Event EVENT = new Event("login", Instant.parse("2026-12-03T07:15:30Z"), List.of(1, 2, 300));

  @AfterEach
  void restore() {
    OptionalDependencies.overrideCborPresentForTests(null);
  }

  @SuppressWarnings("unchecked")
  private static <V> MultiFormatSerializer<V> multi(ValueSerializer<V> serializer) {
    return (MultiFormatSerializer<V>) serializer;
  }

  @Test
  void cbor_roundTrips_andKeepsTheMappersConfiguration() throws Exception {
    ObjectMapper mapper = ValueSerializers.defaultObjectMapper()
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    MultiFormatSerializer<Event> s = multi(ValueSerializers.json(mapper, Event.class));
    byte[] cbor = s.serialize(MultiFormatSerializer.CBOR, EVENT);
    assertThat(s.deserialize(MultiFormatSerializer.CBOR, cbor, 0, cbor.length)).isEqualTo(EVENT);
    Map<String, Object> raw = new CBORMapper().readValue(cbor, new TypeReference<Map<String, Object>>() {});
    assertThat(raw).containsEntry("event_name", "login").containsEntry("at", "2026-12-03T07:15:30Z");
    // reads in place from a larger buffer
    byte[] padded = new byte[cbor.length + 7];
    System.arraycopy(cbor, 0, padded, 3, cbor.length);
    assertThat(s.deserialize(MultiFormatSerializer.CBOR, padded, 3, cbor.length)).isEqualTo(EVENT);
    assertThat(s.serialize(MultiFormatSerializer.JSON, EVENT)).isEqualTo(((ValueSerializer<Event>) s).serialize(EVENT));
  }

  @Test
  void cbor_genericTypes_andNullIsRefused() {
    MultiFormatSerializer<List<Event>> s = multi(ValueSerializers.json(new TypeReference<List<Event>>() {}));
    byte[] cbor = s.serialize(MultiFormatSerializer.CBOR, List.of(EVENT, EVENT));
    assertThat(s.deserialize(MultiFormatSerializer.CBOR, cbor, 0, cbor.length)).containsExactly(EVENT, EVENT);
    byte[] cborNull = {(byte) 0xf6};
    assertThatThrownBy(() -> s.deserialize(MultiFormatSerializer.CBOR, cborNull, 0, 1))
        .isInstanceOf(SerializationException.class).hasMessageContaining("CBOR null");
  }

  @Test
  void canRead_followsTheClassPath_andUnknownIdsAreRefused() {
    MultiFormatSerializer<Event> s = multi(ValueSerializers.json(Event.class));
    assertThat(s.canRead(MultiFormatSerializer.JSON)).isTrue();
    assertThat(s.canRead(MultiFormatSerializer.CBOR)).isTrue();
    assertThat(s.canRead(2)).isFalse();
    OptionalDependencies.overrideCborPresentForTests(false);
    assertThat(s.canRead(MultiFormatSerializer.CBOR)).isFalse();
    assertThatThrownBy(() -> s.serialize(MultiFormatSerializer.CBOR, EVENT))
        .isInstanceOf(SerializationException.class).hasMessageContaining("jackson-dataformat-cbor");
    assertThatThrownBy(() -> s.serialize(2, EVENT)).isInstanceOf(IllegalArgumentException.class);
    assertThat(ValueSerializers.utf8Strings()).isNotInstanceOf(MultiFormatSerializer.class);
    assertThat(ValueSerializers.bytes()).isNotInstanceOf(MultiFormatSerializer.class);
  }
}
