package dev.cachet.cli;

import dev.cachet.CacheException;
import dev.cachet.CachetEnvironment;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Entry point of the runnable {@code cachet-<version>-cli.jar}: {@code java -jar cachet-cli.jar
 * <command> [options]}. Parsing is picocli's, which is an optional dependency shaded into the {@code
 * -cli} JAR only, so applications that depend on Cachet never get it. Every command answers {@code
 * --help} and {@code --version}; unknown options are refused. Exit codes: 0 success, 1 failure, 2 usage
 * error (the message and the command's usage go to stderr). Secrets are never accepted as command-line
 * arguments (where {@code ps} would show them), and no argument that could be one is echoed.
 */
public final class CachetCli {

  static final int OK = 0;
  static final int FAILURE = 1;
  static final int USAGE = 2;

  private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

  private CachetCli() {}

  /** Runs the CLI and exits the JVM with the command's exit code. */
  public static void main(String[] args) {
    // The -cli JAR's SLF4J binding is slf4j-simple: keep the library's INFO lines (and, in the demo,
    // the WARNs of the outage it causes on purpose) out of the output unless asked for with
    // -Dorg.slf4j.simpleLogger.defaultLogLevel=info.
    if (System.getProperty(LOG_LEVEL) == null) {
      System.setProperty(LOG_LEVEL, args.length > 0 && args[0].equals("demo") ? "error" : "warn");
    }
    int code =
        run(args, new CliCommand.Io(System.in, System.out, System.err, CachetEnvironment.system()));
    System.out.flush();
    System.exit(code);
  }

  /** Runs one command without exiting; returns its exit code. */
  static int run(String[] args, CliCommand.Io io) {
    CommandLine cli = commandLine(io);
    if (args.length == 0) {
      cli.usage(cli.getErr());
      cli.getErr().flush();
      return USAGE;
    }
    try {
      return cli.execute(args);
    } finally {
      cli.getOut().flush();
      cli.getErr().flush();
      io.out().flush();
    }
  }

  static CommandLine commandLine(CliCommand.Io io) {
    CommandLine cli = new CommandLine(new Root());
    cli.addSubcommand(new DemoCommand(io));
    cli.addSubcommand(new InspectCommand(io));
    cli.addSubcommand(new KeygenCommand(io));
    cli.addSubcommand(new EncryptCommand(io));
    cli.addSubcommand(new DecryptCommand(io));
    cli.addSubcommand(new RotateCommand(io));
    cli.setOut(new PrintWriter(io.out(), true, StandardCharsets.UTF_8));
    cli.setErr(new PrintWriter(io.err(), true, StandardCharsets.UTF_8));
    cli.setParameterExceptionHandler(CachetCli::onUsageError);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> onFailure(e, commandLine));
    return cli;
  }

  /**
   * Prints a usage error without echoing arguments that picocli would quote: an unmatched argument may
   * be a key pasted where it does not belong.
   */
  private static int onUsageError(CommandLine.ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    PrintWriter err = command.getErr();
    err.println(prefix(command) + message(e));
    err.println();
    command.usage(err);
    err.flush();
    return USAGE;
  }

  private static String message(CommandLine.ParameterException e) {
    if (e instanceof CommandLine.UnmatchedArgumentException unmatched) {
      List<String> args = unmatched.getUnmatched();
      String first = args.isEmpty() ? "" : args.get(0);
      boolean root = e.getCommandLine().getParent() == null;
      if (first.startsWith("-")) {
        int eq = first.indexOf('=');
        String name = eq > 0 ? first.substring(0, eq) : first;
        return name.matches("--?[A-Za-z][A-Za-z0-9-]{0,29}")
            ? "unknown option '" + name + "'"
            : "unknown option (not shown: it might be a secret)";
      }
      if (root) {
        return "unknown command '" + shown(first) + "'";
      }
      return "unexpected argument (not shown: it might be a secret); this command takes options only";
    }
    return e.getMessage();
  }

  /** A command name is echoed only when it looks like one, not like a key. */
  private static String shown(String word) {
    return word.length() <= 20 && word.matches("[a-z][a-z-]*") ? word : "(not shown)";
  }

  private static int onFailure(Exception e, CommandLine command) {
    PrintWriter err = command.getErr();
    if (e instanceof CacheException || e instanceof IllegalArgumentException
        || e instanceof IllegalStateException) {
      err.println(prefix(command) + e.getMessage());
    } else {
      err.println(prefix(command) + "failed: " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }
    err.flush();
    return FAILURE;
  }

  private static String prefix(CommandLine command) {
    return command.getParent() == null ? "cachet: " : "cachet " + command.getCommandName() + ": ";
  }

  /** {@code --version}: the Maven version of the JAR this class was loaded from. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"cachet " + version(), "Java " + System.getProperty("java.version")};
    }

    static String version() {
      try (InputStream in =
          CachetCli.class.getResourceAsStream("/META-INF/maven/dev.cachet/cachet/pom.properties")) {
        if (in != null) {
          Properties p = new Properties();
          p.load(in);
          return p.getProperty("version", "unknown");
        }
      } catch (java.io.IOException e) {
        // fall through
      }
      return "(development build)";
    }
  }

  @Command(
      name = "cachet",
      mixinStandardHelpOptions = true,
      versionProvider = Version.class,
      synopsisSubcommandLabel = "COMMAND",
      description = "The Cachet operator CLI. 'cachet COMMAND --help' shows a command's options.",
      footer = {"", "Exit codes: 0 success, 1 failure, 2 usage error."})
  static final class Root implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }
  }
}
