package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.spi.RemoteTier;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Redis side of tenants and hidden names: a generation per tenant (a tenant's {@code invalidateAll}
 * leaves other tenants and the untenanted cache readable, and other instances learn it), bounded tenant
 * tracking, and the opt-in naming scheme 2 (names bound to cache and tenant).
 */
class RedisTenantIntegrationTests {

  @RedisStandaloneServer static RedisServer redis;
  static RedisConnections connections;
  static RedisConnections otherInstance;

  @BeforeAll
  static void connect() {
    connections = RedisConnections.create(redis.uri());
    otherInstance = RedisConnections.create(redis.uri());
  }

  @AfterAll
  static void disconnect() {
    connections.close();
    otherInstance.close();
  }

  private final String prefix = "ten" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
  private final List<AutoCloseable> open = new ArrayList<>();

  private RedisCacheBuilder<String, String> builder(String name, RedisConnections c) {
    return RedisCacheBuilder.newBuilder(String.class, String.class)
        .name(name)
        .connections(c)
        .keyPrefix(prefix)
        .keyRing(RedisTestSupport.RING)
        .generationRefreshInterval(Duration.ofMillis(100));
  }

  private List<String> keys(String pattern) {
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

  @Test
  void tenantInvalidateAll_bumpsThatTenantsGenerationOnly_andOtherInstancesLearnIt() {
    try (Cache<String, String> t1 = builder("gen", connections).tenant("t1").build();
        Cache<String, String> t2 = builder("gen", connections).tenant("t2").build();
        Cache<String, String> root = builder("gen", connections).build();
        Cache<String, String> t1Elsewhere = builder("gen", otherInstance).tenant("t1").build()) {
      for (int i = 0; i < 20; i++) {
        t1.put("k" + i, "one");
        t2.put("k" + i, "two");
        root.put("k" + i, "root");
      }
      String cacheGeneration = redis.command("GET", prefix + ":gen:gen");
      assertThat(t1Elsewhere.getIfPresent("k0")).isEqualTo("one");

      t1.invalidateAll();

      assertThat(redis.command("GET", prefix + ":gen:gen")).as("the cache's generation").isEqualTo(cacheGeneration);
      for (int i = 0; i < 20; i++) {
        assertThat(t1.getIfPresent("k" + i)).isNull();
        assertThat(t2.getIfPresent("k" + i)).isEqualTo("two");
        assertThat(root.getIfPresent("k" + i)).isEqualTo("root");
      }
      // another instance learns the tenant's new generation with its periodic refresh
      Eventually.await(Duration.ofSeconds(5), "the other instance no longer reads t1's old entry",
          () -> t1Elsewhere.getIfPresent("k0") == null);
      // t1's old entries are removed in the background; t2's and the root's stay
      Eventually.await(Duration.ofSeconds(5), "t1's old entries cleaned up",
          () -> keys(prefix + ":gen:v*:t.t1:*").isEmpty());
      assertThat(keys(prefix + ":gen:v*:t.t2:*")).hasSize(20);
      assertThat(keys(prefix + ":gen:v*:-:*")).hasSize(20);
      // (the cleanup may have made the old entry disappear before the other instance's refresh: what
      // shows it learned the new generation is that it reads what t1 writes there)
      Eventually.await(Duration.ofSeconds(5), "the other instance reads t1's new generation", () -> {
        t1.put("k0", "again");
        return "again".equals(t1Elsewhere.getIfPresent("k0"));
      });
    }
  }

  @Test
  void lostTenantGenerations_areRecreatedAboveEverySeenOne_oldEntriesStayUnreachable() {
    try (Cache<String, String> t1 = builder("lost", connections).tenant("t1").build()) {
      t1.put("k", "before");
      String oldKey = keys(prefix + ":lost:v*:t.t1:*").get(0);
      String oldToken = redis.command("GET", oldKey);
      t1.invalidateAll();
      redis.command("DEL", prefix + ":lost:gen:tenants"); // evicted or flushed
      redis.command("SET", oldKey, oldToken, "PX", "60000"); // as if the cleanup had not run
      assertThat(t1.getIfPresent("k")).as("this instance").isNull();
      try (Cache<String, String> fresh = builder("lost", otherInstance).tenant("t1").build()) {
        assertThat(fresh.getIfPresent("k")).as("an instance that never saw a generation").isNull();
        // both converge on the recreated generation with their next refresh
        Eventually.await(Duration.ofSeconds(5), "both instances on the recreated generation", () -> {
          t1.put("k", "after");
          return "after".equals(fresh.getIfPresent("k"));
        });
      }
    }
  }

  @Test
  void trackedTenantGenerations_stayBounded() throws Exception {
    RemoteTier<String> tier = builder("many", connections).buildRemoteTier();
    try {
      int n = TenantGenerations.MAX_TRACKED + 200;
      for (int i = 0; i < n; i++) {
        tier.forTenant("t" + i).get("k").get(5, TimeUnit.SECONDS);
      }
      LettuceRedisTier<String> lettuce = (LettuceRedisTier<String>) tier;
      assertThat(lettuce.shared().generations.tenants().tracked())
          .isLessThanOrEqualTo(TenantGenerations.MAX_TRACKED);
      lettuce.resynchronize().get(10, TimeUnit.SECONDS); // one refresh of every tracked tenant works
    } finally {
      tier.close();
    }
  }

  @Test
  void namingScheme2_isReadableOnTheSameScheme_andDiffersBetweenCachesAndTenants() {
    KeyNameHasher scheme1 = KeyNameHasher.of(new byte[32]);
    KeyNameHasher scheme2 = scheme1.withScheme(KeyNameHasher.Scheme.BOUND);
    try (Cache<String, String> a = builder("bound-a", connections).keyNameHasher(scheme2).build();
        Cache<String, String> b = builder("bound-b", connections).keyNameHasher(scheme2).build();
        Cache<String, String> aT = builder("bound-a", connections).keyNameHasher(scheme2).tenant("acme").build();
        Cache<String, String> aElsewhere = builder("bound-a", otherInstance).keyNameHasher(scheme2).build();
        Cache<String, String> aOnScheme1 = builder("bound-a", otherInstance).keyNameHasher(scheme1).build()) {
      a.put("alice@example.com", "A");
      b.put("alice@example.com", "B");
      aT.put("alice@example.com", "T");
      assertThat(aElsewhere.getIfPresent("alice@example.com")).as("same scheme, other instance").isEqualTo("A");
      assertThat(aOnScheme1.getIfPresent("alice@example.com")).as("scheme 1 names differ").isNull();
      String nameA = hidden(keys(prefix + ":bound-a:v*:-:*"));
      String nameB = hidden(keys(prefix + ":bound-b:v*:-:*"));
      assertThat(keys(prefix + ":bound-a:*acme*")).as("no tenant id in any key name").isEmpty();
      @SuppressWarnings("unchecked")
      List<Object> fields = (List<Object>) redis.call("HKEYS", prefix + ":bound-a:gen:tenants");
      assertThat(fields).hasSize(1);
      assertThat(String.valueOf(fields.get(0))).startsWith("h.").doesNotContain("acme");
      String nameT = hidden(keys(prefix + ":bound-a:v*:" + fields.get(0) + ":*"));
      assertThat(nameA).isNotEqualTo(nameB).isNotEqualTo(nameT);
      assertThat(nameB).isNotEqualTo(nameT);
      assertThat(nameA).isEqualTo(scheme2.hash(prefix, "bound-a", null, "alice@example.com"));
      assertThat(nameA).isNotEqualTo(scheme1.hash("alice@example.com"));
    }
  }

  /** The hidden part of the only scheme-2 key among {@code keys}. */
  private static String hidden(List<String> keys) {
    assertThat(keys).hasSize(1);
    String key = keys.get(0);
    assertThat(key).contains(":h2:").doesNotContain("alice");
    return key.substring(key.indexOf(":h2:") + 4);
  }
}
