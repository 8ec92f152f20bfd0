package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.KeyCodec;
import dev.cachet.UpdateContentionException;
import dev.cachet.internal.AbstractCache;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.metrics.TieredCacheMetrics;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.PayloadFormat;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A mixed fleet during the binary format's roll-out, on real Redis: a phase-1 instance (this release,
 * writing JSON) and a CBOR writer (this release with {@code payloadFormat(CBOR)}), two tiered instances
 * of one cache on their own connections, read each other's entries through every read path; an entry in
 * a payload format neither knows (id 2, as a later release might write) is a miss on both, counted, and
 * still in Redis, byte for byte, afterwards.
 */
class PayloadFormatMixedFleetIntegrationTests {

  record Profile(String id, String name, int visits, List<String> tags) {}

  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @RedisStandaloneServer static RedisServer redis;

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
    resources.clear();
  }

  private Cache<String, Profile> instance(String name, String prefix, PayloadFormat write) {
    RedisConnections connections = RedisConnections.create(redis.uri());
    resources.add(connections);
    RedisCacheBuilder<String, Profile> remote =
        RedisCacheBuilder.newBuilder(String.class, Profile.class)
            .connections(connections)
            .keyRing(TieredTestSupport.RING)
            .keyPrefix(prefix);
    if (write != null) {
      remote.payloadFormat(write);
    }
    Cache<String, Profile> cache =
        TieredCacheBuilder.<String, Profile>newBuilder()
            .name(name)
            .keyCodec(KeyCodec.strings())
            .remote(remote)
            .heartbeatInterval(Duration.ofMillis(200))
            .build();
    resources.add(cache);
    return cache;
  }

  private String entryKey(String prefix, String name, String key) {
    @SuppressWarnings("unchecked")
    List<Object> keys = (List<Object>) redis.call("KEYS", prefix + ":" + name + ":v1:*:k:" + key);
    assertThat(keys).as("the entry of %s", key).hasSize(1);
    return String.valueOf(keys.get(0));
  }

  private String token(String entryKey) {
    return (String) redis.call("GET", entryKey);
  }

  /** The envelope's flags byte of the token at {@code entryKey}. */
  private int flags(String entryKey) {
    return TieredTestSupport.RING.decrypt(token(entryKey).getBytes(StandardCharsets.US_ASCII))[1] & 0xff;
  }

  private static long unsupported(Cache<?, ?> cache) {
    return ((AbstractCache<?, ?>) cache)
        .instrumentation()
        .decryptionFailureCount(DecryptionFailureReason.UNSUPPORTED_FORMAT);
  }

  private static Profile profile(String id) {
    return new Profile(id, "Ada Lovelace", 42, List.of("admin", "ünïcødé"));
  }

  @Test
  void phase1ReaderAndCborWriter_readEachOthersEntries_unknownFormatIsAMissOnBoth_andStaysInRedis()
      throws Exception {
    String prefix = TieredTestSupport.prefixFrom(redis.keyPrefix());
    String name = "fleet";
    Cache<String, Profile> phase1 = instance(name, prefix, null); // default: writes JSON
    Cache<String, Profile> cbor = instance(name, prefix, PayloadFormat.CBOR);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TieredCacheMetrics.monitor(registry, phase1);

    // each writes; the other reads it from Redis (its memory never held the key)
    phase1.put("j", profile("j"));
    cbor.put("c", profile("c"));
    assertThat(flags(entryKey(prefix, name, "j")) & 0b110).as("JSON entry: format id 0").isEqualTo(0);
    assertThat(flags(entryKey(prefix, name, "c")) & 0b110).as("CBOR entry: format id 1").isEqualTo(0b010);
    Eventually.await(DEADLINE, "each reads the other's entry", () ->
        profile("c").equals(phase1.getIfPresent("c")) && profile("j").equals(cbor.getIfPresent("j")));
    assertThat(phase1.containsKey("c")).isTrue();
    assertThat(cbor.containsKey("j")).isTrue();

    // the batch path (MGET) and the async path, from Redis again: new keys, never in either memory
    phase1.put("j2", profile("j2"));
    cbor.put("c2", profile("c2"));
    assertThat(phase1.getAllPresent(List.of("c2", "j2"))).containsEntry("c2", profile("c2"));
    assertThat(cbor.getAllPresent(List.of("j2", "c2"))).containsEntry("j2", profile("j2"));
    phase1.put("j3", profile("j3"));
    cbor.put("c3", profile("c3"));
    assertThat(phase1.async().getIfPresent("c3").get(10, TimeUnit.SECONDS)).isEqualTo(profile("c3"));
    assertThat(cbor.async().getIfPresent("j3").get(10, TimeUnit.SECONDS)).isEqualTo(profile("j3"));

    // a conditional update by one instance of the other's entry compares the exact stored bytes and
    // writes its own format
    assertThat(phase1.compute("c", (k, v) -> new Profile(v.id(), v.name(), v.visits() + 1, v.tags())).visits())
        .isEqualTo(43);
    assertThat(flags(entryKey(prefix, name, "c")) & 0b110).isEqualTo(0);
    Eventually.await(DEADLINE, "the CBOR writer reads the JSON update",
        () -> cbor.getIfPresent("c") != null && cbor.getIfPresent("c").visits() == 43);

    // an entry in payload format id 2 (unassigned here, as a later release might write it), written by
    // a Redis-only cache (no memory tier, no message) and then given the unknown id
    RedisConnections third = RedisConnections.create(redis.uri());
    resources.add(third);
    try (Cache<String, Profile> writer = RedisCacheBuilder.newBuilder(String.class, Profile.class)
        .name(name).connections(third).keyRing(TieredTestSupport.RING).keyPrefix(prefix).build()) {
      writer.put("u", profile("u"));
    }
    String uKey = entryKey(prefix, name, "u");
    byte[] plaintext = TieredTestSupport.RING.decrypt(token(uKey).getBytes(StandardCharsets.US_ASCII));
    plaintext[1] = 0b100;
    String unknown = new String(TieredTestSupport.RING.encrypt(plaintext), StandardCharsets.US_ASCII);
    redis.call("SET", uKey, unknown, "PX", "600000");
    for (Cache<String, Profile> c : List.of(phase1, cbor)) {
      long before = unsupported(c);
      assertThat(c.getIfPresent("u")).isNull();
      assertThat(c.containsKey("u")).isFalse();
      assertThat(c.getAllPresent(List.of("u", "j"))).doesNotContainKey("u").containsKey("j");
      assertThat(c.async().getIfPresent("u").get(10, TimeUnit.SECONDS)).isNull();
      // a loader's value is returned but never overwrites the entry (SET NX), nor is it kept in memory
      assertThat(c.get("u", k -> profile("loaded"))).isEqualTo(profile("loaded"));
      assertThat(c.getIfPresent("u")).isNull();
      // a conditional write never overwrites an entry it cannot read: nothing is applied
      assertThatThrownBy(() -> c.putIfAbsent("u", profile("other"))).isInstanceOf(UpdateContentionException.class);
      assertThat(unsupported(c)).as("counted as unsupported_format").isGreaterThan(before);
    }
    // two writers that each cannot read the other's entries would delete them: nobody deleted this one
    assertThat(token(uKey)).as("the unknown-format entry is untouched").isEqualTo(unknown);
    assertThat(Long.parseLong(redis.command("PTTL", uKey))).isPositive();
    assertThat(((AbstractCache<?, ?>) phase1).instrumentation().decryptionFailures())
        .as("no other failure").containsOnlyKeys(DecryptionFailureReason.UNSUPPORTED_FORMAT);
    assertThat(Map.of("phase1", unsupported(phase1), "cbor", unsupported(cbor))).allSatisfy((k, v) ->
        assertThat(v).as(k).isPositive());
    assertThat(registry.get("cache.decryption.failures").tag("reason", "unsupported_format").functionCounter()
            .count())
        .as("the meter").isEqualTo(unsupported(phase1));
  }
}
