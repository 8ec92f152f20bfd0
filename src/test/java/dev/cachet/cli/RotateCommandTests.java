package dev.cachet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKey;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Argument and key-ring handling of {@code rotate}, without Redis. */
class RotateCommandTests {

  @Test
  void rotate_keyOnTheCommandLine_isRefused() {
    String key = FernetKey.generate().revealBase64();
    CliTestSupport.Run run = CliTestSupport.run("rotate", "--cache", "c", "--key", key);
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr()).contains("never accepted on the command line").doesNotContain(key);
  }

  @Test
  void rotate_withoutCache_isAUsageError() {
    CliTestSupport.Run run = CliTestSupport.run("rotate");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr()).contains("--cache is required");
  }

  @Test
  void rotate_withoutKeyRing_namesTheVariable() {
    CliTestSupport.Run run = CliTestSupport.run("rotate", "--cache", "c");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr()).contains(CachetEnvironment.ENCRYPTION_KEYS);
  }

  @Test
  void rotate_invalidKeyInTheNamedVariable_namesPositionNotValue() {
    String good = FernetKey.generate().revealBase64();
    CliTestSupport.Run run =
        CliTestSupport.run(new byte[0], Map.of("MY_RING", good + ",not-a-key-but-secret"),
            "rotate", "--cache", "c", "--key-env", "MY_RING");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr())
        .contains("environment variable MY_RING, item 2 of 2")
        .doesNotContain("not-a-key-but-secret")
        .doesNotContain(good);
  }

  @Test
  void rotate_isListedInTheHelp() {
    assertThat(CliTestSupport.run("--help").out()).contains("rotate");
  }
}
