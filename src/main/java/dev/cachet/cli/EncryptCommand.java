package dev.cachet.cli;

import dev.cachet.crypto.FernetKeyRing;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code encrypt}: stdin (exact bytes) to a Fernet token on stdout, under the ring's primary key. */
@Command(
    name = "encrypt",
    mixinStandardHelpOptions = true,
    versionProvider = CachetCli.Version.class,
    description = {
      "Encrypt stdin to a Fernet token on stdout.",
      "Reads stdin to the end, encrypts the exact bytes under the primary key and prints the token"
          + " (URL-safe base64, readable by Python's cryptography.fernet) followed by a newline."
    },
    footer = {"", "With neither --key-env nor --key-file, the key comes from CACHET_ENCRYPTION_KEYS,"
        + " CACHET_ENCRYPTION_KEY or REDIS_ENCRYPTION_KEY. Keys are never accepted on the command line."})
final class EncryptCommand implements Callable<Integer> {
  private final CliCommand.Io io;

  @Mixin KeyOptions keys;

  EncryptCommand(CliCommand.Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws IOException {
    keys.validate();
    FernetKeyRing ring = keys.keyRing(io.environment());
    byte[] token = ring.encrypt(io.in().readAllBytes());
    io.out().write(token);
    io.out().write('\n');
    io.out().flush();
    return CachetCli.OK;
  }
}
