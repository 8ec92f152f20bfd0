package dev.cachet.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.resilience.ResilienceTestSupport.Node;
import dev.cachet.resilience.ResilienceTestSupport.Workload;
import dev.cachet.CacheUnavailableException;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteTierException;
import dev.cachet.tiered.FailurePolicy;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.ReliabilityFigures;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Redis under memory pressure. With {@code allkeys-lru} and a small {@code maxmemory}, Redis evicts
 * Cachet's entries and its generation key while a workload runs: the cache keeps serving (evicted
 * entries reload), returns no wrong value, and a lost generation key resurrects nothing written before
 * an {@code invalidateAll()}. With {@code noeviction}, writes get {@code OOM}: counted as {@code oom},
 * not retried, not recorded by the breaker (it stays closed), no caller exception, reads keep working;
 * the cache is not degraded and marks nothing dirty: a refused write deletes the older Redis copy and
 * publishes the key's invalidation (no cache-wide clear), so no instance reads the older value. Under
 * {@code STRICT} the same holds except that the caller's refused write throws {@code
 * CacheUnavailableException} (memory keeps nothing, Redis keeps its older copy); loads are served.
 */
class MemoryPressureIntegrationTests {

  private static final String FILLER = "x".repeat(1_024);

  private static ResilienceSettings settings() {
    return ResilienceSettings.newBuilder(ResilienceSettings.testing()).waitDurationInOpenState(Duration.ofSeconds(1)).build();
  }

  private static Node node(String name, RedisServer redis) {
    ResilienceSettings s = settings();
    return ResilienceTestSupport.node(name, ResilienceTestSupport.connections(redis.uri(), s),
        ResilienceTestSupport.prefixFrom(redis.keyPrefix()), s, b -> b.memoryTtl(Duration.ofMillis(50)));
  }

  private static long evictedKeys(RedisCommands<String, String> r) {
    Matcher m = Pattern.compile("evicted_keys:(\\d+)").matcher(r.info("stats"));
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  @Test
  void allkeysLru_keepsServing_noWrongValue_lostGenerationResurrectsNothing(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    redis.command("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    redis.command("CONFIG", "SET", "maxmemory", "8mb");
    RedisClient client = RedisClient.create(redis.uri());
    try (StatefulRedisConnection<String, String> raw = client.connect();
        Node a = node("lru", redis)) {
      RedisCommands<String, String> r = raw.sync();
      // before: a value, then invalidateAll (a new generation), then the generation key "evicted"
      a.cache.put("old", "stale-before-invalidateAll");
      a.cache.invalidateAll();
      String genKey = r.keys("*lru:gen").get(0);
      r.del(genKey);
      try (Node b = node("lru", redis)) {
        assertThat(b.cache.getIfPresent("old")).as("a lost generation key resurrects nothing").isNull();
      }
      try (Workload w = new Workload(a.cache, a.breaker(), a::inFlight, 4, 64)) {
        long evictedBefore = evictedKeys(r);
        for (int i = 0; i < 20_000; i++) {
          r.set("filler:" + i, FILLER);
        }
        Eventually.await(Duration.ofSeconds(20), "Redis evicted keys", () -> evictedKeys(r) > evictedBefore + 1_000);
        long calls = w.calls.get();
        Eventually.await(Duration.ofSeconds(20), "calls under eviction", () -> w.calls.get() > calls + 500);
        w.close();
        ReliabilityFigures.record("MemoryPressureIntegrationTests.lru", "calls", w.calls.get());
        ReliabilityFigures.record("MemoryPressureIntegrationTests.lru", "evictedKeys", evictedKeys(r) - evictedBefore);
        ReliabilityFigures.record("MemoryPressureIntegrationTests.lru", "wrongValues", w.wrongValues.get());
        ReliabilityFigures.record("MemoryPressureIntegrationTests.lru", "callerExceptions", w.exceptions.size());
        assertThat(w.exceptions).as(w.describe()).isEmpty();
        assertThat(w.wrongValues.get()).isZero();
      }
      assertThat(a.cache.getIfPresent("old")).isNull();
    } finally {
      client.shutdown();
    }
  }

  @Test
  void noeviction_oomIsAWriteOnlyFailure_counted_notRetried_breakerStaysClosed(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    RedisClient client = RedisClient.create(redis.uri());
    try (StatefulRedisConnection<String, String> raw = client.connect();
        Node node = node("oom", redis);
        Node other = node("oom", redis)) {
      RedisCommands<String, String> r = raw.sync();
      node.cache.put("kept", "v-kept");
      node.cache.put("changed", "v-old");
      assertThat(other.cache.getIfPresent("changed")).isEqualTo("v-old");
      for (int i = 0; i < 2_000; i++) {
        r.set("filler:" + i, FILLER);
      }
      // a maxmemory below what is used: every write is refused from now on, not only the ones that
      // happen to cross the limit
      redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction");
      redis.command("CONFIG", "SET", "maxmemory", "1mb");
      assertThatThrownBy(() -> r.set("filler:more", FILLER)).hasMessageStartingWith("OOM");
      long retriedBefore = Resilience.retryOf(node.cache).orElseThrow().getMetrics().getNumberOfFailedCallsWithRetryAttempt();
      for (int i = 0; i < 30; i++) {
        node.cache.put("new-" + i, "v-new-" + i);
      }
      node.cache.put("changed", "v-new"); // refused by Redis: its older copy is deleted instead
      assertThat(node.cache.getIfPresent("changed")).isEqualTo("v-new");
      Eventually.await(Duration.ofSeconds(5), "the other instance drops the older value",
          () -> !"v-old".equals(other.cache.getIfPresent("changed")));
      assertThat(node.cache.health().details()).as("OOM never degrades the cache")
          .containsEntry("degraded", "false").containsEntry("dirtyKeysDuringOutage", "0");
      // the error is counted when the refused write completes, which a tiered put need not wait for
      Eventually.await(Duration.ofSeconds(5), "the refused writes are counted as oom",
          () -> node.remoteErrors(RemoteErrorReason.OOM) > 0);
      assertThat(Resilience.retryOf(node.cache).orElseThrow().getMetrics().getNumberOfFailedCallsWithRetryAttempt())
          .as("not retried").isEqualTo(retriedBefore);
      assertThat(node.breaker().getState()).as("not recorded by the breaker").isEqualTo(CircuitBreaker.State.CLOSED);
      Eventually.await(Duration.ofSeconds(5), "reads keep working from Redis",
          () -> "v-kept".equals(node.cache.get("kept", k -> "loaded")));
      assertInvalidateAllDeletesInstead(redis, node, other);
      ReliabilityFigures.record("MemoryPressureIntegrationTests.noeviction", "oomErrors", node.remoteErrors(RemoteErrorReason.OOM));
    } finally {
      client.shutdown();
    }
  }

  @Test
  void noeviction_underStrict_theWriteThrows_butTheCacheIsNotDegraded_andReadsKeepWorking(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    ResilienceSettings s = settings();
    String prefix = ResilienceTestSupport.prefixFrom(redis.keyPrefix());
    RedisClient client = RedisClient.create(redis.uri());
    List<String> messages = new CopyOnWriteArrayList<>();
    try (StatefulRedisConnection<String, String> raw = client.connect();
        StatefulRedisPubSubConnection<String, String> sub = client.connectPubSub();
        Node node = ResilienceTestSupport.node("oomstrict", ResilienceTestSupport.connections(redis.uri(), s), prefix, s,
            b -> b.memoryTtl(Duration.ofMillis(50)).failurePolicy(FailurePolicy.STRICT))) {
      RedisCommands<String, String> r = raw.sync();
      sub.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void message(String channel, String message) {
          messages.add(message);
        }
      });
      sub.sync().subscribe(prefix + ":oomstrict:bus");
      node.cache.put("kept", "v-kept");
      node.cache.put("changed", "v-old");
      for (int i = 0; i < 2_000; i++) {
        r.set("filler:" + i, FILLER);
      }
      // a maxmemory below what is used: every write is refused from now on, not only the ones that
      // happen to cross the limit
      redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction");
      redis.command("CONFIG", "SET", "maxmemory", "1mb");
      assertThatThrownBy(() -> r.set("filler:more", FILLER)).hasMessageStartingWith("OOM");
      long retriedBefore = Resilience.retryOf(node.cache).orElseThrow().getMetrics().getNumberOfFailedCallsWithRetryAttempt();
      messages.clear();

      assertThatThrownBy(() -> node.cache.put("changed", "v-new"))
          .as("the caller's write is refused under STRICT")
          .isInstanceOf(CacheUnavailableException.class)
          .hasMessageContaining("out of memory").hasMessageContaining("maxmemory")
          .cause().isInstanceOf(RemoteTierException.class)
          .extracting(e -> ((RemoteTierException) e).reason()).isEqualTo(RemoteErrorReason.OOM);
      assertThatThrownBy(() -> node.cache.putAll(Map.of("new-a", "v-a", "new-b", "v-b")))
          .isInstanceOf(CacheUnavailableException.class).hasMessageContaining("out of memory");
      assertThat(node.cache.health().details()).as("OOM never degrades the cache, not even under STRICT")
          .containsEntry("degraded", "false").containsEntry("dirtyKeysDuringOutage", "0");
      // reads keep working: Redis still holds the value the refused write did not replace, and a load
      // (whose SET NX is refused too) is served, not thrown
      assertThat(node.cache.get("changed", k -> "loaded")).isEqualTo("v-old");
      assertThat(node.cache.get("kept", k -> "loaded")).isEqualTo("v-kept");
      assertThat(node.cache.get("absent", k -> "v-loaded")).isEqualTo("v-loaded");
      assertThat(node.cache.getAll(List.of("kept", "changed")))
          .containsEntry("kept", "v-kept").containsEntry("changed", "v-old");
      Eventually.await(Duration.ofSeconds(5), "the refused writes are counted as oom",
          () -> node.remoteErrors(RemoteErrorReason.OOM) >= 2);
      assertThat(Resilience.retryOf(node.cache).orElseThrow().getMetrics().getNumberOfFailedCallsWithRetryAttempt())
          .as("not retried").isEqualTo(retriedBefore);
      assertThat(node.breaker().getState()).as("not recorded by the breaker").isEqualTo(CircuitBreaker.State.CLOSED);
      assertThat(node.cache.health().details()).containsEntry("degraded", "false");
      // the refused put's key invalidation (a pipelined write may have stored some keys) is the event
      // that shows the bus carried what the failures sent: none of it is a cache-wide CLEAR
      Eventually.await(Duration.ofSeconds(5), "the refused writes' key invalidations",
          () -> messages.stream().anyMatch(m -> m.split(" ")[3].equals("I")));
      assertThat(messages).as("no CLEAR").noneMatch(m -> m.split(" ")[3].equals("C"));
      assertInvalidateAllDeletesInstead(redis, node, null);
      ReliabilityFigures.record("MemoryPressureIntegrationTests.noevictionStrict", "oomErrors", node.remoteErrors(RemoteErrorReason.OOM));
    } finally {
      client.shutdown();
    }
  }

  /**
   * {@code invalidateAll()} while Redis is full: the new generation is refused ({@code OOM}, counted),
   * so the entries are deleted instead: no exception, not degraded, nothing dirty, and neither this
   * instance nor {@code other} (when given) reads the older value again.
   */
  private static void assertInvalidateAllDeletesInstead(RedisServer redis, Node node, Node other) {
    long oomBefore = node.remoteErrors(RemoteErrorReason.OOM);
    node.cache.invalidateAll();
    assertThat(node.cache.health().details()).as("an invalidateAll refused by OOM degrades nothing")
        .containsEntry("degraded", "false").containsEntry("dirtyKeysDuringOutage", "0");
    assertThat(node.remoteErrors(RemoteErrorReason.OOM)).as("the refused generation is counted").isGreaterThan(oomBefore);
    assertThat(node.cache.get("kept", k -> "reloaded")).as("the older entry is gone from Redis").isEqualTo("reloaded");
    if (other != null) {
      Eventually.await(Duration.ofSeconds(5), "the other instance no longer reads the older value",
          () -> other.cache.getIfPresent("kept") == null);
      // and this instance reads Redis again (the refused bump does not leave its reads suspended): a
      // value the other instance writes while Redis briefly has room is read from Redis, not loaded
      redis.command("CONFIG", "SET", "maxmemory", "0");
      other.cache.put("after", "v-after");
      redis.command("CONFIG", "SET", "maxmemory", "1mb");
      assertThat(node.cache.get("after", k -> "loaded")).as("read from Redis").isEqualTo("v-after");
    }
  }
}
