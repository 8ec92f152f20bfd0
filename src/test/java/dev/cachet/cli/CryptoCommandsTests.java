package dev.cachet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CryptoCommandsTests {
  private final FernetKey key = FernetKey.generate();
  private final FernetKey oldKey = FernetKey.generate();

  @TempDir Path dir;

  /** Exit code, stdout bytes and stderr text of one run. */
  record Result(int code, byte[] out, String err) {
    String outText() {
      return new String(out, StandardCharsets.US_ASCII);
    }
  }

  static Result run(byte[] stdin, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CliCommand.Io io =
        new CliCommand.Io(
            new ByteArrayInputStream(stdin),
            new PrintStream(out, true),
            new PrintStream(err, true),
            CachetEnvironment.of(env));
    int code = CachetCli.run(args, io);
    return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void keygen_printsParsableKey() {
    Result result = run(new byte[0], Map.of(), "keygen");

    assertThat(result.code()).isZero();
    assertThat(result.err()).isEmpty();
    String printed = result.outText().trim();
    assertThat(printed).hasSize(44);
    assertThat(FernetKey.parse(printed).revealBase64()).isEqualTo(printed);
    assertThat(run(new byte[0], Map.of(), "keygen").outText().trim()).isNotEqualTo(printed);
  }

  @Test
  void keygen_extraArgument_isUsageError() {
    Result result = run(new byte[0], Map.of(), "keygen", "extra");
    assertThat(result.code()).isEqualTo(2);
    assertThat(result.err()).contains("Usage: cachet keygen");
  }

  @Test
  void encryptThenDecrypt_keyEnv_roundTripsExactBytes() {
    Map<String, String> env = Map.of("MY_KEY", key.revealBase64());
    for (int size : new int[] {0, 1, 15, 16, 17, 1000, 70_000}) {
      byte[] plaintext = new byte[size];
      new Random(size).nextBytes(plaintext);
      if (size > 0) {
        plaintext[size - 1] = '\n'; // trailing newline in the plaintext must survive
      }

      Result encrypted = run(plaintext, env, "encrypt", "--key-env", "MY_KEY");
      assertThat(encrypted.code()).as(encrypted.err()).isZero();
      assertThat(encrypted.outText()).endsWith("\n").startsWith("gAAAAA");
      Result decrypted = run(encrypted.out(), env, "decrypt", "--key-env=MY_KEY");

      assertThat(decrypted.code()).as(decrypted.err()).isZero();
      assertThat(decrypted.out()).isEqualTo(plaintext);
      assertThat(FernetKeyRing.of(key).decrypt(encrypted.outText().trim())).isEqualTo(plaintext);
    }
  }

  @Test
  void decrypt_keyFileRing_triesEveryKey() throws Exception {
    Path file = dir.resolve("keys");
    Files.writeString(file, "# primary first\n" + key.revealBase64() + "\n\n" + oldKey.revealBase64() + "\n");
    byte[] oldToken = FernetKeyRing.of(oldKey).encrypt("legacy".getBytes(StandardCharsets.UTF_8));

    Result result = run(oldToken, Map.of(), "decrypt", "--key-file", file.toString());

    assertThat(result.code()).as(result.err()).isZero();
    assertThat(result.out()).asString(StandardCharsets.UTF_8).isEqualTo("legacy");
    Result encrypted = run(new byte[] {1}, Map.of(), "encrypt", "--key-file=" + file);
    assertThat(FernetKeyRing.of(key).decrypt(encrypted.outText().trim())).containsExactly(1);
  }

  @Test
  void encrypt_noKeyOption_usesStandardVariables() {
    Result result =
        run(new byte[] {7}, Map.of(CachetEnvironment.LEGACY_ENCRYPTION_KEY, key.revealBase64()), "encrypt");

    assertThat(result.code()).as(result.err()).isZero();
    assertThat(FernetKeyRing.of(key).decrypt(result.outText().trim())).containsExactly(7);
    Result missing = run(new byte[] {7}, Map.of(), "encrypt");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("CACHET_ENCRYPTION_KEY", "keygen");
    assertThat(missing.out()).isEmpty();
  }

  @Test
  void encrypt_keyOnCommandLine_isRejectedWithoutEcho() {
    for (String[] args :
        new String[][] {
          {"encrypt", "--key", key.revealBase64()},
          {"encrypt", "--key=" + key.revealBase64()},
          {"decrypt", "-k", key.revealBase64()},
          {"encrypt", key.revealBase64()},
        }) {
      Result result = run(new byte[0], Map.of(), args);
      assertThat(result.code()).isEqualTo(2);
      assertThat(result.err()).doesNotContain(key.revealBase64()).doesNotContain(key.revealBase64().substring(0, 10));
      assertThat(result.out()).isEmpty();
    }
    assertThat(run(new byte[0], Map.of(), "encrypt", "--key", "x").err()).contains("--key-env");
  }

  @Test
  void decrypt_ttl_rejectsOldTokenAcceptsFresh() {
    Map<String, String> env = Map.of("K", key.revealBase64());
    Clock hourAgo = Clock.offset(Clock.systemUTC(), Duration.ofHours(-1));
    byte[] oldToken = FernetKeyRing.of(key).withClock(hourAgo).encrypt(new byte[] {1});
    byte[] freshToken = FernetKeyRing.of(key).encrypt(new byte[] {2});

    Result old = run(oldToken, env, "decrypt", "--key-env", "K", "--ttl", "60");
    Result fresh = run(freshToken, env, "decrypt", "--key-env", "K", "--ttl", "60");
    Result noTtl = run(oldToken, env, "decrypt", "--key-env", "K");

    assertThat(old.code()).isEqualTo(1);
    assertThat(old.err()).contains("token expired: created").contains("--ttl is 60 s")
        .doesNotContain("value decryption failed");
    assertThat(old.out()).isEmpty();
    assertThat(fresh.code()).isZero();
    assertThat(fresh.out()).containsExactly(2);
    assertThat(noTtl.out()).containsExactly(1);
    assertThat(run(freshToken, env, "decrypt", "--key-env", "K", "--ttl", "-5").code()).isEqualTo(2);
    assertThat(run(freshToken, env, "encrypt", "--key-env", "K", "--ttl", "5").code()).isEqualTo(2);
  }

  @Test
  void decrypt_wrongKeyOrGarbage_failsOnStderr() {
    Map<String, String> env = Map.of("K", key.revealBase64());
    byte[] foreign = FernetKeyRing.of(oldKey).encrypt(new byte[] {3});

    for (byte[] input : new byte[][] {foreign, "not a token".getBytes(StandardCharsets.US_ASCII), new byte[0]}) {
      Result result = run(input, env, "decrypt", "--key-env", "K");
      assertThat(result.code()).isEqualTo(1);
      assertThat(result.err()).startsWith("cachet decrypt: value decryption failed");
      assertThat(result.out()).isEmpty();
    }
  }

  @Test
  void keyEnv_unsetOrInvalid_namesVariableNotValue() {
    Result unset = run(new byte[0], Map.of(), "encrypt", "--key-env", "NOPE");
    assertThat(unset.code()).isEqualTo(1);
    assertThat(unset.err()).contains("NOPE").contains("not set");

    String bad = key.revealBase64().substring(0, 43) + "!";
    Result invalid = run(new byte[0], Map.of("K", bad), "encrypt", "--key-env", "K");
    assertThat(invalid.code()).isEqualTo(1);
    assertThat(invalid.err()).contains("environment variable K").doesNotContain(bad.substring(0, 12));

    Result missingFile = run(new byte[0], Map.of(), "encrypt", "--key-file", dir.resolve("absent").toString());
    assertThat(missingFile.code()).isEqualTo(1);
    assertThat(missingFile.err()).contains("absent");
  }

  @Test
  void help_listsCryptoCommands() {
    Result result = run(new byte[0], Map.of(), "--help");
    assertThat(result.outText()).contains("keygen", "encrypt", "decrypt");
    assertThat(run(new byte[0], Map.of(), "decrypt", "--help").outText()).contains("--ttl", "--key-env", "--key-file");
  }
}
