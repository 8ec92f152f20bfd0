package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.MultiTenantCache;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Build and close many tiered caches on one {@link RedisConnections}: nothing they scheduled, acquired
 * or started outlives them, and no command reaches Redis on their behalf after {@code close()}.
 */
class TieredLifecycleIntegrationTests {

  private static String uniqueName() {
    return "life-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
  }

  @Test
  void buildAndClose_100Times_leavesNoThreadTaskOrCommandBehind(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    int usersBefore = SharedThreads.users();
    try (RedisConnections connections = RedisConnections.create(redis.uri())) {
      String prefix = TieredTestSupport.prefixFrom(redis.keyPrefix());
      for (int i = 0; i < 100; i++) {
        String name = uniqueName();
        MultiTenantCache<String, String> cache = TieredTestSupport.cache(name, connections, prefix, b -> {});
        cache.put("k", "v" + i);
        assertThat(cache.get("k", k -> "loaded")).isEqualTo("v" + i);
        Cache<String, String> tenant = cache.forTenant("t" + (i % 3));
        tenant.put("k", "tenant");
        if (i % 2 == 0) {
          tenant.close();
          Cache<String, String> again = cache.forTenant("t" + (i % 3));
          assertThat(again).as("a closed view is never returned").isNotSameAs(tenant);
          assertThat(again.getIfPresent("k")).isEqualTo("tenant");
        }
        cache.close();
        assertThatThrownBy(() -> cache.forTenant("x")).isInstanceOf(IllegalStateException.class);
      }
      assertThat(SharedThreads.users()).isEqualTo(usersBefore);
      if (usersBefore == 0) {
        Eventually.await(Duration.ofSeconds(5), "the shared tiered threads stopped",
            () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && (t.getName().startsWith("cachet-tiered-scheduler")
                    || t.getName().startsWith("cachet-async") || t.getName().startsWith("cachet-refresh"))));
      }
      // commands a close() started asynchronously (the goodbye, the last unsubscribe) reach Redis soon
      // after it returns: wait until two snapshots 100 ms apart agree
      java.util.concurrent.atomic.AtomicReference<Map<String, Long>> last =
          new java.util.concurrent.atomic.AtomicReference<>(Map.of());
      Eventually.await(Duration.ofSeconds(10), Duration.ofMillis(100), "no more commands from close()", () -> {
        Map<String, Long> now = commandCounts(redis);
        now.remove("info");
        return now.equals(last.getAndSet(now));
      });
      Map<String, Long> before = commandCounts(redis);
      // The scenario itself, on the real clock the scheduler runs on: an idle stretch longer than the
      // heartbeat (200 ms) and the generation refresh (1 s), twice over, in which a task a closed cache
      // left behind would send a command. What is checked is an absence, so there is no event to wait on.
      Thread.sleep(2_500);
      Map<String, Long> after = commandCounts(redis);
      after.remove("info");
      before.remove("info");
      assertThat(after).as("commands sent after close()").isEqualTo(before);
    }
  }

  private static Map<String, Long> commandCounts(RedisServer redis) {
    Map<String, Long> counts = new HashMap<>();
    for (String line : redis.command("INFO", "commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_")) {
        String name = line.substring("cmdstat_".length(), line.indexOf(':'));
        String calls = line.substring(line.indexOf("calls=") + 6, line.indexOf(',', line.indexOf("calls=")));
        counts.put(name, Long.parseLong(calls));
      }
    }
    return counts;
  }
}
