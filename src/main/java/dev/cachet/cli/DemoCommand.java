package dev.cachet.cli;

import dev.cachet.Cache;
import dev.cachet.CacheStats;
import dev.cachet.memory.MemoryCacheBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: by default, the whole product: two instances of a tiered, encrypted cache sharing one
 * Redis ({@code CACHET_REDIS_URL}, or a {@code redis-server} the demo starts itself), with hit rates
 * per tier, what Redis really holds, a coherent write, a Redis outage survived, and the meters (see
 * {@link TieredDemo}). With {@code --memory-only}: a Zipf-distributed workload against a memory-only
 * cache whose loader is deliberately slow (it parks, like a database call), run once through the cache
 * and once straight against the loader, printing hit rate, loader calls saved, throughput and p50/p99.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = CachetCli.Version.class,
    sortOptions = false,
    description = {
      "Show the whole product on two instances of a tiered, encrypted cache.",
      "The instances share one Redis. Shows hit rates per tier and loader calls saved, what Redis"
          + " holds (a Fernet token, not the data), a coherent write, a Redis outage survived and"
          + " recovered from, and the meters.",
      "Uses CACHET_REDIS_URL when set (under a random key prefix, deleted afterwards; the outage cuts a"
          + " local proxy, never your server), else starts a redis-server on a free loopback port (from"
          + " the PATH, else the one embedded in the -cli JAR) and stops it on exit.",
      "With --memory-only: the memory tier alone, with and without the cache."
    })
final class DemoCommand implements Callable<Integer> {
  private final CliCommand.Io io;

  @Spec CommandSpec spec;

  @Option(names = "--memory-only", description = "only the memory tier, with and without the cache")
  boolean memoryOnly;

  @Option(names = "--requests", paramLabel = "N",
      description = "requests per instance (default 20000; memory-only 50000)")
  int requests = -1;

  @Option(names = "--keys", paramLabel = "N", description = "size of the key universe (default 5000; memory-only 20000)")
  int keys = -1;

  @Option(names = "--cache-size", paramLabel = "N",
      description = "memory tier bound in entries (default 500; memory-only 2000)")
  int cacheSize = -1;

  @Option(names = "--zipf", paramLabel = "S", description = "Zipf exponent, in (0, 10] (default 1.0)")
  double zipf = 1.0;

  @Option(names = "--loader-millis", paramLabel = "N",
      description = "how long one loader call takes (default 1; memory-only 2)")
  int loaderMillis = -1;

  @Option(names = "--threads", paramLabel = "N", description = "concurrent callers (default 4)")
  int threads = 4;

  @Option(names = "--seed", paramLabel = "N", description = "random seed (default 42)")
  long seed = 42;

  DemoCommand(CliCommand.Io io) {
    this.io = io;
  }

  @Override
  public Integer call() throws Exception {
    boolean tiered = !memoryOnly;
    requests = orDefault(requests, "--requests", tiered ? 20_000 : 50_000, false);
    keys = orDefault(keys, "--keys", tiered ? 5_000 : 20_000, false);
    cacheSize = orDefault(cacheSize, "--cache-size", tiered ? 500 : 2_000, false);
    loaderMillis = orDefault(loaderMillis, "--loader-millis", tiered ? 1 : 2, true);
    threads = orDefault(threads, "--threads", 4, false);
    if (!(zipf > 0) || zipf > 10) {
      throw CliCommand.usage(spec, "--zipf must be in (0, 10]: " + zipf);
    }
    if (seed < 0) {
      throw CliCommand.usage(spec, "--seed must not be negative: " + seed);
    }
    if (tiered) {
      return new TieredDemo(io, requests, keys, cacheSize, zipf, loaderMillis, threads, seed).run();
    }
    return runMemoryOnly();
  }

  private int orDefault(int value, String name, int fallback, boolean zeroAllowed) {
    if (value == -1) {
      return fallback;
    }
    if (value < 0 || (value == 0 && !zeroAllowed)) {
      throw CliCommand.usage(spec, name + " must be " + (zeroAllowed ? "non-negative" : "positive")
          + ": " + value);
    }
    return value;
  }

  private int runMemoryOnly() throws Exception {
    Options o = new Options(requests, keys, cacheSize, zipf, loaderMillis, threads, seed);
    io.out().printf(
        Locale.ROOT,
        "cachet demo: %,d requests over %,d keys (Zipf s=%.2f), cache of %,d entries, loader %d ms,"
            + " %d threads%n",
        o.requests, o.keys, o.zipf, o.cacheSize, o.loaderMillis, o.threads);

    ZipfSampler sampler = new ZipfSampler(o.keys, o.zipf);
    int[][] workload = workload(sampler, o.requests, o.threads, o.seed);

    AtomicLong loaderCalls = new AtomicLong();
    long loaderNanos = Duration.ofMillis(o.loaderMillis).toNanos();
    try (Cache<Integer, String> cache =
        MemoryCacheBuilder.<Integer, String>newBuilder()
            .name("demo")
            .maximumSize(o.cacheSize)
            .defaultTtl(Duration.ofMinutes(10))
            .build()) {
      Result cached =
          run(
              workload,
              key ->
                  cache.get(
                      key,
                      k -> {
                        loaderCalls.incrementAndGet();
                        LockSupport.parkNanos(loaderNanos);
                        return "value-" + k;
                      }));

      // The baseline calls the loader for every request; a sample keeps the demo short.
      int baselineRequests = Math.min(o.requests, Math.max(200, 1000 * o.threads));
      int[][] baselineWorkload = workload(sampler, baselineRequests, o.threads, o.seed + 1);
      Result direct =
          run(
              baselineWorkload,
              key -> {
                LockSupport.parkNanos(loaderNanos);
                return "value-" + key;
              });

      CacheStats stats = cache.stats();
      double hitRate = stats.hitRate().orElse(Double.NaN);
      long calls = loaderCalls.get();
      io.out().println();
      io.out().printf(Locale.ROOT, "hit rate            %.1f %%%n", hitRate * 100);
      io.out().printf(
          Locale.ROOT,
          "loader calls        %,d of %,d requests (%,d saved, %.1f %%)%n",
          calls, o.requests, o.requests - calls, 100.0 * (o.requests - calls) / o.requests);
      io.out().printf(
          Locale.ROOT,
          "%-19s %12s %12s %14s%n", "", "p50", "p99", "throughput");
      io.out().printf(
          Locale.ROOT,
          "%-19s %12s %12s %11.0f/s%n",
          "with cache", micros(cached.percentile(50)), micros(cached.percentile(99)),
          cached.throughput());
      io.out().printf(
          Locale.ROOT,
          "%-19s %12s %12s %11.0f/s   (%,d sampled requests)%n",
          "without cache", micros(direct.percentile(50)), micros(direct.percentile(99)),
          direct.throughput(), baselineRequests);
      io.out().printf(Locale.ROOT, "stats               %s%n", stats);
    }
    return 0;
  }

  private static String micros(long nanos) {
    return String.format(Locale.ROOT, "%,.1f us", nanos / 1000.0);
  }

  static int[][] workload(ZipfSampler sampler, int requests, int threads, long seed) {
    int[][] perThread = new int[threads][];
    SplittableRandom random = new SplittableRandom(seed);
    for (int t = 0; t < threads; t++) {
      int n = requests / threads + (t < requests % threads ? 1 : 0);
      perThread[t] = new int[n];
      for (int i = 0; i < n; i++) {
        perThread[t][i] = sampler.sample(random);
      }
    }
    return perThread;
  }

  private interface Lookup {
    String apply(int key);
  }

  private static Result run(int[][] workload, Lookup lookup) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(workload.length);
    try {
      List<Future<long[]>> futures = new ArrayList<>();
      long start = System.nanoTime();
      for (int[] keys : workload) {
        futures.add(
            pool.submit(
                () -> {
                  long[] latencies = new long[keys.length];
                  for (int i = 0; i < keys.length; i++) {
                    long t0 = System.nanoTime();
                    if (lookup.apply(keys[i]) == null) {
                      throw new IllegalStateException("lookup returned null");
                    }
                    latencies[i] = System.nanoTime() - t0;
                  }
                  return latencies;
                }));
      }
      List<long[]> parts = new ArrayList<>();
      for (Future<long[]> f : futures) {
        parts.add(f.get());
      }
      long elapsed = System.nanoTime() - start;
      int total = parts.stream().mapToInt(p -> p.length).sum();
      long[] all = new long[total];
      int offset = 0;
      for (long[] part : parts) {
        System.arraycopy(part, 0, all, offset, part.length);
        offset += part.length;
      }
      Arrays.sort(all);
      return new Result(all, elapsed);
    } finally {
      pool.shutdownNow();
    }
  }

  private record Result(long[] sortedLatencies, long elapsedNanos) {
    long percentile(int p) {
      if (sortedLatencies.length == 0) {
        return 0;
      }
      int index = (int) Math.ceil(p / 100.0 * sortedLatencies.length) - 1;
      return sortedLatencies[Math.max(0, Math.min(index, sortedLatencies.length - 1))];
    }

    double throughput() {
      return sortedLatencies.length / (elapsedNanos / 1e9);
    }
  }

  /** Samples ranks 0..n-1 with probability proportional to 1/(rank+1)^s, by inverse CDF. */
  static final class ZipfSampler {
    private final double[] cdf;

    ZipfSampler(int n, double s) {
      cdf = new double[n];
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += 1.0 / Math.pow(i + 1, s);
        cdf[i] = sum;
      }
      for (int i = 0; i < n; i++) {
        cdf[i] /= sum;
      }
    }

    int sample(SplittableRandom random) {
      double u = random.nextDouble();
      int index = Arrays.binarySearch(cdf, u);
      return index >= 0 ? index : Math.min(-index - 1, cdf.length - 1);
    }
  }

  private record Options(
      int requests, int keys, int cacheSize, double zipf, int loaderMillis, int threads, long seed) {}
}
