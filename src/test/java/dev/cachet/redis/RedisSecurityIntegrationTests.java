package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.internal.AbstractCache;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What an attacker with read or write access to Redis can and cannot do: no plaintext at rest, and
 * tampered, foreign, moved, replayed-past-expiry and garbage entries are misses counted by reason.
 */
class RedisSecurityIntegrationTests {

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

  private final String prefix =
      "sec" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);

  /** A clock tests can move. */
  static final class MutableClock extends Clock {
    final AtomicLong millis = new AtomicLong(System.currentTimeMillis());

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }
  }

  private RedisCacheBuilder<String, String> builder(String name) {
    return RedisCacheBuilder.newBuilder(String.class, String.class)
        .name(name)
        .connections(connections)
        .keyPrefix(prefix);
  }

  private Cache<String, String> cache(String name) {
    return builder(name).keyRing(RedisTestSupport.RING).build();
  }

  private static CacheInstrumentation stats(Cache<?, ?> cache) {
    return ((AbstractCache<?, ?>) cache).instrumentation();
  }

  private List<String> keys(String pattern) {
    List<String> keys = new ArrayList<>();
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = r.scan(cursor, ScanArgs.Builder.matches(pattern).limit(500));
      keys.addAll(page.getKeys());
      cursor = page;
    } while (!cursor.isFinished());
    return keys;
  }

  private String onlyKey(String pattern) {
    List<String> keys = keys(pattern);
    assertThat(keys).hasSize(1);
    return keys.get(0);
  }

  @Test
  void noPlaintextAtRest_rawScanAndGetFindNoMarkerNorHiddenKeyName() {
    KeyNameHasher hasher = KeyNameHasher.of(new byte[32]);
    try (Cache<String, String> plainNames = cache("visible");
        Cache<String, String> hidden =
            builder("hidden").keyRing(RedisTestSupport.RING).keyNameHasher(hasher).build();
        Cache<String, String> compressed =
            builder("compressed").keyRing(RedisTestSupport.RING).compressionThreshold(16).build()) {
      for (int i = 0; i < 50; i++) {
        String value = "MARKER-" + i + " secret payload ".repeat(i % 5 + 1);
        plainNames.put("user-" + i, value);
        hidden.put("secret-name-" + i, value);
        compressed.put("c-" + i, value);
      }
      assertThat(hidden.getIfPresent("secret-name-7")).startsWith("MARKER-7");
      assertThat(compressed.getIfPresent("c-9")).startsWith("MARKER-9");
      List<String> all = keys(prefix + ":*");
      assertThat(all).hasSizeGreaterThanOrEqualTo(150);
      for (String key : all) {
        assertThat(key).doesNotContain("secret-name");
        String type = r.type(key);
        if (!"string".equals(type)) {
          continue;
        }
        String stored = r.get(key);
        assertThat(stored).doesNotContain("MARKER").doesNotContain("secret payload");
      }
    }
  }

  @Test
  void tamperedToken_isAMissCountedAsAuthentication_andDeleted() {
    try (Cache<String, String> cache = cache("tamper")) {
      cache.put("k", "value");
      String key = onlyKey(prefix + ":tamper:v*");
      byte[] token = Base64.getUrlDecoder().decode(r.get(key));
      token[40] ^= 0x01; // inside the ciphertext
      r.set(key, Base64.getUrlEncoder().encodeToString(token));
      assertThat(cache.getIfPresent("k")).isNull();
      assertThat(stats(cache).decryptionFailureCount(DecryptionFailureReason.AUTHENTICATION)).isEqualTo(1);
      awaitGone(key);
    }
  }

  @Test
  void foreignKey_isAMissCountedAsAuthentication() {
    FernetKeyRing foreign = FernetKeyRing.of(FernetKey.generate());
    try (Cache<String, String> writer = builder("foreign").keyRing(foreign).build();
        Cache<String, String> reader = builder("foreign").keyRing(RedisTestSupport.RING).deleteBadEntries(false).build()) {
      writer.put("k", "value");
      assertThat(reader.getIfPresent("k")).isNull();
      assertThat(stats(reader).decryptionFailureCount(DecryptionFailureReason.AUTHENTICATION)).isEqualTo(1);
      assertThat(writer.getIfPresent("k")).isEqualTo("value"); // not deleted: switched off
    }
  }

  @Test
  void movedCiphertext_toOtherKeyCacheOrTenant_isAMissCountedAsKeyBinding() {
    try (Cache<String, String> a = cache("moved-a");
        Cache<String, String> b = cache("moved-b");
        Cache<String, String> t1 = builder("moved-t").keyRing(RedisTestSupport.RING).tenant("t1").build();
        Cache<String, String> t2 = builder("moved-t").keyRing(RedisTestSupport.RING).tenant("t2").build()) {
      a.put("k1", "one");
      a.put("k2", "two");
      b.put("k1", "other");
      t1.put("k", "tenant-one");
      t2.put("k", "tenant-two");
      String k1 = onlyKey(prefix + ":moved-a:v*:k:k1");
      String k2 = onlyKey(prefix + ":moved-a:v*:k:k2");
      String bk1 = onlyKey(prefix + ":moved-b:v*:k:k1");
      String tk1 = onlyKey(prefix + ":moved-t:v*:t.t1:k:k");
      String tk2 = onlyKey(prefix + ":moved-t:v*:t.t2:k:k");
      r.set(k2, r.get(k1)); // other key
      r.set(bk1, r.get(k1)); // other cache
      r.set(tk2, r.get(tk1)); // other tenant
      assertThat(a.getIfPresent("k2")).isNull();
      assertThat(b.getIfPresent("k1")).isNull();
      assertThat(t2.getIfPresent("k")).isNull();
      assertThat(a.getIfPresent("k1")).isEqualTo("one");
      assertThat(stats(a).decryptionFailureCount(DecryptionFailureReason.KEY_BINDING)).isEqualTo(1);
      assertThat(stats(b).decryptionFailureCount(DecryptionFailureReason.KEY_BINDING)).isEqualTo(1);
      assertThat(stats(t2).decryptionFailureCount(DecryptionFailureReason.KEY_BINDING)).isEqualTo(1);
    }
  }

  @Test
  void persistedEntry_pastItsEnvelopeExpiry_isAMissCountedAsExpired() {
    MutableClock clock = new MutableClock();
    // expiry is checked in server time (clock + offset learned with the generation refresh): no refresh
    // during the test, or it would re-learn the offset and undo the clock's jump
    try (Cache<String, String> cache =
        builder("expiry").keyRing(RedisTestSupport.RING).clock(clock)
            .generationRefreshInterval(Duration.ofHours(1)).build()) {
      cache.put("k", "value", Duration.ofSeconds(30));
      String key = onlyKey(prefix + ":expiry:v*");
      assertThat(r.persist(key)).isTrue();
      assertThat(cache.getIfPresent("k")).isEqualTo("value");
      clock.millis.addAndGet(31_000);
      assertThat(cache.getIfPresent("k")).isNull();
      assertThat(stats(cache).decryptionFailureCount(DecryptionFailureReason.EXPIRED)).isEqualTo(1);
    }
  }

  @Test
  void garbage_isAMissCountedAsFormat_andCompareAndDeleteSparesARewrittenValue() throws Exception {
    try (Cache<String, String> cache = cache("garbage")) {
      cache.put("k", "value");
      String key = onlyKey(prefix + ":garbage:v*");
      r.set(key, "not a fernet token");
      assertThat(cache.getIfPresent("k")).isNull();
      assertThat(stats(cache).decryptionFailureCount(DecryptionFailureReason.FORMAT)).isEqualTo(1);
      awaitGone(key);

      LettuceRedisTier<String> tier = ((LettuceRedisCache<String, String>) cache).tier();
      r.set(key, "bad-1");
      r.set(key, "rewritten");
      boolean deleted =
          tier.compareAndDelete(key.getBytes(StandardCharsets.UTF_8), "bad-1".getBytes(StandardCharsets.UTF_8)).get();
      assertThat(deleted).isFalse();
      assertThat(r.get(key)).isEqualTo("rewritten");
    }
  }

  @Test
  void undeserializableValue_isAMissCountedAsDeserialize_andNotDeleted() {
    try (Cache<String, String> writer = cache("deser");
        Cache<String, Integer> reader =
            RedisCacheBuilder.newBuilder(String.class, Integer.class)
                .name("deser").connections(connections).keyPrefix(prefix).keyRing(RedisTestSupport.RING).build()) {
      writer.put("k", "not a number");
      assertThat(reader.getIfPresent("k")).isNull();
      assertThat(stats(reader).decryptionFailureCount(DecryptionFailureReason.DESERIALIZE)).isEqualTo(1);
      assertThat(writer.getIfPresent("k")).isEqualTo("not a number");
    }
  }

  @Test
  void rollingRotation_ringsAbAndBa_shareACacheWithoutFailuresOrDeletions() {
    FernetKey a = FernetKey.generate();
    FernetKey b = FernetKey.generate();
    try (Cache<String, String> old = builder("rolling").keyRing(FernetKeyRing.of(a, b)).build();
        Cache<String, String> fresh = builder("rolling").keyRing(FernetKeyRing.of(b, a)).build()) {
      for (int i = 0; i < 20; i++) {
        old.put("old-" + i, "o" + i);
        fresh.put("new-" + i, "n" + i);
      }
      for (int i = 0; i < 20; i++) {
        assertThat(fresh.getIfPresent("old-" + i)).isEqualTo("o" + i);
        assertThat(old.getIfPresent("new-" + i)).isEqualTo("n" + i);
      }
      assertThat(stats(old).decryptionFailures()).isEmpty();
      assertThat(stats(fresh).decryptionFailures()).isEmpty();
      assertThat(keys(prefix + ":rolling:v*")).hasSize(40);
    }
  }

  @Test
  void keyMapping_tenantSegmentsCannotCollide_andGlobCharactersDoNotWidenInvalidation() {
    assertThatThrownBy(() -> builder("map").tenant("a:b")).isInstanceOf(IllegalArgumentException.class);
    try (Cache<String, String> ta = builder("map").keyRing(RedisTestSupport.RING).tenant("a").build();
        Cache<String, String> cache = cache("glob")) {
      ta.put("b:c", "tenant a, key b:c");
      assertThat(ta.getIfPresent("b:c")).isEqualTo("tenant a, key b:c");
      for (String k : List.of("x1", "x[1]", "x*", "x?", "xy", "x\\1")) {
        cache.put(k, k);
      }
      cache.invalidate("x*");
      assertThat(cache.getIfPresent("x1")).isEqualTo("x1");
      long removed = cache.policy().patternInvalidation().orElseThrow().invalidateMatching("x[1]");
      assertThat(removed).isEqualTo(1);
      assertThat(cache.getIfPresent("x1")).isEqualTo("x1");
      assertThat(cache.getIfPresent("x[1]")).isNull();
      assertThat(cache.policy().patternInvalidation().orElseThrow().invalidateMatching("x\\1")).isEqualTo(1);
      assertThat(cache.getIfPresent("x1")).isEqualTo("x1");
      assertThat(cache.getAll(List.of("x1", "x?", "xy"))).containsOnlyKeys("x1", "x?", "xy");
    }
  }

  @Test
  void invalidateAll_makesOlderEntriesUnreadable_evenAfterTheGenerationKeyIsLost() throws Exception {
    try (Cache<String, String> cache = cache("gen")) {
      cache.put("k", "before");
      cache.invalidateAll();
      assertThat(cache.getIfPresent("k")).isNull();
      cache.put("k", "after");
      r.del(prefix + ":gen:gen");
      try (Cache<String, String> other = cache("gen")) {
        assertThat(other.getIfPresent("k")).isNull(); // a recreated generation is above every older one
      }
    }
  }

  @Test
  void build_withoutKeyRing_failsWithMissingEncryptionKey() {
    assertThatThrownBy(() -> builder("nokey").build())
        .isInstanceOf(dev.cachet.CacheConfigurationException.class)
        .satisfies(e -> assertThat(((dev.cachet.CacheConfigurationException) e).reason())
            .isEqualTo(dev.cachet.CacheConfigurationException.Reason.MISSING_ENCRYPTION_KEY));
  }

  @Test
  void connections_neverShowCredentials() {
    try (RedisConnections c =
        RedisConnections.newBuilder().uri("redis://user:s3cr3t-pw@127.0.0.1:1").connectTimeout(Duration.ofMillis(200)).build()) {
      assertThat(c.toString()).doesNotContain("s3cr3t").doesNotContain("user");
      assertThat(c.isConnected()).isFalse();
      try (Cache<String, String> cache =
          RedisCacheBuilder.newBuilder(String.class, String.class).name("down").connections(c)
              .keyRing(RedisTestSupport.RING).build()) {
        assertThat(cache.health().status()).isEqualTo(dev.cachet.CacheHealth.Status.DOWN);
        assertThatThrownBy(() -> cache.getIfPresent("k"))
            .isInstanceOf(dev.cachet.spi.RemoteTierException.class)
            .hasMessageNotContaining("s3cr3t");
      }
    }
    assertThatThrownBy(() -> RedisConnections.create("http://user:s3cr3t@host"))
        .hasMessageNotContaining("s3cr3t");
  }

  private void awaitGone(String key) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (r.exists(key) > 0) {
      assertThat(System.nanoTime()).as("bad entry deleted within 5 s").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }
}
