package dev.cachet.cli;

import dev.cachet.crypto.FernetKey;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code keygen}: prints a new random Fernet key, the same format Python's {@code Fernet.generate_key()} prints. */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    versionProvider = CachetCli.Version.class,
    description = {
      "Print a new random Fernet key (URL-safe base64, 44 characters).",
      "Store it in a secret store and pass it to Cachet as CACHET_ENCRYPTION_KEY (or"
          + " REDIS_ENCRYPTION_KEY, or as the new primary of CACHET_ENCRYPTION_KEYS). The output is"
          + " also a valid CACHET_KEY_NAMING_SECRET. Avoid redirecting it into shell history."
    })
final class KeygenCommand implements Callable<Integer> {
  private final CliCommand.Io io;

  KeygenCommand(CliCommand.Io io) {
    this.io = io;
  }

  @Override
  public Integer call() {
    io.out().println(FernetKey.generate().revealBase64());
    io.out().flush();
    return CachetCli.OK;
  }
}
