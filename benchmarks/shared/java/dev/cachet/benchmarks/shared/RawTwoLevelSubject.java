package dev.cachet.benchmarks.shared;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Baseline: the least a two-level cache can do on this workload. Raw Caffeine bounded like every
 * subject's local tier ({@value ZipfWorkload#LOCAL_ENTRIES} entries, fixed one-hour {@code
 * expireAfterWrite}); on a local miss, a raw Lettuce synchronous {@code GET} of the plain value bytes, a
 * UTF-8 decode and a {@code put}. No encryption, no coherence, no single flight, no metrics: its local
 * hits show what the local-hit latency is when a quarter of the calls are round trips on the same
 * thread (cold CPU caches, Caffeine's evictions), which raw Caffeine holding every key cannot show.
 * Keys are prefixed {@code two:}.
 */
public final class RawTwoLevelSubject implements ZipfSubject {
  private final Cache<String, String> local =
      Caffeine.newBuilder()
          .maximumSize(ZipfWorkload.LOCAL_ENTRIES)
          .expireAfterWrite(Duration.ofHours(1))
          .build();
  private final RedisClient client;
  private final StatefulRedisConnection<byte[], byte[]> connection;
  private final RedisCommands<byte[], byte[]> commands;
  private byte[][] redisKeys;

  public RawTwoLevelSubject(BenchRedis redis) {
    client = RedisClient.create(redis.uri());
    connection = client.connect(ByteArrayCodec.INSTANCE);
    commands = connection.sync();
  }

  @Override
  public void load(String[] keys) {
    redisKeys = new byte[keys.length][];
    Map<byte[], byte[]> batch = new HashMap<>();
    for (int i = 0; i < keys.length; i++) {
      redisKeys[i] = ("two:" + keys[i]).getBytes(StandardCharsets.UTF_8);
      batch.put(redisKeys[i], ZipfWorkload.value(i).getBytes(StandardCharsets.UTF_8));
      if (batch.size() == 1_000 || i == keys.length - 1) {
        commands.mset(batch);
        batch.clear();
      }
    }
  }

  @Override
  public Object get(int index, String key) {
    String value = local.getIfPresent(key);
    if (value == null) {
      byte[] bytes = commands.get(redisKeys[index]);
      value = new String(bytes, StandardCharsets.UTF_8);
      local.put(key, value);
    }
    return value;
  }

  @Override
  public String remoteReadCommand() {
    return "get";
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
