package dev.cachet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What picocli gives every command: --help, --version, unknown options refused, exit codes. */
class CliParsingTests {
  static final List<String> COMMANDS = List.of("demo", "inspect", "keygen", "encrypt", "decrypt", "rotate");

  @Test
  void everyCommand_help_exitsZeroWithItsUsage() {
    for (String command : COMMANDS) {
      CliTestSupport.Run run = CliTestSupport.run(command, "--help");
      assertThat(run.exitCode()).as(command).isZero();
      assertThat(run.out()).as(command).contains("Usage: cachet " + command).contains("--version");
      assertThat(run.stderr()).as(command).isEmpty();
    }
  }

  @Test
  void everyCommand_version_exitsZero() {
    for (String command : COMMANDS) {
      CliTestSupport.Run run = CliTestSupport.run(command, "--version");
      assertThat(run.exitCode()).as(command).isZero();
      assertThat(run.out()).as(command).startsWith("cachet ");
    }
    assertThat(CliTestSupport.run("--version").out()).startsWith("cachet ");
    assertThat(CliTestSupport.run("-V").exitCode()).isZero();
  }

  @Test
  void everyCommand_unknownOption_isRefusedAsSuch() {
    for (String command : COMMANDS) {
      CliTestSupport.Run run = CliTestSupport.run(command, "--bogus");
      assertThat(run.exitCode()).as(command).isEqualTo(2);
      assertThat(run.stderr()).as(command)
          .startsWith("cachet " + command + ": unknown option '--bogus'")
          .doesNotContain("needs a value")
          .contains("Usage: cachet " + command);
      assertThat(run.out()).as(command).isEmpty();
    }
  }

  @Test
  void unknownOptionWithValue_nameShownValueNot() {
    CliTestSupport.Run run = CliTestSupport.run("encrypt", "--secret=hunter2hunter2");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr()).contains("unknown option '--secret'").doesNotContain("hunter2");
  }

  @Test
  void root_noArguments_usageExitTwo_unknownCommand_notEchoedWhenItLooksLikeAKey() {
    CliTestSupport.Run none = CliTestSupport.run();
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.stderr()).contains("Usage: cachet").contains("inspect").contains("rotate");
    String key = "Aq5LZuh3zQpyGVT9XhCrtHbJ0rNZHXrvWIFqU3ZOCXk=";
    for (String pastedKey : new String[] {"a" + key.substring(1), "-" + key.substring(1), "--" + key.substring(2)}) {
      for (String command : new String[] {null, "encrypt", "rotate"}) {
        CliTestSupport.Run pasted =
            command == null ? CliTestSupport.run(pastedKey) : CliTestSupport.run(command, pastedKey);
        assertThat(pasted.exitCode()).isEqualTo(2);
        assertThat(pasted.stderr()).contains("not shown").doesNotContain(pastedKey.substring(2, 12));
      }
    }
    CliTestSupport.Run help = CliTestSupport.run("--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).contains("demo", "inspect", "keygen", "encrypt", "decrypt", "rotate");
  }

  @Test
  void clusteredShortOptions_withAKeyAttached_areNotEchoed() {
    String key = "VhV5LZuh3zQpyGVT9XhCrtHbJ0rNZHXrvWIFqU3ZOCXk=";
    for (String arg : new String[] {"-h" + key, "-V" + key, "-k" + key, "-hV" + key}) {
      CliTestSupport.Run run = CliTestSupport.run("encrypt", arg);
      assertThat(run.stderr() + run.out()).as(arg).doesNotContain(key.substring(3, 15));
    }
  }

  @Test
  void decrypt_ttl_wrongKeyOldToken_isNotCalledExpired() {
    FernetKey key = FernetKey.generate();
    Clock hourAgo = Clock.offset(Clock.systemUTC(), Duration.ofHours(-1));
    byte[] foreignOld = FernetKeyRing.of(FernetKey.generate()).withClock(hourAgo).encrypt(new byte[] {1});
    CliTestSupport.Run run =
        CliTestSupport.run(foreignOld, Map.of("K", key.revealBase64()), "decrypt", "--key-env", "K", "--ttl", "60");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.stderr()).contains("value decryption failed").doesNotContain("expired");
  }

  @Test
  void decrypt_ttl_futureToken_saysExpiredAndWhy() {
    FernetKey key = FernetKey.generate();
    Clock inTwoHours = Clock.offset(Clock.systemUTC(), Duration.ofHours(2));
    byte[] future = FernetKeyRing.of(key).withClock(inTwoHours).encrypt(new byte[] {1});
    CliTestSupport.Run run =
        CliTestSupport.run(future, Map.of("K", key.revealBase64()), "decrypt", "--key-env", "K", "--ttl", "60");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.stderr()).contains("token expired").contains("in the future");
    assertThat(run.stdout()).isEmpty();
  }

  @Test
  void demo_badNumbers_areUsageErrors() {
    assertThat(CliTestSupport.run("demo", "--threads", "0").exitCode()).isEqualTo(2);
    assertThat(CliTestSupport.run("demo", "--zipf", "0").stderr()).contains("--zipf must be in (0, 10]");
    assertThat(CliTestSupport.run("demo", "--requests").stderr()).contains("--requests");
  }

  @Test
  void rotate_allowEmpty_isDocumented() {
    assertThat(CliTestSupport.run("rotate", "--help").out()).contains("--allow-empty");
  }

  @Test
  void tieredDemo_proxiesOnlyPlainRedisUrls() {
    assertThat(TieredDemo.proxiable("redis://127.0.0.1:6390/0")).isPresent();
    assertThat(TieredDemo.proxiable("rediss://example:6390")).isEmpty();
    assertThat(TieredDemo.proxiable("redis-sentinel://127.0.0.1:26379#mymaster")).isEmpty();
  }
}
