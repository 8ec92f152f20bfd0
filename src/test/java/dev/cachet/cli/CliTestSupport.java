package dev.cachet.cli;

import dev.cachet.CachetEnvironment;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Runs the CLI in-process with captured streams and an injected environment. */
final class CliTestSupport {

  record Run(int exitCode, byte[] stdout, String stderr) {
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  static Run run(byte[] stdin, Map<String, String> environment, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        CachetCli.run(
            args,
            new CliCommand.Io(
                new ByteArrayInputStream(stdin),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                CachetEnvironment.of(environment)));
    return new Run(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
  }

  static Run run(String... args) {
    return run(new byte[0], Map.of(), args);
  }

  private CliTestSupport() {}
}
