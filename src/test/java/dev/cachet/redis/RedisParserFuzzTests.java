package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.Fuzzer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes what the Redis tier parses from Redis: the sealed envelope inside a token (format byte,
 * flags, expiry, key digest, deflated payload), whole sealed tokens, and Redis key names
 * (generation and tenant segments). Nothing may raise an exception: a bad envelope or token is a
 * miss with a reason, a foreign key name is "not an entry". Corpora under {@code
 * src/test/resources/fuzz/}; see {@link Fuzzer} for the budget and the {@code fuzz} profile.
 */
class RedisParserFuzzTests {

  /** A fixed test key, so the committed sealed-token corpus decrypts: public, not a secret. */
  private static final FernetKeyRing RING =
      FernetKeyRing.of(FernetKey.parse("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="));
  private static final String REDIS_KEY = "app:orders:v1:g3:-:k:order-1";
  private static final long FAR_FUTURE = 4_102_444_800_000L; // 2100-01-01
  private static final long NOW = 1_800_000_000_000L;

  private static ValueCodec<String> codec(int compressionThreshold) {
    return new ValueCodec<>("orders", RING, ValueSerializers.json(String.class), RedisValueFormat.SEALED,
        compressionThreshold, 1 << 20, new CacheInstrumentation());
  }

  private static byte[] envelope(int flags, long expiresAt, String redisKey, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(ValueCodec.HEADER + payload.length);
    b.put(ValueCodec.SEALED_FORMAT).put((byte) flags).putLong(expiresAt).put(ValueCodec.keyDigest(redisKey)).put(payload);
    return b.array();
  }

  private static List<byte[]> envelopeSeeds() {
    List<byte[]> seeds = new ArrayList<>();
    byte[] json = "\"a value\"".getBytes(StandardCharsets.UTF_8);
    seeds.add(envelope(0, FAR_FUTURE, REDIS_KEY, json));
    seeds.add(envelope(ValueCodec.FLAG_DEFLATED, FAR_FUTURE, REDIS_KEY, ValueCodec.deflate(("\"" + "z".repeat(300) + "\"").getBytes(StandardCharsets.UTF_8))));
    seeds.add(envelope(0, 1, REDIS_KEY, json)); // expired
    seeds.add(envelope(0, FAR_FUTURE, "app:orders:v1:g3:-:k:other", json)); // another key's
    seeds.add(envelope(0, FAR_FUTURE, REDIS_KEY, new byte[0]));
    seeds.add(new byte[] {ValueCodec.SEALED_FORMAT});
    return seeds;
  }

  @Test
  void envelope_neverThrows_valueOnlyForThisKeysUnexpiredEnvelope() throws IOException {
    ValueCodec<String> codec = codec(-1);
    writeCorpusIfAsked("envelope", envelopeSeeds());
    Fuzzer.of("envelope", List.of()).run(plaintext -> {
      byte[] token = RING.encrypt(plaintext);
      ValueCodec.Opened<String> opened = codec.open(REDIS_KEY, token, NOW, -1);
      if (opened.ok()) {
        assertThat(plaintext.length).isGreaterThanOrEqualTo(ValueCodec.HEADER);
        assertThat(java.util.Arrays.copyOfRange(plaintext, 10, 26)).isEqualTo(ValueCodec.keyDigest(REDIS_KEY));
        assertThat(opened.expiresAtMillis).isGreaterThan(NOW);
        assertThat(opened.value).isNotNull();
      } else {
        assertThat(opened.failure).isNotNull();
      }
    });
  }

  @Test
  void sealedToken_neverThrows_neverAnotherValue() throws IOException {
    ValueCodec<String> codec = codec(64);
    List<String> values = List.of("a value", "", "z".repeat(300), "\u00e9\u4e2d\ud83d\ude00");
    List<byte[]> seeds = new ArrayList<>();
    for (String v : values) {
      seeds.add(codec.sealPayload(REDIS_KEY, codec.serialize(v), FAR_FUTURE));
    }
    writeCorpusIfAsked("sealed-token", seeds);
    Fuzzer.of("sealed-token", List.of()).run(token -> {
      ValueCodec.Opened<String> opened = codec.open(REDIS_KEY, token, NOW, -1);
      if (opened.ok()) {
        assertThat(values).as("only a value that was sealed for this key").contains(opened.value);
      }
    });
  }

  private static final Pattern ENTRY =
      Pattern.compile(
          "app:orders:v[0-9]{1,9}:g([0-9]{1,18})(?:\\.[0-9]{1,18})?:(-|[th]\\.[A-Za-z0-9_.-]{1,64}):(?:k|h|h2|n|m):.+",
          Pattern.DOTALL);

  @Test
  void keyLayout_neverThrows_agreesWithTheGrammar_andRoundTrips() {
    RedisKeyLayout layout = new RedisKeyLayout("app", "orders", 1, null, null);
    RedisKeyLayout tenant = layout.forTenant("acme");
    Random random = new Random(17);
    for (int i = 0; i < 2_000; i++) {
      long g = random.nextInt(4) == 0 ? random.nextLong() & Long.MAX_VALUE / 10 : random.nextInt(1000);
      String key = Long.toString(random.nextLong(), 36) + (random.nextBoolean() ? ":g7:-:k:x" : "");
      assertThat(layout.generationOf(layout.entryKey(g, key))).isEqualTo(g);
      assertThat(layout.generationOf(tenant.entryKey(g, key))).isEqualTo(g);
      assertThat(tenant.isEntryOfThisTenant(tenant.entryKey(g, key))).isTrue();
      assertThat(tenant.isEntryOfThisTenant(layout.entryKey(g, key))).isFalse();
      assertThat(layout.isEntryOfThisTenant(tenant.entryKey(g, key))).isFalse();
    }
    Fuzzer.of("key-layout", List.of()).run(bytes -> {
      String name = new String(bytes, StandardCharsets.UTF_8);
      long g = layout.generationOf(name);
      Matcher m = ENTRY.matcher(name);
      if (m.matches()) {
        assertThat(g).as("generation of %s", name).isEqualTo(Long.parseLong(m.group(1)));
        assertThat(layout.isEntryOfThisTenant(name)).isEqualTo(m.group(2).equals("-"));
        assertThat(tenant.isEntryOfThisTenant(name)).isEqualTo(m.group(2).equals("t.acme"));
      } else {
        assertThat(g).as("not an entry key: %s", name).isEqualTo(-1);
        assertThat(layout.isEntryOfThisTenant(name)).isFalse();
        assertThat(tenant.isEntryOfThisTenant(name)).isFalse();
      }
    });
  }

  /** With {@code -Dcachet.fuzz.writeCorpus=true}, (re)writes the generated seeds as corpus files. */
  private static void writeCorpusIfAsked(String target, List<byte[]> seeds) throws IOException {
    if (!Boolean.getBoolean("cachet.fuzz.writeCorpus")) {
      return;
    }
    Path dir = Path.of(System.getProperty("cachet.project.dir", System.getProperty("user.dir")),
        "src", "test", "resources", "fuzz", target);
    Files.createDirectories(dir);
    for (int i = 0; i < seeds.size(); i++) {
      Files.write(dir.resolve(String.format("seed-%02d.bin", i)), seeds.get(i));
    }
  }
}
