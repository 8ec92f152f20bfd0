package dev.cachet.benchmarks;

import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cachet.Cache;
import dev.cachet.memory.MemoryCacheBuilder;
import dev.cachet.metrics.TieredCacheMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A memory-tier {@code getIfPresent} hit with metrics off against metrics on ({@link
 * TieredCacheMetrics} bound to a {@code SimpleMeterRegistry}), in the same run, with raw Caffeine as a
 * floor. Goals (issue 7): no allocation on the hit path with metrics on ({@code -prof gc}: 0 B/op) and
 * at most 10% slower than off.
 *
 * <p>Each {@code setup} value runs in its own forks, so the cache call site stays monomorphic in each.
 * Every key is present (1,024 keys, cycled by a mask, in a cache of 10,000), so every call is a hit.
 *
 * <p>Run through {@code benchmarks/run.sh} (any JDK 17 or newer); see {@code docs/benchmarks.md}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(3)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class MetricsOverheadBenchmark {

  private static final int KEYS = 1024;
  private static final int MASK = KEYS - 1;

  /** {@code metricsOff}, {@code metricsOn} (Cachet memory tier) or {@code caffeine} (raw floor). */
  @Param({"metricsOff", "metricsOn", "caffeine"})
  public String setup;

  private final String[] keys = new String[KEYS];
  private Cache<String, String> cachet;
  private com.github.benmanes.caffeine.cache.Cache<String, String> caffeine;
  private SimpleMeterRegistry registry;
  private int index;

  @Setup(Level.Trial)
  public void setUp() {
    for (int i = 0; i < KEYS; i++) {
      keys[i] = "key-" + i;
    }
    switch (setup) {
      case "metricsOff":
      case "metricsOn":
        cachet = MemoryCacheBuilder.<String, String>newBuilder().name("bench").maximumSize(10_000).build();
        for (String key : keys) {
          cachet.put(key, "value-" + key);
        }
        if (setup.equals("metricsOn")) {
          registry = new SimpleMeterRegistry();
          TieredCacheMetrics.monitor(registry, cachet);
        }
        break;
      case "caffeine":
        caffeine = Caffeine.newBuilder().maximumSize(10_000).executor(Runnable::run).build();
        for (String key : keys) {
          caffeine.put(key, "value-" + key);
        }
        break;
      default:
        throw new IllegalArgumentException("unknown setup: " + setup);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (cachet != null) {
      if (registry != null) {
        // Sanity: the meters saw the hits (and stats() agrees), so the "on" path really counted.
        double hits = registry.get("cache.gets").tag("result", "hit").functionCounter().count();
        if (hits <= 0 || hits != cachet.stats().hitCount().orElse(-1)) {
          throw new IllegalStateException("metrics did not count the hits: " + hits);
        }
      }
      cachet.close();
    }
  }

  @Benchmark
  public String getIfPresentHit() {
    String key = keys[index++ & MASK];
    return caffeine != null ? caffeine.getIfPresent(key) : cachet.getIfPresent(key);
  }
}
