package dev.cachet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import dev.cachet.testing.redis.RedisSentinel;
import dev.cachet.testing.redis.RedisSentinelServers;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command end to end through the built {@code -cli} JAR, in its own JVM with an environment the
 * test sets: exit codes, exact bytes, unknown options, {@code --help}; {@code inspect} against
 * standalone, cluster and Sentinel; {@code demo} against a harness Redis and with no {@code
 * redis-server} on the {@code PATH} (the JAR's embedded binary).
 */
class CliJarIntegrationTests {

  private static final Path CLI_JAR =
      Path.of(System.getProperty("cachet.jar", "target/cachet-jar-missing.jar").replaceAll("\\.jar$", "-cli.jar"));

  @TempDir Path tmp;

  record Result(int code, byte[] stdout, String stderr) {
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  /** Runs the JAR with only {@code env} (plus PATH, unless given) as its environment. */
  static Result cli(byte[] stdin, Map<String, String> env, String... args) {
    assertThat(CLI_JAR).as("the -cli JAR is built before integration tests").exists();
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", CLI_JAR.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    pb.environment().putAll(env);
    try {
      Process p = pb.start();
      CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
      CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
      try (OutputStream in = p.getOutputStream()) {
        in.write(stdin);
      }
      if (!p.waitFor(3, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError("cli " + String.join(" ", args) + " did not finish");
      }
      return new Result(p.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static Result cli(Map<String, String> env, String... args) {
    return cli(new byte[0], env, args);
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      in.transferTo(bytes);
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void cryptoCommands_exactBytes_exitCodes_unknownOptions_help() {
    Result keygen = cli(Map.of(), "keygen");
    assertThat(keygen.code()).as(keygen.stderr()).isZero();
    String key = keygen.out().trim();
    assertThat(FernetKey.parse(key).revealBase64()).isEqualTo(key);
    assertThat(keygen.out()).isEqualTo(key + "\n");
    Map<String, String> env = Map.of("MY_KEY", key);

    byte[] plaintext = new byte[5_000];
    new Random(7).nextBytes(plaintext);
    plaintext[plaintext.length - 1] = '\n';
    Result encrypted = cli(plaintext, env, "encrypt", "--key-env", "MY_KEY");
    assertThat(encrypted.code()).as(encrypted.stderr()).isZero();
    assertThat(encrypted.out()).startsWith("gAAAAA").endsWith("\n");
    assertThat(FernetKeyRing.parse(key).decrypt(encrypted.out().trim())).isEqualTo(plaintext);
    Result decrypted = cli(encrypted.stdout(), env, "decrypt", "--key-env=MY_KEY", "--ttl", "600");
    assertThat(decrypted.code()).as(decrypted.stderr()).isZero();
    assertThat(decrypted.stdout()).isEqualTo(plaintext);
    assertThat(decrypted.stderr()).isEmpty();

    Result wrongKey = cli(encrypted.stdout(), Map.of("MY_KEY", FernetKey.generate().revealBase64()),
        "decrypt", "--key-env", "MY_KEY");
    assertThat(wrongKey.code()).isEqualTo(1);
    assertThat(wrongKey.stderr()).startsWith("cachet decrypt: value decryption failed");
    assertThat(wrongKey.stdout()).isEmpty();

    byte[] old = FernetKeyRing.parse(key).withClock(Clock.offset(Clock.systemUTC(), Duration.ofHours(-1)))
        .encrypt(new byte[] {1});
    Result expired = cli(old, env, "decrypt", "--key-env", "MY_KEY", "--ttl", "60");
    assertThat(expired.code()).isEqualTo(1);
    assertThat(expired.stderr()).contains("expired");
    assertThat(expired.stdout()).isEmpty();

    Result missingKey = cli(Map.of(), "encrypt");
    assertThat(missingKey.code()).isEqualTo(1);
    Result keyArgument = cli(env, "encrypt", "--key", key);
    assertThat(keyArgument.code()).isEqualTo(2);
    assertThat(keyArgument.stderr()).doesNotContain(key);

    for (String command : CliParsingTests.COMMANDS) {
      Result bogus = cli(Map.of(), command, "--bogus");
      assertThat(bogus.code()).as(command).isEqualTo(2);
      assertThat(bogus.stderr()).as(command).contains("unknown option '--bogus'");
      Result help = cli(Map.of(), command, "--help");
      assertThat(help.code()).as(command).isZero();
      assertThat(help.out()).as(command).contains("Usage: cachet " + command);
    }
    Result version = cli(Map.of(), "--version");
    assertThat(version.code()).isZero();
    assertThat(version.out()).startsWith("cachet " + System.getProperty("cachet.version", ""));
    assertThat(cli(Map.of()).code()).isEqualTo(2);
    assertThat(cli(Map.of(), "frobnicate").stderr()).contains("unknown command 'frobnicate'");
  }

  @Test
  void rotate_emptyCache_warnsAndFails_unlessAllowEmpty(@RedisStandaloneServer RedisServer redis) {
    Map<String, String> env = Map.of(
        CachetEnvironment.REDIS_URL, redis.uri(),
        CachetEnvironment.ENCRYPTION_KEYS, FernetKey.generate().revealBase64());
    String cache = "nosuchcache" + UUID.randomUUID().toString().substring(0, 8);

    Result typo = cli(env, "rotate", "--cache", cache);
    assertThat(typo.code()).as(typo.stderr()).isEqualTo(1);
    assertThat(typo.stderr()).contains("warning").contains("has no entries").contains("--allow-empty");

    Result allowed = cli(env, "rotate", "--cache", cache, "--allow-empty");
    assertThat(allowed.code()).as(allowed.stderr()).isZero();
    assertThat(allowed.stderr()).contains("has no entries");
  }

  private static void assertInspect(Result result, String mode, FernetKey key) {
    assertThat(result.code()).as(result.stderr()).isZero();
    assertThat(result.out())
        .containsPattern("redis\\s+\\d+\\.\\d+\\.\\d+, " + mode + ", at ")
        .containsPattern("round trip\\s+ok: put [\\d.]+ ms, get [\\d.]+ ms")
        .contains("key id      " + key.keyId())
        .containsPattern("stored as\\s+Fernet token")
        .doesNotContain(key.revealBase64());
  }

  @Test
  void inspect_standalone_reportsEverything_neverASecret(@RedisStandaloneServer RedisServer redis) {
    FernetKey key = FernetKey.generate();
    Map<String, String> env = new HashMap<>();
    env.put(CachetEnvironment.REDIS_URL, redis.uri());
    env.put(CachetEnvironment.ENCRYPTION_KEY, key.revealBase64());
    Result visible = cli(env, "inspect");
    assertInspect(visible, "standalone", key);
    assertThat(visible.out()).contains("key names   visible");

    String namingSecret = FernetKey.generate().revealBase64();
    env.put(CachetEnvironment.KEY_NAMING_SECRET, namingSecret);
    Result hidden = cli(env, "inspect");
    assertInspect(hidden, "standalone", key);
    assertThat(hidden.out()).contains("key names   hidden").doesNotContain(namingSecret);
    assertThat(hidden.stderr()).doesNotContain(namingSecret).doesNotContain(key.revealBase64());

    Result noRedis = cli(Map.of(CachetEnvironment.ENCRYPTION_KEY, key.revealBase64()), "inspect");
    assertThat(noRedis.code()).isEqualTo(1);
    assertThat(noRedis.stderr()).contains(CachetEnvironment.REDIS_URL);
  }

  @Test
  void inspect_cluster(@RedisClusterServers RedisCluster cluster) {
    FernetKey key = FernetKey.generate();
    Result result = cli(Map.of(
        CachetEnvironment.REDIS_CLUSTER_NODES, String.join(",", cluster.seedUris()),
        CachetEnvironment.ENCRYPTION_KEY, key.revealBase64()), "inspect");
    assertInspect(result, "cluster", key);
  }

  @Test
  void inspect_sentinel(@RedisSentinelServers RedisSentinel sentinel) {
    FernetKey key = FernetKey.generate();
    Result result = cli(Map.of(
        CachetEnvironment.REDIS_URL, sentinel.sentinelUri(),
        CachetEnvironment.ENCRYPTION_KEY, key.revealBase64()), "inspect");
    assertInspect(result, "sentinel", key);
  }

  private static void assertDemoPhases(Result demo) {
    assertThat(demo.code()).as(demo.out() + demo.stderr()).isZero();
    assertThat(demo.out())
        .containsPattern("\\.\\.\\. A: [\\d,]+/[\\d,]+ requests")
        .containsPattern("A: memory hit rate\\s+[\\d.]+ %, Redis hit rate\\s+[\\d.]+ %")
        .containsPattern("B: memory hit rate\\s+[\\d.]+ %, Redis hit rate\\s+[\\d.]+ %")
        .containsPattern("loader calls: [\\d,]+ for [\\d,]+ requests: [\\d,]+ saved")
        .containsPattern("Redis holds\\s+: gAAAAA")
        .contains("a Fernet token")
        .containsPattern("B after the write\\s+: \\{\"id\":1,\"name\":\"Product 1, renamed\"\\}")
        .containsPattern("during the outage\\s+: ([\\d,]+) of \\1 calls answered")
        .contains(", 0 errors")
        .containsPattern("circuit breaker\\s+: OPEN")
        .containsPattern("recovered\\s+: [\\d.]+ ms after Redis came back \\(breaker CLOSED, health UP\\)")
        .contains("cache.redis.operation{operation=get}")
        .contains("cache.encrypt")
        .containsPattern("cleaned up: deleted the demo's [\\d,]+ Redis keys");
  }

  @Test
  void demo_againstAHarnessRedis_allPhases_keysDeletedAfterwards(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    Result demo = cli(Map.of(CachetEnvironment.REDIS_URL, redis.uri()),
        "demo", "--requests", "4000", "--keys", "1000", "--cache-size", "100");
    assertDemoPhases(demo);
    assertThat(demo.out()).contains("your Redis").doesNotContain("stopped the demo's redis-server");
    assertThat((List<?>) redis.call("KEYS", "cachet-demo-*")).isEmpty();
    assertThat(redis.answersPing()).as("the demo never stops a server it did not start").isTrue();
  }

  @Test
  void demo_noRedisConfigured_noRedisServerOnPath_runsTheEmbeddedOne() throws IOException {
    Path emptyPath = Files.createDirectories(tmp.resolve("bin"));
    Result demo = cli(Map.of("PATH", emptyPath.toString()),
        "demo", "--requests", "4000", "--keys", "1000", "--cache-size", "100");
    assertDemoPhases(demo);
    assertThat(demo.out())
        .contains("embedded in the -cli JAR (no redis-server on the PATH)")
        .contains("stopped the demo's redis-server");
  }
}
