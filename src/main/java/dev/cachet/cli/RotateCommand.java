package dev.cachet.cli;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKey;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.redis.RedisRotation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
 * <p>Exit codes: 0 when every entry is under the primary key or changed meanwhile; 1 when Redis fails
 * or some entries are under no key of the ring (they were left as they are); 2 on a usage error.
 */
final class RotateCommand implements CliCommand {

  private static final long PROGRESS_INTERVAL_NANOS = 1_000_000_000L;

  @Override
  public String name() {
    return "rotate";
  }

  @Override
  public String summary() {
    return "re-encrypt every Redis entry of a cache under the key ring's primary key";
  }

  @Override
  public String usage() {
    return String.join(
        System.lineSeparator(),
        "usage: rotate --cache NAME [--prefix P] [--tenant T] [--redis-url URL]"
            + " [--key-env VAR | --key-file PATH] [--batch N]",
        "  --cache NAME      the cache whose entries to re-encrypt (required)",
        "  --prefix P        the cache's key prefix (default " + RedisCacheBuilder.DEFAULT_KEY_PREFIX + ")",
        "  --tenant T        only this tenant's entries (default: every entry of the cache)",
        "  --redis-url URL   redis://, rediss:// or redis-sentinel:// URI (default: "
            + CachetEnvironment.REDIS_URL + " or " + CachetEnvironment.REDIS_CLUSTER_NODES + ");",
        "                    prefer the environment when the URI holds a password",
        "  --key-env VAR     read the key ring (comma-separated, new primary first) from VAR",
        "                    (default " + CachetEnvironment.ENCRYPTION_KEYS + ")",
        "  --key-file PATH   read the key ring from a file: keys separated by commas or lines,",
        "                    new primary first; '#' starts a comment line",
        "  --batch N         keys per SCAN page and entries in flight (default "
            + RedisRotation.DEFAULT_BATCH_SIZE + ")",
        "Keys are never accepted as arguments. Safe to interrupt and run again; entries written",
        "or deleted during the run are left alone. Timeouts: " + CachetEnvironment.REDIS_COMMAND_TIMEOUT
            + ", " + CachetEnvironment.REDIS_CONNECT_TIMEOUT + ".");
  }

  @Override
  public int run(List<String> args, Io io) throws Exception {
    Options o = Options.parse(args);
    CachetEnvironment env = io.environment();
    List<FernetKey> keys = readKeys(o, env);
    try (RedisConnections connections = connect(o, env)) {
      if (!connections.isConnected()) {
        io.err().println("cachet rotate: Redis is not reachable: " + connections);
        return 1;
      }
      RedisRotation rotation;
      try {
        RedisRotation.Builder b =
            RedisRotation.newBuilder().connections(connections).cacheName(o.cache).keys(keys);
        if (o.prefix != null) {
          b.keyPrefix(o.prefix);
        }
        if (o.tenant != null) {
          b.tenant(o.tenant);
        }
        if (o.batch > 0) {
          b.batchSize(o.batch);
        }
        rotation = b.build();
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
      io.out().printf(
          Locale.ROOT,
          "rotating cache '%s'%s on %s to primary key %s (%d key(s) in the ring)%n",
          o.cache,
          o.tenant == null ? "" : " (tenant " + o.tenant + ")",
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
        return 1;
      }
      return 0;
    }
  }

  private static void printProgress(Io io, RedisRotation.Progress p) {
    double percent = p.total() == 0 ? 100.0 : Math.min(100.0, 100.0 * p.done() / p.total());
    io.out().printf(
        Locale.ROOT,
        "  %,d/%,d entries (%.1f%%), %,.0f entries/s%n",
        p.done(),
        Math.max(p.total(), p.done()),
        percent,
        p.ratePerSecond());
  }

  private static RedisConnections connect(Options o, CachetEnvironment env) {
    if (o.redisUrl != null) {
      return RedisConnections.newBuilder().uri(o.redisUrl).settingsFrom(env).build();
    }
    return RedisConnections.fromEnvironment(env);
  }

  /** The key ring, primary first; messages name the source and position, never key material. */
  static List<FernetKey> readKeys(Options o, CachetEnvironment env) throws UsageException, IOException {
    String source;
    List<String> items;
    if (o.keyFile != null) {
      source = "key file " + o.keyFile;
      Path path = Path.of(o.keyFile);
      if (!Files.isRegularFile(path)) {
        throw new UsageException("--key-file " + o.keyFile + " is not a readable file");
      }
      items = new ArrayList<>();
      for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
        String trimmed = line.trim();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
          continue;
        }
        for (String item : trimmed.split(",")) {
          if (!item.isBlank()) {
            items.add(item.trim());
          }
        }
      }
    } else {
      String variable = o.keyEnv != null ? o.keyEnv : CachetEnvironment.ENCRYPTION_KEYS;
      source = "environment variable " + variable;
      items = env.secretList(variable);
    }
    if (items.isEmpty()) {
      throw new UsageException(
          "no key ring: set " + CachetEnvironment.ENCRYPTION_KEYS
              + " (comma-separated, new primary first), or give --key-env VAR or --key-file PATH ("
              + source + " has no keys)");
    }
    List<FernetKey> keys = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      try {
        keys.add(FernetKey.parse(items.get(i)));
      } catch (CacheConfigurationException e) {
        throw new UsageException(
            "invalid encryption key in " + source + ", item " + (i + 1) + " of " + items.size()
                + " (the value is not shown)");
      }
    }
    return keys;
  }

  static final class Options {
    String cache;
    String prefix;
    String tenant;
    String redisUrl;
    String keyEnv;
    String keyFile;
    int batch;

    static Options parse(List<String> args) throws UsageException {
      Options o = new Options();
      for (int i = 0; i < args.size(); i++) {
        String flag = args.get(i);
        if (flag.equals("--key") || flag.equals("--keys") || flag.startsWith("--key=")
            || flag.startsWith("--keys=")) {
          throw new UsageException(
              "keys are never accepted on the command line (ps would show them); use "
                  + CachetEnvironment.ENCRYPTION_KEYS + ", --key-env VAR or --key-file PATH");
        }
        if (i + 1 >= args.size()) {
          throw new UsageException(flag + " needs a value");
        }
        String value = args.get(++i);
        switch (flag) {
          case "--cache":
            o.cache = value;
            break;
          case "--prefix":
            o.prefix = value;
            break;
          case "--tenant":
            o.tenant = value;
            break;
          case "--redis-url":
            o.redisUrl = value;
            break;
          case "--key-env":
            o.keyEnv = value;
            break;
          case "--key-file":
            o.keyFile = value;
            break;
          case "--batch":
            try {
              o.batch = Integer.parseInt(value);
            } catch (NumberFormatException e) {
              throw new UsageException("--batch must be a whole number: '" + value + "'");
            }
            if (o.batch < 1 || o.batch > 10_000) {
              throw new UsageException("--batch must be in [1, 10000]: " + value);
            }
            break;
          default:
            throw new UsageException("unknown option '" + flag + "'");
        }
      }
      if (o.cache == null) {
        throw new UsageException("--cache is required");
      }
      if (o.keyEnv != null && o.keyFile != null) {
        throw new UsageException("--key-env and --key-file are exclusive");
      }
      return o;
    }
  }
}
