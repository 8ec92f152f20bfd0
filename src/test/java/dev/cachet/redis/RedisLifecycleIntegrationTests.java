package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.spi.RemoteTier;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import dev.cachet.testing.Eventually;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Closing a Redis-only or tenant-scoped Redis cache cancels everything it scheduled (the generation
 * refresh above all) and sends nothing afterwards; a view made by {@code forTenant} closes only itself.
 */
class RedisLifecycleIntegrationTests {

  static final Duration REFRESH = Duration.ofMillis(20);

  private static RedisCacheBuilder<String, String> builder(RedisConnections c, String name) {
    return RedisCacheBuilder.newBuilder(String.class, String.class)
        .name(name)
        .connections(c)
        .keyRing(RedisTestSupport.RING)
        .generationRefreshInterval(REFRESH);
  }

  private static Map<String, Integer> threadsByPrefix() {
    Map<String, Integer> counts = new TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (!t.isAlive()) {
        continue;
      }
      String name = t.getName();
      if (name.startsWith("cachet-") || name.startsWith("lettuce-")) {
        String prefix = name.replaceAll("[-#]?\\d+$", "");
        counts.merge(prefix, 1, Integer::sum);
      }
    }
    return counts;
  }

  /** Every command counted since the last {@code CONFIG RESETSTAT}, except the test's own. */
  private static Map<String, Long> commandsSent(RedisServer redis) {
    Map<String, Long> calls = new TreeMap<>();
    for (String line : redis.command("INFO", "commandstats").split("\r?\n")) {
      if (!line.startsWith("cmdstat_")) {
        continue;
      }
      String command = line.substring("cmdstat_".length(), line.indexOf(':'));
      if (command.startsWith("config") || command.equals("info")) {
        continue;
      }
      String rest = line.substring(line.indexOf("calls=") + 6);
      calls.put(command, Long.parseLong(rest.substring(0, rest.indexOf(','))));
    }
    return calls;
  }

  /**
   * A command on {@code c}'s connection, answered: every command sent before it on that connection has
   * been processed by Redis (one connection's commands are processed in order).
   */
  private static void roundTrip(RedisConnections c) throws Exception {
    c.commands().thenCompose(commands -> commands.ping().toCompletableFuture()).get(10, TimeUnit.SECONDS);
  }

  private static LettuceRedisTier<String> tierOf(Cache<String, String> cache) {
    return ((LettuceRedisCache<String, String>) cache).tier();
  }

  @Test
  void hundredBuildCloseCycles_redisOnlyAndTenantCaches_leaveNoTaskNoThreadAndSendNothingAfterClose(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri())) {
      try (Cache<String, String> warm = builder(c, "warm").build()) {
        warm.put("k", "v"); // connections, event loops and the maintenance thread exist from here on
        assertThat(warm.getIfPresent("k")).isEqualTo("v");
      }
      Map<String, Integer> threadsBefore = threadsByPrefix();
      List<LettuceRedisTier<String>> closed = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        Cache<String, String> plain = builder(c, "cycle").build();
        Cache<String, String> tenant = builder(c, "cycle").tenant("t" + (i % 7)).build();
        RemoteTier<String> root = builder(c, "cycle-tier").buildRemoteTier();
        RemoteTier<String> view = root.forTenant("v");
        try {
          plain.put("k" + i, "v");
          tenant.put("k" + i, "t");
          assertThat(plain.getIfPresent("k" + i)).isEqualTo("v");
          assertThat(tenant.getIfPresent("k" + i)).isEqualTo("t");
          view.put("k", "view", Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS);
          assertThat(tierOf(plain).hasScheduledWork()).isTrue();
          assertThat(tierOf(tenant).hasScheduledWork()).isTrue();
        } finally {
          closed.add(tierOf(plain));
          closed.add(tierOf(tenant));
          closed.add((LettuceRedisTier<String>) root);
          plain.close();
          tenant.close();
          view.close();
          root.close();
        }
      }
      for (LettuceRedisTier<String> tier : closed) {
        assertThat(tier.hasScheduledWork()).as("%s has nothing scheduled", tier).isFalse();
      }
      assertThat(threadsByPrefix()).isEqualTo(threadsBefore);

      // anything the last cycle sent (nothing expected) has reached Redis once a command sent after it
      // on the same connection is answered; from then on nothing may arrive at all
      roundTrip(c);
      redis.command("CONFIG", "RESETSTAT");
      // the scenario, not a wait for an event: 25 refresh periods in which a leftover task would run
      Thread.sleep(REFRESH.toMillis() * 25);
      assertThat(commandsSent(redis)).as("commands sent after close").isEmpty();
    }
  }

  @Test
  void forTenantView_close_closesOnlyTheView_theRootKeepsWorking(
      @RedisStandaloneServer RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        RemoteTier<String> root =
            builder(c, "views").keyPrefix(RedisTestSupport.prefixFrom(redis.keyPrefix())).buildRemoteTier()) {
      RemoteTier<String> view = root.forTenant("t");
      view.put("k", "v", Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS);
      view.close();
      view.close(); // idempotent
      assertThatThrownBy(() -> view.get("k")).isInstanceOf(IllegalStateException.class);
      root.put("k", "root", Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS);
      assertThat(root.get("k").get(5, TimeUnit.SECONDS).value()).isEqualTo("root");
      assertThat(((LettuceRedisTier<String>) root).hasScheduledWork()).isTrue();
      assertThat(root.forTenant("t").get("k").get(5, TimeUnit.SECONDS).value()).isEqualTo("v");
    }
  }

  @Test
  void tenantCache_close_stopsItsGenerationRefresh(@RedisStandaloneServer(owned = true) RedisServer redis)
      throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri())) {
      Cache<String, String> tenant = builder(c, "tenant-close").tenant("acme").build();
      tenant.put("k", "v");
      redis.command("CONFIG", "RESETSTAT");
      Eventually.await(Duration.ofSeconds(10), "the refresh runs while open",
          () -> commandsSent(redis).containsKey("eval"));
      tenant.close();
      assertThat(tierOf(tenant).hasScheduledWork()).isFalse();
      roundTrip(c); // a refresh sent before the close has reached Redis
      redis.command("CONFIG", "RESETSTAT");
      // the scenario, not a wait for an event: 25 refresh periods in which a leftover refresh would run
      Thread.sleep(REFRESH.toMillis() * 25);
      assertThat(commandsSent(redis)).isEmpty();
    }
  }
}
