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
import java.util.concurrent.locks.LockSupport;

/**
 * {@code demo}: a Zipf-distributed workload against a memory-only cache whose loader is deliberately
 * slow (it parks, like a database call), run once through the cache and once straight against the
 * loader. Prints the hit rate, loader calls saved, throughput and p50/p99 latency of both runs.
 */
final class DemoCommand implements CliCommand {

  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String summary() {
    return "Zipf workload against a memory cache with a slow loader; prints hit rate and latency";
  }

  @Override
  public String usage() {
    return String.join(
        System.lineSeparator(),
        "usage: demo [--requests N] [--keys N] [--cache-size N] [--zipf S] [--loader-millis N]"
            + " [--threads N] [--seed N]",
        "  --requests N       requests through the cache (default 50000)",
        "  --keys N           size of the key universe (default 20000)",
        "  --cache-size N     memory tier bound in entries (default 2000)",
        "  --zipf S           Zipf exponent, > 0 (default 1.0)",
        "  --loader-millis N  how long one loader call takes (default 2)",
        "  --threads N        concurrent callers (default 4)",
        "  --seed N           random seed (default 42)");
  }

  @Override
  public int run(List<String> args, Io io) throws Exception {
    Options o = Options.parse(args);
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

  private static int[][] workload(ZipfSampler sampler, int requests, int threads, long seed) {
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

  private static final class Options {
    int requests = 50_000;
    int keys = 20_000;
    int cacheSize = 2_000;
    double zipf = 1.0;
    int loaderMillis = 2;
    int threads = 4;
    long seed = 42;

    static Options parse(List<String> args) throws UsageException {
      Options o = new Options();
      for (int i = 0; i < args.size(); i++) {
        String flag = args.get(i);
        if (i + 1 >= args.size()) {
          throw new UsageException(flag + " needs a value");
        }
        String value = args.get(++i);
        switch (flag) {
          case "--requests":
            o.requests = positiveInt(flag, value);
            break;
          case "--keys":
            o.keys = positiveInt(flag, value);
            break;
          case "--cache-size":
            o.cacheSize = positiveInt(flag, value);
            break;
          case "--loader-millis":
            o.loaderMillis = nonNegativeInt(flag, value);
            break;
          case "--threads":
            o.threads = positiveInt(flag, value);
            break;
          case "--seed":
            o.seed = nonNegativeInt(flag, value);
            break;
          case "--zipf":
            try {
              o.zipf = Double.parseDouble(value);
            } catch (NumberFormatException e) {
              throw new UsageException("--zipf must be a positive number: '" + value + "'");
            }
            if (!(o.zipf > 0) || o.zipf > 10) {
              throw new UsageException("--zipf must be in (0, 10]: " + value);
            }
            break;
          default:
            throw new UsageException("unknown option '" + flag + "'");
        }
      }
      return o;
    }

    private static int positiveInt(String flag, String value) throws UsageException {
      int n = nonNegativeInt(flag, value);
      if (n == 0) {
        throw new UsageException(flag + " must be positive: " + value);
      }
      return n;
    }

    private static int nonNegativeInt(String flag, String value) throws UsageException {
      try {
        int n = Integer.parseInt(value);
        if (n < 0) {
          throw new UsageException(flag + " must not be negative: " + value);
        }
        return n;
      } catch (NumberFormatException e) {
        throw new UsageException(flag + " must be a whole number: '" + value + "'");
      }
    }
  }
}
