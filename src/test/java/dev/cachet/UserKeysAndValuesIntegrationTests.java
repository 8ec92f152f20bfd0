package dev.cachet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.memory.MemoryCacheBuilder;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.redis.RedisValueFormat;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import dev.cachet.tiered.TieredCacheBuilder;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * What applications put in a cache, through every cache kind over real Redis and through the public
 * API only: records with {@code java.time} fields (the default JSON mapper), {@code byte[]} values
 * (stored as they are), and 10,000-character keys such as LLM prompts ({@link KeyCodec#sha256()}, or
 * key-name hiding). Values written by one instance are read by another, so they really went through
 * Redis.
 */
class UserKeysAndValuesIntegrationTests {

  private static final FernetKeyRing RING = FernetKeyRing.of(FernetKey.generate());
  private static final KeyNameHasher HIDING = KeyNameHasher.of(new byte[KeyNameHasher.MIN_SECRET_BYTES]);
  private static final String PROMPT =
      "You are a helpful assistant. Summarize the following text: " + "lorem ipsum ".repeat(900);

  record Session(
      String userId, Instant createdAt, LocalDate since, Duration idle, OffsetDateTime at, ZonedDateTime zoned) {}

  private static final Session SESSION =
      new Session(
          "u-42",
          Instant.parse("2026-12-03T07:15:30.123456789Z"),
          LocalDate.of(2020, 2, 29),
          Duration.ofMinutes(15),
          OffsetDateTime.of(2026, 12, 3, 8, 15, 30, 0, ZoneOffset.ofHours(1)),
          ZonedDateTime.of(2026, 12, 3, 8, 15, 30, 0, ZoneId.of("Europe/Paris")));

  private static String uniqueName(String base) {
    return base + "-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
  }

  private static String prefix(RedisServer redis) {
    String p = redis.keyPrefix().replace(':', '.').replaceAll("[^A-Za-z0-9_.-]", "_");
    while (p.endsWith(".")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.isEmpty() ? "cachet" : (p.length() > 64 ? p.substring(p.length() - 64) : p);
  }

  private static List<String> redisKeys(RedisServer redis, String prefix, String name) {
    List<String> keys = new ArrayList<>();
    for (Object key : (List<?>) redis.call("KEYS", prefix + ":" + name + ":v*")) {
      keys.add(String.valueOf(key));
    }
    return keys;
  }

  // ------------------------------------------------------------------ java.time values

  @Test
  void javaTimeRecord_memoryCache_roundTrips() {
    try (Cache<String, Session> cache =
        MemoryCacheBuilder.<String, Session>newBuilder().name("sessions").maximumSize(10).build()) {
      cache.put("s", SESSION);
      assertThat(cache.getIfPresent("s")).isEqualTo(SESSION);
    }
  }

  @Test
  void javaTimeRecord_redisOnlyCache_roundTripsThroughRedis(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName("sessions");
    String prefix = prefix(redis);
    try (RedisConnections connections = RedisConnections.create(redis.uri());
        Cache<String, Session> writer = redisOnly(connections, name, prefix, Session.class, b -> {});
        Cache<String, Session> reader = redisOnly(connections, name, prefix, Session.class, b -> {})) {
      writer.put("s", SESSION);
      assertThat(reader.getIfPresent("s")).isEqualTo(SESSION);
      assertThat(reader.get("s", k -> null)).isEqualTo(SESSION);
    }
  }

  @Test
  void javaTimeRecord_tieredCache_roundTripsThroughRedisToAnotherInstance(
      @RedisStandaloneServer RedisServer redis) {
    String name = uniqueName("sessions");
    String prefix = prefix(redis);
    try (RedisConnections ca = RedisConnections.create(redis.uri());
        RedisConnections cb = RedisConnections.create(redis.uri());
        Cache<String, Session> a = tiered(ca, name, prefix, KeyCodec.strings(), Session.class, b -> {});
        Cache<String, Session> b = tiered(cb, name, prefix, KeyCodec.strings(), Session.class, x -> {})) {
      a.put("s", SESSION);
      assertThat(b.getIfPresent("s")).isEqualTo(SESSION); // b's memory is empty: this came from Redis
      assertThat(a.getIfPresent("s")).isEqualTo(SESSION);
    }
  }

  // ------------------------------------------------------------------ byte[] values

  @Test
  void byteArrayValues_newBuilderByTypes_storeTheRawBytesNotBase64Json(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName("blobs");
    String prefix = prefix(redis);
    byte[] blob = {0, 1, 2, (byte) 0xfe, (byte) 0xff, '"', '\n'};
    try (RedisConnections connections = RedisConnections.create(redis.uri());
        Cache<String, byte[]> cache =
            redisOnly(connections, name, prefix, byte[].class, b -> b.format(RedisValueFormat.PLAIN_JSON))) {
      cache.put("b", blob);
      assertThat(cache.getIfPresent("b")).isEqualTo(blob);
      List<String> keys = redisKeys(redis, prefix, name);
      assertThat(keys).hasSize(1);
      // PLAIN_JSON seals exactly the serializer's bytes: they are the array itself
      byte[] plaintext = RING.decrypt((String) redis.call("GET", keys.get(0)));
      assertThat(plaintext).isEqualTo(blob);
    }
  }

  // ------------------------------------------------------------------ long keys

  @Test
  void tenThousandCharacterKey_sha256Codec_tieredWithoutHiding_isStoredUnderA43CharacterDigest(
      @RedisStandaloneServer RedisServer redis) {
    assertThat(PROMPT.length()).isGreaterThanOrEqualTo(10_000);
    String name = uniqueName("prompts");
    String prefix = prefix(redis);
    try (RedisConnections ca = RedisConnections.create(redis.uri());
        RedisConnections cb = RedisConnections.create(redis.uri());
        Cache<String, String> a = tiered(ca, name, prefix, KeyCodec.sha256(), String.class, b -> {});
        Cache<String, String> b = tiered(cb, name, prefix, KeyCodec.sha256(), String.class, x -> {})) {
      assertThat(a.get(PROMPT, p -> "the answer")).isEqualTo("the answer");
      assertThat(b.getIfPresent(PROMPT)).isEqualTo("the answer");
      assertThat(b.getIfPresent(PROMPT + "?")).isNull();
      List<String> keys = redisKeys(redis, prefix, name);
      assertThat(keys).hasSize(1);
      assertThat(keys.get(0)).endsWith(":k:" + KeyCodec.sha256().encode(PROMPT)).doesNotContain("lorem");
      b.invalidate(PROMPT);
      assertThat(redisKeys(redis, prefix, name)).isEmpty();
    }
  }

  @Test
  void tenThousandCharacterKey_sha256Codec_tieredWithHiding_isStoredUnderAnHmac(
      @RedisStandaloneServer RedisServer redis) {
    String name = uniqueName("prompts");
    String prefix = prefix(redis);
    Consumer<RedisCacheBuilder<String, String>> hiding = r -> r.keyNameHasher(HIDING);
    try (RedisConnections ca = RedisConnections.create(redis.uri());
        RedisConnections cb = RedisConnections.create(redis.uri());
        Cache<String, String> a = tiered(ca, name, prefix, KeyCodec.sha256(), String.class, hiding);
        Cache<String, String> b = tiered(cb, name, prefix, KeyCodec.sha256(), String.class, hiding)) {
      a.put(PROMPT, "the answer");
      assertThat(b.getIfPresent(PROMPT)).isEqualTo("the answer");
      List<String> keys = redisKeys(redis, prefix, name);
      assertThat(keys).hasSize(1);
      assertThat(keys.get(0))
          .contains(":h:" + HIDING.hash(KeyCodec.sha256().encode(PROMPT)))
          .doesNotContain(KeyCodec.sha256().encode(PROMPT))
          .hasSizeLessThan(200);
    }
  }

  @Test
  void tenThousandCharacterKey_rawWithHiding_isAccepted_tieredAndRedisOnly(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName("prompts");
    String prefix = prefix(redis);
    Consumer<RedisCacheBuilder<String, String>> hiding = r -> r.keyNameHasher(HIDING);
    try (RedisConnections ca = RedisConnections.create(redis.uri());
        RedisConnections cb = RedisConnections.create(redis.uri());
        Cache<String, String> a = tiered(ca, name, prefix, KeyCodec.strings(), String.class, hiding);
        Cache<String, String> b = tiered(cb, name, prefix, KeyCodec.strings(), String.class, hiding);
        Cache<String, String> redisOnly = redisOnly(cb, name, prefix, String.class, hiding)) {
      a.put(PROMPT, "the answer");
      assertThat(b.getIfPresent(PROMPT)).isEqualTo("the answer");
      assertThat(redisOnly.getIfPresent(PROMPT)).isEqualTo("the answer");
      redisOnly.put(PROMPT + "!", "another");
      assertThat(a.getIfPresent(PROMPT + "!")).isEqualTo("another");
      assertThat(redisKeys(redis, prefix, name)).hasSize(2).allSatisfy(k -> assertThat(k).hasSizeLessThan(200));
    }
  }

  @Test
  void tenThousandCharacterKey_rawWithoutHiding_isRefusedNamingTheWayOut(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName("prompts");
    String prefix = prefix(redis);
    try (RedisConnections connections = RedisConnections.create(redis.uri());
        Cache<String, String> tiered = tiered(connections, name, prefix, KeyCodec.strings(), String.class, b -> {});
        Cache<String, String> redisOnly = redisOnly(connections, name, prefix, String.class, b -> {})) {
      for (Cache<String, String> cache : List.of(tiered, redisOnly)) {
        assertThatThrownBy(() -> cache.put(PROMPT, "v"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("KeyCodec.sha256")
            .hasMessageNotContaining("lorem");
        assertThat(cache.getIfPresent(PROMPT)).isNull();
      }
      assertThat(redisKeys(redis, prefix, name)).isEmpty();
    }
  }

  @Test
  void explicitMaxKeyLength_stillAppliesWithHiding(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName("prompts");
    String prefix = prefix(redis);
    try (RedisConnections connections = RedisConnections.create(redis.uri());
        Cache<String, String> cache =
            TieredCacheBuilder.<String, String>newBuilder()
                .name(name)
                .keyCodec(KeyCodec.strings())
                .maxKeyLength(100)
                .remote(redisBuilder(connections, prefix, String.class).keyNameHasher(HIDING))
                .build()) {
      assertThatThrownBy(() -> cache.put("x".repeat(101), "v")).isInstanceOf(IllegalArgumentException.class);
      cache.put("x".repeat(100), "v");
      assertThat(cache.getIfPresent("x".repeat(100))).isEqualTo("v");
    }
  }

  @Test
  void sha256Codec_repeatedOnTheRedisBuilder_isTheSameSetting(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName("prompts");
    String prefix = prefix(redis);
    try (RedisConnections connections = RedisConnections.create(redis.uri());
        Cache<String, String> cache =
            TieredCacheBuilder.<String, String>newBuilder()
                .name(name)
                .keyCodec(KeyCodec.sha256())
                .remote(redisBuilder(connections, prefix, String.class).keyCodec(KeyCodec.sha256()))
                .build()) {
      cache.put(PROMPT, "v");
      assertThat(cache.getIfPresent(PROMPT)).isEqualTo("v");
    }
    try (RedisConnections connections = RedisConnections.create(redis.uri())) {
      TieredCacheBuilder<String, String> mismatched =
          TieredCacheBuilder.<String, String>newBuilder()
              .name(name)
              .keyCodec(KeyCodec.sha256())
              .remote(redisBuilder(connections, prefix, String.class).keyCodec(KeyCodec.strings()));
      assertThatThrownBy(mismatched::build)
          .isInstanceOf(CacheConfigurationException.class)
          .hasMessageContaining("keyCodec");
    }
  }

  // ------------------------------------------------------------------ builders

  private static <V> RedisCacheBuilder<String, V> redisBuilder(
      RedisConnections connections, String prefix, Class<V> valueType) {
    return RedisCacheBuilder.newBuilder(String.class, valueType)
        .connections(connections)
        .keyRing(RING)
        .keyPrefix(prefix);
  }

  private static <V> Cache<String, V> redisOnly(
      RedisConnections connections, String name, String prefix, Class<V> valueType,
      Consumer<RedisCacheBuilder<String, V>> customizer) {
    RedisCacheBuilder<String, V> b = redisBuilder(connections, prefix, valueType).name(name);
    customizer.accept(b);
    return b.build();
  }

  private static <V> Cache<String, V> tiered(
      RedisConnections connections, String name, String prefix, KeyCodec<String> codec, Class<V> valueType,
      Consumer<RedisCacheBuilder<String, V>> customizer) {
    RedisCacheBuilder<String, V> remote = redisBuilder(connections, prefix, valueType);
    customizer.accept(remote);
    return TieredCacheBuilder.<String, V>newBuilder()
        .name(name)
        .keyCodec(codec)
        .remote(remote)
        .heartbeatInterval(Duration.ofMillis(200))
        .build();
  }
}
