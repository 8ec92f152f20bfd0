package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.serialization.ValueSerializers;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The pooled inflate path of deflated values: results, bounds, malformed input, wiping, pooling. */
class ValueCodecInflateTests {

  private static ValueCodec<String> deflating(int maxValueSize) {
    return new ValueCodec<>(
        "orders", RedisTestSupport.RING, ValueSerializers.json(String.class), RedisValueFormat.SEALED, 0,
        maxValueSize, new CacheInstrumentation());
  }

  /** Text of {@code size} characters, compressible (repeats) or not (random letters). */
  private static String text(int size, boolean compressible) {
    StringBuilder b = new StringBuilder(size);
    SplittableRandom random = new SplittableRandom(size);
    while (b.length() < size) {
      if (compressible) {
        b.append("cachet-value-");
      } else {
        b.append((char) ('a' + random.nextInt(26)));
      }
    }
    return b.substring(0, size);
  }

  @Test
  void deflatedValues_ofEverySize_openToTheSameValue_acrossBufferGrowthAndUnpooledSizes() {
    ValueCodec<String> codec = deflating(1 << 20);
    for (int size : new int[] {64, 1_000, 4_095, 4_096, 5_000, 20_000, 70_000, 300_000}) {
      for (boolean compressible : new boolean[] {true, false}) {
        String value = text(size, compressible);
        byte[] token = codec.sealPayload("k", codec.serialize(value), Long.MAX_VALUE);
        byte[] plaintext = RedisTestSupport.RING.decrypt(token);
        // compressible values are stored deflated (random letters deflate too: 26 symbols in 8 bits)
        assertThat(plaintext[1] & ValueCodec.FLAG_DEFLATED).as("deflated, size %d", size).isNotZero();
        ValueCodec.Opened<String> opened = codec.open("k", token, 0, 0);
        assertThat(opened.ok()).as("size %d, compressible %s", size, compressible).isTrue();
        assertThat(opened.value).isEqualTo(value);
      }
    }
  }

  @Test
  void inflate_boundedByTheCap_exactlyTheCapPasses() {
    byte[] data = text(10_000, true).getBytes(StandardCharsets.UTF_8);
    byte[] deflated = ValueCodec.deflate(data);
    assertThat(ValueCodec.inflate(deflated, 10_000)).isEqualTo(data);
    assertThat(ValueCodec.inflate(deflated, 9_999)).isNull();
    assertThat(ValueCodec.inflate(deflated, 100)).isNull();
  }

  @Test
  void inflate_ofMalformedOrTruncatedInput_isNull_andThePooledInflaterStaysUsable() {
    byte[] data = text(8_000, false).getBytes(StandardCharsets.UTF_8);
    byte[] deflated = ValueCodec.deflate(data);
    byte[] garbage = new byte[200];
    new SplittableRandom(7).nextBytes(garbage);
    assertThat(ValueCodec.inflate(garbage, 1 << 20)).isNull();
    assertThat(ValueCodec.inflate(Arrays.copyOf(deflated, deflated.length / 2), 1 << 20)).isNull();
    assertThat(ValueCodec.inflate(new byte[0], 1 << 20)).isNull();
    assertThat(ValueCodec.inflate(deflated, 1 << 20)).isEqualTo(data); // after failures, reused
  }

  @Test
  void release_wipesTheInflatedPlaintext_andDropsABufferGrownPastTheBound() {
    byte[] small = text(3_000, false).getBytes(StandardCharsets.UTF_8);
    ValueCodec.Inflation inflation = ValueCodec.Inflation.acquire();
    byte[] buffer;
    try {
      assertThat(inflation.inflate(ValueCodec.deflate(small), 0, ValueCodec.deflate(small).length, 1 << 20))
          .isEqualTo(small.length);
      buffer = inflation.out;
      assertThat(Arrays.copyOf(buffer, small.length)).isEqualTo(small);
    } finally {
      inflation.release();
    }
    assertThat(buffer).containsOnly(0);

    byte[] large = text(ValueCodec.Inflation.MAX_POOLED_BUFFER * 2, false).getBytes(StandardCharsets.UTF_8);
    byte[] deflated = ValueCodec.deflate(large);
    ValueCodec.Inflation grown = ValueCodec.Inflation.acquire();
    byte[] grownBuffer;
    try {
      assertThat(grown.inflate(deflated, 0, deflated.length, 1 << 20)).isEqualTo(large.length);
      grownBuffer = grown.out;
      assertThat(grownBuffer.length).isGreaterThan(ValueCodec.Inflation.MAX_POOLED_BUFFER);
    } finally {
      grown.release();
    }
    assertThat(grownBuffer).containsOnly(0);
    assertThat(grown.out.length).isEqualTo(ValueCodec.Inflation.INITIAL_BUFFER);
  }
}
