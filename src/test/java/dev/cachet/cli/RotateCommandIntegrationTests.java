package dev.cachet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rotate} end to end: entries written under ring [A], rotated with ring [B, A], are then all
 * readable by ring [B] alone, none remains under A, and every entry keeps its remaining expiry.
 */
class RotateCommandIntegrationTests {

  private static final int ENTRIES = 1_200;

  private static Cache<String, String> cache(RedisConnections c, String prefix, FernetKeyRing ring) {
    return RedisCacheBuilder.newBuilder(String.class, String.class)
        .name("orders")
        .connections(c)
        .keyPrefix(prefix)
        .keyRing(ring)
        .deleteBadEntries(false)
        .build();
  }

  private static Map<String, Long> pttls(RedisServer redis, String prefix) {
    Map<String, Long> pttls = new HashMap<>();
    for (Object key : (List<?>) redis.call("KEYS", prefix + ":orders:v*")) {
      pttls.put((String) key, (Long) redis.call("PTTL", (String) key));
    }
    return pttls;
  }

  @Test
  void rotate_ringBA_thenRingBAloneReadsEverything_expiriesKept(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    FernetKey a = FernetKey.generate();
    FernetKey b = FernetKey.generate();
    String prefix = "rot-cli";
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> old = cache(c, prefix, FernetKeyRing.of(a))) {
      for (int i = 0; i < ENTRIES; i++) {
        // Expiries spread from 10 to about 30 minutes, so a reset TTL would show.
        old.put("k" + i, "value-" + i, Duration.ofMinutes(10).plusSeconds(i));
      }
      Map<String, Long> before = pttls(redis, prefix);
      assertThat(before).hasSize(ENTRIES);
      long started = System.currentTimeMillis();

      Map<String, String> env = new HashMap<>();
      env.put(CachetEnvironment.REDIS_URL, redis.uri());
      env.put(CachetEnvironment.ENCRYPTION_KEYS, b.revealBase64() + "," + a.revealBase64());
      CliTestSupport.Run run =
          CliTestSupport.run(new byte[0], env, "rotate", "--cache", "orders", "--prefix", prefix,
              "--batch", "200");
      long elapsed = System.currentTimeMillis() - started;

      assertThat(run.exitCode()).as(run.stderr()).isZero();
      assertThat(run.out())
          .contains("1,200/1,200 entries (100.0%)")
          .contains("entries/s")
          .contains("1,200 rotated")
          .doesNotContain(a.revealBase64())
          .doesNotContain(b.revealBase64());

      Map<String, Long> after = pttls(redis, prefix);
      assertThat(after.keySet()).isEqualTo(before.keySet());
      after.forEach(
          (key, ttl) -> {
            long was = before.get(key);
            assertThat(ttl).as("PTTL of %s", key).isPositive().isLessThanOrEqualTo(was);
            assertThat(was - ttl).as("PTTL lost by %s", key).isLessThanOrEqualTo(elapsed + 2_000);
          });
      FernetKeyRing onlyA = FernetKeyRing.of(a);
      for (String key : after.keySet()) {
        byte[] token = ((String) redis.call("GET", key)).getBytes(StandardCharsets.US_ASCII);
        assertThat(decrypts(onlyA, token)).as("%s still under A", key).isFalse();
      }
      try (Cache<String, String> next = cache(c, prefix, FernetKeyRing.of(b))) {
        for (int i = 0; i < ENTRIES; i++) {
          assertThat(next.getIfPresent("k" + i)).isEqualTo("value-" + i);
        }
      }

      // A second run finds everything current and changes nothing.
      CliTestSupport.Run again =
          CliTestSupport.run(new byte[0], env, "rotate", "--cache", "orders", "--prefix", prefix);
      assertThat(again.exitCode()).as(again.stderr()).isZero();
      assertThat(again.out()).contains("0 rotated").contains("1,200 already under the primary key");
    }
  }

  @Test
  void rotate_keyFile_andEntriesUnderAnUnknownKey_exitOne(
      @RedisStandaloneServer(owned = true) RedisServer redis, @TempDir Path dir) throws Exception {
    FernetKey a = FernetKey.generate();
    FernetKey b = FernetKey.generate();
    String prefix = "rot-cli-file";
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> old = cache(c, prefix, FernetKeyRing.of(a))) {
      for (int i = 0; i < 20; i++) {
        old.put("k" + i, "v" + i);
      }
      Path file = dir.resolve("ring.txt");
      Files.writeString(file, "# new primary first\n" + b.revealBase64() + "\n");
      CliTestSupport.Run run =
          CliTestSupport.run(new byte[0], Map.of(CachetEnvironment.REDIS_URL, redis.uri()),
              "rotate", "--cache", "orders", "--prefix", prefix, "--key-file", file.toString());
      assertThat(run.exitCode()).isEqualTo(1);
      assertThat(run.out()).contains("20 under no key of the ring");
      assertThat(run.stderr()).contains("20 entries are under no key of this ring");
    }
  }

  private static boolean decrypts(FernetKeyRing ring, byte[] token) {
    try {
      ring.decrypt(token);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
