package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.KeyCodec;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An observer with {@code PSUBSCRIBE *} sees every coherence message of two instances that hide key
 * names, through puts, bulk puts, invalidations, {@code invalidateAll}, loads, tenant views, heartbeats
 * and a close: it captures every message kind and finds no key name and no value in clear. And the
 * hidden names still do their job: the other instance drops exactly the changed entries.
 */
class CoherenceWireSnifferIntegrationTests {

  private static final Duration DEADLINE = Duration.ofSeconds(15);

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private TieredCache<String, String> hidingInstance(RedisServer redis, String name, byte[] secret) {
    RedisConnections connections = RedisConnections.create(redis.uri());
    resources.add(connections);
    RedisCacheBuilder<String, String> remote =
        RedisCacheBuilder.<String, String>newBuilder()
            .name(name)
            .connections(connections)
            .keyRing(TieredTestSupport.RING)
            .serializer(ValueSerializers.json(String.class))
            .keyPrefix(TieredTestSupport.prefixFrom(redis.keyPrefix()))
            .keyCodec(KeyCodec.strings())
            .keyNameHasher(KeyNameHasher.of(secret));
    TieredCache<String, String> cache =
        (TieredCache<String, String>)
            TieredCacheBuilder.<String, String>newBuilder()
                .name(name)
                .keyCodec(KeyCodec.strings())
                .remote(remote)
                .heartbeatInterval(Duration.ofMillis(200))
                .build();
    resources.add(cache);
    return cache;
  }

  @Test
  void withKeyNamesHidden_noMessageCarriesAKeyOrAValueInClear(@RedisStandaloneServer RedisServer redis) {
    String name = "sniff-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    List<String> captured = new CopyOnWriteArrayList<>();
    RedisClient client = RedisClient.create(redis.uri());
    try (StatefulRedisPubSubConnection<String, String> observer = client.connectPubSub()) {
      observer.addListener(new RedisPubSubAdapter<String, String>() {
        @Override
        public void message(String pattern, String channel, String message) {
          captured.add(channel + " " + message);
        }
      });
      observer.sync().psubscribe("*");

      TieredCache<String, String> a = hidingInstance(redis, name, secret);
      TieredCache<String, String> b = hidingInstance(redis, name, secret);
      Cache<String, String> aTenant = a.forTenant("acme");
      Cache<String, String> bTenant = b.forTenant("acme");
      List<String> markers = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        markers.add("zqkeyname" + i);
        markers.add("zqvalue" + i);
      }
      a.put("zqkeyname0", "zqvalue0");
      assertThat(b.getIfPresent("zqkeyname0")).isEqualTo("zqvalue0");
      a.putAll(Map.of("zqkeyname1", "zqvalue1", "zqkeyname2", "zqvalue2"));
      aTenant.put("zqkeyname3", "zqvalue3");
      assertThat(bTenant.getIfPresent("zqkeyname3")).isEqualTo("zqvalue3");
      assertThat(b.get("zqkeyname4", k -> "zqvalue4")).isEqualTo("zqvalue4");
      // B holds zqkeyname0 and the tenant's zqkeyname3; A changes them: B drops exactly those
      long applied = b.coherence().peerInvalidationsApplied();
      a.put("zqkeyname0", "zqvalue5");
      aTenant.invalidate("zqkeyname3");
      Eventually.await(DEADLINE, "B applied the hidden invalidations",
          () -> b.coherence().peerInvalidationsApplied() >= applied + 2 || b.peekMemory("zqkeyname0") == null);
      Eventually.await(DEADLINE, "B serves A's new value", () -> "zqvalue5".equals(b.getIfPresent("zqkeyname0")));
      Eventually.await(DEADLINE, "B's tenant entry is gone", () -> bTenant.getIfPresent("zqkeyname3") == null);
      assertThat(b.peekMemory("zqkeyname4")).as("an unchanged entry stays").isEqualTo("zqvalue4");
      a.invalidate("zqkeyname1");
      a.invalidateAll();
      a.close();
      Eventually.await(DEADLINE, "captured every kind of message", () -> kinds(captured).containsAll(
          Set.of('I', 'C', 'H', 'B')));

      assertThat(captured).isNotEmpty();
      for (String message : captured) {
        for (String marker : markers) {
          assertThat(message).as("a message on the wire").doesNotContain(marker);
        }
      }
      assertThat(captured.stream().filter(m -> m.contains(" I ")).allMatch(m -> m.contains(" I h ")))
          .as("every invalidation is flagged as carrying hidden names").isTrue();
      Eventually.await(DEADLINE, "A's invalidateAll reached B", () -> b.coherence().clearCount() == 1);
      assertThat(b.coherence().lossCount()).isZero();
    } finally {
      client.shutdown();
    }
  }

  /**
   * The refill race with hidden names: B reads v1 and pauses before filling memory; A's invalidation,
   * naming the key only by its hidden name, arrives meanwhile; B must not store v1.
   */
  @Test
  void refillRace_withHiddenNames_dropsTheStaleValue(@RedisStandaloneServer RedisServer redis) throws Exception {
    String name = "sniff-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    TieredCache<String, String> a = hidingInstance(redis, name, secret);
    TieredCache<String, String> b = hidingInstance(redis, name, secret);
    a.put("k", "v1");
    java.util.concurrent.CountDownLatch readDone = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch proceed = new java.util.concurrent.CountDownLatch(1);
    b.setTestHook((memoryKey, phase) -> {
      if (memoryKey.equals("k") && phase == TieredCache.Phase.AFTER_REMOTE_READ) {
        readDone.countDown();
        try {
          proceed.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    java.util.concurrent.CompletableFuture<String> read =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> b.getIfPresent("k"));
    assertThat(readDone.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    long applied = b.coherence().peerInvalidationsApplied();
    a.put("k", "v2");
    Eventually.await(DEADLINE, "B received A's hidden invalidation",
        () -> b.coherence().peerInvalidationsApplied() > applied);
    proceed.countDown();
    assertThat(read.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("v1");
    b.setTestHook(null);
    assertThat(b.peekMemory("k")).as("the stale refill was refused").isNull();
    assertThat(b.getIfPresent("k")).isEqualTo("v2");
  }

  /** The hidden-name index follows memory: entries that left memory leave the index at the next tick. */
  @Test
  void hiddenNameIndex_isPrunedWhenEntriesLeaveMemory(@RedisStandaloneServer RedisServer redis) {
    String name = "sniff-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    TieredCache<String, String> a = hidingInstance(redis, name, secret);
    for (int i = 0; i < 100; i++) {
      a.put("k" + i, "v" + i);
    }
    assertThat(a.coherenceKeys().indexed()).isEqualTo(100);
    for (int i = 0; i < 60; i++) {
      a.invalidate("k" + i);
    }
    Eventually.await(DEADLINE, "the index holds only what memory holds", () -> a.coherenceKeys().indexed() == 40);
  }

  private static Set<Character> kinds(List<String> captured) {
    Set<Character> kinds = new java.util.HashSet<>();
    for (String line : captured) {
      CoherenceMessage m = CoherenceMessage.decode(line.substring(line.indexOf(' ') + 1));
      if (m != null) {
        kinds.add(m.kind());
      }
    }
    return kinds;
  }
}
