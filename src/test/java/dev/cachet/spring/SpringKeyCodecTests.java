package dev.cachet.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.cache.interceptor.SimpleKey;

class SpringKeyCodecTests {

  record Order(String tenant, long id) {}

  enum Color { RED }

  private final SpringKeyCodec codec = SpringKeyCodec.INSTANCE;

  @Test
  void keysSpringConsidersDifferent_encodeDifferently() {
    List<Object> keys =
        List.of(
            "1", 1, 1L, (short) 1, 1.0d, 1.0f, true, 'a', "a,b", new SimpleKey("a", "b"),
            new SimpleKey("a,b"), new SimpleKey("a", new SimpleKey("b")), SimpleKey.EMPTY,
            new SimpleKey("ab", ""), new SimpleKey("a", "b", null), new Order("t", 1),
            new Order("t", 2), new Order("t1", 1), Color.RED, "RED",
            UUID.fromString("00000000-0000-0000-0000-000000000001"), LocalDate.of(2026, 1, 1),
            List.of("a", "b"), new Object[] {"a", "b"}, "s1:a");
    Set<String> encoded = new HashSet<>();
    for (Object key : keys) {
      encoded.add(codec.encode(key));
    }
    assertThat(encoded).hasSize(keys.size());
  }

  @Test
  void equalKeys_encodeEqually() {
    assertThat(codec.encode(new SimpleKey("a", 1))).isEqualTo(codec.encode(new SimpleKey("a", 1)));
    assertThat(codec.encode(new Order("t", 1))).isEqualTo(codec.encode(new Order("t", 1)));
    assertThat(codec.encode("plain")).isEqualTo("s5:plain");
  }

  @Test
  void longKeys_areHashed() {
    String encoded = codec.encode("x".repeat(1_000));
    assertThat(encoded).startsWith("h:").hasSizeLessThan(60);
    assertThat(codec.encode("x".repeat(1_001))).isNotEqualTo(encoded);
  }

  @Test
  void unsupportedKeyType_isRefusedWithItsTypeName() {
    assertThatThrownBy(() -> codec.encode(new Object()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.Object")
        .hasMessageContaining("KeyCodec");
  }
}
