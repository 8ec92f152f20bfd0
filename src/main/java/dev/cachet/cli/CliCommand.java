package dev.cachet.cli;

import dev.cachet.CachetEnvironment;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;

/** One sub-command of the operator CLI. Implementations are stateless and created per run. */
interface CliCommand {

  /** The word that selects this command, e.g. {@code keygen}. */
  String name();

  /** A one-line description for {@code --help}. */
  String summary();

  /** Full usage text printed for {@code <command> --help} and after a usage error. */
  String usage();

  /**
   * Runs the command.
   *
   * @return the process exit code: 0 on success, 1 on a runtime failure, 2 on a usage error
   * @throws UsageException for bad arguments; the CLI prints the message and the usage, exit code 2
   */
  int run(List<String> args, Io io) throws Exception;

  /** Standard streams and environment of one run, injectable for tests. */
  record Io(InputStream in, PrintStream out, PrintStream err, CachetEnvironment environment) {}

  /** Bad command-line arguments. The message names the argument. */
  final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
