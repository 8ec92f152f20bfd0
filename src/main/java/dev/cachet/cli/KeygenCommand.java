package dev.cachet.cli;

import dev.cachet.crypto.FernetKey;
import java.util.List;

/** {@code keygen}: prints a new random Fernet key, the same format Python's {@code Fernet.generate_key()} prints. */
final class KeygenCommand implements CliCommand {
  @Override
  public String name() {
    return "keygen";
  }

  @Override
  public String summary() {
    return "print a new random Fernet key (URL-safe base64, 44 characters)";
  }

  @Override
  public String usage() {
    return String.join(
        "\n",
        "usage: keygen",
        "  Prints a new random Fernet key to stdout. Store it in a secret store and pass it to Cachet as",
        "  CACHET_ENCRYPTION_KEY (or REDIS_ENCRYPTION_KEY, or as the new primary of CACHET_ENCRYPTION_KEYS).",
        "  The output is also a valid CACHET_KEY_NAMING_SECRET. Avoid redirecting it into shell history.");
  }

  @Override
  public int run(List<String> args, Io io) throws UsageException {
    if (!args.isEmpty()) {
      throw new UsageException("unexpected argument '" + args.get(0) + "'");
    }
    io.out().println(FernetKey.generate().revealBase64());
    io.out().flush();
    return 0;
  }
}
