package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.KeyCodec;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.FaultProxy;
import dev.cachet.testing.redis.RedisMonitor;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 12's sniffer: Redis's own {@code MONITOR} (every command, with every argument, from every
 * client) records a workload of two instances that hide key names, covering puts, bulk puts, loads
 * under the cross-instance lease, refresh-ahead, invalidations, {@code invalidateAll}, a tenant view's
 * writes and {@code invalidateAll}, counters, an outage of one instance with writes during it and its
 * recovery, and close. It must have captured commands of every kind the
 * workload sends, and no argument of any of them may carry a key name, a tenant id or a value in clear.
 * Pattern invalidation is not in the workload: it is refused when names are hidden. The outage cuts
 * only A's connections (a fault proxy), so the monitor keeps recording.
 */
class WireMonitorSnifferIntegrationTests {

  private static final Duration DEADLINE = Duration.ofSeconds(15);

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private TieredCache<String, String> hidingInstance(
      RedisServer redis, String uri, String name, KeyNameHasher hasher, AtomicInteger loads) {
    RedisConnections connections = RedisConnections.create(uri);
    resources.add(connections);
    RedisCacheBuilder<String, String> remote =
        RedisCacheBuilder.<String, String>newBuilder()
            .name(name)
            .connections(connections)
            .keyRing(TieredTestSupport.RING)
            .serializer(ValueSerializers.json(String.class))
            .keyPrefix(TieredTestSupport.prefixFrom(redis.keyPrefix()))
            .keyCodec(KeyCodec.strings())
            .keyNameHasher(hasher);
    TieredCache<String, String> cache =
        (TieredCache<String, String>)
            TieredCacheBuilder.<String, String>newBuilder()
                .name(name)
                .keyCodec(KeyCodec.strings())
                .remote(remote)
                .heartbeatInterval(Duration.ofMillis(200))
                .crossInstanceLoading(Duration.ofSeconds(5), Duration.ofSeconds(5))
                .refreshAfterWrite(Duration.ofMillis(300))
                .loader(key -> "zqvalueloaded" + loads.incrementAndGet())
                .build();
    resources.add(cache);
    return cache;
  }

  /**
   * Under naming scheme 1 tenant ids are readable in Redis key names by design (documented in
   * docs/security.md: scheme 2 hides them), so only scheme 2 is checked for the tenant id too.
   */
  @ParameterizedTest
  @EnumSource(KeyNameHasher.Scheme.class)
  void withKeyNamesHidden_noCommandSentToRedisCarriesAKeyTenantOrValueInClear(
      KeyNameHasher.Scheme scheme, @RedisStandaloneServer(owned = true) RedisServer redis)
      throws Exception {
    String name = "mon-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    KeyNameHasher hasher = KeyNameHasher.of(secret).withScheme(scheme);
    RedisMonitor monitor = RedisMonitor.start(redis);
    FaultProxy proxy = FaultProxy.forward(redis);
    resources.add(proxy);
    List<String> lines;
    try {
      AtomicInteger loads = new AtomicInteger();
      // A reaches Redis through a proxy that the test cuts, to include an outage and its recovery
      TieredCache<String, String> a = hidingInstance(redis, proxy.uri(), name, hasher, loads);
      TieredCache<String, String> b = hidingInstance(redis, redis.uri(), name, hasher, loads);
      Cache<String, String> aTenant = a.forTenant("zqtenant");
      Cache<String, String> bTenant = b.forTenant("zqtenant");

      a.put("zqkeyname0", "zqvalue0");
      assertThat(b.getIfPresent("zqkeyname0")).isEqualTo("zqvalue0");
      a.putAll(Map.of("zqkeyname1", "zqvalue1", "zqkeyname2", "zqvalue2"));
      assertThat(b.getAllPresent(List.of("zqkeyname1", "zqkeyname2"))).hasSize(2);
      // a load under the cross-instance lease, then refresh-ahead of it once it is older than 300 ms
      String loaded = a.get("zqkeyname3");
      assertThat(loaded).startsWith("zqvalueloaded");
      int loadsBefore = loads.get();
      Eventually.await(DEADLINE, "a refresh-ahead reload ran", () -> {
        a.get("zqkeyname3");
        return loads.get() > loadsBefore;
      });
      aTenant.put("zqkeyname4", "zqvalue4");
      assertThat(bTenant.getIfPresent("zqkeyname4")).isEqualTo("zqvalue4");
      aTenant.invalidateAll();
      Eventually.await(DEADLINE, "the tenant's invalidateAll reached B",
          () -> bTenant.getIfPresent("zqkeyname4") == null);
      a.counters().orElseThrow().incrementBy("zqcounter5", 3);
      assertThat(b.counters().orElseThrow().get("zqcounter5")).isEqualTo(3);
      // an outage of A: its writes meanwhile mark keys dirty; recovery invalidates them in Redis and
      // publishes their invalidations (hidden names) when Redis is back
      proxy.refuseNew(true);
      proxy.resetAll();
      Eventually.await(DEADLINE, "A noticed the outage", () -> {
        a.getIfPresent("zqkeyname6");
        return a.isDegraded();
      });
      a.put("zqkeyname7", "zqvalue7");
      a.invalidate("zqkeyname2");
      proxy.refuseNew(false);
      Eventually.await(DEADLINE, "A recovered", () -> !a.isDegraded());
      Eventually.await(DEADLINE, "B no longer serves what A changed during the outage",
          () -> b.getIfPresent("zqkeyname2") == null);
      a.invalidate("zqkeyname0");
      a.invalidateAll(List.of("zqkeyname1"));
      a.invalidateAll();
      a.close();
      b.close();
      lines = monitor.stop();
    } finally {
      monitor.close();
      monitor.delete();
    }

    String all = String.join("\n", lines).toUpperCase(java.util.Locale.ROOT);
    for (String command : List.of("\"SET\"", "\"GET\"", "\"PUBLISH\"", "\"EVAL")) {
      // SET (writes), GET (reads), PUBLISH (coherence), EVAL or EVALSHA (loads, compare-and-set,
      // leases, tenant generations, counters): the workload reached Redis through each of them
      assertThat(all).as("MONITOR captured %s", command).contains(command);
    }
    assertThat(lines.size()).as("captured commands").isGreaterThan(50);
    List<String> markers = new ArrayList<>(List.of("zqkeyname", "zqvalue", "zqcounter"));
    if (scheme == KeyNameHasher.Scheme.BOUND) {
      markers.add("zqtenant");
    }
    for (String line : lines) {
      String lower = line.toLowerCase(java.util.Locale.ROOT);
      for (String marker : markers) {
        assertThat(lower).as("a command sent to Redis under %s", scheme).doesNotContain(marker);
      }
    }
  }
}
