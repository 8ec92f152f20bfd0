package dev.cachet.serialization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ValueSerializersTests {

  /** A session record as applications cache them: every common java.time type. */
  record Session(
      String userId,
      Instant createdAt,
      LocalDate birthday,
      LocalDateTime lastSeenLocal,
      Duration idleTimeout,
      OffsetDateTime offsetTime,
      ZonedDateTime zonedTime) {}

  static Session session() {
    return new Session(
        "u-1",
        Instant.parse("2026-12-03T07:00:00.123456789Z"),
        LocalDate.of(1815, 12, 10),
        LocalDateTime.of(2026, 12, 3, 8, 0, 1),
        Duration.ofMinutes(30),
        OffsetDateTime.of(2026, 12, 3, 8, 0, 0, 0, ZoneOffset.ofHours(1)),
        ZonedDateTime.of(2026, 12, 3, 8, 0, 0, 0, ZoneId.of("Europe/Paris")));
  }

  @Test
  void json_defaultMapper_roundTripsJavaTimeTypes_asIsoStrings() {
    ValueSerializer<Session> serializer = ValueSerializers.json(Session.class);
    byte[] bytes = serializer.serialize(session());
    String json = new String(bytes, StandardCharsets.UTF_8);
    assertThat(json)
        .contains("\"createdAt\":\"2026-12-03T07:00:00.123456789Z\"")
        .contains("\"birthday\":\"1815-12-10\"")
        .contains("\"idleTimeout\":\"PT30M\"")
        .contains("Europe/Paris");
    assertThat(serializer.deserialize(bytes)).isEqualTo(session());
  }

  @Test
  void json_typeReference_roundTripsGenericTypesWithJavaTime() {
    ValueSerializer<Map<String, List<Instant>>> serializer =
        ValueSerializers.json(new TypeReference<Map<String, List<Instant>>>() {});
    Map<String, List<Instant>> value = Map.of("logins", List.of(Instant.EPOCH, Instant.ofEpochSecond(1)));
    assertThat(serializer.deserialize(serializer.serialize(value))).isEqualTo(value);
    assertThat(serializer.toString()).contains("java.util.Map<java.lang.String,java.util.List<java.time.Instant>>");
  }

  @Test
  void json_ownMapper_isUsedForClassAndTypeReference() {
    ObjectMapper mapper = ValueSerializers.defaultObjectMapper();
    mapper.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    ValueSerializer<Session> byClass = ValueSerializers.json(mapper, Session.class);
    assertThat(new String(byClass.serialize(session()), StandardCharsets.UTF_8))
        .contains("\"user_id\":\"u-1\"")
        .contains("\"created_at\":\"2026-12-03T07:00:00.123456789Z\"");
    assertThat(byClass.deserialize(byClass.serialize(session()))).isEqualTo(session());

    ValueSerializer<List<Session>> byReference =
        ValueSerializers.json(mapper, new TypeReference<List<Session>>() {});
    byte[] bytes = byReference.serialize(List.of(session()));
    assertThat(new String(bytes, StandardCharsets.UTF_8)).contains("\"idle_timeout\":\"PT30M\"");
    assertThat(byReference.deserialize(bytes)).containsExactly(session());
  }

  @Test
  void json_plainObjectMapper_withoutJavaTime_failsWithSerializationException() {
    ValueSerializer<Session> serializer = ValueSerializers.json(new ObjectMapper(), Session.class);
    assertThatThrownBy(() -> serializer.serialize(session()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(Session.class.getName())
        .hasMessageNotContaining("u-1");
  }

  @Test
  void defaultObjectMapper_isANewMapperEachTime_soChangingOneLeavesTheDefaultAlone() {
    ObjectMapper mine = ValueSerializers.defaultObjectMapper();
    assertThat(mine).isNotSameAs(ValueSerializers.defaultObjectMapper());
    mine.setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    assertThat(new String(ValueSerializers.json(Session.class).serialize(session()), StandardCharsets.UTF_8))
        .contains("\"userId\"");
  }

  @Test
  void json_javaUtilDate_isWrittenAsIsoText_andEpochMillisFromEarlierVersionsStillRead() throws Exception {
    record Legacy(java.util.Date at) {}
    ValueSerializer<Legacy> serializer = ValueSerializers.json(Legacy.class);
    Legacy value = new Legacy(new java.util.Date(1_700_000_000_123L));
    byte[] bytes = serializer.serialize(value);
    assertThat(new String(bytes, StandardCharsets.UTF_8)).contains("2023-11-14T22:13:20.123");
    assertThat(serializer.deserialize(bytes)).isEqualTo(value);
    assertThat(serializer.deserialize("{\"at\":1700000000123}".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(value);
    // an earlier version's reader (Jackson's defaults) reads the new form
    Legacy readByEarlier = new ObjectMapper().readerFor(Legacy.class).readValue(bytes);
    assertThat(readByEarlier).isEqualTo(value);
  }

  @Test
  void json_ignoresUnknownProperties_writtenByANewerVersion() {
    record Old(String userId) {}
    ValueSerializer<Old> serializer = ValueSerializers.json(Old.class);
    byte[] newer = "{\"userId\":\"u-1\",\"addedLater\":{\"x\":1}}".getBytes(StandardCharsets.UTF_8);
    assertThat(serializer.deserialize(newer)).isEqualTo(new Old("u-1"));
  }

  @Test
  void forType_byteArray_isBytes_storingTheArrayAsItIs() {
    ValueSerializer<byte[]> serializer = ValueSerializers.forType(byte[].class);
    assertThat(serializer).isSameAs(ValueSerializers.bytes());
    byte[] raw = {0, (byte) 0xff, 'a'};
    assertThat(serializer.serialize(raw)).isSameAs(raw);
    assertThat(serializer.deserialize(raw)).isSameAs(raw);
  }

  @Test
  void forType_otherTypes_areJson() {
    assertThat(ValueSerializers.forType(String.class).serialize("a"))
        .isEqualTo("\"a\"".getBytes(StandardCharsets.UTF_8));
    ValueSerializer<Session> sessions = ValueSerializers.forType(Session.class);
    assertThat(sessions.deserialize(sessions.serialize(session()))).isEqualTo(session());
  }

  @Test
  void utf8Strings_areNotJsonQuoted() {
    assertThat(ValueSerializers.utf8Strings().serialize("é")).isEqualTo("é".getBytes(StandardCharsets.UTF_8));
    assertThat(ValueSerializers.utf8Strings().deserialize("é".getBytes(StandardCharsets.UTF_8))).isEqualTo("é");
  }

  @Test
  void factories_rejectNullArguments() {
    ObjectMapper mapper = new ObjectMapper();
    assertThatThrownBy(() -> ValueSerializers.json((Class<String>) null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> ValueSerializers.json((TypeReference<String>) null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> ValueSerializers.json(null, String.class))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("mapper");
    assertThatThrownBy(() -> ValueSerializers.json(mapper, (Class<String>) null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("type");
    assertThatThrownBy(() -> ValueSerializers.forType(null)).isInstanceOf(NullPointerException.class);
  }

  /** Reads the value out of the middle of a larger buffer, then scribbles over it. */
  private static <V> V readInPlace(ValueSerializer<V> serializer, V value) {
    byte[] bytes = serializer.serialize(value);
    byte[] buffer = new byte[bytes.length + 20];
    java.util.Arrays.fill(buffer, (byte) '#');
    System.arraycopy(bytes, 0, buffer, 7, bytes.length);
    V read = serializer.deserialize(buffer, 7, bytes.length);
    java.util.Arrays.fill(buffer, (byte) 0); // the tier wipes its buffer: the value must not share it
    return read;
  }

  @Test
  void deserializeInPlace_readsTheRange_andKeepsNothingOfTheBuffer() {
    assertThat(readInPlace(ValueSerializers.json(String.class), "héllo")).isEqualTo("héllo");
    assertThat(readInPlace(ValueSerializers.json(new TypeReference<Map<String, List<Integer>>>() {}), Map.of("a", List.of(1, 2))))
        .isEqualTo(Map.of("a", List.of(1, 2)));
    assertThat(readInPlace(ValueSerializers.utf8Strings(), "naïve")).isEqualTo("naïve");
    assertThat(readInPlace(ValueSerializers.bytes(), new byte[] {1, 2, 3})).containsExactly(1, 2, 3);
    assertThatThrownBy(() -> ValueSerializers.json(String.class).deserialize("xx{".getBytes(StandardCharsets.UTF_8), 2, 1))
        .isInstanceOf(SerializationException.class);
  }
}
