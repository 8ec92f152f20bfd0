package dev.cachet.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.resilience.ResilienceTestSupport.Node;
import dev.cachet.resilience.ResilienceTestSupport.Workload;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.ReliabilityFigures;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
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
 * publishes the key's invalidation (no cache-wide clear), so no instance reads the older value.
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
      redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction");
      redis.command("CONFIG", "SET", "maxmemory", "4mb");
      try {
        for (int i = 0; i < 100_000; i++) {
          r.set("filler:" + i, FILLER);
        }
      } catch (RedisCommandExecutionException e) {
        assertThat(e.getMessage()).startsWith("OOM");
      }
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
      ReliabilityFigures.record("MemoryPressureIntegrationTests.noeviction", "oomErrors", node.remoteErrors(RemoteErrorReason.OOM));
    } finally {
      client.shutdown();
    }
  }
}
