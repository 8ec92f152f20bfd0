package dev.cachet.benchmarks.shared;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Baseline: a raw Lettuce synchronous {@code GET} of the plain 1 KB value bytes on one shared connection
 * (byte-array codec, no decoding, no local tier): every call is one round trip, the floor of a remote hit.
 * Keys are prefixed {@code raw:} so they cannot collide with a subject's own layout.
 *
 * <p>With {@code connectionPerThread}, each benchmark thread (at most {@value #MAX_THREADS}) has its own
 * connection instead, so each thread's replies are read by its own event-loop thread (Lettuce binds a
 * connection to one): what a client with a connection pool, like Redisson, gets at 2 threads.
 */
public final class RawLettuceSubject implements ZipfSubject {
  private static final int MAX_THREADS = 2;

  private final RedisClient client;
  private final List<StatefulRedisConnection<byte[], byte[]>> connections = new ArrayList<>();
  private final AtomicInteger nextThread = new AtomicInteger();
  private final ThreadLocal<RedisCommands<byte[], byte[]>> commands;
  private byte[][] redisKeys;

  public RawLettuceSubject(BenchRedis redis) {
    this(redis, false);
  }

  public RawLettuceSubject(BenchRedis redis, boolean connectionPerThread) {
    client = RedisClient.create(redis.uri());
    for (int i = 0; i < (connectionPerThread ? MAX_THREADS : 1); i++) {
      connections.add(client.connect(ByteArrayCodec.INSTANCE));
    }
    commands =
        ThreadLocal.withInitial(
            () -> connections.get(nextThread.getAndIncrement() % connections.size()).sync());
  }

  @Override
  public void load(String[] keys) {
    redisKeys = new byte[keys.length][];
    Map<byte[], byte[]> batch = new HashMap<>();
    for (int i = 0; i < keys.length; i++) {
      redisKeys[i] = ("raw:" + keys[i]).getBytes(StandardCharsets.UTF_8);
      batch.put(redisKeys[i], ZipfWorkload.value(i).getBytes(StandardCharsets.UTF_8));
      if (batch.size() == 1_000 || i == keys.length - 1) {
        commands.get().mset(batch);
        batch.clear();
      }
    }
  }

  @Override
  public Object get(int index, String key) {
    return commands.get().get(redisKeys[index]);
  }

  @Override
  public String remoteReadCommand() {
    return "get";
  }

  @Override
  public void close() {
    connections.forEach(StatefulRedisConnection::close);
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
