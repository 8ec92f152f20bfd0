package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.AsyncCache;
import dev.cachet.Cache;
import dev.cachet.KeyCodec;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisMonitor;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.lettuce.core.api.StatefulConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Several command connections to one standalone server: every command on a key goes over one
 * connection (checked on the wire with {@code MONITOR}), so unawaited writes and reads of a key keep
 * their order; multi-key commands are split per connection; a connect opens all or none.
 */
class RedisCommandConnectionsIntegrationTests {

  private static final Duration DEADLINE = Duration.ofSeconds(15);

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private RedisConnections connections(RedisServer redis, int count) {
    RedisConnections c = RedisConnections.newBuilder().uri(redis.uri()).commandConnections(count).build();
    resources.add(c);
    return c;
  }

  private Cache<String, String> cache(RedisServer redis, RedisConnections connections, String name) {
    Cache<String, String> cache =
        RedisCacheBuilder.<String, String>newBuilder()
            .name(name)
            .connections(connections)
            .keyRing(RedisTestSupport.RING)
            .serializer(ValueSerializers.json(String.class))
            .keyPrefix("cc" + RedisTestSupport.prefixFrom(redis.keyPrefix())) // owned servers have none
            .keyCodec(KeyCodec.strings())
            .defaultTtl(Duration.ofMinutes(5))
            .build();
    resources.add(cache);
    return cache;
  }

  @Test
  void defaultIsOneConnectionPerLettuceIoThreadAtMostFour() {
    assertThat(RedisConnections.defaultCommandConnections(1)).isEqualTo(1);
    assertThat(RedisConnections.defaultCommandConnections(2)).isEqualTo(2);
    assertThat(RedisConnections.defaultCommandConnections(3)).isEqualTo(3);
    assertThat(RedisConnections.defaultCommandConnections(16)).isEqualTo(4);
  }

  @Test
  void commandConnectionsOutOfRange_isRejectedNamingTheSetting() {
    assertThatThrownBy(() -> RedisConnections.newBuilder().commandConnections(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("commandConnections");
    assertThatThrownBy(() -> RedisConnections.newBuilder().commandConnections(65))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("commandConnections");
  }

  @Test
  void opensTheConfiguredNumberOfCommandConnections(@RedisStandaloneServer(owned = true) RedisServer redis) {
    int before = connectedClients(redis);
    RedisConnections c = connections(redis, 3);
    assertThat(c.isConnected()).isTrue();
    assertThat(c.connectionCount()).isEqualTo(3);
    assertThat(connectedClients(redis) - before).isEqualTo(3);
    c.close();
    Eventually.await(DEADLINE, "the three connections closed", () -> connectedClients(redis) == before);
  }

  private static int connectedClients(RedisServer redis) {
    Matcher m = Pattern.compile("connected_clients:(\\d+)").matcher(redis.command("INFO", "clients"));
    assertThat(m.find()).isTrue();
    return Integer.parseInt(m.group(1));
  }

  /** Arguments of a MONITOR line that name keys, by command; null for commands without keys. */
  private static List<String> keysOf(List<String> args) {
    String cmd = args.get(0).toUpperCase(java.util.Locale.ROOT);
    switch (cmd) {
      case "GET", "SET", "PTTL", "TYPE", "PEXPIRE":
        return args.subList(1, 2);
      case "MGET", "UNLINK", "DEL", "EXISTS":
        return args.subList(1, args.size());
      case "EVAL", "EVALSHA":
        int n = Integer.parseInt(args.get(2));
        return args.subList(3, 3 + n);
      default:
        return null;
    }
  }

  private static final Pattern LINE = Pattern.compile("^[0-9.]+ \\[\\d+ ([^\\]]+)\\] (.*)$");
  private static final Pattern ARG = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

  @Test
  void everyCommandOnAKeyGoesOverOneConnection_andTheWorkloadUsesEveryConnection(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    RedisConnections connections = connections(redis, 4);
    Cache<String, String> cache = cache(redis, connections, "stripes");
    RedisMonitor monitor = RedisMonitor.start(redis);
    List<String> lines;
    try {
      for (int i = 0; i < 40; i++) {
        String k = "k" + i;
        cache.put(k, "v" + i);
        assertThat(cache.getIfPresent(k)).isEqualTo("v" + i);
        cache.putIfAbsent(k, "other");
        cache.compute(k, (key, old) -> old + "w"); // compare-and-set (EVAL)
        cache.containsKey(k);
        cache.counters().orElseThrow().incrementBy(k, 2);
      }
      Map<String, String> batch = new LinkedHashMap<>();
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        batch.put("k" + i, "b" + i);
        keys.add("k" + i);
      }
      cache.putAll(batch);
      assertThat(cache.getAllPresent(keys)).isEqualTo(batch); // k40..k59 were absent before putAll
      cache.invalidateAll(keys.subList(0, 30));
      assertThat(cache.getAllPresent(keys)).hasSize(30); // the MGET now has misses: EXISTS follows
      cache.invalidate("k31");
      lines = monitor.stop();
    } finally {
      monitor.close();
      monitor.delete();
    }

    Map<String, Set<String>> clientsByKey = new HashMap<>();
    Set<String> clients = new TreeSet<>();
    AtomicInteger multiKey = new AtomicInteger();
    for (String line : lines) {
      Matcher m = LINE.matcher(line);
      if (!m.matches() || m.group(1).equals("lua")) {
        continue;
      }
      List<String> args = new ArrayList<>();
      Matcher a = ARG.matcher(m.group(2));
      while (a.find()) {
        args.add(a.group(1));
      }
      List<String> keys = args.isEmpty() ? null : keysOf(args);
      if (keys == null || keys.stream().noneMatch(k -> k.contains(":stripes:"))) {
        continue;
      }
      if (keys.size() > 1) {
        multiKey.incrementAndGet();
      }
      clients.add(m.group(1));
      for (String k : keys) {
        clientsByKey.computeIfAbsent(k, x -> new TreeSet<>()).add(m.group(1));
      }
    }
    // 60 entries (k0..k59) and 40 counters (k0..k39)
    assertThat(clientsByKey).as("keys seen on the wire").hasSize(100);
    assertThat(multiKey.get()).as("MGET/UNLINK/EXISTS commands seen").isGreaterThan(0);
    clientsByKey.forEach(
        (key, from) -> assertThat(from).as("connections that sent commands on %s", key).hasSize(1));
    assertThat(clients).as("connections that carried keyed commands").hasSize(4);
  }

  @Test
  void unawaitedWritesThenReadsOfAKey_seeTheWrites(@RedisStandaloneServer RedisServer redis) throws Exception {
    RedisConnections connections = connections(redis, 4);
    AsyncCache<String, String> cache = cache(redis, connections, "order").async();
    for (int round = 0; round < 5; round++) {
      List<CompletableFuture<String>> reads = new ArrayList<>();
      List<CompletableFuture<Map<String, String>>> batchReads = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        String k = "k" + i;
        cache.put(k, "r" + round); // not awaited
        reads.add(cache.getIfPresent(k));
      }
      Map<String, String> batch = new LinkedHashMap<>();
      for (int i = 0; i < 400; i++) {
        batch.put("k" + i, "b" + round);
      }
      cache.putAll(batch); // not awaited
      batchReads.add(cache.getAllPresent(batch.keySet()));
      for (int i = 0; i < reads.size(); i++) {
        assertThat(reads.get(i).get(10, TimeUnit.SECONDS)).as("read of k%d after its put", i).isEqualTo("r" + round);
      }
      assertThat(batchReads.get(0).get(10, TimeUnit.SECONDS)).isEqualTo(batch);
      CompletableFuture<Void> gone = cache.invalidateAll(batch.keySet()); // not awaited
      assertThat(cache.getAllPresent(batch.keySet()).get(10, TimeUnit.SECONDS)).isEmpty();
      gone.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aConnectWhereOneConnectionFails_opensNone_andRetriesAll(@RedisStandaloneServer(owned = true) RedisServer redis) {
    int before = connectedClients(redis);
    AtomicInteger attempts = new AtomicInteger();
    RedisConnections c =
        RedisConnections.newBuilder()
            .uri(redis.uri())
            .commandConnections(3)
            .reconnectInterval(Duration.ofMillis(100))
            .connectHook(
                attempt -> {
                  // the second connection of the first connect fails; the others open
                  if (attempts.incrementAndGet() != 2) {
                    return attempt;
                  }
                  return attempt.thenCompose(
                      opened -> {
                        opened.closeAsync();
                        return CompletableFuture.<StatefulConnection<byte[], byte[]>>failedFuture(
                            new io.lettuce.core.RedisConnectionException("injected"));
                      });
                })
            .build();
    resources.add(c);
    // after the failed connect no connection stays open; the retry opens all three
    Eventually.await(DEADLINE, "connected after the retry", c::isConnected);
    assertThat(attempts.get()).isEqualTo(6);
    Eventually.await(DEADLINE, "exactly three connections open", () -> connectedClients(redis) - before == 3);
  }
}
