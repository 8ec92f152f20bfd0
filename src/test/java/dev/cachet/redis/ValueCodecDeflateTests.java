package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.internal.BoundedPool;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.serialization.ValueSerializers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/**
 * The pooled deflate path of compressed writes: byte-identical to a fresh {@link Deflater}, round trips
 * at the threshold and buffer boundaries, the incompressible fallback, concurrent writers, wiping,
 * unpooled large buffers, the pool's bound and the ending of dropped deflaters.
 */
class ValueCodecDeflateTests {

  private static final int THRESHOLD = 512;

  private static ValueCodec<byte[]> codec() {
    return new ValueCodec<>(
        "orders", RedisTestSupport.RING, ValueSerializers.bytes(), RedisValueFormat.SEALED, THRESHOLD,
        1 << 20, new CacheInstrumentation());
  }

  /** {@code size} bytes, compressible (repeated text) or not (random bytes). */
  private static byte[] data(int size, boolean compressible, long seed) {
    byte[] b = new byte[size];
    SplittableRandom random = new SplittableRandom(seed);
    if (compressible) {
      byte[] unit = ("cachet-value-" + seed + "-").getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < size; i++) {
        b[i] = unit[i % unit.length];
      }
      if (size > 0) {
        b[random.nextInt(size)] = (byte) random.nextInt(256);
      }
    } else {
      random.nextBytes(b);
    }
    return b;
  }

  /** What the code deflated with before the pool: a fresh default-level {@code Deflater}. */
  private static byte[] freshDeflate(byte[] input) {
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
    try {
      deflater.setInput(input);
      deflater.finish();
      byte[] out = new byte[input.length + input.length / 100 + 64];
      int n = 0;
      while (!deflater.finished()) {
        if (n == out.length) {
          out = Arrays.copyOf(out, out.length * 2);
        }
        n += deflater.deflate(out, n, out.length - n);
      }
      return Arrays.copyOf(out, n);
    } finally {
      deflater.end();
    }
  }

  /** Sizes around the compression threshold, the pooled buffer's size and the unpooled bound. */
  private static int[] sizes() {
    int initial = ValueCodec.Deflation.INITIAL_BUFFER;
    int cap = ValueCodec.Deflation.MAX_POOLED_BUFFER;
    int header = ValueCodec.HEADER;
    return new int[] {
      0, 1, THRESHOLD - 1, THRESHOLD, THRESHOLD + 1, initial - header - 1, initial - header,
      initial - header + 1, initial, initial + 1, 2 * initial, cap - header, cap, cap + 1, 3 * cap + 17
    };
  }

  @Test
  void sealedValues_ofEverySize_roundTrip_deflatedExactlyAsAFreshDeflaterWould() {
    ValueCodec<byte[]> codec = codec();
    for (int size : sizes()) {
      for (boolean compressible : new boolean[] {true, false}) {
        byte[] value = data(size, compressible, size);
        byte[] token = codec.sealPayload("k", codec.serialize(value), Long.MAX_VALUE);
        byte[] plaintext = RedisTestSupport.RING.decrypt(token);
        byte[] reference = freshDeflate(value);
        boolean shouldDeflate = size >= THRESHOLD && reference.length < size;
        String what = "size " + size + ", compressible " + compressible;
        assertThat((plaintext[1] & ValueCodec.FLAG_DEFLATED) != 0).as(what).isEqualTo(shouldDeflate);
        byte[] stored = Arrays.copyOfRange(plaintext, ValueCodec.HEADER, plaintext.length);
        assertThat(stored).as(what).isEqualTo(shouldDeflate ? reference : value);
        assertThat(Arrays.copyOfRange(plaintext, 10, 26))
            .as(what)
            .isEqualTo(ValueCodec.keyDigest("k"));
        ValueCodec.Opened<byte[]> opened = codec.open("k", token, 0, 0);
        assertThat(opened.ok()).as(what).isTrue();
        assertThat(opened.value).as(what).isEqualTo(value);
        assertThat(opened.expiresAtMillis).isEqualTo(Long.MAX_VALUE);
      }
    }
  }

  @Test
  void incompressiblePayload_isStoredPlain_theDeflaterStoppingAtThePayloadsSize() {
    byte[] random = data(10_000, false, 3);
    ValueCodec.Deflation deflation = new ValueCodec.Deflation();
    try {
      int limit = ValueCodec.HEADER + random.length - 1;
      assertThat(deflation.deflate(random, 0, random.length, ValueCodec.HEADER, limit)).isEqualTo(-1);
      assertThat(deflation.out.length).isLessThanOrEqualTo(limit);
      // the same instance deflates the next input in full, from scratch
      byte[] text = data(10_000, true, 4);
      int end = deflation.deflate(text, 0, text.length, 0, Integer.MAX_VALUE - 8);
      assertThat(Arrays.copyOf(deflation.out, end)).isEqualTo(freshDeflate(text));
    } finally {
      deflation.release(new BoundedPool<>(1, ValueCodec.Deflation::new));
    }
  }

  @Test
  void staticDeflate_matchesAFreshDeflater_andInflatesBack() {
    for (int size : sizes()) {
      for (boolean compressible : new boolean[] {true, false}) {
        byte[] input = data(size, compressible, size + 1);
        byte[] deflated = ValueCodec.deflate(input);
        assertThat(deflated).as("size %d", size).isEqualTo(freshDeflate(input));
        assertThat(ValueCodec.inflate(deflated, size)).isEqualTo(input);
      }
    }
  }

  @Test
  void concurrentWriters_neverShareADeflater_eachOutputByteIdenticalToAFreshDeflaters() throws Exception {
    int threads = 4;
    int rounds = 300;
    ValueCodec<byte[]> codec = codec();
    List<byte[]> inputs = new ArrayList<>();
    List<byte[]> references = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      // sizes on both sides of the pooled buffer's size and bound, so buffers grow and are replaced
      byte[] input = data(THRESHOLD + i * 9_000, i % 4 != 3, 100 + i);
      inputs.add(input);
      references.add(freshDeflate(input));
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  int checked = 0;
                  for (int r = 0; r < rounds; r++) {
                    int i = (r * 7 + thread * 5) % inputs.size();
                    byte[] input = inputs.get(i);
                    byte[] reference = references.get(i);
                    if (r % 2 == 0) {
                      assertThat(ValueCodec.deflate(input)).isEqualTo(reference);
                    } else {
                      byte[] token = codec.sealPayload("k" + thread, input, Long.MAX_VALUE);
                      byte[] plaintext = RedisTestSupport.RING.decrypt(token);
                      boolean deflated = reference.length < input.length;
                      assertThat(Arrays.copyOfRange(plaintext, ValueCodec.HEADER, plaintext.length))
                          .isEqualTo(deflated ? reference : input);
                      assertThat(codec.open("k" + thread, token, 0, 0).value).isEqualTo(input);
                    }
                    checked++;
                  }
                  return checked;
                }));
      }
      start.countDown();
      for (Future<Integer> result : results) {
        assertThat(result.get(120, TimeUnit.SECONDS)).isEqualTo(rounds);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void acquiredInstances_areExclusive_untilReleased() {
    BoundedPool<ValueCodec.Deflation> pool = new BoundedPool<>(4, ValueCodec.Deflation::new);
    ValueCodec.Deflation a = pool.acquire();
    ValueCodec.Deflation b = pool.acquire();
    assertThat(a).isNotSameAs(b);
    assertThat(a.deflater).isNotSameAs(b.deflater);
    a.release(pool);
    assertThat(pool.acquire()).isSameAs(a); // only once it is back
    b.release(pool);
    a.release(pool);
  }

  @Test
  void release_wipesTheDeflatedPlaintextAndHeader_andDropsABufferGrownPastTheBound() {
    BoundedPool<ValueCodec.Deflation> pool = new BoundedPool<>(2, ValueCodec.Deflation::new);
    byte[] small = data(3_000, false, 5);
    ValueCodec.Deflation deflation = pool.acquire();
    byte[] buffer;
    try {
      int end = deflation.deflate(small, 0, small.length, ValueCodec.HEADER, Integer.MAX_VALUE - 8);
      Arrays.fill(deflation.out, 0, ValueCodec.HEADER, (byte) 0x5A); // a header written by the caller
      buffer = deflation.out;
      assertThat(Arrays.copyOfRange(buffer, ValueCodec.HEADER, end)).isEqualTo(freshDeflate(small));
    } finally {
      deflation.release(pool);
    }
    assertThat(buffer).containsOnly(0);
    assertThat(deflation.out).isSameAs(buffer); // kept: within the bound

    byte[] large = data(ValueCodec.Deflation.MAX_POOLED_BUFFER * 2, false, 6);
    ValueCodec.Deflation grown = pool.acquire();
    byte[] grownBuffer;
    try {
      int end = grown.deflate(large, 0, large.length, 0, Integer.MAX_VALUE - 8);
      grownBuffer = grown.out;
      assertThat(grownBuffer.length).isGreaterThan(ValueCodec.Deflation.MAX_POOLED_BUFFER);
      assertThat(Arrays.copyOf(grownBuffer, end)).isEqualTo(freshDeflate(large));
    } finally {
      grown.release(pool);
    }
    assertThat(grownBuffer).containsOnly(0);
    assertThat(grown.out.length).isEqualTo(ValueCodec.Deflation.INITIAL_BUFFER);
    assertThat(grown.ended).isFalse();
  }

  @Test
  void sealPayload_leavesNoPlaintextInThePooledBuffers() {
    // The shared pool: whatever instances sealing used are idle again, and every one is wiped.
    ValueCodec<byte[]> codec = codec();
    byte[] secret = data(20_000, true, 7);
    codec.sealPayload("k", secret, Long.MAX_VALUE);
    List<ValueCodec.Deflation> idle = new ArrayList<>();
    for (int i = 0; i < ValueCodec.Deflation.POOL.capacity(); i++) {
      idle.add(ValueCodec.Deflation.acquire());
    }
    try {
      for (ValueCodec.Deflation d : idle) {
        assertThat(d.out).containsOnly(0);
      }
    } finally {
      idle.forEach(ValueCodec.Deflation::release);
    }
  }

  @Test
  void thePoolIsBounded_andADeflaterItDoesNotTakeBackIsEnded() {
    assertThat(ValueCodec.Deflation.POOL.capacity()).isBetween(2, 16);
    BoundedPool<ValueCodec.Deflation> pool = new BoundedPool<>(1, ValueCodec.Deflation::new);
    ValueCodec.Deflation kept = new ValueCodec.Deflation();
    ValueCodec.Deflation dropped = new ValueCodec.Deflation();
    byte[] input = data(5_000, true, 8);
    kept.deflate(input, 0, input.length, 0, Integer.MAX_VALUE - 8);
    dropped.deflate(input, 0, input.length, 0, Integer.MAX_VALUE - 8);
    kept.release(pool);
    dropped.release(pool);
    assertThat(pool.idleCount()).isEqualTo(1);
    assertThat(kept.ended).isFalse();
    assertThat(dropped.ended).isTrue();
    // an ended Deflater refuses use: its native stream is gone
    assertThatThrownBy(() -> dropped.deflater.getTotalIn()).isInstanceOf(NullPointerException.class);
    // the kept one is reset and reusable
    ValueCodec.Deflation again = pool.acquire();
    assertThat(again).isSameAs(kept);
    int end = again.deflate(input, 0, input.length, 0, Integer.MAX_VALUE - 8);
    assertThat(Arrays.copyOf(again.out, end)).isEqualTo(freshDeflate(input));
    again.release(pool);
  }
}
