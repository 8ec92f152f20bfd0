package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.internal.AbstractCache;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code containsKey} against a table of stored states on real Redis: for every state it agrees with
 * {@code getIfPresent(key) != null}, except a payload that authenticates but cannot be decoded, where
 * it says true and {@code getIfPresent} null (documented). Refusals are counted by the same reason as a
 * read would count them.
 */
class RedisContainsKeyIntegrationTests {

  @RedisStandaloneServer static RedisServer redis;
  static RedisConnections connections;
  static RedisClient raw;
  static StatefulRedisConnection<String, String> rawConnection;
  static RedisCommands<String, String> r;

  @BeforeAll
  static void connect() {
    connections = RedisConnections.create(redis.uri());
    raw = RedisClient.create(redis.uri());
    rawConnection = raw.connect();
    r = rawConnection.sync();
  }

  @AfterAll
  static void disconnect() {
    rawConnection.close();
    raw.shutdown();
    connections.close();
  }

  private final String prefix = "ck" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);

  /** One stored state: what to write at the entry key (null: delete it), and the expected answers. */
  record Row(String state, BiFunction<String, String, String> token, boolean contains, boolean readable) {}

  private static String seal(FernetKeyRing ring, String redisKey, int flags, long expiresAt, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(ValueCodec.HEADER + payload.length);
    b.put(ValueCodec.SEALED_FORMAT).put((byte) flags).putLong(expiresAt).put(ValueCodec.keyDigest(redisKey));
    b.put(payload);
    return new String(ring.encrypt(b.array()), StandardCharsets.US_ASCII);
  }

  private static byte[] cbor(String s) {
    try {
      return new com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper().writeValueAsBytes(s);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] json(String s) {
    return ValueSerializers.json(String.class).serialize(s);
  }

  @Test
  void containsKey_agreesWithGetForEveryStoredState_exceptUndecodablePayload() {
    FernetKeyRing foreignRing = FernetKeyRing.of(FernetKey.generate());
    long later = System.currentTimeMillis() + 600_000;
    long past = System.currentTimeMillis() - 60_000;
    List<Row> rows = new ArrayList<>();
    rows.add(new Row("absent", (rk, valid) -> null, false, false));
    rows.add(new Row("valid entry", (rk, valid) -> valid, true, true));
    rows.add(new Row("valid envelope written here", (rk, valid) -> seal(RedisTestSupport.RING, rk, 0, later, json("v")), true, true));
    rows.add(new Row("deflated valid", (rk, valid) -> seal(RedisTestSupport.RING, rk, 1, later, ValueCodec.deflate(json("v"))), true, true));
    rows.add(new Row("tampered MAC", (rk, valid) -> {
      byte[] t = Base64.getUrlDecoder().decode(valid);
      t[t.length - 1] ^= 1;
      return Base64.getUrlEncoder().encodeToString(t);
    }, false, false));
    rows.add(new Row("tampered ciphertext", (rk, valid) -> {
      byte[] t = Base64.getUrlDecoder().decode(valid);
      t[30] ^= (byte) 0x80;
      return Base64.getUrlEncoder().encodeToString(t);
    }, false, false));
    rows.add(new Row("foreign Fernet key", (rk, valid) -> seal(foreignRing, rk, 0, later, json("v")), false, false));
    rows.add(new Row("bound to another key", (rk, valid) -> seal(RedisTestSupport.RING, rk + "x", 0, later, json("v")), false, false));
    rows.add(new Row("sealed expiry passed (PERSIST)", (rk, valid) -> seal(RedisTestSupport.RING, rk, 0, past, json("v")), false, false));
    rows.add(new Row("CBOR payload (format id 1)", (rk, valid) -> seal(RedisTestSupport.RING, rk, 0b010, later, cbor("v")), true, true));
    rows.add(new Row("deflated CBOR payload", (rk, valid) -> seal(RedisTestSupport.RING, rk, 0b011, later, ValueCodec.deflate(cbor("v"))), true, true));
    rows.add(new Row("unassigned payload format id 2 (a miss, never deleted)", (rk, valid) -> seal(RedisTestSupport.RING, rk, 0b100, later, json("v")), false, false));
    rows.add(new Row("unassigned payload format id 3, deflated", (rk, valid) -> seal(RedisTestSupport.RING, rk, 0b111, later, ValueCodec.deflate(json("v"))), false, false));
    rows.add(new Row("unknown flags", (rk, valid) -> seal(RedisTestSupport.RING, rk, 0x80, later, json("v")), false, false));
    rows.add(new Row("plain JSON in a sealed cache", (rk, valid) -> new String(RedisTestSupport.RING.encrypt(json("v")), StandardCharsets.US_ASCII), false, false));
    rows.add(new Row("not a token", (rk, valid) -> "garbage", false, false));
    rows.add(new Row("empty string", (rk, valid) -> "", false, false));
    // the documented disagreement: authenticates, but the payload cannot be decoded
    rows.add(new Row("authentic, undeserializable payload", (rk, valid) -> seal(RedisTestSupport.RING, rk, 0, later, "{not json".getBytes(StandardCharsets.UTF_8)), true, false));
    rows.add(new Row("authentic, deflate flag on raw bytes", (rk, valid) -> seal(RedisTestSupport.RING, rk, 1, later, new byte[] {1, 2, 3, 4}), true, false));

    try (Cache<String, String> cache =
        RedisCacheBuilder.newBuilder(String.class, String.class)
            .name("contains")
            .connections(connections)
            .keyPrefix(prefix)
            .keyRing(RedisTestSupport.RING)
            .deleteBadEntries(false)
            .build()) {
      CacheInstrumentation stats = ((AbstractCache<?, ?>) cache).instrumentation();
      cache.put("k", "v");
      List<String> scanKeys = r.keys(prefix + ":contains:v*:k:k"); // KEYS, not one SCAN call: the server holds other tests' keys too
      assertThat(scanKeys).hasSize(1);
      String rk = scanKeys.get(0);
      String valid = r.get(rk);
      for (Row row : rows) {
        String token = row.token().apply(rk, valid);
        if (token == null) {
          r.del(rk);
        } else {
          r.psetex(rk, 600_000, token);
        }
        long before = failures(stats);
        boolean contains = cache.containsKey("k");
        long afterContains = failures(stats);
        boolean readable = cache.getIfPresent("k") != null;
        long afterGet = failures(stats);
        assertThat(contains).as(row.state() + ": containsKey").isEqualTo(row.contains());
        assertThat(readable).as(row.state() + ": getIfPresent").isEqualTo(row.readable());
        if (!row.contains() && token != null) {
          assertThat(afterContains - before).as(row.state() + ": containsKey counts the refusal").isEqualTo(1);
          assertThat(afterGet - afterContains).as(row.state() + ": get counts it too").isEqualTo(1);
        }
        if (row.contains() == row.readable() && row.contains()) {
          assertThat(afterGet).as(row.state() + ": nothing refused").isEqualTo(before);
        }
      }
      r.del(rk);
      r.rpush(rk, "a list where an entry belongs");
      assertThat(cache.containsKey("k")).as("another Redis type").isFalse();
      assertThat(cache.getIfPresent("k")).isNull();
    }
  }

  @Test
  void containsKey_plainJsonFormat_verifiesAuthenticationOnly() {
    try (Cache<String, String> cache =
        RedisCacheBuilder.newBuilder(String.class, String.class)
            .name("containsplain")
            .connections(connections)
            .keyPrefix(prefix)
            .keyRing(RedisTestSupport.RING)
            .format(RedisValueFormat.PLAIN_JSON)
            .deleteBadEntries(false)
            .build()) {
      cache.put("k", "v");
      assertThat(cache.containsKey("k")).isTrue();
      assertThat(cache.containsKey("other")).isFalse();
      List<String> scanKeys = r.keys(prefix + ":containsplain:*:k"); // KEYS, not one SCAN call: the server holds other tests' keys too
      String rk = scanKeys.get(0);
      r.psetex(rk, 600_000, new String(FernetKeyRing.of(FernetKey.generate()).encrypt(json("v")), StandardCharsets.US_ASCII));
      assertThat(cache.containsKey("k")).isFalse();
      assertThat(cache.getIfPresent("k")).isNull();
    }
  }

  private static long failures(CacheInstrumentation stats) {
    long n = 0;
    for (DecryptionFailureReason reason : DecryptionFailureReason.values()) {
      n += stats.decryptionFailureCount(reason);
    }
    return n;
  }
}
