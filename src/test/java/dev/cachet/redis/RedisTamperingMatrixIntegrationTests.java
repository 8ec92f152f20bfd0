package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.internal.AbstractCache;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.testing.ReliabilityFigures;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tampering matrix of the sealed format against real Redis: every character of a stored token
 * replaced, every byte of the decoded token flipped (version, timestamp, IV, ciphertext, MAC, padding
 * all lie somewhere in it), every truncation and a few extensions. No tampered entry is ever returned as
 * another value (a replacement that decodes to the same bytes, in the base64 padding bits, reads as the
 * original value: accepted by design), and every refused one is a miss counted by reason.
 */
class RedisTamperingMatrixIntegrationTests {

  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=";

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

  private final String prefix = "tm" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);

  private static long failures(CacheInstrumentation stats) {
    long n = 0;
    for (DecryptionFailureReason reason : DecryptionFailureReason.values()) {
      n += stats.decryptionFailureCount(reason);
    }
    return n;
  }

  @Test
  void everyCharacterAndByteTampered_neverAnotherValue_everyRefusalCounted() {
    try (Cache<String, String> cache =
        RedisCacheBuilder.newBuilder(String.class, String.class)
            .name("matrix")
            .connections(connections)
            .keyPrefix(prefix)
            .keyRing(RedisTestSupport.RING)
            .deleteBadEntries(false)
            .build()) {
      CacheInstrumentation stats = ((AbstractCache<?, ?>) cache).instrumentation();
      String value = "the original value";
      cache.put("k", value);
      List<String> scanKeys = r.keys(prefix + ":matrix:v*:k:k"); // KEYS, not one SCAN call: the server holds other tests' keys too
      assertThat(scanKeys).hasSize(1);
      String key = scanKeys.get(0);
      String token = r.get(key);
      long ttl = r.pttl(key);

      List<String> tampered = new ArrayList<>();
      for (int i = 0; i < token.length(); i++) { // every character replaced
        char c = token.charAt(i);
        char other = ALPHABET.charAt((ALPHABET.indexOf(c) + 1 + i % 63) % ALPHABET.length());
        tampered.add(token.substring(0, i) + other + token.substring(i + 1));
      }
      byte[] bytes = Base64.getUrlDecoder().decode(token);
      for (int i = 0; i < bytes.length; i++) { // every byte of the token flipped
        for (int bit : new int[] {0x01, 0x80}) {
          byte[] copy = bytes.clone();
          copy[i] ^= (byte) bit;
          tampered.add(Base64.getUrlEncoder().encodeToString(copy));
        }
      }
      for (int length = 0; length < token.length(); length += 3) { // truncations
        tampered.add(token.substring(0, length));
      }
      tampered.add(token + "A");
      tampered.add(token + "AAAA");
      tampered.add(token + token);
      tampered.add("garbage");

      int refused = 0;
      int sameValue = 0;
      int wrong = 0;
      for (String t : tampered) {
        r.psetex(key, Math.max(ttl, 60_000), t);
        long before = failures(stats);
        String read = cache.getIfPresent("k");
        if (read == null) {
          refused++;
          assertThat(failures(stats)).as("a refused entry is counted").isEqualTo(before + 1);
        } else if (read.equals(value)) {
          sameValue++;
        } else {
          wrong++;
        }
      }
      ReliabilityFigures.record("RedisTamperingMatrixIntegrationTests", "tamperedEntries", tampered.size());
      ReliabilityFigures.record("RedisTamperingMatrixIntegrationTests", "refused", refused);
      ReliabilityFigures.record("RedisTamperingMatrixIntegrationTests", "sameValueByDesign", sameValue);
      ReliabilityFigures.record("RedisTamperingMatrixIntegrationTests", "wrongValues", wrong);
      assertThat(wrong).as("tampered entries returned as another value").isZero();
      assertThat(sameValue).as("only base64 padding-bit variants may read back (same bytes)")
          .isLessThanOrEqualTo(4);
      assertThat(refused).isEqualTo(tampered.size() - sameValue);
    }
  }
}
