package dev.cachet.benchmarks;

import dev.cachet.CacheLoader;
import dev.cachet.KeyCodec;
import dev.cachet.MultiTenantCache;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.tiered.TieredCacheBuilder;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A Zipf workload (s = 1.0) over a 100,000-key universe with 1 KB values, every key in Redis, the memory
 * tier holding 10 % of the keys: throughput and latency percentiles (p50/p99/p999 from {@code
 * SampleTime}) of {@code get(key, loader)} with 1 and 2 threads. Memory misses go to a local {@code
 * redis-server} (decrypt + JSON); the loader is never called. Reports hit ratios of memory vs Redis
 * through the cache's stats at teardown.
 *
 * <p>Run (needs {@code redis-server} on PATH):
 *
 * <pre>
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar benchmarks/target/benchmarks.jar TieredZipfBenchmark \
 *     -f 3 -wi 3 -w 2s -i 5 -r 2s -rf json -rff benchmarks/results/tiered-zipf.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(3)
public class TieredZipfBenchmark {

  private static final int UNIVERSE = 100_000;
  private static final int SAMPLES = 1 << 20;
  private static final CacheLoader<String, String> NEVER = k -> {
    throw new IllegalStateException("every key is in Redis");
  };

  private String[] keys;
  private int[] draws;
  private MultiTenantCache<String, String> cache;
  private RedisConnections connections;
  private LocalRedis redis;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    redis = LocalRedis.start();
    connections = RedisConnections.create(redis.uri());
    RedisCacheBuilder<String, String> remote =
        RedisCacheBuilder.<String, String>newBuilder()
            .name("zipf")
            .connections(connections)
            .keyRing(FernetKeyRing.of(FernetKey.generate()))
            .serializer(ValueSerializers.json(String.class))
            .keyCodec(KeyCodec.strings());
    cache =
        TieredCacheBuilder.<String, String>newBuilder()
            .name("zipf")
            .keyCodec(KeyCodec.strings())
            .remote(remote)
            .memoryMaximumSize(UNIVERSE / 10)
            .defaultTtl(Duration.ofHours(1))
            .build();
    keys = new String[UNIVERSE];
    char[] filler = new char[1000];
    Arrays.fill(filler, 'x');
    String payload = new String(filler);
    Map<String, String> batch = new HashMap<>();
    for (int i = 0; i < UNIVERSE; i++) {
      keys[i] = "item:" + i;
      batch.put(keys[i], payload + i);
      if (batch.size() == 1000) {
        cache.putAll(batch);
        batch.clear();
      }
    }
    cache.invalidateAll(Arrays.asList(keys).subList(0, 0)); // no-op; memory keeps the last puts
    double[] cdf = new double[UNIVERSE];
    double sum = 0;
    for (int i = 0; i < UNIVERSE; i++) {
      sum += 1.0 / (i + 1);
      cdf[i] = sum;
    }
    SplittableRandom random = new SplittableRandom(7);
    draws = new int[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
      int idx = Arrays.binarySearch(cdf, random.nextDouble() * sum);
      draws[i] = Math.min(idx >= 0 ? idx : -idx - 1, UNIVERSE - 1);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    System.out.println("\nstats: " + cache.stats());
    cache.close();
    connections.close();
    redis.close();
  }

  /** Per-thread cursor into the precomputed draws. */
  @State(Scope.Thread)
  public static class Cursor {
    int next = new SplittableRandom().nextInt(SAMPLES);
  }

  private String get(Cursor cursor) {
    return cache.get(keys[draws[cursor.next++ & (SAMPLES - 1)]], NEVER);
  }

  @Benchmark
  @Threads(1)
  public String zipf1Thread(Cursor cursor) {
    return get(cursor);
  }

  @Benchmark
  @Threads(2)
  public String zipf2Threads(Cursor cursor) {
    return get(cursor);
  }
}
