package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.KeyCodec;
import dev.cachet.internal.CallerRunsExecutor;
import dev.cachet.serialization.ValueSerializer;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteTier;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import dev.cachet.tiered.TieredCacheBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The remote read path: decoding (decryption, deserialization) never runs on Lettuce's event loop (the
 * caller's thread for synchronous reads and for counters, the decode executor for asynchronous reads), and a read that
 * misses memory costs exactly one command (a sealed hit: {@code GET}) or two pipelined ones (a {@code
 * PLAIN_JSON} hit: {@code GET} and {@code PTTL}), nothing else in the steady state ({@code INFO
 * commandstats} deltas over 10,000 reads minus an idle interval of the same length).
 */
class RedisRemotePathIntegrationTests {

  static final int READS = 10_000;
  static final int KEYS = 100;
  /**
   * The generation refresh runs a script whose own {@code GET} and {@code TIME} commandstats counts, so
   * a refresh falling in one interval and not the other would shift {@code get} by one: the counting
   * tests refresh rarely. Heartbeats and any other background traffic are subtracted as measured.
   */
  static final Duration QUIET = Duration.ofHours(1);

  /** JSON strings, recording the name of every thread that deserializes. */
  static final class RecordingSerializer implements ValueSerializer<String> {
    final ValueSerializer<String> json = ValueSerializers.json(String.class);
    final Set<String> threads = ConcurrentHashMap.newKeySet();

    @Override
    public byte[] serialize(String value) {
      return json.serialize(value);
    }

    @Override
    public String deserialize(byte[] bytes) {
      threads.add(Thread.currentThread().getName());
      return json.deserialize(bytes);
    }
  }

  private static RedisCacheBuilder<String, String> builder(
      RedisConnections c, RedisServer redis, String name, ValueSerializer<String> serializer) {
    RedisCacheBuilder<String, String> b =
        RedisCacheBuilder.<String, String>newBuilder()
            .name(name)
            .connections(c)
            .keyCodec(KeyCodec.strings())
            .serializer(serializer)
            .keyRing(RedisTestSupport.RING);
    return redis.keyPrefix().isEmpty() ? b : b.keyPrefix(RedisTestSupport.prefixFrom(redis.keyPrefix()));
  }

  private static boolean isLettuceThread(String name) {
    return name.startsWith("lettuce-") || name.contains("EventLoop") || name.contains("eventLoop");
  }

  // ---------------------------------------------------------------- where decoding runs

  @Test
  void synchronousReads_decodeOnTheCallersThread_redisOnlyAndTiered(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    RecordingSerializer redisOnly = new RecordingSerializer();
    RecordingSerializer tieredSer = new RecordingSerializer();
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache = builder(c, redis, "decode-sync", redisOnly).build();
        Cache<String, String> tiered =
            TieredCacheBuilder.<String, String>newBuilder()
                .name("decode-sync-tiered")
                .keyCodec(KeyCodec.strings())
                .memoryMaximumSize(0)
                .remote(builder(c, redis, "decode-sync-tiered", tieredSer))
                .build()) {
      for (int i = 0; i < 20; i++) {
        cache.put("k" + i, "v" + i);
        tiered.put("k" + i, "v" + i);
      }
      for (int i = 0; i < 20; i++) {
        assertThat(cache.getIfPresent("k" + i)).isEqualTo("v" + i);
        assertThat(tiered.getIfPresent("k" + i)).isEqualTo("v" + i);
      }
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        keys.add("k" + i);
      }
      assertThat(cache.getAll(keys)).hasSize(20);
      assertThat(tiered.getAll(keys)).hasSize(20);
      String me = Thread.currentThread().getName();
      assertThat(redisOnly.threads).containsExactly(me);
      assertThat(tieredSer.threads).containsExactly(me);
    }
  }

  @Test
  void asynchronousReads_decodeOnTheSharedDecodePool_byDefault_neverOnLettuce(
      @RedisStandaloneServer RedisServer redis) throws Exception {
    RecordingSerializer ser = new RecordingSerializer();
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache = builder(c, redis, "decode-async", ser).build();
        RemoteTier<String> tier = builder(c, redis, "decode-async-tier", ser).buildRemoteTier()) {
      cache.put("k", "v");
      tier.put("t", "w", Duration.ofMinutes(1)).get(10, TimeUnit.SECONDS);
      ser.threads.clear();
      assertThat(cache.async().getIfPresent("k").get(10, TimeUnit.SECONDS)).isEqualTo("v");
      assertThat(tier.get("t").get(10, TimeUnit.SECONDS).value()).isEqualTo("w");
      assertThat(tier.getAll(List.of("t", "absent")).get(10, TimeUnit.SECONDS)).containsOnlyKeys("t");
      assertThat(ser.threads).isNotEmpty().allMatch(n -> n.startsWith("cachet-redis-decode-"), "a decode-pool thread");
      assertThat(ser.threads).noneMatch(RedisRemotePathIntegrationTests::isLettuceThread);
    }
  }

  @Test
  void asynchronousReads_decodeOnTheConfiguredExecutor(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    RecordingSerializer ser = new RecordingSerializer();
    ExecutorService mine =
        Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, "my-decoder");
          t.setDaemon(true);
          return t;
        });
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache =
            builder(c, redis, "decode-mine", ser).decodeExecutor(mine).build()) {
      cache.put("k", "v");
      ser.threads.clear();
      assertThat(cache.async().getIfPresent("k").get(10, TimeUnit.SECONDS)).isEqualTo("v");
      assertThat(ser.threads).containsExactly("my-decoder");
    } finally {
      mine.shutdownNow();
    }
  }

  @Test
  void callerRunsReads_ofTheBareTier_decodeOnTheWaitingThread(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    RecordingSerializer ser = new RecordingSerializer();
    try (RedisConnections c = RedisConnections.create(redis.uri());
        RemoteTier<String> tier = builder(c, redis, "decode-caller", ser).buildRemoteTier()) {
      tier.put("a", "1", Duration.ofMinutes(1)).get(10, TimeUnit.SECONDS);
      tier.put("b", "2", Duration.ofMinutes(1)).get(10, TimeUnit.SECONDS);
      ser.threads.clear();
      CallerRunsExecutor one = new CallerRunsExecutor();
      RemoteEntry<String> a = one.await(tier.get("a", one), TimeUnit.SECONDS.toNanos(10));
      CallerRunsExecutor all = new CallerRunsExecutor();
      Map<String, RemoteEntry<String>> both =
          all.await(tier.getAll(List.of("a", "b", "c"), all), TimeUnit.SECONDS.toNanos(10));
      assertThat(a.value()).isEqualTo("1");
      assertThat(both).containsOnlyKeys("a", "b");
      assertThat(ser.threads).containsExactly(Thread.currentThread().getName());
    }
  }

  /** Records the thread of every decryption and encryption a cache's instrumentation sees. */
  static final class CryptoThreads implements dev.cachet.internal.StatsRecorder {
    final Set<String> decrypting = ConcurrentHashMap.newKeySet();
    final Set<String> encrypting = ConcurrentHashMap.newKeySet();
    final java.util.concurrent.atomic.AtomicInteger decryptions = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public void recordDecryption(long nanos, int plaintextBytes) {
      decryptions.incrementAndGet();
      decrypting.add(Thread.currentThread().getName());
    }

    @Override
    public void recordEncryption(long nanos, int plaintextBytes) {
      encrypting.add(Thread.currentThread().getName());
    }
  }

  /** Every counter operation, several times over, on {@code cache}'s counters. */
  private static void useCounters(Cache<String, String> cache) {
    dev.cachet.Counters<String> counters = cache.counters().orElseThrow();
    for (int i = 0; i < 5; i++) {
      String key = "c" + i;
      assertThat(counters.get(key)).isZero();
      assertThat(counters.incrementBy(key, 2)).isEqualTo(2);
      assertThat(counters.decrementBy(key, 1)).isEqualTo(1);
      assertThat(counters.compareAndSet(key, 1, 7)).isTrue();
      assertThat(counters.compareAndSet(key, 1, 9)).isFalse();
      counters.reset(key, 3, Duration.ofMinutes(1));
      assertThat(counters.get(key)).isEqualTo(3);
    }
  }

  @Test
  void counters_decryptAndEncryptOnTheCallersThread_neverOnLettuce_redisOnlyTieredAndResilient(
      @RedisStandaloneServer RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> redisOnly =
            builder(c, redis, "counter-threads", ValueSerializers.json(String.class)).build();
        Cache<String, String> resilient =
            builder(c, redis, "counter-threads-resilient", ValueSerializers.json(String.class))
                .resilience(dev.cachet.resilience.ResilienceSettings.production())
                .build();
        Cache<String, String> tiered =
            TieredCacheBuilder.<String, String>newBuilder()
                .name("counter-threads-tiered")
                .keyCodec(KeyCodec.strings())
                .remote(builder(c, redis, "counter-threads-tiered", ValueSerializers.json(String.class)))
                .build()) {
      String me = Thread.currentThread().getName();
      for (Cache<String, String> cache : List.of(redisOnly, resilient, tiered)) {
        CryptoThreads threads = new CryptoThreads();
        ((dev.cachet.internal.AbstractCache<?, ?>) cache).instrumentation().attach(threads);
        useCounters(cache);
        // per key, five calls read a sealed counter (the first get and increment find none), and the
        // changes seal new ones: all on this thread
        assertThat(threads.decryptions.get()).as(cache.toString()).isGreaterThanOrEqualTo(5 * 5);
        assertThat(threads.decrypting).as(cache + " decrypting").containsExactly(me);
        assertThat(threads.encrypting).as(cache + " encrypting").containsExactly(me);
      }
    }
  }

  // ---------------------------------------------------------------- commands per read

  private static Map<String, Long> commandCalls(RedisServer redis) {
    Map<String, Long> calls = new HashMap<>();
    for (String line : redis.command("INFO", "commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_")) {
        String name = line.substring("cmdstat_".length(), line.indexOf(':'));
        String rest = line.substring(line.indexOf("calls=") + 6);
        calls.put(name, Long.parseLong(rest.substring(0, rest.indexOf(','))));
      }
    }
    return calls;
  }

  /** {@code after - before} per command, without {@code info} (the measurement's own). */
  private static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> d = new HashMap<>();
    after.forEach((k, v) -> {
      long n = v - before.getOrDefault(k, 0L);
      if (n != 0 && !k.equals("info")) {
        d.put(k, n);
      }
    });
    return d;
  }

  /**
   * The commands {@code reads} sent, minus those of an idle interval as long as the reads took (the
   * background: generation refreshes, heartbeats), per command.
   */
  private static Map<String, Long> commandsOf(RedisServer redis, Runnable reads) throws InterruptedException {
    Map<String, Long> before = commandCalls(redis);
    long start = System.nanoTime();
    reads.run();
    long took = System.nanoTime() - start;
    Map<String, Long> during = delta(before, commandCalls(redis));
    Map<String, Long> idleStart = commandCalls(redis);
    TimeUnit.NANOSECONDS.sleep(took); // an idle interval of the same length: background traffic only
    Map<String, Long> idle = delta(idleStart, commandCalls(redis));
    Map<String, Long> net = new HashMap<>(during);
    idle.forEach((k, v) -> net.merge(k, -v, Long::sum));
    net.values().removeIf(v -> v == 0);
    System.out.println("commands during " + READS + " reads: " + during + "; idle: " + idle);
    return net;
  }

  /**
   * Periodic background commands may fall a few more in one interval than in the other: anything but
   * {@code expected} may differ by a handful, never by anything near one per read.
   */
  private static void assertCommandsPerRead(Map<String, Long> net, Map<String, Long> expected) {
    expected.forEach((cmd, n) -> assertThat(net.getOrDefault(cmd, 0L)).as(cmd + " in " + net).isEqualTo(n));
    net.forEach((cmd, n) -> {
      if (!expected.containsKey(cmd)) {
        assertThat(Math.abs(n)).as(cmd + " beyond the idle background in " + net).isLessThanOrEqualTo(5);
      }
    });
  }

  @Test
  void sealedHit_redisOnly_isOneGet(@RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache =
            builder(c, redis, "rt-sealed", ValueSerializers.json(String.class)).generationRefreshInterval(QUIET).build()) {
      for (int i = 0; i < KEYS; i++) {
        cache.put("k" + i, "v" + i);
      }
      cache.getIfPresent("k0"); // steady state: the generation is known
      Map<String, Long> net =
          commandsOf(redis, () -> {
            for (int i = 0; i < READS; i++) {
              assertThat(cache.getIfPresent("k" + (i % KEYS))).isNotNull();
            }
          });
      assertCommandsPerRead(net, Map.of("get", (long) READS, "pttl", 0L, "eval", 0L, "evalsha", 0L));
    }
  }

  @Test
  void plainJsonHit_redisOnly_isGetAndPttl(@RedisStandaloneServer(owned = true) RedisServer redis)
      throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache =
            builder(c, redis, "rt-plain", ValueSerializers.json(String.class))
                .generationRefreshInterval(QUIET)
                .format(RedisValueFormat.PLAIN_JSON)
                .build()) {
      for (int i = 0; i < KEYS; i++) {
        cache.put("k" + i, "v" + i);
      }
      cache.getIfPresent("k0");
      Map<String, Long> net =
          commandsOf(redis, () -> {
            for (int i = 0; i < READS; i++) {
              assertThat(cache.getIfPresent("k" + (i % KEYS))).isNotNull();
            }
          });
      assertCommandsPerRead(
          net, Map.of("get", (long) READS, "pttl", (long) READS, "eval", 0L, "evalsha", 0L));
    }
  }

  @Test
  void sealedHit_tieredWithoutMemory_isOneGet(@RedisStandaloneServer(owned = true) RedisServer redis)
      throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache =
            TieredCacheBuilder.<String, String>newBuilder()
                .name("rt-tiered")
                .keyCodec(KeyCodec.strings())
                .memoryMaximumSize(0)
                .remote(builder(c, redis, "rt-tiered", ValueSerializers.json(String.class)).generationRefreshInterval(QUIET))
                .build()) {
      for (int i = 0; i < KEYS; i++) {
        cache.put("k" + i, "v" + i);
      }
      cache.getIfPresent("k0");
      var stats = ((dev.cachet.internal.AbstractCache<?, ?>) cache).instrumentation();
      long remoteBefore =
          stats.tierGetCount(dev.cachet.Tier.REDIS, true) + stats.tierGetCount(dev.cachet.Tier.REDIS, false);
      Map<String, Long> net =
          commandsOf(redis, () -> {
            for (int i = 0; i < READS; i++) {
              assertThat(cache.getIfPresent("k" + (i % KEYS))).isNotNull();
            }
          });
      long remoteReads =
          stats.tierGetCount(dev.cachet.Tier.REDIS, true) + stats.tierGetCount(dev.cachet.Tier.REDIS, false)
              - remoteBefore;
      // memory holds nothing, so (nearly) every read goes to Redis, and each is exactly one GET
      assertThat(remoteReads).isGreaterThan(READS * 9L / 10);
      assertCommandsPerRead(net, Map.of("get", remoteReads, "pttl", 0L, "eval", 0L, "evalsha", 0L));
    }
  }
}
