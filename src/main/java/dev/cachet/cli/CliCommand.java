package dev.cachet.cli;

import dev.cachet.CachetEnvironment;
import java.io.InputStream;
import java.io.PrintStream;
import picocli.CommandLine;

/**
 * What every sub-command of the operator CLI shares: the streams and environment of one run, and the
 * usage error type. Commands are picocli {@code @Command} classes created per run with an {@link Io}.
 */
interface CliCommand {

  /** Standard streams and environment of one run, injectable for tests. */
  record Io(InputStream in, PrintStream out, PrintStream err, CachetEnvironment environment) {}

  /** A usage error found after parsing (exit code 2); the message names the argument, never a secret. */
  static CommandLine.ParameterException usage(CommandLine.Model.CommandSpec spec, String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
