package dev.cachet.benchmarks;

import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cachet.CacheLoader;
import dev.cachet.KeyCodec;
import dev.cachet.MultiTenantCache;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.tiered.TieredCacheBuilder;
import dev.cachet.benchmarks.shared.BenchRedis;
import java.time.Duration;
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
 * A memory-tier hit through the full tiered {@code get(key, loader)} against a raw Caffeine {@code
 * getIfPresent} (same bound) in the same run. Goals: at most 1.3x Caffeine (issue 5: with a fixed
 * expiry; issue 18: with the same expiry configuration as the memory tier, {@code caffeineSame}), and no
 * allocation on the hit path ({@code -prof gc}: 0 B/op). Every key is present (1,024 String keys cycled
 * by a mask; memory holds 10,000), so every call is a memory hit; Redis (a local {@code redis-server}
 * started by the benchmark) is never touched on the measured path.
 *
 * <p>Run through {@code benchmarks/run.sh} (needs {@code redis-server} on PATH), which adds {@code -prof
 * gc}; see {@code docs/benchmarks.md}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public class TieredHitBenchmark {

  private static final int KEYS = 1024;
  private static final CacheLoader<String, String> NEVER = k -> {
    throw new IllegalStateException("every key is present");
  };

  /**
   * {@code caffeine}: raw Caffeine, fixed expiry (issue 5's baseline); {@code caffeineVariable}: raw
   * Caffeine with a per-entry {@code Expiry}, as the memory tier uses; {@code caffeineSame}: raw Caffeine
   * built as the memory tier builds it (per-entry {@code Expiry}, maintenance on the calling thread, the
   * system ticker, a removal listener: issue 18's "same expiry configuration"); {@code memory}: Cachet's
   * memory-only cache; {@code tiered}: the full tiered {@code get(key, loader)}.
   */
  @Param({"caffeine", "caffeineVariable", "caffeineSame", "memory", "tiered"})
  public String setup;

  private String[] keys;
  private com.github.benmanes.caffeine.cache.Cache<String, String> caffeine;
  private dev.cachet.Cache<String, String> memory;
  private MultiTenantCache<String, String> tiered;
  private RedisConnections connections;
  private BenchRedis redis;
  private int index;
  private final java.util.concurrent.atomic.LongAdder removals = new java.util.concurrent.atomic.LongAdder();

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    keys = new String[KEYS];
    for (int i = 0; i < KEYS; i++) {
      keys[i] = "key-" + i;
    }
    if (setup.equals("caffeine")) {
      caffeine = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(10)).build();
      for (String k : keys) {
        caffeine.put(k, "value-" + k);
      }
    } else if (setup.equals("caffeineVariable")) {
      caffeine =
          Caffeine.newBuilder()
              .maximumSize(10_000)
              .expireAfter(
                  com.github.benmanes.caffeine.cache.Expiry.<String, String>writing(
                      (k, v) -> Duration.ofMinutes(10)))
              .build();
      for (String k : keys) {
        caffeine.put(k, "value-" + k);
      }
    } else if (setup.equals("caffeineSame")) {
      // what dev.cachet.memory.CaffeineMemoryCache configures (its Expiry returns the entry's TTL on
      // create and update and keeps the current duration on read, as Expiry.writing does)
      caffeine =
          Caffeine.newBuilder()
              .executor(Runnable::run)
              .ticker(com.github.benmanes.caffeine.cache.Ticker.systemTicker())
              .expireAfter(
                  com.github.benmanes.caffeine.cache.Expiry.<String, String>writing(
                      (k, v) -> Duration.ofMinutes(10)))
              .maximumSize(10_000)
              .removalListener((k, v, cause) -> removals.increment())
              .build();
      for (String k : keys) {
        caffeine.put(k, "value-" + k);
      }
    } else if (setup.equals("memory")) {
      memory =
          dev.cachet.memory.MemoryCacheBuilder.<String, String>newBuilder()
              .name("bench")
              .maximumSize(10_000)
              .defaultTtl(Duration.ofMinutes(10))
              .build();
      for (String k : keys) {
        memory.put(k, "value-" + k);
      }
    } else {
      redis = BenchRedis.acquire();
      connections = RedisConnections.create(redis.uri());
      RedisCacheBuilder<String, String> remote =
          RedisCacheBuilder.<String, String>newBuilder()
              .name("bench")
              .connections(connections)
              .keyRing(FernetKeyRing.of(FernetKey.generate()))
              .serializer(ValueSerializers.json(String.class))
              .keyCodec(KeyCodec.strings());
      tiered =
          TieredCacheBuilder.<String, String>newBuilder()
              .name("bench")
              .keyCodec(KeyCodec.strings())
              .remote(remote)
              .memoryMaximumSize(10_000)
              .defaultTtl(Duration.ofMinutes(10))
              .build();
      for (String k : keys) {
        tiered.put(k, "value-" + k);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    if (tiered != null) {
      tiered.close();
      connections.close();
      redis.close();
    }
  }

  @Benchmark
  public String hit() {
    String key = keys[index++ & (KEYS - 1)];
    if (caffeine != null) {
      return caffeine.getIfPresent(key);
    }
    return memory != null ? memory.get(key, NEVER) : tiered.get(key, NEVER);
  }
}
