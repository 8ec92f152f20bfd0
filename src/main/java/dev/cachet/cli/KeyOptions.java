package dev.cachet.cli;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKeyRing;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Options shared by {@code encrypt} and {@code decrypt}: where the key ring comes from, and (decrypt
 * only) {@code --ttl}. Keys are never accepted as arguments, where {@code ps} and shell history would
 * show them: only {@code --key-env NAME}, {@code --key-file PATH}, or by default the standard
 * variables ({@code CACHET_ENCRYPTION_KEYS}, {@code CACHET_ENCRYPTION_KEY}, {@code REDIS_ENCRYPTION_KEY}).
 */
final class KeyOptions {
  static final String USAGE_KEYS =
      String.join(
          "\n",
          "  --key-env NAME   read the key (or a comma-separated key ring, primary first) from environment",
          "                   variable NAME",
          "  --key-file PATH  read the key ring from a file: keys separated by commas or newlines; blank",
          "                   lines and lines starting with # are ignored",
          "  With neither, the key comes from CACHET_ENCRYPTION_KEYS, CACHET_ENCRYPTION_KEY or",
          "  REDIS_ENCRYPTION_KEY. Keys are never accepted on the command line.");

  private final String keyEnv;
  private final Path keyFile;
  private final Long ttlSeconds;

  private KeyOptions(String keyEnv, Path keyFile, Long ttlSeconds) {
    this.keyEnv = keyEnv;
    this.keyFile = keyFile;
    this.ttlSeconds = ttlSeconds;
  }

  static KeyOptions parse(List<String> args, boolean ttlAllowed) throws CliCommand.UsageException {
    String keyEnv = null;
    Path keyFile = null;
    Long ttl = null;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String option = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        option = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      switch (option) {
        case "--key-env":
          value = value != null ? value : next(args, ++i, option);
          keyEnv = value;
          break;
        case "--key-file":
          value = value != null ? value : next(args, ++i, option);
          keyFile = Path.of(value);
          break;
        case "--ttl":
          if (!ttlAllowed) {
            throw new CliCommand.UsageException("unknown option '--ttl'");
          }
          value = value != null ? value : next(args, ++i, option);
          ttl = parseTtl(value);
          break;
        case "--key":
        case "-k":
          // Never echo the argument: it may be a key.
          throw new CliCommand.UsageException(
              "keys are not accepted on the command line, where ps and shell history show them;"
                  + " use --key-env NAME or --key-file PATH");
        default:
          throw new CliCommand.UsageException(
              arg.startsWith("-") ? "unknown option '" + option + "'" : "unexpected argument");
      }
    }
    if (keyEnv != null && keyFile != null) {
      throw new CliCommand.UsageException("give either --key-env or --key-file, not both");
    }
    return new KeyOptions(keyEnv, keyFile, ttl);
  }

  private static String next(List<String> args, int index, String option)
      throws CliCommand.UsageException {
    if (index >= args.size()) {
      throw new CliCommand.UsageException(option + " needs a value");
    }
    return args.get(index);
  }

  private static long parseTtl(String value) throws CliCommand.UsageException {
    try {
      long ttl = Long.parseLong(value);
      if (ttl >= 0) {
        return ttl;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new CliCommand.UsageException("--ttl must be a whole number of seconds >= 0, was '" + value + "'");
  }

  OptionalLong ttlSeconds() {
    return ttlSeconds == null ? OptionalLong.empty() : OptionalLong.of(ttlSeconds);
  }

  FernetKeyRing keyRing(CachetEnvironment env) throws IOException {
    if (keyEnv != null) {
      Optional<String> value = env.secret(keyEnv);
      if (value.isEmpty()) {
        throw new CacheConfigurationException(
            Reason.MISSING_ENCRYPTION_KEY, "environment variable " + keyEnv + " is not set");
      }
      return parseRing(value.get(), "environment variable " + keyEnv);
    }
    if (keyFile != null) {
      List<String> keys = new ArrayList<>();
      for (String line : Files.readAllLines(keyFile, StandardCharsets.UTF_8)) {
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
      if (keys.isEmpty()) {
        throw new CacheConfigurationException(
            Reason.MISSING_ENCRYPTION_KEY, "key file " + keyFile + " holds no key");
      }
      return parseRing(String.join(",", keys), "key file " + keyFile);
    }
    return FernetKeyRing.requireFromEnvironment(env);
  }

  private static FernetKeyRing parseRing(String keys, String source) {
    try {
      return FernetKeyRing.parse(keys);
    } catch (CacheConfigurationException e) {
      // The message names positions, never key material.
      throw new CacheConfigurationException(e.reason(), source + ": " + e.getMessage());
    }
  }

  static byte[] readAll(InputStream in) throws IOException {
    return in.readAllBytes();
  }
}
