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
 * Several command connections to one standalone server: each caller stays on its own connection
 * (checked on the wire with {@code MONITOR}), a command on a key that is in flight holds the key's next
 * commands behind it on its connection (checked with Redis pausing writes), unawaited writes and reads
 * of a key keep their order, and a connect opens all or none.
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
    return closedAfter(
        builder(connections, name)
            .keyPrefix("cc" + RedisTestSupport.prefixFrom(redis.keyPrefix())) // owned servers have none
            .build());
  }

  private static RedisCacheBuilder<String, String> builder(RedisConnections connections, String name) {
    return RedisCacheBuilder.<String, String>newBuilder()
        .name(name)
        .connections(connections)
        .keyRing(RedisTestSupport.RING)
        .serializer(ValueSerializers.json(String.class))
        .keyCodec(KeyCodec.strings())
        .defaultTtl(Duration.ofMinutes(5));
  }

  private Cache<String, String> closedAfter(Cache<String, String> cache) {
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

  /** The client addresses MONITOR shows for commands on keys containing {@code marker}. */
  private static Set<String> clientsSending(List<String> lines, String marker) {
    Set<String> clients = new TreeSet<>();
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
      if (keys != null && keys.stream().anyMatch(k -> k.contains(marker))) {
        clients.add(m.group(1));
      }
    }
    return clients;
  }

  interface Work {
    void run() throws Exception;
  }

  /**
   * Runs {@code work} to its end on a new thread whose own connection ({@link KeyAffinity#preferred}:
   * thread id modulo {@code count}) is {@code connection}.
   */
  private static void onThreadPreferring(int count, int connection, Work work) throws Exception {
    Thread thread;
    java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    do { // a thread that is never started costs nothing
      thread = new Thread(() -> {
        try {
          work.run();
        } catch (Throwable e) {
          failure.set(e);
        }
      });
    } while (thread.getId() % count != connection);
    thread.start();
    thread.join(TimeUnit.SECONDS.toMillis(30));
    if (failure.get() != null) {
      throw new AssertionError("work on the thread failed", failure.get());
    }
  }

  @Test
  void eachCallerStaysOnItsOwnConnection(@RedisStandaloneServer(owned = true) RedisServer redis)
      throws Exception {
    RedisConnections connections = connections(redis, 4);
    Cache<String, String> cache = cache(redis, connections, "affinity");
    cache.put("warm", "up"); // the generation is known before the monitor starts
    RedisMonitor monitor = RedisMonitor.start(redis);
    List<String> lines;
    try {
      for (int caller = 0; caller < 2; caller++) {
        String mine = "c" + caller + "-";
        onThreadPreferring(4, caller == 0 ? 1 : 3, () -> {
          Map<String, String> batch = new LinkedHashMap<>();
          for (int i = 0; i < 20; i++) {
            String k = mine + i;
            cache.put(k, "v" + i);
            assertThat(cache.getIfPresent(k)).isEqualTo("v" + i);
            cache.putIfAbsent(k, "other");
            cache.compute(k, (key, old) -> old + "w"); // compare-and-set (EVAL)
            cache.counters().orElseThrow().incrementBy(k, 2);
            batch.put(k, "b" + i);
          }
          cache.putAll(batch);
          assertThat(cache.getAllPresent(batch.keySet())).isEqualTo(batch);
          cache.invalidateAll(batch.keySet());
        });
      }
      lines = monitor.stop();
    } finally {
      monitor.close();
      monitor.delete();
    }
    Set<String> first = clientsSending(lines, ":c0-"); // entries (:k:c0-...) and counters (:n:c0-...)
    Set<String> second = clientsSending(lines, ":c1-");
    assertThat(first).as("connections that carried the first caller's commands").hasSize(1);
    assertThat(second).as("connections that carried the second caller's commands").hasSize(1);
    assertThat(first).as("the two callers' connections").doesNotContainAnyElementsOf(second);
  }

  @Test
  void aCommandOnAKeyInFlight_holdsTheNextCommandsOnTheKeyBehindIt_onItsConnection(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    RedisConnections connections = connections(redis, 2);
    AsyncCache<String, String> cache = cache(redis, connections, "inflight").async();
    cache.put("k", "v0").get(10, TimeUnit.SECONDS);
    java.util.concurrent.atomic.AtomicReference<CompletableFuture<Void>> write = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicReference<CompletableFuture<String>> read = new java.util.concurrent.atomic.AtomicReference<>();
    // Redis holds write commands for 400 ms; reads of other connections go on meanwhile
    redis.command("CLIENT", "PAUSE", "400", "WRITE");
    try {
      onThreadPreferring(2, 0, () -> write.set(cache.put("k", "v1"))); // in flight, not awaited
      // a caller of the other connection reads after the write was sent: on its own connection it
      // would read v0 at once; held behind the write, it reads v1
      onThreadPreferring(2, 1, () -> read.set(cache.getIfPresent("k")));
      assertThat(read.get().get(10, TimeUnit.SECONDS)).isEqualTo("v1");
      write.get().get(10, TimeUnit.SECONDS);
    } finally {
      redis.command("CLIENT", "UNPAUSE");
    }
    // and a reader of the other connection, with nothing in flight, reads on its own
    onThreadPreferring(2, 1, () -> assertThat(cache.getIfPresent("k").get(10, TimeUnit.SECONDS)).isEqualTo("v1"));
  }

  @Test
  void aTimedOutWrite_pinsItsSlot_untilAPingSentBehindItIsAnswered(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    RedisConnections connections =
        RedisConnections.newBuilder()
            .uri(redis.uri())
            .commandConnections(2)
            .commandTimeout(Duration.ofMillis(600))
            .build();
    resources.add(connections);
    byte[] key = "pin:k".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    onThreadPreferring(2, 0, () -> connections.onKey(key, c -> c.set(key, bytes("v0")).toCompletableFuture()).get());
    java.util.concurrent.atomic.AtomicReference<CompletableFuture<byte[]>> read = new java.util.concurrent.atomic.AtomicReference<>();
    RedisMonitor monitor = RedisMonitor.start(redis);
    List<String> lines;
    try {
      // Redis holds the write past its timeout: it fails unanswered, yet Redis executes it later
      redis.command("CLIENT", "PAUSE", "1200", "WRITE");
      try {
        onThreadPreferring(2, 0, () -> {
          CompletableFuture<String> write = connections.onKey(key, c -> c.set(key, bytes("v1")).toCompletableFuture());
          assertThatThrownBy(() -> write.get(10, TimeUnit.SECONDS))
              .hasRootCauseInstanceOf(io.lettuce.core.RedisCommandTimeoutException.class);
        });
        assertThat(connections.pinned(key)).as("pinned by the unanswered write").isTrue();
        // the other connection's caller sends the barrier and goes behind it and the write (its own
        // connection would read v0 now)
        onThreadPreferring(2, 1, () -> read.set(connections.onKey(key, c -> c.get(key).toCompletableFuture())));
        assertThat(new String(read.get().get(10, TimeUnit.SECONDS), java.nio.charset.StandardCharsets.UTF_8))
            .isEqualTo("v1");
      } finally {
        redis.command("CLIENT", "UNPAUSE");
      }
      Eventually.await(DEADLINE, "the slot unpinned once the PING was answered", () -> !connections.pinned(key));
      onThreadPreferring(2, 1, () -> connections.onKey(key, c -> c.get(key).toCompletableFuture()).get());
      lines = monitor.stop();
    } finally {
      monitor.close();
      monitor.delete();
    }
    List<String> order = new ArrayList<>(); // "COMMAND@client" of the key's commands and of PINGs
    for (String line : lines) {
      Matcher m = LINE.matcher(line);
      if (m.matches() && (m.group(2).contains("pin:k") || m.group(2).startsWith("\"PING\""))) {
        order.add(m.group(2).substring(1, m.group(2).indexOf('"', 1)).toUpperCase(java.util.Locale.ROOT)
            + "@" + m.group(1));
      }
    }
    // SET v1, then the PING the read asked for before it was sent, then that GET, all on the write's
    // connection; then the last GET on the reader's own
    assertThat(order).isNotEmpty();
    String writer = order.get(0).substring(order.get(0).indexOf('@'));
    order.removeIf(c -> c.startsWith("PING@") && !c.equals("PING" + writer)); // others' PINGs, if any
    assertThat(order).hasSize(4);
    assertThat(order.subList(0, 3)).containsExactly("SET" + writer, "PING" + writer, "GET" + writer);
    assertThat(order.get(3)).startsWith("GET@").isNotEqualTo("GET" + writer);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
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

  /**
   * Calls made while a new cache's first generation read is held by Redis (writes and scripts paused)
   * wait for it, and are then sent in the order they were made: a read made after an unawaited write
   * of its key sees that write. A read made while the waiting calls are being sent (from the clock the
   * first queued write consults, on the thread sending it) goes behind all of them, though the
   * generation is known by then.
   */
  @Test
  void unawaitedCallsMadeBeforeTheGenerationIsKnown_areSentInTheOrderMade(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    RedisConnections connections = connections(redis, 2);
    assertCallsKeepTheirOrderWhileHeld(redis, clock -> orderCache(connections, "first-generation", null, clock));
  }

  /** The same for a tenant's cache, whose tenant generation is read besides the cache's. */
  @Test
  void unawaitedCallsMadeBeforeATenantsGenerationIsKnown_areSentInTheOrderMade(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    RedisConnections connections = connections(redis, 2);
    assertCallsKeepTheirOrderWhileHeld(redis, clock -> orderCache(connections, "tenant-generation", "acme", clock));
  }

  private AsyncCache<String, String> orderCache(
      RedisConnections connections, String name, String tenant, java.time.Clock clock) {
    RedisCacheBuilder<String, String> builder = builder(connections, name).clock(clock);
    if (tenant != null) {
      builder.tenant(tenant);
    }
    return closedAfter(builder.build()).async();
  }

  private void assertCallsKeepTheirOrderWhileHeld(
      RedisServer redis, java.util.function.Function<java.time.Clock, AsyncCache<String, String>> newCache)
      throws Exception {
    List<CompletableFuture<String>> firstReads = new ArrayList<>();
    List<CompletableFuture<String>> secondReads = new ArrayList<>();
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    java.util.concurrent.atomic.AtomicReference<AsyncCache<String, String>> cacheRef =
        new java.util.concurrent.atomic.AtomicReference<>();
    CompletableFuture<CompletableFuture<String>> madeWhileSending = new CompletableFuture<>();
    java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
    java.time.Clock clock =
        new java.time.Clock() {
          @Override
          public long millis() {
            if (armed.get() && sendingAWrite() && armed.compareAndSet(true, false)) {
              madeWhileSending.complete(cacheRef.get().getIfPresent("k0"));
            }
            return System.currentTimeMillis();
          }

          @Override
          public java.time.Instant instant() {
            return java.time.Instant.ofEpochMilli(millis());
          }

          @Override
          public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
          }

          @Override
          public java.time.Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
          }
        };
    redis.command("CLIENT", "PAUSE", "10000", "WRITE"); // holds the generation script, not reads; lifted below
    try {
      cacheRef.set(newCache.apply(clock));
      AsyncCache<String, String> cache = cacheRef.get();
      for (int i = 0; i < 20; i++) {
        String k = "k" + i;
        writes.add(cache.put(k, "v1"));
        firstReads.add(cache.getIfPresent(k));
        writes.add(cache.put(k, "v2"));
        secondReads.add(cache.getIfPresent(k));
      }
      assertThat(firstReads.get(19)).as("nothing is sent before the generation is known").isNotDone();
      armed.set(true);
    } finally {
      redis.command("CLIENT", "UNPAUSE");
    }
    for (int i = 0; i < 20; i++) {
      assertThat(firstReads.get(i).get(10, TimeUnit.SECONDS)).as("first read of k%d", i).isEqualTo("v1");
      assertThat(secondReads.get(i).get(10, TimeUnit.SECONDS)).as("second read of k%d", i).isEqualTo("v2");
    }
    assertThat(madeWhileSending.get(10, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS))
        .as("a read of k0 made while the first write was being sent, after every call was made")
        .isEqualTo("v2");
    for (CompletableFuture<Void> w : writes) {
      w.get(10, TimeUnit.SECONDS);
    }
    for (int i = 0; i < 20; i++) {
      assertThat(cacheRef.get().getIfPresent("k" + i).get(10, TimeUnit.SECONDS)).as("k%d at the end", i).isEqualTo("v2");
    }
  }

  /**
   * An unawaited {@code invalidateAll()} whose new generation Redis holds (writes paused): a put and a
   * read made after it wait for that answer, so the put is written under the new generation and stays;
   * a put made before it is cleared. Without the wait the later put was written under the old
   * generation and vanished with it.
   */
  @Test
  void callsMadeAfterAnUnawaitedInvalidateAll_useItsNewGeneration(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    RedisConnections connections = connections(redis, 2);
    AsyncCache<String, String> cache = cache(redis, connections, "clear-order").async();
    cache.put("before", "old").get(10, TimeUnit.SECONDS);
    CompletableFuture<Void> cleared;
    CompletableFuture<Void> put;
    CompletableFuture<String> read;
    redis.command("CLIENT", "PAUSE", "10000", "WRITE");
    try {
      cleared = cache.invalidateAll();
      put = cache.put("after", "new");
      read = cache.getIfPresent("after");
      assertThat(read).as("the read waits for the new generation").isNotDone();
    } finally {
      redis.command("CLIENT", "UNPAUSE");
    }
    cleared.get(10, TimeUnit.SECONDS);
    put.get(10, TimeUnit.SECONDS);
    assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo("new");
    assertThat(cache.getIfPresent("after").get(10, TimeUnit.SECONDS)).as("the put made after the clear").isEqualTo("new");
    assertThat(cache.getIfPresent("before").get(10, TimeUnit.SECONDS)).as("the put made before it").isNull();
  }

  /** Whether the calling thread is sealing a value to send it (the clock gives the expiry). */
  private static boolean sendingAWrite() {
    return StackWalker.getInstance()
        .walk(
            frames ->
                frames.anyMatch(
                    f -> f.getClassName().equals(LettuceRedisTier.class.getName()) && f.getMethodName().equals("write")));
  }

  /**
   * Commands on a key made while the first connect is still running (here: held by the test, after the
   * constructor stopped waiting for it) are sent in the order they were made once it succeeds.
   */
  @Test
  void commandsMadeWhileTheFirstConnectIsRunning_areSentInTheOrderMade(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    CompletableFuture<Void> hold = new CompletableFuture<>();
    Thread builder = Thread.currentThread();
    RedisConnections connections;
    try {
      connections =
          RedisConnections.newBuilder()
              .uri(redis.uri())
              .commandConnections(2)
              .connectTimeout(Duration.ofSeconds(10))
              .connectHook(
                  attempt -> {
                    if (Thread.currentThread() == builder) {
                      // the constructor's bounded wait for this connect then returns at once
                      builder.interrupt();
                    }
                    return attempt.thenCombine(hold, (opened, ignored) -> opened);
                  })
              .build();
    } finally {
      Thread.interrupted();
    }
    resources.add(connections);
    assertThat(connections.isConnected()).as("the connect is held").isFalse();
    byte[] key = bytes(redis.key("connect-order"));
    List<CompletableFuture<byte[]>> reads = new ArrayList<>();
    List<CompletableFuture<String>> writes = new ArrayList<>();
    java.util.concurrent.atomic.AtomicReference<CompletableFuture<byte[]>> madeWhileReleasing =
        new java.util.concurrent.atomic.AtomicReference<>();
    for (int i = 0; i < 10; i++) {
      byte[] value = bytes("v" + i);
      boolean first = i == 0;
      writes.add(
          connections.onKey(
              key,
              c -> {
                if (first) {
                  // a read made while the waiting calls are being sent, after all of them were made:
                  // it must not overtake the writes still waiting (the connection is open by now)
                  madeWhileReleasing.set(connections.onKey(key, c2 -> c2.get(key).toCompletableFuture()));
                }
                return c.set(key, value).toCompletableFuture();
              }));
      reads.add(connections.onKey(key, c -> c.get(key).toCompletableFuture()));
    }
    assertThat(reads.get(0)).isNotDone();
    hold.complete(null);
    for (int i = 0; i < 10; i++) {
      assertThat(text(reads.get(i).get(10, TimeUnit.SECONDS))).as("read %d, made after write %d", i, i).isEqualTo("v" + i);
      writes.get(i).get(10, TimeUnit.SECONDS);
    }
    assertThat(text(madeWhileReleasing.get().get(10, TimeUnit.SECONDS))).as("the read made last").isEqualTo("v9");
  }

  private static String text(byte[] value) {
    return value == null ? null : new String(value, java.nio.charset.StandardCharsets.UTF_8);
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
