package dev.cachet.cli;

import dev.cachet.crypto.FernetKeyRing;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/** {@code decrypt}: a Fernet token on stdin to the exact plaintext bytes on stdout. */
final class DecryptCommand implements CliCommand {
  @Override
  public String name() {
    return "decrypt";
  }

  @Override
  public String summary() {
    return "decrypt a Fernet token from stdin to stdout";
  }

  @Override
  public String usage() {
    return "usage: decrypt [--key-env NAME | --key-file PATH] [--ttl SECONDS] < token > plaintext\n"
        + "  Reads one token from stdin (surrounding whitespace ignored), tries every key of the ring and\n"
        + "  writes the exact plaintext bytes, without a newline. Fails (exit 1) if no key authenticates the\n"
        + "  token or, with --ttl, if it is older than SECONDS or more than 60 s in the future.\n"
        + "  --ttl SECONDS    maximum token age\n"
        + KeyOptions.USAGE_KEYS;
  }

  @Override
  public int run(List<String> args, Io io) throws UsageException, IOException {
    KeyOptions options = KeyOptions.parse(args, true);
    FernetKeyRing ring = options.keyRing(io.environment());
    byte[] token = trim(KeyOptions.readAll(io.in()));
    OptionalLong ttl = options.ttlSeconds();
    byte[] plaintext =
        ttl.isPresent() ? ring.decrypt(token, Duration.ofSeconds(ttl.getAsLong())) : ring.decrypt(token);
    io.out().write(plaintext);
    io.out().flush();
    return 0;
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
