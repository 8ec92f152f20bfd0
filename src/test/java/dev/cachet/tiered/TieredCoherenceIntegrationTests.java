package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several instances of one tiered cache in one JVM, each with its own connections, sharing one Redis:
 * coherence over pub/sub and the refill race (failures: {@code CoherenceFailSafeIntegrationTests}).
 */
class TieredCoherenceIntegrationTests {

  private static final Logger log = LoggerFactory.getLogger(TieredCoherenceIntegrationTests.class);
  private static final Duration PROPAGATION_DEADLINE = Duration.ofSeconds(3);

  @RegisterExtension final TieredInstances fleet = new TieredInstances();

  private static String uniqueName() {
    return TieredInstances.uniqueName("coh");
  }

  private TieredCache<String, String> instance(
      RedisServer redis, String name, Consumer<TieredCacheBuilder<String, String>> customizer) {
    return fleet.on(redis, name, customizer);
  }

  private TieredCache<String, String> instance(RedisServer redis, String name) {
    return instance(redis, name, b -> {});
  }

  @Test
  void twoCachesOfOneNameOnOneConnections_closingOne_theOtherKeepsReceivingInvalidations(
      @RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    String prefix = TieredTestSupport.prefixFrom(redis.keyPrefix());
    RedisConnections shared = RedisConnections.create(redis.uri());
    fleet.add(shared);
    TieredCache<String, String> kept =
        (TieredCache<String, String>) TieredTestSupport.cache(name, shared, prefix, b -> {});
    fleet.add(kept);
    TieredCache<String, String> closed =
        (TieredCache<String, String>) TieredTestSupport.cache(name, shared, prefix, b -> {});
    TieredCache<String, String> writer = instance(redis, name);
    writer.put("k", "v1");
    assertThat(kept.getIfPresent("k")).isEqualTo("v1");
    long clears = kept.coherence().clearCount();
    closed.close();
    writer.put("k", "v2");
    Eventually.await(PROPAGATION_DEADLINE, "the remaining cache saw the invalidation",
        () -> kept.peekMemory("k") == null);
    assertThat(kept.getIfPresent("k")).isEqualTo("v2");
    assertThat(kept.coherence().isSubscribed()).isTrue();
    assertThat(kept.coherence().clearCount()).as("no clear from the other cache's subscribe or close")
        .isEqualTo(clears);
  }

  @Test
  void putOnOneInstance_otherInstancesServeTheNewValueAfterPropagation(
      @RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name);
    TieredCache<String, String> b = instance(redis, name);
    TieredCache<String, String> c = instance(redis, name);
    a.put("k", "v1");
    assertThat(b.getIfPresent("k")).isEqualTo("v1"); // from Redis, now in B's memory
    assertThat(c.getIfPresent("k")).isEqualTo("v1");

    long started = System.nanoTime();
    a.put("k", "v2");
    long returned = System.nanoTime();
    for (TieredCache<String, String> other : List.of(b, c)) {
      Eventually.await(PROPAGATION_DEADLINE, Duration.ofMillis(1), "new value visible",
          () -> "v2".equals(other.getIfPresent("k")));
    }
    log.info("put propagation: A's put took {} us; B and C served v2 {} us after it returned",
        (returned - started) / 1000, (System.nanoTime() - returned) / 1000);
    for (int i = 0; i < 50; i++) {
      assertThat(b.getIfPresent("k")).isEqualTo("v2");
      assertThat(c.getIfPresent("k")).isEqualTo("v2");
    }
  }

  @Test
  void invalidateOnOneInstance_removesTheValueEverywhere(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name);
    TieredCache<String, String> b = instance(redis, name);
    a.put("k", "v1");
    assertThat(b.get("k", key -> "loaded")).isEqualTo("v1");
    a.invalidate("k");
    Eventually.await(PROPAGATION_DEADLINE, Duration.ofMillis(1), "invalidation reached B",
        () -> b.getIfPresent("k") == null);
    assertThat(b.get("k", key -> "fresh")).isEqualTo("fresh");
  }

  @Test
  void invalidateAll_reachesOtherInstances(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name);
    TieredCache<String, String> b = instance(redis, name);
    a.put("x", "1");
    a.put("y", "2");
    assertThat(b.getAllPresent(List.of("x", "y"))).hasSize(2);
    a.invalidateAll();
    Eventually.await(PROPAGATION_DEADLINE, "B sees no entries", () -> b.getAllPresent(List.of("x", "y")).isEmpty());
  }

  @Test
  void propagationDelay_isMeasured(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name);
    TieredCache<String, String> b = instance(redis, name);
    long[] delays = new long[50];
    for (int i = 0; i < delays.length; i++) {
      String key = "p" + i;
      a.put(key, "old");
      assertThat(b.getIfPresent(key)).isEqualTo("old");
      a.put(key, "new");
      long returned = System.nanoTime();
      while (!"new".equals(b.getIfPresent(key))) {
        assertThat(System.nanoTime() - returned).isLessThan(PROPAGATION_DEADLINE.toNanos());
        Thread.onSpinWait();
      }
      delays[i] = System.nanoTime() - returned;
    }
    java.util.Arrays.sort(delays);
    log.info("invalidation propagation after put returned (50 samples): p50 {} us, p90 {} us, max {} us",
        delays[25] / 1000, delays[45] / 1000, delays[49] / 1000);
    assertThat(delays[25]).isLessThan(Duration.ofMillis(500).toNanos());
  }

  @Test
  void refillRace_invalidationDuringRefill_dropsTheStaleValue(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    refillRace(redis, false);
  }

  /** The guard above is what keeps the stale value out: with it switched off, the race happens. */
  @Test
  void refillRace_withTheGuardDisabled_servesTheStaleValue(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    refillRace(redis, true);
  }

  private void refillRace(RedisServer redis, boolean guardDisabled) throws Exception {
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name);
    TieredCache<String, String> b = instance(redis, name);
    a.put("k", "v1");
    b.keyOrder().refillGuardDisabledForTesting = guardDisabled;

    CountDownLatch readDone = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    b.setTestHook(
        (memoryKey, phase) -> {
          if (memoryKey.equals("k") && phase == TieredCache.Phase.AFTER_REMOTE_READ) {
            readDone.countDown();
            try {
              proceed.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        });
    // B reads v1 from Redis and pauses before filling memory
    CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> b.getIfPresent("k"));
    assertThat(readDone.await(10, TimeUnit.SECONDS)).isTrue();
    // A's invalidation arrives at B meanwhile
    long clearsBefore = b.coherence().clearCount();
    long appliedBefore = b.coherence().peerInvalidationsApplied();
    a.put("k", "v2");
    // wait until B has applied A's invalidation (or cleared its memory), not merely until B tracks the
    // key: B's own paused read already tracks it, so that condition held before the message arrived
    Eventually.await(PROPAGATION_DEADLINE, "A's invalidation was applied on B",
        () -> b.coherence().peerInvalidationsApplied() > appliedBefore
            || b.coherence().clearCount() > clearsBefore);
    proceed.countDown();
    assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo("v1"); // the read itself began before the put
    b.setTestHook(null);
    if (guardDisabled) {
      assertThat(b.peekMemory("k")).as("the stale refill landed after the invalidation").isEqualTo("v1");
      assertThat(b.getIfPresent("k")).isEqualTo("v1");
      return;
    }
    Eventually.await(PROPAGATION_DEADLINE, "B serves v2, never the stale v1 from its memory",
        () -> "v2".equals(b.getIfPresent("k")));
    for (int i = 0; i < 20; i++) {
      assertThat(b.getIfPresent("k")).isEqualTo("v2");
    }
  }

  @Test
  void refillRace_withoutTheGuard_wouldServeStale_soTheGuardIsWhatSavesIt(
      @RedisStandaloneServer RedisServer redis) throws Exception {
    // Same interleaving, but coherence off on B: nothing tells B about A's write, so B's memory keeps
    // v1 until its TTL. This shows the race is real and the previous test's guard is what prevents it.
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name);
    TieredCache<String, String> b = instance(redis, name, builder -> builder.coherence(false));
    a.put("k", "v1");
    assertThat(b.getIfPresent("k")).isEqualTo("v1");
    a.put("k", "v2");
    assertThat(b.getIfPresent("k")).isEqualTo("v1");
  }

  @Test
  void tenants_sameKeyHoldsSeparateValues(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name);
    TieredCache<String, String> b = instance(redis, name);
    Cache<String, String> acme = a.forTenant("acme");
    Cache<String, String> globex = a.forTenant("globex");
    acme.put("user:1", "acme-user");
    globex.put("user:1", "globex-user");
    assertThat(acme.getIfPresent("user:1")).isEqualTo("acme-user");
    assertThat(globex.getIfPresent("user:1")).isEqualTo("globex-user");
    assertThat(a.getIfPresent("user:1")).isNull();
    assertThat(b.forTenant("acme").getIfPresent("user:1")).isEqualTo("acme-user");
    // an invalidation in one tenant leaves the other alone, on every instance
    acme.invalidate("user:1");
    Eventually.await(PROPAGATION_DEADLINE, "acme's entry gone on B",
        () -> b.forTenant("acme").getIfPresent("user:1") == null);
    assertThat(b.forTenant("globex").getIfPresent("user:1")).isEqualTo("globex-user");
  }

  @Test
  void tenants_tokenCopiedAcrossTenants_isAMiss(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name);
    Cache<String, String> acme = a.forTenant("acme");
    Cache<String, String> globex = a.forTenant("globex");
    acme.put("secret", "acme-only");
    globex.put("secret", "globex-only");
    String prefix = TieredTestSupport.prefixFrom(redis.keyPrefix());
    List<String> keys = new ArrayList<>();
    String cursor = "0";
    do {
      @SuppressWarnings("unchecked")
      List<Object> reply = (List<Object>) redis.call("SCAN", cursor, "MATCH", prefix + "*" + name + "*", "COUNT", "1000");
      cursor = String.valueOf(reply.get(0));
      @SuppressWarnings("unchecked")
      List<Object> page = (List<Object>) reply.get(1);
      page.forEach(k -> keys.add(String.valueOf(k)));
    } while (!cursor.equals("0"));
    String acmeKey = keys.stream().filter(k -> k.contains("acme")).filter(k -> k.endsWith("secret")).findFirst().orElseThrow();
    String globexKey = keys.stream().filter(k -> k.contains("globex")).filter(k -> k.endsWith("secret")).findFirst().orElseThrow();
    String acmeToken = redis.command("GET", acmeKey);
    redis.command("SET", globexKey, acmeToken, "PX", "60000");
    a.forTenant("globex").invalidate("other"); // no-op; memory of globex:secret is still filled
    Cache<String, String> freshGlobex = instance(redis, name).forTenant("globex");
    assertThat(freshGlobex.getIfPresent("secret")).as("a token sealed for acme is rejected under globex").isNull();
  }

  @Test
  void memoizer_routesCallsThroughTheCache(@RedisStandaloneServer RedisServer redis) {
    TieredCache<String, String> cache = instance(redis, uniqueName());
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    java.util.function.Function<String, String> slowUpper =
        dev.cachet.Memoizer.memoize(cache, s -> { calls.incrementAndGet(); return s.toUpperCase(); });
    assertThat(slowUpper.apply("abc")).isEqualTo("ABC");
    assertThat(slowUpper.apply("abc")).isEqualTo("ABC");
    assertThat(calls).hasValue(1);
  }
}
