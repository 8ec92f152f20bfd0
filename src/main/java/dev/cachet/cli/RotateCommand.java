package dev.cachet.cli;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKey;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.redis.RedisRotation;
import dev.cachet.redis.RedisServerInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code rotate}: re-encrypts every Redis entry of one cache under the key ring's primary key, keeping
 * each entry's remaining expiry and never overwriting a value that changed meanwhile (see {@link
 * RedisRotation}). Prints progress (done/total, rate) at most once a second and a summary. Safe to
 * interrupt and run again.
 *
 * <p>The key ring is read from {@value CachetEnvironment#ENCRYPTION_KEYS}, from the variable named by
 * {@code --key-env}, or from the file given by {@code --key-file}; never from the command line. Redis
 * comes from {@code --redis-url} or from {@value CachetEnvironment#REDIS_URL} / {@value
 * CachetEnvironment#REDIS_CLUSTER_NODES}.
 *
 * <p>Exit codes: 0 when every entry is under the primary key or changed meanwhile; 1 when Redis fails,
 * some entries are under no key of the ring (they were left as they are), or the cache has no entries
 * at all (a typo in {@code --cache} or {@code --prefix} would otherwise pass unnoticed) and {@code
 * --allow-empty} was not given; 2 on a usage error.
 */
@Command(
    name = "rotate",
    mixinStandardHelpOptions = true,
    versionProvider = CachetCli.Version.class,
    sortOptions = false,
    description = {
      "Re-encrypt every Redis entry of a cache under the key ring's primary key, keeping expiries.",
      "Safe to interrupt and run again; entries written or deleted during the run are left alone."
    },
    footer = {
      "",
      "The key ring (comma-separated, new primary first) comes from --key-env, --key-file or"
          + " CACHET_ENCRYPTION_KEYS; keys are never accepted as arguments. Redis comes from --redis-url,"
          + " CACHET_REDIS_URL or CACHET_REDIS_CLUSTER_NODES; timeouts from CACHET_REDIS_COMMAND_TIMEOUT"
          + " and CACHET_REDIS_CONNECT_TIMEOUT.",
      "Exit codes: 0 every entry is current; 1 Redis failed, some entries are under no key of the ring,"
          + " or the cache has no entries (a typo in --cache or --prefix?) without --allow-empty;"
          + " 2 usage error."
    })
final class RotateCommand implements Callable<Integer> {

  private static final long PROGRESS_INTERVAL_NANOS = 1_000_000_000L;

  private final CliCommand.Io io;

  @Spec CommandSpec spec;

  @Option(names = "--cache", paramLabel = "NAME", description = "the cache whose entries to re-encrypt (required)")
  String cache;

  @Option(names = "--prefix", paramLabel = "P",
      description = "the cache's key prefix (default " + RedisCacheBuilder.DEFAULT_KEY_PREFIX + ")")
  String prefix;

  @Option(names = "--tenant", paramLabel = "T",
      description = "only this tenant's entries (default: every entry of the cache)")
  String tenant;

  @Option(names = "--redis-url", paramLabel = "URL",
      description = "redis://, rediss:// or redis-sentinel:// URI (default: CACHET_REDIS_URL or"
          + " CACHET_REDIS_CLUSTER_NODES); prefer the environment when the URI holds a password")
  String redisUrl;

  @Mixin KeyOptions keyOptions;

  @Option(names = "--batch", paramLabel = "N",
      description = "keys per SCAN page and entries in flight, 1 to 10000 (default "
          + RedisRotation.DEFAULT_BATCH_SIZE + ")")
  Integer batch;

  @Option(names = "--allow-empty",
      description = "succeed when the cache has no entries (by default that is an error: usually a"
          + " wrong --cache or --prefix)")
  boolean allowEmpty;

  RotateCommand(CliCommand.Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws Exception {
    keyOptions.validate();
    if (cache == null) {
      throw CliCommand.usage(spec, "--cache is required");
    }
    if (batch != null && (batch < 1 || batch > 10_000)) {
      throw CliCommand.usage(spec, "--batch must be in [1, 10000]: " + batch);
    }
    CachetEnvironment env = io.environment();
    List<FernetKey> keys = readKeys(env);
    try (RedisConnections connections = connect(env)) {
      try {
        // waits for a connection that is up (a handshake racing its timeout on a loaded machine can
        // hand over a connection Lettuce closes at once), as inspect does; a refused password fails at once
        RedisServerInfo.query(connections);
      } catch (IllegalStateException e) {
        io.err().println("cachet rotate: Redis is not reachable: " + connections + " (" + e.getMessage() + ")");
        return CachetCli.FAILURE;
      }
      RedisRotation rotation;
      try {
        RedisRotation.Builder b =
            RedisRotation.newBuilder().connections(connections).cacheName(cache).keys(keys);
        if (prefix != null) {
          b.keyPrefix(prefix);
        }
        if (tenant != null) {
          b.tenant(tenant);
        }
        if (batch != null) {
          b.batchSize(batch);
        }
        rotation = b.build();
      } catch (IllegalArgumentException e) {
        throw CliCommand.usage(spec, e.getMessage());
      }
      io.out().printf(
          Locale.ROOT,
          "rotating cache '%s'%s on %s to primary key %s (%d key(s) in the ring)%n",
          cache,
          tenant == null ? "" : " (tenant " + tenant + ")",
          connections,
          keys.get(0).keyId(),
          keys.size());
      long[] lastPrinted = {System.nanoTime() - PROGRESS_INTERVAL_NANOS};
      RedisRotation.Progress result =
          rotation.run(
              p -> {
                long now = System.nanoTime();
                if (now - lastPrinted[0] >= PROGRESS_INTERVAL_NANOS) {
                  lastPrinted[0] = now;
                  printProgress(io, p);
                }
              });
      printProgress(io, result);
      io.out().printf(
          Locale.ROOT,
          "done in %.1f s: %,d rotated, %,d already under the primary key, %,d changed or removed"
              + " meanwhile (left alone), %,d under no key of the ring (left alone)%n",
          result.elapsed().toMillis() / 1000.0,
          result.rotated(),
          result.alreadyCurrent(),
          result.changed(),
          result.unreadable());
      if (result.unreadable() > 0) {
        io.err().printf(
            Locale.ROOT,
            "cachet rotate: %,d entries are under no key of this ring; add the key they were written"
                + " with and run again, or let them expire%n",
            result.unreadable());
        return CachetCli.FAILURE;
      }
      if (result.total() == 0 && result.done() == 0) {
        io.err().printf(
            Locale.ROOT,
            "cachet rotate: warning: cache '%s' has no entries under prefix '%s'%s; check --cache and"
                + " --prefix (names are case-sensitive), or pass --allow-empty if that is expected%n",
            cache,
            prefix == null ? RedisCacheBuilder.DEFAULT_KEY_PREFIX : prefix,
            tenant == null ? "" : " for tenant '" + tenant + "'");
        return allowEmpty ? CachetCli.OK : CachetCli.FAILURE;
      }
      return CachetCli.OK;
    }
  }

  private static void printProgress(CliCommand.Io io, RedisRotation.Progress p) {
    double percent = p.total() == 0 ? 100.0 : Math.min(100.0, 100.0 * p.done() / p.total());
    io.out().printf(
        Locale.ROOT,
        "  %,d/%,d entries (%.1f%%), %,.0f entries/s%n",
        p.done(),
        Math.max(p.total(), p.done()),
        percent,
        p.ratePerSecond());
  }

  private RedisConnections connect(CachetEnvironment env) {
    if (redisUrl != null) {
      return RedisConnections.newBuilder().uri(redisUrl).settingsFrom(env).build();
    }
    return RedisConnections.fromEnvironment(env);
  }

  /** The key ring, primary first; messages name the source and position, never key material. */
  List<FernetKey> readKeys(CachetEnvironment env) throws IOException {
    String source;
    List<String> items;
    if (keyOptions.keyFile != null) {
      source = "key file " + keyOptions.keyFile;
      if (!Files.isRegularFile(keyOptions.keyFile)) {
        throw CliCommand.usage(spec, "--key-file " + keyOptions.keyFile + " is not a readable file");
      }
      items = KeyOptions.readKeyFile(keyOptions.keyFile);
    } else {
      String variable = keyOptions.keyEnv != null ? keyOptions.keyEnv : CachetEnvironment.ENCRYPTION_KEYS;
      source = "environment variable " + variable;
      items = env.secretList(variable);
    }
    if (items.isEmpty()) {
      throw CliCommand.usage(spec,
          "no key ring: set " + CachetEnvironment.ENCRYPTION_KEYS
              + " (comma-separated, new primary first), or give --key-env VAR or --key-file PATH ("
              + source + " has no keys)");
    }
    List<FernetKey> keys = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      try {
        keys.add(FernetKey.parse(items.get(i)));
      } catch (CacheConfigurationException e) {
        throw CliCommand.usage(spec,
            "invalid encryption key in " + source + ", item " + (i + 1) + " of " + items.size()
                + " (the value is not shown)");
      }
    }
    return keys;
  }
}
