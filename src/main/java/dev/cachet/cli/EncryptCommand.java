package dev.cachet.cli;

import dev.cachet.crypto.FernetKeyRing;
import java.io.IOException;
import java.util.List;

/** {@code encrypt}: stdin (exact bytes) to a Fernet token on stdout, under the ring's primary key. */
final class EncryptCommand implements CliCommand {
  @Override
  public String name() {
    return "encrypt";
  }

  @Override
  public String summary() {
    return "encrypt stdin to a Fernet token on stdout";
  }

  @Override
  public String usage() {
    return "usage: encrypt [--key-env NAME | --key-file PATH] < plaintext > token\n"
        + "  Reads stdin to the end, encrypts the exact bytes under the primary key and prints the token\n"
        + "  (URL-safe base64, readable by Python's cryptography.fernet) followed by a newline.\n"
        + KeyOptions.USAGE_KEYS;
  }

  @Override
  public int run(List<String> args, Io io) throws UsageException, IOException {
    KeyOptions options = KeyOptions.parse(args, false);
    FernetKeyRing ring = options.keyRing(io.environment());
    byte[] token = ring.encrypt(KeyOptions.readAll(io.in()));
    io.out().write(token);
    io.out().write('\n');
    io.out().flush();
    return 0;
  }
}
