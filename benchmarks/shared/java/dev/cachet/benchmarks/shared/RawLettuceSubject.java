package dev.cachet.benchmarks.shared;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Baseline: a raw Lettuce synchronous {@code GET} of the plain 1 KB value bytes on one shared connection
 * (byte-array codec, no decoding, no local tier): every call is one round trip, the floor of a remote hit.
 * Keys are prefixed {@code raw:} so they cannot collide with a subject's own layout.
 */
public final class RawLettuceSubject implements ZipfSubject {
  private final RedisClient client;
  private final StatefulRedisConnection<byte[], byte[]> connection;
  private final RedisCommands<byte[], byte[]> commands;
  private byte[][] redisKeys;

  public RawLettuceSubject(BenchRedis redis) {
    client = RedisClient.create(redis.uri());
    connection = client.connect(ByteArrayCodec.INSTANCE);
    commands = connection.sync();
  }

  @Override
  public void load(String[] keys) {
    redisKeys = new byte[keys.length][];
    Map<byte[], byte[]> batch = new HashMap<>();
    for (int i = 0; i < keys.length; i++) {
      redisKeys[i] = ("raw:" + keys[i]).getBytes(StandardCharsets.UTF_8);
      batch.put(redisKeys[i], ZipfWorkload.value(i).getBytes(StandardCharsets.UTF_8));
      if (batch.size() == 1_000 || i == keys.length - 1) {
        commands.mset(batch);
        batch.clear();
      }
    }
  }

  @Override
  public Object get(int index, String key) {
    return commands.get(redisKeys[index]);
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
