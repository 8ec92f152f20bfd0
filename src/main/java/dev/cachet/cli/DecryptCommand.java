package dev.cachet.cli;

import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.ValueDecryptionException;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code decrypt}: a Fernet token on stdin to the exact plaintext bytes on stdout. */
@Command(
    name = "decrypt",
    mixinStandardHelpOptions = true,
    versionProvider = CachetCli.Version.class,
    description = {
      "Decrypt a Fernet token from stdin to stdout.",
      "Reads one token from stdin (surrounding whitespace ignored), tries every key of the ring and"
          + " writes the exact plaintext bytes, without a newline. Fails (exit 1) if no key"
          + " authenticates the token or, with --ttl, if it is older than SECONDS or more than 60 s in"
          + " the future (the message then says 'expired')."
    },
    footer = {"", "With neither --key-env nor --key-file, the key comes from CACHET_ENCRYPTION_KEYS,"
        + " CACHET_ENCRYPTION_KEY or REDIS_ENCRYPTION_KEY. Keys are never accepted on the command line."})
final class DecryptCommand implements Callable<Integer> {
  private static final long MAX_CLOCK_SKEW_SECONDS = 60;

  private final CliCommand.Io io;

  @Spec CommandSpec spec;

  @Mixin KeyOptions keys;

  @Option(names = "--ttl", paramLabel = "SECONDS", description = "maximum token age in seconds")
  Long ttlSeconds;

  DecryptCommand(CliCommand.Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws IOException {
    keys.validate();
    if (ttlSeconds != null && ttlSeconds < 0) {
      throw CliCommand.usage(spec, "--ttl must be a whole number of seconds >= 0, was " + ttlSeconds);
    }
    FernetKeyRing ring = keys.keyRing(io.environment());
    byte[] token = trim(io.in().readAllBytes());
    byte[] plaintext;
    if (ttlSeconds == null) {
      plaintext = ring.decrypt(token);
    } else {
      try {
        plaintext = ring.decrypt(token, Duration.ofSeconds(ttlSeconds));
      } catch (ValueDecryptionException e) {
        if (e.reason() != ValueDecryptionException.Reason.EXPIRED) {
          throw e;
        }
        // Say "expired" only for a token one of our keys authenticates; otherwise this throws the
        // same "value decryption failed" as without --ttl.
        long created = ring.extractTimestamp(token);
        long age = System.currentTimeMillis() / 1000 - created;
        io.err().println(
            age < 0
                ? "cachet decrypt: token expired: its timestamp is " + (-age)
                    + " s in the future (more than " + MAX_CLOCK_SKEW_SECONDS + " s of clock skew)"
                : "cachet decrypt: token expired: created " + age + " s ago, --ttl is " + ttlSeconds
                    + " s");
        return CachetCli.FAILURE;
      }
    }
    io.out().write(plaintext);
    io.out().flush();
    return CachetCli.OK;
  }

  private static byte[] trim(byte[] input) {
    int start = 0;
    int end = input.length;
    while (start < end && isSpace(input[start])) {
      start++;
    }
    while (end > start && isSpace(input[end - 1])) {
      end--;
    }
    return start == 0 && end == input.length ? input : Arrays.copyOfRange(input, start, end);
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\n' || b == '\r' || b == '\t';
  }
}
