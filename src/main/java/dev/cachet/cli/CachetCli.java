package dev.cachet.cli;

import dev.cachet.CacheException;
import dev.cachet.CachetEnvironment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Entry point of the runnable {@code cachet-<version>-cli.jar}: {@code java -jar cachet-cli.jar
 * <command> [options]}. Uses no library beyond Cachet's own dependencies, so the library JAR stays free
 * of CLI dependencies. Errors go to stderr with a non-zero exit code; secrets are never accepted as
 * command-line arguments (where {@code ps} would show them).
 */
public final class CachetCli {

  private static final Map<String, Supplier<CliCommand>> COMMANDS = new LinkedHashMap<>();

  static {
    register(DemoCommand::new);
    register(KeygenCommand::new);
    register(EncryptCommand::new);
    register(DecryptCommand::new);
  }

  private CachetCli() {}

  private static void register(Supplier<CliCommand> command) {
    COMMANDS.put(command.get().name(), command);
  }

  /** Runs the CLI and exits the JVM with the command's exit code. */
  public static void main(String[] args) {
    int code =
        run(args, new CliCommand.Io(System.in, System.out, System.err, CachetEnvironment.system()));
    System.out.flush();
    System.exit(code);
  }

  /** Runs one command without exiting; returns its exit code. */
  static int run(String[] args, CliCommand.Io io) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      printHelp(io);
      return args.length == 0 ? 2 : 0;
    }
    Supplier<CliCommand> factory = COMMANDS.get(args[0]);
    if (factory == null) {
      io.err().println("cachet: unknown command '" + args[0] + "'");
      printHelp(io);
      return 2;
    }
    CliCommand command = factory.get();
    List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
    if (rest.contains("--help") || rest.contains("-h")) {
      io.out().println(command.usage());
      return 0;
    }
    try {
      return command.run(rest, io);
    } catch (CliCommand.UsageException e) {
      io.err().println("cachet " + command.name() + ": " + e.getMessage());
      io.err().println(command.usage());
      return 2;
    } catch (CacheException e) {
      io.err().println("cachet " + command.name() + ": " + e.getMessage());
      return 1;
    } catch (Exception e) {
      io.err().println("cachet " + command.name() + ": failed: " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()));
      return 1;
    }
  }

  private static void printHelp(CliCommand.Io io) {
    io.out().println("usage: java -jar cachet-cli.jar <command> [options]");
    io.out().println();
    io.out().println("commands:");
    for (Supplier<CliCommand> factory : COMMANDS.values()) {
      CliCommand command = factory.get();
      io.out().printf("  %-10s %s%n", command.name(), command.summary());
    }
    io.out().println();
    io.out().println("'<command> --help' shows a command's options.");
  }
}
