package dev.cachet.benchmarks.peers;

import com.alicp.jetcache.Cache;
import com.alicp.jetcache.SimpleCacheManager;
import com.alicp.jetcache.anno.CacheType;
import com.alicp.jetcache.embedded.CaffeineCacheBuilder;
import com.alicp.jetcache.redis.lettuce.JetCacheCodec;
import com.alicp.jetcache.redis.lettuce.RedisLettuceCacheBuilder;
import com.alicp.jetcache.support.BroadcastManager;
import com.alicp.jetcache.support.Fastjson2KeyConvertor;
import com.alicp.jetcache.support.JavaValueDecoder;
import com.alicp.jetcache.support.JavaValueEncoder;
import com.alicp.jetcache.template.CacheBuilderTemplate;
import com.alicp.jetcache.template.QuickConfig;
import dev.cachet.benchmarks.shared.BenchRedis;
import dev.cachet.benchmarks.shared.RawCaffeineSubject;
import dev.cachet.benchmarks.shared.RawLettuceSubject;
import dev.cachet.benchmarks.shared.ZipfBenchmarkBase;
import dev.cachet.benchmarks.shared.ZipfSubject;
import dev.cachet.benchmarks.shared.ZipfWorkload;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import com.alicp.jetcache.CacheBuilder;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.redisson.Redisson;
import org.redisson.api.RLocalCachedMap;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.LocalCachedMapOptions;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;

/**
 * Peer near caches on the suite's Zipf workload ({@link ZipfWorkload}: Zipf 0.99 over 100,000 keys, 1 KB
 * values, every key in a loopback Redis, local tier 10 %), configured as close to Cachet's tiered cache
 * as each allows (local tier bounded to 10,000 entries, one-hour expiry, invalidation of other
 * instances' local copies on change, String keys and values, no encryption: neither peer encrypts):
 *
 * <ul>
 *   <li>{@code redisson}: Redisson's {@code RLocalCachedMap} ({@code getLocalCachedMap}), Caffeine as the
 *       local store ({@code CacheProvider.CAFFEINE}, so eviction is Caffeine's, like Cachet's; Redisson's
 *       own LRU/LFU are the alternatives), {@code cacheSize} 10,000, local {@code timeToLive} one hour,
 *       {@code SyncStrategy.INVALIDATE}, {@code ReconnectionStrategy.CLEAR}, {@code
 *       StoreMode.LOCALCACHE_REDIS}, {@code StringCodec} (plain UTF-8). Entries live in one Redis hash
 *       (the map has no per-entry TTL in Redis; {@code RLocalCachedMapCache} would add one at the cost of
 *       scripts); a remote read is one {@code HGET}.
 *   <li>{@code jetcache}: JetCache's two-level cache ({@code CacheType.BOTH}) built by a {@code
 *       SimpleCacheManager} from a {@code CaffeineCacheBuilder} (limit 10,000, one hour) over a {@code
 *       RedisLettuceCacheBuilder} (one hour, {@code PSETEX} per entry), {@code syncLocal(true)} with a
 *       Lettuce broadcast channel (invalidate other instances' local copies), Fastjson2 key convertor,
 *       JetCache's default value encoder (Java serialization of its value holder: its JSON encoder,
 *       which would match Cachet's JSON, read back {@code null} for these String values in 2.7.8, and
 *       Kryo 5 needs the relocated {@code kryo5} artifact), penetration protection off (no loader is
 *       involved here). A remote read is one {@code GET}; puts are asynchronous {@code PSETEX}.
 *   <li>{@code caffeine}, {@code lettuce}: the raw baselines, as in the suite, on this project's versions.
 * </ul>
 *
 * Run through {@code benchmarks/run.sh}.
 */
@State(Scope.Benchmark)
public class PeersZipfBenchmark extends ZipfBenchmarkBase {

  @Param({"redisson", "jetcache", "caffeine", "lettuce"})
  public String subject;

  @Override
  protected String subjectName() {
    return subject;
  }

  @Override
  protected ZipfSubject createSubject(String name, BenchRedis redis) {
    switch (name) {
      case "redisson":
        return new RedissonSubject(redis);
      case "jetcache":
        return new JetCacheSubject(redis);
      case "caffeine":
        return new RawCaffeineSubject();
      case "lettuce":
        return new RawLettuceSubject(redis);
      default:
        throw new IllegalArgumentException("unknown subject " + name);
    }
  }

  /** Redisson's near cache. */
  static final class RedissonSubject implements ZipfSubject {
    private final RedissonClient client;
    private final RLocalCachedMap<String, String> map;

    RedissonSubject(BenchRedis redis) {
      Config config = new Config();
      config.useSingleServer().setAddress(redis.uri());
      client = Redisson.create(config);
      map =
          client.getLocalCachedMap(
              LocalCachedMapOptions.<String, String>name("zipf")
                  .codec(StringCodec.INSTANCE)
                  .cacheProvider(LocalCachedMapOptions.CacheProvider.CAFFEINE)
                  .cacheSize(ZipfWorkload.LOCAL_ENTRIES)
                  .timeToLive(Duration.ofHours(1))
                  .syncStrategy(LocalCachedMapOptions.SyncStrategy.INVALIDATE)
                  .reconnectionStrategy(LocalCachedMapOptions.ReconnectionStrategy.CLEAR)
                  .storeMode(LocalCachedMapOptions.StoreMode.LOCALCACHE_REDIS));
    }

    @Override
    public void load(String[] keys) {
      map.delete();
      Map<String, String> batch = new HashMap<>();
      for (int i = 0; i < keys.length; i++) {
        batch.put(keys[i], ZipfWorkload.value(i));
        if (batch.size() == 1_000 || i == keys.length - 1) {
          map.putAll(batch);
          batch.clear();
        }
      }
    }

    @Override
    public Object get(int index, String key) {
      return map.get(key);
    }

    @Override
    public String remoteReadCommand() {
      return "hget";
    }

    @Override
    public void close() {
      client.shutdown();
    }
  }

  /** JetCache's Caffeine-over-Lettuce two-level cache. */
  static final class JetCacheSubject implements ZipfSubject {
    private final RedisClient client;
    private final SimpleCacheManager manager;
    private final BroadcastManager broadcast;
    private final Cache<String, String> cache;

    JetCacheSubject(BenchRedis redis) {
      client = RedisClient.create(redis.uri());
      RedisLettuceCacheBuilder<?> remote =
          RedisLettuceCacheBuilder.createRedisLettuceCacheBuilder()
              .redisClient(client)
              .pubSubConnection(client.connectPubSub(new JetCacheCodec()))
              .keyConvertor(Fastjson2KeyConvertor.INSTANCE)
              .valueEncoder(JavaValueEncoder.INSTANCE)
              .valueDecoder(JavaValueDecoder.INSTANCE)
              .broadcastChannel("jetcache-zipf")
              .asyncResultTimeoutInMillis(30_000) // loading on a busy machine; reads never wait this long
              .expireAfterWrite(1, TimeUnit.HOURS);
      CaffeineCacheBuilder<?> local =
          CaffeineCacheBuilder.createCaffeineCacheBuilder()
              .limit(ZipfWorkload.LOCAL_ENTRIES)
              .keyConvertor(Fastjson2KeyConvertor.INSTANCE)
              .expireAfterWrite(1, TimeUnit.HOURS);
      Map<String, CacheBuilder> locals = new HashMap<>();
      locals.put("default", local);
      Map<String, CacheBuilder> remotes = new HashMap<>();
      remotes.put("default", remote);
      manager = new SimpleCacheManager();
      manager.setCacheBuilderTemplate(new CacheBuilderTemplate(false, locals, remotes));
      broadcast = remote.createBroadcastManager(manager);
      manager.putBroadcastManager("default", broadcast);
      broadcast.startSubscribe();
      cache =
          manager.getOrCreateCache(
              QuickConfig.newBuilder("zipf:")
                  .cacheType(CacheType.BOTH)
                  .localLimit(ZipfWorkload.LOCAL_ENTRIES)
                  .expire(Duration.ofHours(1))
                  .localExpire(Duration.ofHours(1))
                  .syncLocal(true)
                  .penetrationProtect(false)
                  .build());
    }

    @Override
    public void load(String[] keys) {
      Map<String, String> batch = new HashMap<>();
      for (int i = 0; i < keys.length; i++) {
        batch.put(keys[i], ZipfWorkload.value(i));
        if (batch.size() == 1_000 || i == keys.length - 1) {
          if (!cache.PUT_ALL(batch).isSuccess()) { // waits for the asynchronous PSETEXs
            throw new IllegalStateException("JetCache could not store a batch");
          }
          batch.clear();
        }
      }
    }

    @Override
    public Object get(int index, String key) {
      return cache.get(key);
    }

    @Override
    public String remoteReadCommand() {
      return "get";
    }

    @Override
    public void close() throws Exception {
      manager.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}
