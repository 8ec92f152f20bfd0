package dev.cachet.cli;

import dev.cachet.Cache;
import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.redis.RedisServerInfo;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code inspect}: connects to the configured Redis with the configured key ring and reports the server
 * version, the deployment mode, a sealed round trip (write, read back, check that Redis holds a token
 * and not the value) with its latency, the key id in use and whether key-name hiding is on. Prints key
 * ids only, never a key, a naming secret or a password. Cleans up the one probe key it writes.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    versionProvider = CachetCli.Version.class,
    sortOptions = false,
    description = {
      "Check the configured Redis and key ring.",
      "Reports the server version and mode, a sealed round trip and its latency, the key id in use"
          + " and whether key-name hiding is on.",
      "Never prints a secret. Writes one probe entry under a random prefix and deletes it."
    },
    footer = {
      "",
      "Redis comes from --redis-url, CACHET_REDIS_URL or CACHET_REDIS_CLUSTER_NODES; the key ring from"
          + " --key-env, --key-file, CACHET_ENCRYPTION_KEYS, CACHET_ENCRYPTION_KEY or"
          + " REDIS_ENCRYPTION_KEY; key-name hiding from CACHET_KEY_NAMING_SECRET.",
      "Exit codes: 0 the round trip worked; 1 Redis or the round trip failed; 2 usage error."
    })
final class InspectCommand implements Callable<Integer> {
  private final CliCommand.Io io;

  @Option(names = "--redis-url", paramLabel = "URL",
      description = "redis://, rediss:// or redis-sentinel:// URI (default: CACHET_REDIS_URL or"
          + " CACHET_REDIS_CLUSTER_NODES); prefer the environment when the URI holds a password")
  String redisUrl;

  @Mixin KeyOptions keys;

  InspectCommand(CliCommand.Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws Exception {
    keys.validate();
    CachetEnvironment env = io.environment();
    FernetKeyRing ring = keys.keyRing(env);
    Optional<KeyNameHasher> hasher = KeyNameHasher.fromEnvironment(env);
    PrintStream out = io.out();
    try (RedisConnections connections =
        redisUrl != null
            ? RedisConnections.newBuilder().uri(redisUrl).settingsFrom(env).build()
            : RedisConnections.fromEnvironment(env)) {
      RedisServerInfo info = RedisServerInfo.query(connections);
      out.printf(Locale.ROOT, "redis       %s, %s, at %s%n", info.version(),
          info.mode().name().toLowerCase(Locale.ROOT), info.target());
      out.printf(Locale.ROOT, "ping        %.2f ms%n", info.pingLatency().toNanos() / 1e6);
      out.printf(Locale.ROOT, "key id      %s (primary; ring of %d: %s)%n", ring.primaryKeyId(),
          ring.keyIds().size(), String.join(", ", ring.keyIds()));
      out.printf(Locale.ROOT, "key names   %s%n",
          hasher.isPresent()
              ? "hidden (" + CachetEnvironment.KEY_NAMING_SECRET + " is set: Redis sees HMACs, not keys)"
              : "visible (set " + CachetEnvironment.KEY_NAMING_SECRET + " to hide them)");
      out.flush();
      return roundTrip(connections, ring, hasher, out);
    }
  }

  private int roundTrip(RedisConnections connections, FernetKeyRing ring,
      Optional<KeyNameHasher> hasher, PrintStream out) {
    String prefix = "cachet-inspect-" + UUID.randomUUID().toString().substring(0, 8);
    String probe = "probe-" + UUID.randomUUID();
    RedisCacheBuilder<String, String> builder =
        RedisCacheBuilder.newBuilder(String.class, String.class)
            .name("inspect")
            .connections(connections)
            .keyRing(ring)
            .keyPrefix(prefix);
    hasher.ifPresent(builder::keyNameHasher);
    try (Cache<String, String> cache = builder.build()) {
      // The first call also loads the crypto and codec classes: time the second one.
      cache.put("warm-up", probe);
      cache.getIfPresent("warm-up");
      long start = System.nanoTime();
      cache.put("probe", probe);
      long written = System.nanoTime();
      String read = cache.getIfPresent("probe");
      long end = System.nanoTime();
      Optional<String> raw = RedisServerInfo.rawValue(connections, prefix, "inspect");
      boolean intact = probe.equals(read);
      boolean sealed = raw.isPresent() && !raw.get().contains(probe);
      out.printf(Locale.ROOT, "round trip  %s: put %.2f ms, get %.2f ms%n",
          intact && sealed ? "ok" : "FAILED", (written - start) / 1e6, (end - written) / 1e6);
      out.printf(Locale.ROOT, "stored as   %s%n",
          raw.map(v -> v.startsWith("gAAAAA")
                  ? "Fernet token (" + v.length() + " characters, " + v.substring(0, 12) + "...)"
                  : "not a Fernet token (" + v.length() + " bytes)")
              .orElse("nothing found under the probe prefix"));
      if (!intact) {
        io.err().println("cachet inspect: the probe value did not read back intact");
        return CachetCli.FAILURE;
      }
      if (!sealed) {
        io.err().println("cachet inspect: Redis does not hold a sealed token for the probe");
        return CachetCli.FAILURE;
      }
      return CachetCli.OK;
    } finally {
      try {
        RedisServerInfo.deleteKeys(connections, prefix);
      } catch (RuntimeException e) {
        io.err().println("cachet inspect: could not delete the probe keys under '" + prefix + "': "
            + e.getMessage());
      }
    }
  }
}
