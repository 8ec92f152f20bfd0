package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.KeyCodec;
import dev.cachet.MultiTenantCache;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.FaultProxy;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tenant isolation across instances: a tenant view's {@code invalidateAll} and pattern invalidation
 * affect that tenant alone, in Redis (a generation per tenant) and in every instance's memory (a
 * tenant-clear message); one tenant-id grammar; tenant views that are never returned closed and a
 * bounded number of remembered views.
 */
class TieredTenantIsolationIntegrationTests {

  private static final Duration PROPAGATION_DEADLINE = Duration.ofSeconds(5);
  private static final KeyNameHasher HASHER = KeyNameHasher.of(new byte[32]);

  @RegisterExtension final TieredInstances fleet = new TieredInstances();

  private static String uniqueName() {
    return TieredInstances.uniqueName("ten");
  }

  /** One instance: its own connections, the cache's channel, optionally hidden key names. */
  private TieredCache<String, String> instance(RedisServer redis, String name, KeyNameHasher hasher) {
    return instance(redis, redis.uri(), name, hasher);
  }

  private TieredCache<String, String> instance(
      RedisServer redis, String uri, String name, KeyNameHasher hasher) {
    RedisConnections connections = RedisConnections.create(uri);
    fleet.add(connections);
    RedisCacheBuilder<String, String> remote =
        RedisCacheBuilder.<String, String>newBuilder()
            .connections(connections)
            .keyRing(TieredTestSupport.RING)
            .serializer(ValueSerializers.json(String.class))
            .keyPrefix(TieredTestSupport.prefixFrom(redis.keyPrefix()));
    if (hasher != null) {
      remote.keyNameHasher(hasher);
    }
    MultiTenantCache<String, String> cache =
        TieredCacheBuilder.<String, String>newBuilder()
            .name(name)
            .keyCodec(KeyCodec.strings())
            .remote(remote)
            .heartbeatInterval(Duration.ofMillis(200))
            .build();
    fleet.add(cache);
    return (TieredCache<String, String>) cache;
  }

  private static List<String> redisKeys(RedisServer redis, String pattern) {
    List<String> keys = new ArrayList<>();
    String cursor = "0";
    do {
      @SuppressWarnings("unchecked")
      List<Object> reply = (List<Object>) redis.call("SCAN", cursor, "MATCH", pattern, "COUNT", "1000");
      cursor = String.valueOf(reply.get(0));
      @SuppressWarnings("unchecked")
      List<Object> page = (List<Object>) reply.get(1);
      page.forEach(k -> keys.add(String.valueOf(k)));
    } while (!cursor.equals("0"));
    return keys;
  }

  private static TieredCache<String, String> view(TieredCache<String, String> cache, String tenant) {
    return (TieredCache<String, String>) cache.forTenant(tenant);
  }

  @Test
  void tenantInvalidateAll_leavesOtherTenantsInEveryInstancesMemoryAndInRedis(
      @RedisStandaloneServer RedisServer redis) {
    tenantInvalidateAll(redis, null);
  }

  @Test
  void tenantInvalidateAll_withHiddenKeyNames_leavesOtherTenantsInEveryInstancesMemoryAndInRedis(
      @RedisStandaloneServer RedisServer redis) {
    tenantInvalidateAll(redis, HASHER);
  }

  @Test
  void tenantInvalidateAll_withNamingScheme2_leavesOtherTenantsInEveryInstancesMemoryAndInRedis(
      @RedisStandaloneServer RedisServer redis) {
    tenantInvalidateAll(redis, HASHER.withScheme(KeyNameHasher.Scheme.BOUND));
  }

  private void tenantInvalidateAll(RedisServer redis, KeyNameHasher hasher) {
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name, hasher);
    TieredCache<String, String> b = instance(redis, name, hasher);
    TieredCache<String, String> acmeA = view(a, "acme");
    TieredCache<String, String> globexA = view(a, "globex");
    for (String k : List.of("k1", "k2")) {
      acmeA.put(k, "acme-" + k);
      globexA.put(k, "globex-" + k);
    }
    a.put("k1", "root-k1");
    awaitEarlierMessagesApplied(a, b);
    TieredCache<String, String> acmeB = view(b, "acme");
    TieredCache<String, String> globexB = view(b, "globex");
    for (String k : List.of("k1", "k2")) { // B fills its memory from Redis
      assertThat(acmeB.getIfPresent(k)).isEqualTo("acme-" + k);
      assertThat(globexB.getIfPresent(k)).isEqualTo("globex-" + k);
    }
    assertThat(b.getIfPresent("k1")).isEqualTo("root-k1");
    assertThat(globexB.peekMemory("k1")).isEqualTo("globex-k1");
    if (hasher != null && hasher.scheme() == KeyNameHasher.Scheme.BOUND) {
      List<String> names = redisKeys(redis, TieredTestSupport.prefixFrom(redis.keyPrefix()) + ":" + name + ":*");
      assertThat(names).isNotEmpty();
      assertThat(names).as("naming scheme 2: no tenant id and no key in any key name")
          .noneMatch(k -> k.contains("acme") || k.contains("globex") || k.contains(":k:"));
    }
    long fullClearsOnB = b.coherence().clearCount();
    long tenantClearsOnB = b.coherence().tenantClearsReceived();
    List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    io.lettuce.core.RedisClient sniffer = io.lettuce.core.RedisClient.create(redis.uri());
    fleet.add(sniffer::shutdown);
    var pubsub = sniffer.connectPubSub();
    fleet.add(pubsub);
    pubsub.addListener(new io.lettuce.core.pubsub.RedisPubSubAdapter<String, String>() {
      @Override
      public void message(String pattern, String channel, String message) {
        heard.add(message);
      }
    });
    pubsub.sync().psubscribe("*");

    acmeA.invalidateAll();

    // instance A: acme gone from memory, globex and the root untouched in memory
    assertThat(acmeA.peekMemory("k1")).isNull();
    assertThat(globexA.peekMemory("k1")).isEqualTo("globex-k1");
    assertThat(globexA.peekMemory("k2")).isEqualTo("globex-k2");
    assertThat(a.peekMemory("k1")).isEqualTo("root-k1");
    // instance B: the tenant clear arrives and drops acme alone
    Eventually.await(PROPAGATION_DEADLINE, "B applied A's tenant clear",
        () -> b.coherence().tenantClearsReceived() > tenantClearsOnB);
    assertThat(acmeB.peekMemory("k1")).isNull();
    assertThat(acmeB.peekMemory("k2")).isNull();
    assertThat(globexB.peekMemory("k1")).as("globex stays in B's memory").isEqualTo("globex-k1");
    assertThat(globexB.peekMemory("k2")).isEqualTo("globex-k2");
    assertThat(b.peekMemory("k1")).isEqualTo("root-k1");
    assertThat(b.coherence().clearCount()).as("no whole-memory clear on B").isEqualTo(fullClearsOnB);
    Eventually.await(PROPAGATION_DEADLINE, "the sniffer heard the tenant clear",
        () -> heard.stream().anyMatch(m -> m.contains(" T ")));
    String tenantClear = heard.stream().filter(m -> m.contains(" T ")).findFirst().orElseThrow();
    if (hasher == null) {
      assertThat(tenantClear).contains("t.acme");
    } else {
      assertThat(tenantClear).as("the tenant is hidden on the wire").contains("h.").doesNotContain("acme");
    }
    // Redis: acme is gone for every instance, globex and the root still readable (a fresh instance)
    // B re-reads acme's generation when the message arrives (its acme operations wait for the reply)
    Eventually.await(PROPAGATION_DEADLINE, "B reads acme's new generation",
        () -> acmeB.getIfPresent("k1") == null && acmeB.getIfPresent("k2") == null);
    TieredCache<String, String> c = instance(redis, name, hasher);
    assertThat(view(c, "acme").getIfPresent("k1")).isNull();
    assertThat(view(c, "globex").getIfPresent("k1")).isEqualTo("globex-k1");
    assertThat(view(c, "globex").getIfPresent("k2")).isEqualTo("globex-k2");
    assertThat(c.getIfPresent("k1")).isEqualTo("root-k1");
    // and acme works again afterwards, on every instance
    acmeA.put("k1", "acme-new");
    Eventually.await(PROPAGATION_DEADLINE, "B reads acme's new value",
        () -> "acme-new".equals(acmeB.getIfPresent("k1")));
    if (hasher != null) {
      Eventually.await(PROPAGATION_DEADLINE, "the sniffer heard acme's put",
          () -> heard.stream().anyMatch(m -> m.contains(" I ")));
      assertThat(heard).as("no tenant id in any message with names hidden").noneMatch(m -> m.contains("acme"));
    }
  }

  @Test
  void tenantPatternInvalidation_leavesOtherTenantsInEveryInstancesMemoryAndInRedis(
      @RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name, null);
    TieredCache<String, String> b = instance(redis, name, null);
    TieredCache<String, String> acmeA = view(a, "acme");
    acmeA.put("user:1", "acme-user");
    acmeA.put("order:1", "acme-order");
    view(a, "globex").put("user:1", "globex-user");
    awaitEarlierMessagesApplied(a, b);
    TieredCache<String, String> acmeB = view(b, "acme");
    TieredCache<String, String> globexB = view(b, "globex");
    assertThat(acmeB.getIfPresent("user:1")).isEqualTo("acme-user");
    assertThat(globexB.getIfPresent("user:1")).isEqualTo("globex-user");
    long fullClearsOnB = b.coherence().clearCount();
    long tenantClearsOnB = b.coherence().tenantClearsReceived();

    long removed = acmeA.policy().patternInvalidation().orElseThrow().invalidateMatching("user:*");

    assertThat(removed).isEqualTo(1);
    assertThat(view(a, "globex").peekMemory("user:1")).isEqualTo("globex-user");
    Eventually.await(PROPAGATION_DEADLINE, "B applied A's tenant clear",
        () -> b.coherence().tenantClearsReceived() > tenantClearsOnB);
    assertThat(acmeB.peekMemory("user:1")).isNull();
    assertThat(globexB.peekMemory("user:1")).as("globex stays in B's memory").isEqualTo("globex-user");
    assertThat(b.coherence().clearCount()).isEqualTo(fullClearsOnB);
    assertThat(acmeB.getIfPresent("user:1")).isNull();
    assertThat(acmeB.getIfPresent("order:1")).as("not matched: still in Redis").isEqualTo("acme-order");
    assertThat(view(instance(redis, name, null), "globex").getIfPresent("user:1")).isEqualTo("globex-user");
  }

  @Test
  void tenantInvalidateAll_duringAnOutage_recoveryInvalidatesThatTenantAlone(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    String name = uniqueName();
    try (FaultProxy proxy = FaultProxy.forward(redis)) {
      TieredCache<String, String> a = instance(redis, proxy.uri(), name, null);
      view(a, "acme").put("k", "acme");
      view(a, "globex").put("k", "globex");
      a.put("k", "root");

      proxy.refuseNew(true);
      proxy.resetAll();
      Eventually.await(Duration.ofSeconds(10), "A noticed the outage", () -> {
        a.forTenant("probe").getIfPresent("x");
        return a.isDegraded();
      });
      view(a, "acme").invalidateAll(); // fails remotely: acme alone is dirty
      assertThat(a.outage().isDirty(TieredCache.scopeOf("acme") + "k")).isTrue();
      assertThat(a.outage().isDirty(TieredCache.scopeOf("globex") + "k")).isFalse();
      assertThat(a.outage().isDirty("k")).isFalse();
      assertThat(view(a, "acme").getIfPresent("k")).isNull();

      proxy.refuseNew(false);
      Eventually.await(Duration.ofSeconds(15), "A recovered", () -> !a.isDegraded());
      assertThat(a.outage().isDirty(TieredCache.scopeOf("acme") + "k")).isFalse();
      TieredCache<String, String> c = instance(redis, name, null);
      assertThat(view(c, "acme").getIfPresent("k")).as("recovery invalidated acme in Redis").isNull();
      assertThat(view(c, "globex").getIfPresent("k")).as("globex untouched in Redis").isEqualTo("globex");
      assertThat(c.getIfPresent("k")).isEqualTo("root");
    }
  }

  @Test
  void peerTenantClear_ofAHiddenTenantThisInstanceCannotMap_clearsTheWholeMemory(
      @RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    TieredCache<String, String> b = instance(redis, name, HASHER);
    view(b, "globex").put("k", "globex");
    String channel = TieredTestSupport.prefixFrom(redis.keyPrefix()) + ":" + name + ":bus";
    long clears = b.coherence().clearCount();
    redis.command("PUBLISH", channel,
        new CoherenceMessage(2, "ghost", 1, CoherenceMessage.TENANT_CLEAR, "", List.of("h.nobody-knows")).encode());
    Eventually.await(PROPAGATION_DEADLINE, "B cleared everything", () -> b.coherence().clearCount() > clears);
    assertThat(b.coherence().lastClearReason()).contains("cannot name");
    assertThat(view(b, "globex").peekMemory("k")).isNull();
    assertThat(view(b, "globex").getIfPresent("k")).as("still in Redis").isEqualTo("globex");
  }

  @Test
  void rootInvalidateAll_clearsEveryTenant(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name, null);
    TieredCache<String, String> b = instance(redis, name, null);
    view(a, "acme").put("k", "acme");
    a.put("k", "root");
    assertThat(view(b, "acme").getIfPresent("k")).isEqualTo("acme");
    a.invalidateAll();
    assertThat(view(a, "acme").peekMemory("k")).isNull();
    Eventually.await(PROPAGATION_DEADLINE, "B dropped every tenant",
        () -> view(b, "acme").getIfPresent("k") == null && b.getIfPresent("k") == null);
  }

  @Test
  void forTenant_followsTheOneTenantIdGrammar(@RedisStandaloneServer RedisServer redis) {
    TieredCache<String, String> a = instance(redis, uniqueName(), null);
    for (String id : List.of("a", "Acme.EU-1_x", "-", "x".repeat(64))) {
      Cache<String, String> v = a.forTenant(id);
      v.put("k", id);
      assertThat(v.getIfPresent("k")).isEqualTo(id);
    }
    for (String id : List.of("", "x".repeat(65), "a:b", "a*", "a b", "caf\u00e9", "a\\b")) {
      assertThatThrownBy(() -> a.forTenant(id))
          .as("'%s'", id)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tenantId must match [A-Za-z0-9_.-]{1,64}");
    }
    assertThatThrownBy(() -> a.forTenant(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void forTenant_neverReturnsAClosedView_andRemembersABoundedNumber(@RedisStandaloneServer RedisServer redis) {
    TieredCache<String, String> a = instance(redis, uniqueName(), HASHER);
    Cache<String, String> acme = a.forTenant("acme");
    assertThat(a.forTenant("acme")).isSameAs(acme);
    acme.put("k", "v");
    acme.close();
    Cache<String, String> again = a.forTenant("acme");
    assertThat(again).isNotSameAs(acme);
    assertThat(again.getIfPresent("k")).as("the new view is open and sees the data").isEqualTo("v");
    assertThat(a.forTenant("acme")).isSameAs(again);

    for (int i = 0; i < 10_000; i++) {
      Cache<String, String> v = a.forTenant("t" + i);
      if (i % 100 == 0) {
        v.put("k", "v" + i);
      }
    }
    assertThat(a.cachedTenantViews()).isLessThanOrEqualTo(TieredCache.MAX_CACHED_TENANT_VIEWS);
    assertThat(a.announcedTenantsMapped()).isLessThanOrEqualTo(TieredCache.MAX_ANNOUNCED_TENANTS);
    // beyond the bound, views are new each time but never closed ones
    Cache<String, String> late = a.forTenant("late");
    late.close();
    Cache<String, String> lateAgain = a.forTenant("late");
    assertThat(lateAgain).isNotSameAs(late);
    lateAgain.put("k", "late");
    assertThat(lateAgain.getIfPresent("k")).isEqualTo("late");
    assertThat(a.forTenant("t9900").getIfPresent("k")).isEqualTo("v9900");
  }

  /**
   * Waits until B has applied every invalidation A published so far, so that B's later reads are not
   * dropped by a late message of A's (that would be correct coherence, but would make the assertions
   * about what stays in B's memory race). A's messages reach B in order: B holds a fence entry, A
   * writes it, and once B's copy is gone everything A sent before that write was applied too.
   */
  private static void awaitEarlierMessagesApplied(TieredCache<String, String> a, TieredCache<String, String> b) {
    String fence = "fence-" + java.util.UUID.randomUUID();
    a.put(fence, "1");
    Eventually.await(PROPAGATION_DEADLINE, "B holds the fence", () -> {
      b.getIfPresent(fence);
      return "1".equals(b.peekMemory(fence));
    });
    a.put(fence, "2");
    Eventually.await(PROPAGATION_DEADLINE, "B applied A's messages up to the fence",
        () -> b.peekMemory(fence) == null);
  }
}
