package dev.cachet.cli;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKeyRing;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Where a command's key ring comes from (a picocli mixin): {@code --key-env NAME}, {@code --key-file
 * PATH}, or by default the standard variables. Keys are never accepted as arguments, where {@code ps}
 * and shell history would show them: {@code --key}, {@code --keys} and {@code -k} are recognised only
 * to refuse them without echoing the value.
 */
final class KeyOptions {

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(
      names = "--key-env",
      paramLabel = "NAME",
      description = "read the key (or a comma-separated key ring, primary first) from environment variable NAME")
  String keyEnv;

  @Option(
      names = "--key-file",
      paramLabel = "PATH",
      description = "read the key ring from a file: keys separated by commas or newlines, primary first;"
          + " blank lines and lines starting with # are ignored")
  Path keyFile;

  @Option(names = {"--key", "--keys", "-k"}, hidden = true, arity = "0..1", fallbackValue = "")
  String keyOnCommandLine;

  /** Refuses a key given on the command line and conflicting sources; call first in every command. */
  void validate() {
    if (keyOnCommandLine != null) {
      throw CliCommand.usage(spec,
          "keys are never accepted on the command line, where ps and shell history show them;"
              + " use --key-env NAME or --key-file PATH");
    }
    if (keyEnv != null && keyFile != null) {
      throw CliCommand.usage(spec, "give either --key-env or --key-file, not both");
    }
  }

  /** The ring from {@code --key-env}, {@code --key-file}, else the standard variables. */
  FernetKeyRing keyRing(CachetEnvironment env) throws IOException {
    validate();
    if (keyEnv != null) {
      Optional<String> value = env.secret(keyEnv);
      if (value.isEmpty()) {
        throw new CacheConfigurationException(
            Reason.MISSING_ENCRYPTION_KEY, "environment variable " + keyEnv + " is not set");
      }
      return parseRing(value.get(), "environment variable " + keyEnv);
    }
    if (keyFile != null) {
      List<String> keys = readKeyFile(keyFile);
      if (keys.isEmpty()) {
        throw new CacheConfigurationException(
            Reason.MISSING_ENCRYPTION_KEY, "key file " + keyFile + " holds no key");
      }
      return parseRing(String.join(",", keys), "key file " + keyFile);
    }
    return FernetKeyRing.requireFromEnvironment(env);
  }

  /** The keys in a key file, in order: commas or newlines separate them, '#' starts a comment line. */
  static List<String> readKeyFile(Path file) throws IOException {
    List<String> keys = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String trimmed = line.trim();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      for (String item : trimmed.split(",")) {
        if (!item.isBlank()) {
          keys.add(item.trim());
        }
      }
    }
    return keys;
  }

  private static FernetKeyRing parseRing(String keys, String source) {
    try {
      return FernetKeyRing.parse(keys);
    } catch (CacheConfigurationException e) {
      // The message names positions, never key material.
      throw new CacheConfigurationException(e.reason(), source + ": " + e.getMessage());
    }
  }
}
