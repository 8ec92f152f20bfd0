package dev.cachet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.ReliabilityFigures;
import dev.cachet.testing.StderrCapture;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Nothing secret in CLI output: every command run in-process (as {@link CliTestSupport} does) against a
 * real Redis behind an ACL user's password, with an encryption key and a key-naming secret configured,
 * on success and on failure (a wrong password, a port nobody listens on, a tampered token). Neither the
 * encryption key (old or new), the naming secret, the Redis password nor a value marker appears in
 * stdout, stderr or the log, except what a command prints by design: {@code keygen} prints the key it
 * generated, {@code decrypt} the plaintext.
 */
class CliLeakIntegrationTests {

  private static final String PASSWORD = "Cli-SECRET-pw-31";
  private static final String MARKER = "VALUE-MARKER-CLI";

  private final FernetKey key = FernetKey.generate();
  private final FernetKey newKey = FernetKey.generate();
  private final String namingSecret = FernetKey.generate().revealBase64();
  private final List<String> checked = new ArrayList<>();

  private List<String> secrets() {
    return List.of(PASSWORD, MARKER, key.revealBase64(), newKey.revealBase64(), namingSecret);
  }

  /** Runs {@code args}, checks stdout (unless the command prints a secret by design) and stderr. */
  private CliTestSupport.Run run(byte[] stdin, Map<String, String> env, boolean stdoutIsSecretByDesign, String... args) {
    CliTestSupport.Run run = CliTestSupport.run(stdin, env, args);
    String what = String.join(" ", args) + " (exit " + run.exitCode() + ")";
    for (String secret : secrets()) {
      assertThat(run.stderr()).as("stderr of %s", what).doesNotContain(secret);
      if (!stdoutIsSecretByDesign) {
        assertThat(run.out()).as("stdout of %s", what).doesNotContain(secret);
      }
    }
    checked.add(what);
    return run;
  }

  private Map<String, String> env(String redisUrl) {
    Map<String, String> env = new HashMap<>();
    env.put(CachetEnvironment.REDIS_URL, redisUrl);
    env.put(CachetEnvironment.ENCRYPTION_KEY, key.revealBase64());
    env.put(CachetEnvironment.KEY_NAMING_SECRET, namingSecret);
    env.put(CachetEnvironment.REDIS_CONNECT_TIMEOUT, "3s"); // generous: a loaded machine connects slowly
    return env;
  }

  @Test
  void everyCommand_successAndFailure_printsNoKeySecretPasswordOrValue(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    redis.command("ACL", "SETUSER", "app", "on", ">" + PASSWORD, "~*", "&*", "+@all");
    String good = "redis://app:" + PASSWORD + "@127.0.0.1:" + redis.port();
    String wrongPassword = "redis://app:wrong-" + PASSWORD + "@127.0.0.1:" + redis.port();
    String closedPort = "redis://app:" + PASSWORD + "@127.0.0.1:1";
    Map<String, String> env = env(good);
    byte[] none = new byte[0];
    int failures = 0;
    try (StderrCapture log = new StderrCapture()) {
      // keygen prints the generated key by design: it is none of the configured secrets
      CliTestSupport.Run keygen = run(none, env, true, "keygen");
      assertThat(keygen.exitCode()).isZero();
      assertThat(secrets()).doesNotContain(keygen.out().trim());

      CliTestSupport.Run encrypted = run(MARKER.getBytes(StandardCharsets.UTF_8), env, false, "encrypt");
      assertThat(encrypted.exitCode()).as(encrypted.stderr()).isZero();
      // decrypt prints the plaintext by design; nothing else secret
      CliTestSupport.Run decrypted = run(encrypted.stdout(), env, true, "decrypt");
      assertThat(decrypted.out()).isEqualTo(MARKER);
      for (String secret : List.of(PASSWORD, key.revealBase64(), newKey.revealBase64(), namingSecret)) {
        assertThat(decrypted.out()).doesNotContain(secret);
      }
      byte[] tampered = encrypted.stdout().clone();
      tampered[tampered.length / 2] = (byte) (tampered[tampered.length / 2] == 'A' ? 'B' : 'A');
      assertThat(run(tampered, env, false, "decrypt").exitCode()).isNotZero();
      failures++;
      Map<String, String> otherKey = new HashMap<>(env);
      otherKey.put(CachetEnvironment.ENCRYPTION_KEY, newKey.revealBase64());
      assertThat(run(encrypted.stdout(), otherKey, false, "decrypt").exitCode()).isNotZero();
      failures++;

      CliTestSupport.Run inspect = run(none, env, false, "inspect");
      assertThat(inspect.exitCode()).as(inspect.stderr()).isZero();
      assertThat(inspect.out()).contains("hidden");
      assertThat(run(none, env(wrongPassword), false, "inspect").exitCode()).isEqualTo(1);
      assertThat(run(none, env(closedPort), false, "inspect").exitCode()).isEqualTo(1);
      failures += 2;

      // rotate entries written under the old key to the new one, and the same against a failing Redis
      try (RedisConnections c = RedisConnections.create(good);
          Cache<String, String> cache = RedisCacheBuilder.newBuilder(String.class, String.class)
              .name("orders").connections(c).keyPrefix("leak-cli").keyRing(FernetKeyRing.of(key)).build()) {
        for (int i = 0; i < 20; i++) {
          cache.put("k" + i, MARKER + i, Duration.ofMinutes(10));
        }
      }
      Map<String, String> rotating = new HashMap<>(env);
      rotating.remove(CachetEnvironment.ENCRYPTION_KEY);
      rotating.put(CachetEnvironment.ENCRYPTION_KEYS, newKey.revealBase64() + "," + key.revealBase64());
      CliTestSupport.Run rotate = run(none, rotating, false, "rotate", "--cache", "orders", "--prefix", "leak-cli");
      assertThat(rotate.exitCode()).as(rotate.stderr()).isZero();
      assertThat(rotate.out()).contains("20 rotated");
      Map<String, String> rotatingWrong = new HashMap<>(rotating);
      rotatingWrong.put(CachetEnvironment.REDIS_URL, wrongPassword);
      assertThat(run(none, rotatingWrong, false, "rotate", "--cache", "orders", "--prefix", "leak-cli").exitCode())
          .isNotZero();
      failures++;

      CliTestSupport.Run demo = run(none, env, false, "demo", "--requests", "2000", "--keys", "200",
          "--cache-size", "50", "--loader-millis", "0", "--threads", "2");
      assertThat(demo.exitCode()).as(demo.stderr()).isZero();
      assertThat(run(none, env, false, "demo", "--memory-only", "--requests", "2000", "--keys", "200",
          "--cache-size", "50", "--loader-millis", "0", "--threads", "2").exitCode()).isZero();
      assertThat(run(none, env(wrongPassword), false, "demo", "--requests", "200", "--keys", "20",
          "--loader-millis", "0", "--threads", "1").exitCode()).isNotZero();
      failures++;

      String text = log.text();
      for (String secret : secrets()) {
        assertThat(text).as("the log").doesNotContain(secret);
      }
    }
    ReliabilityFigures.record("CliLeakIntegrationTests", "commandRuns", checked.size());
    ReliabilityFigures.record("CliLeakIntegrationTests", "failingRuns", failures);
    ReliabilityFigures.record("CliLeakIntegrationTests", "secretsFound", 0);
  }
}
