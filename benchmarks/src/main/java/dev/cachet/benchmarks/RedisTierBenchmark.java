package dev.cachet.benchmarks;

import dev.cachet.Cache;
import dev.cachet.KeyCodec;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.ValueSerializer;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.benchmarks.shared.BenchRedis;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The Redis tier against raw Lettuce on a loopback Redis this benchmark starts itself ({@link
 * BenchRedis}), 1 KB values, sealed format:
 *
 * <ul>
 *   <li>{@code tierGet} ({@code Cache.getIfPresent}: GET, decrypt, envelope checks, JSON) against {@code
 *       rawGet} (Lettuce sync {@code GET} of the same stored bytes, no decoding); goal at most 1.10x;
 *   <li>{@code tierGetAll100} ({@code Cache.getAll} of 100 keys, one {@code MGET}) against {@code
 *       sequentialGets100} (100 {@code getIfPresent} calls); goal at least 20x faster;
 *   <li>{@code tierGetAll100} against {@code rawMgetDecode100} (Lettuce sync {@code MGET} of the same
 *       100 keys plus 100 decodes done here with the public API: Fernet decrypt, key-digest check,
 *       JSON); goal at most 1.2x;
 *   <li>{@code tierGetDeflated}: {@code tierGet} of a second cache whose values are stored deflated
 *       (compression threshold 512 bytes; the same 1 KB values, which deflate to well under 100 bytes):
 *       the inflate path, no goal of its own (its {@code -prof gc} B/op is the figure to watch);
 *   <li>{@code tierPut} and {@code tierPutDeflated} ({@code Cache.put} of a stored key's own 1 KB value,
 *       into each cache: JSON, (deflate), envelope, Fernet encrypt, SET): the write path, no goal of its
 *       own (its {@code -prof gc} B/op is the figure to watch).
 * </ul>
 *
 * Keys are drawn uniformly from 1,000 stored entries. Everything runs on one thread against a server
 * on the same (shared) machine, so absolute numbers are loopback round trips, not a network.
 *
 * <p>Run through {@code benchmarks/run.sh}; see {@code docs/benchmarks.md}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(3)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RedisTierBenchmark {

  private static final int ENTRIES = 1_000;
  private static final int BATCH = 100;

  private BenchRedis server;
  private RedisConnections connections;
  private Cache<String, String> cache;
  private Cache<String, String> deflated;
  private RedisClient rawClient;
  private StatefulRedisConnection<byte[], byte[]> rawConnection;
  private RedisCommands<byte[], byte[]> raw;
  private FernetKeyRing ring;
  private ValueSerializer<String> serializer;
  private String[] keys;
  private String[] values;
  private byte[][] redisKeys;
  private final SplittableRandom random = new SplittableRandom(42);

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    server = BenchRedis.acquire();
    String uri = server.uri();
    rawClient = RedisClient.create();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        rawConnection = rawClient.connect(ByteArrayCodec.INSTANCE, io.lettuce.core.RedisURI.create(uri));
        break;
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("Redis did not answer at " + uri, e);
        }
        Thread.sleep(50);
      }
    }
    raw = rawConnection.sync();

    ring = FernetKeyRing.of(FernetKey.generate());
    serializer = ValueSerializers.json(String.class);
    connections = RedisConnections.create(uri);
    cache = builder("bench").build();
    deflated = builder("bench-deflated").compressionThreshold(512).build();
    keys = new String[ENTRIES];
    values = new String[ENTRIES];
    StringBuilder value = new StringBuilder();
    while (value.length() < 1_000) {
      value.append("cachet-benchmark-value-");
    }
    for (int i = 0; i < ENTRIES; i++) {
      keys[i] = "key-" + i;
      String v = value.substring(0, 1_000 - 8) + String.format("%08d", i);
      values[i] = v;
      cache.put(keys[i], v);
      deflated.put(keys[i], v);
    }
    // The stored Redis key of every cache key (the layout is internal: find them by their suffix).
    Map<String, byte[]> bySuffix = new HashMap<>();
    for (byte[] k : raw.keys("cachet:bench:v*")) {
      String name = new String(k, StandardCharsets.UTF_8);
      bySuffix.put(name.substring(name.lastIndexOf(":k:") + 3), k);
    }
    redisKeys = new byte[ENTRIES][];
    for (int i = 0; i < ENTRIES; i++) {
      redisKeys[i] = bySuffix.get(keys[i]);
      if (redisKeys[i] == null) {
        throw new IllegalStateException("stored key of " + keys[i] + " not found");
      }
    }
  }

  private RedisCacheBuilder<String, String> builder(String name) {
    return RedisCacheBuilder.newBuilder(String.class, String.class)
        .name(name)
        .connections(connections)
        .keyRing(ring)
        .keyCodec(KeyCodec.strings())
        .defaultTtl(Duration.ofHours(1));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    cache.close();
    deflated.close();
    connections.close();
    rawConnection.close();
    rawClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    server.close();
  }

  private int next() {
    return random.nextInt(ENTRIES);
  }

  private List<String> batchKeys(int[] indexes) {
    List<String> batch = new ArrayList<>(BATCH);
    for (int i : indexes) {
      batch.add(keys[i]);
    }
    return batch;
  }

  private int[] batchIndexes() {
    int start = random.nextInt(ENTRIES - BATCH);
    int[] indexes = new int[BATCH];
    for (int i = 0; i < BATCH; i++) {
      indexes[i] = start + i;
    }
    return indexes;
  }

  @Benchmark
  public String tierGet() {
    return cache.getIfPresent(keys[next()]);
  }

  @Benchmark
  public String tierGetDeflated() {
    return deflated.getIfPresent(keys[next()]);
  }

  @Benchmark
  public void tierPut() {
    int i = next();
    cache.put(keys[i], values[i]);
  }

  @Benchmark
  public void tierPutDeflated() {
    int i = next();
    deflated.put(keys[i], values[i]);
  }

  @Benchmark
  public byte[] rawGet() {
    return raw.get(redisKeys[next()]);
  }

  @Benchmark
  public Map<String, String> tierGetAll100() {
    return cache.getAllPresent(batchKeys(batchIndexes()));
  }

  @Benchmark
  public void sequentialGets100(Blackhole bh) {
    for (int i : batchIndexes()) {
      bh.consume(cache.getIfPresent(keys[i]));
    }
  }

  @Benchmark
  public void rawMgetDecode100(Blackhole bh) throws Exception {
    int[] indexes = batchIndexes();
    byte[][] batch = new byte[BATCH][];
    for (int i = 0; i < BATCH; i++) {
      batch[i] = redisKeys[indexes[i]];
    }
    List<KeyValue<byte[], byte[]>> values = raw.mget(batch);
    for (int i = 0; i < values.size(); i++) {
      bh.consume(decode(batch[i], values.get(i).getValue()));
    }
  }

  /** What the tier does to a sealed token, with the public API: decrypt, digest and expiry checks, JSON. */
  private String decode(byte[] redisKey, byte[] token) throws Exception {
    byte[] plaintext = ring.decrypt(token);
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(redisKey);
    for (int i = 0; i < 16; i++) {
      if (plaintext[10 + i] != digest[i]) {
        throw new IllegalStateException("key binding");
      }
    }
    long expiry = java.nio.ByteBuffer.wrap(plaintext, 2, 8).getLong();
    if (expiry <= System.currentTimeMillis()) {
      throw new IllegalStateException("expired");
    }
    byte[] payload = java.util.Arrays.copyOfRange(plaintext, 26, plaintext.length);
    return serializer.deserialize(payload);
  }

}
