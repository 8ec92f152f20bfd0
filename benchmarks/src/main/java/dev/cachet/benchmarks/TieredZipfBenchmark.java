package dev.cachet.benchmarks;

import dev.cachet.Cache;
import dev.cachet.CacheLoader;
import dev.cachet.KeyCodec;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.tiered.TieredCacheBuilder;
import dev.cachet.benchmarks.shared.BenchRedis;
import dev.cachet.benchmarks.shared.RawCaffeineSubject;
import dev.cachet.benchmarks.shared.RawLettuceSubject;
import dev.cachet.benchmarks.shared.RawTwoLevelSubject;
import dev.cachet.benchmarks.shared.ZipfBenchmarkBase;
import dev.cachet.benchmarks.shared.ZipfSubject;
import dev.cachet.benchmarks.shared.ZipfWorkload;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Cachet on the shared Zipf workload ({@link ZipfWorkload}: Zipf 0.99 over 100,000 keys, 1 KB values, every
 * key in a loopback Redis, local tier 10 %), the same workload {@code benchmarks/peers} runs for Redisson
 * and JetCache. Subjects:
 *
 * <ul>
 *   <li>{@code cachet}: the tiered cache, {@code get(key, loader)} (the loader is never needed), memory
 *       bounded to 10,000 entries, Redis values Fernet-encrypted JSON (sealed format), TTL one hour;
 *   <li>{@code cachetRedis}: the Redis cache alone ({@code getIfPresent}), same encryption and format:
 *       every call is a Redis round trip;
 *   <li>{@code caffeine}: raw Caffeine holding every key (the local-hit floor);
 *   <li>{@code lettuce}: raw Lettuce {@code GET} of plain bytes (the remote-hit floor);
 *   <li>{@code lettucePerThread}: the same with one connection per benchmark thread (what a pooling
 *       client gets at 2 threads; Cachet, like raw Lettuce, multiplexes one connection);
 *   <li>{@code twoLevel}: raw Caffeine bounded like the local tier over raw Lettuce, no encryption (the
 *       floor of a two-level cache's local hit on this workload, see {@link RawTwoLevelSubject}).
 * </ul>
 *
 * Throughput and latency percentiles at 1 and 2 threads; Redis commands per call and the local hit
 * ratio are recorded from {@code INFO commandstats} (see {@link ZipfBenchmarkBase}). Run through {@code
 * benchmarks/run.sh}.
 */
@State(Scope.Benchmark)
public class TieredZipfBenchmark extends ZipfBenchmarkBase {

  @Param({"cachet", "cachetRedis", "caffeine", "lettuce", "lettucePerThread", "twoLevel"})
  public String subject;

  @Override
  protected String subjectName() {
    return subject;
  }

  @Override
  protected ZipfSubject createSubject(String name, BenchRedis redis) {
    switch (name) {
      case "cachet":
        return new CachetSubject(redis, true);
      case "cachetRedis":
        return new CachetSubject(redis, false);
      case "caffeine":
        return new RawCaffeineSubject();
      case "lettuce":
        return new RawLettuceSubject(redis);
      case "lettucePerThread":
        return new RawLettuceSubject(redis, true);
      case "twoLevel":
        return new RawTwoLevelSubject(redis);
      default:
        throw new IllegalArgumentException("unknown subject " + name);
    }
  }

  /** Cachet's tiered cache, or its Redis cache alone. */
  static final class CachetSubject implements ZipfSubject {
    private static final CacheLoader<String, String> NEVER = k -> {
      throw new IllegalStateException("every key is in Redis");
    };

    private final RedisConnections connections;
    private final Cache<String, String> cache;
    private final boolean tiered;

    CachetSubject(BenchRedis redis, boolean tiered) {
      this.tiered = tiered;
      connections = RedisConnections.create(redis.uri());
      RedisCacheBuilder<String, String> remote =
          RedisCacheBuilder.<String, String>newBuilder()
              .name("zipf")
              .connections(connections)
              .keyRing(FernetKeyRing.of(FernetKey.generate()))
              .serializer(ValueSerializers.json(String.class))
              .keyCodec(KeyCodec.strings())
              .defaultTtl(Duration.ofHours(1));
      cache =
          tiered
              ? TieredCacheBuilder.<String, String>newBuilder()
                  .name("zipf")
                  .keyCodec(KeyCodec.strings())
                  .remote(remote)
                  .memoryMaximumSize(ZipfWorkload.LOCAL_ENTRIES)
                  .defaultTtl(Duration.ofHours(1))
                  .build()
              : remote.build();
    }

    @Override
    public void load(String[] keys) {
      Map<String, String> batch = new HashMap<>();
      for (int i = 0; i < keys.length; i++) {
        batch.put(keys[i], ZipfWorkload.value(i));
        if (batch.size() == 1_000 || i == keys.length - 1) {
          cache.putAll(batch);
          batch.clear();
        }
      }
    }

    @Override
    public Object get(int index, String key) {
      return tiered ? cache.get(key, NEVER) : cache.getIfPresent(key);
    }

    @Override
    public String remoteReadCommand() {
      return "get";
    }

    @Override
    public void close() {
      cache.close();
      connections.close();
    }
  }
}
