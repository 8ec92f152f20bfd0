package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.CacheHealth;
import dev.cachet.spi.InvalidationBus;
import dev.cachet.spi.RemoteTier;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import dev.cachet.testing.redis.RedisNode;
import dev.cachet.testing.redis.RedisSentinel;
import dev.cachet.testing.redis.RedisSentinelServers;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The Redis tier under migration and faults: legacy plaintext migration and its deadline, reads
 * suspended while an {@code invalidateAll} generation bump cannot be written (OOM under {@code
 * noeviction}), a Sentinel failover under load, and an unsolicited {@code SUNSUBSCRIBE} after the bus
 * channel's slot migrates.
 */
class RedisFaultIntegrationTests {

  private static RedisCacheBuilder<String, String> builder(RedisConnections c, String name, String prefix) {
    return RedisCacheBuilder.newBuilder(String.class, String.class)
        .name(name)
        .connections(c)
        .keyPrefix(prefix)
        .keyRing(RedisTestSupport.RING);
  }

  private static LettuceRedisTier<String> tier(Cache<String, String> cache) {
    return ((LettuceRedisCache<String, String>) cache).tier();
  }

  // ---------------------------------------------------------------- legacy migration

  @Test
  void legacyMigration_beforeDeadline_readsLegacyJsonRewritesSealedAndCounts(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofHours(1));
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache =
            builder(c, "legacy", "mig").legacyPlaintextMigration("old:orders:", deadline).build()) {
      redis.command("SET", "old:orders:k1", "\"plain one\"", "PX", "600000");
      redis.command("SET", "old:orders:k2", "\"plain two\"", "PX", "300000");
      redis.command("SET", "old:orders:k3", "\"plain three\"");

      assertThat(cache.getIfPresent("k1")).isEqualTo("plain one");
      assertThat(cache.getAllPresent(List.of("k2", "k3", "absent")))
          .isEqualTo(Map.of("k2", "plain two", "k3", "plain three"));
      assertThat(tier(cache).legacyMigrationCount()).isEqualTo(3);
      assertThat(cache.health().details()).containsEntry("redis.legacyMigrations", "3");

      // Rewritten sealed under the cache's own key, keeping the remaining TTL; legacy keys removed.
      LettuceRedisTier<String> t = tier(cache);
      long gen = t.shared().generations.known();
      String sealedKey = t.layout().entryKey(gen, "k1");
      String token = (String) redis.call("GET", sealedKey);
      assertThat(token).isNotNull().doesNotContain("plain");
      assertThat((Long) redis.call("PTTL", sealedKey)).isBetween(590_000L, 600_000L);
      assertThat((Long) redis.call("PTTL", t.layout().entryKey(gen, "k2"))).isBetween(290_000L, 300_000L);
      assertThat((Long) redis.call("EXISTS", "old:orders:k1", "old:orders:k2", "old:orders:k3")).isZero();

      // Served from the sealed entry from now on: no second migration.
      assertThat(cache.getIfPresent("k1")).isEqualTo("plain one");
      assertThat(tier(cache).legacyMigrationCount()).isEqualTo(3);
    }
  }

  @Test
  void legacyMigration_afterDeadline_legacyKeysAreIgnored(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    Instant deadline = Instant.now().plus(Duration.ofHours(1));
    Clock pastDeadline = Clock.offset(Clock.systemUTC(), Duration.ofHours(2));
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache =
            builder(c, "legacy", "mig-late")
                .legacyPlaintextMigration("old:orders:", deadline)
                .clock(pastDeadline)
                .build()) {
      redis.command("SET", "old:orders:k1", "\"plain one\"", "PX", "600000");
      assertThat(cache.getIfPresent("k1")).isNull();
      assertThat(cache.getAllPresent(List.of("k1"))).isEmpty();
      assertThat(tier(cache).legacyMigrationCount()).isZero();
      assertThat(redis.command("GET", "old:orders:k1")).isEqualTo("\"plain one\"");
    }
  }

  // ---------------------------------------------------------------- generation bump fails

  @Test
  void invalidateAll_bumpRejectedWithOom_deletesTheEntriesInstead_andReadsKeepUsingRedis(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache =
            builder(c, "oom", "oom").generationRefreshInterval(Duration.ofMillis(200)).build()) {
      cache.put("k", "before");
      assertThat(cache.getIfPresent("k")).isEqualTo("before");

      redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction");
      redis.command("CONFIG", "SET", "maxmemory", "1");
      // the new generation is refused with OOM: the entries are deleted instead (UNLINK is allowed
      // when Redis is full), so the invalidation takes effect and reads need not skip Redis
      cache.invalidateAll();
      assertThat(tier(cache).shared().generations.isSuspended()).isFalse();
      assertThat(tier(cache).layout().entryKey(tier(cache).shared().generations.known(), "k"))
          .satisfies(rk -> assertThat(redis.command("EXISTS", rk)).isEqualTo("0"));
      redis.command("CONFIG", "RESETSTAT");
      assertThat(cache.getIfPresent("k")).isNull();
      assertThat(cache.getAllPresent(List.of("k"))).isEmpty();
      assertThat(redis.command("INFO", "commandstats")).as("reads use Redis").contains("cmdstat_get:");
      assertThat(cache.health().status()).isEqualTo(CacheHealth.Status.UP);

      redis.command("CONFIG", "SET", "maxmemory", "0");
      cache.put("k", "after");
      assertThat(cache.getIfPresent("k")).isEqualTo("after");
      assertThat(cache.health().status()).isEqualTo(CacheHealth.Status.UP);
    }
  }

  // ---------------------------------------------------------------- Sentinel failover

  @Test
  void sentinelFailover_underWorkload_tierFollowsTheNewMaster(
      @RedisSentinelServers(owned = true) RedisSentinel sentinel) throws Exception {
    try (RedisConnections c = RedisConnections.create(sentinel.sentinelUri());
        Cache<String, String> cache = builder(c, "failover", "sentinel").build()) {
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong ok = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      Thread workload =
          new Thread(
              () -> {
                int i = 0;
                while (running.get()) {
                  String k = "w" + (i++ % 100);
                  try {
                    cache.put(k, k);
                    cache.getIfPresent(k);
                    ok.incrementAndGet();
                  } catch (RuntimeException e) {
                    failed.incrementAndGet();
                  }
                  try {
                    Thread.sleep(2); // the workload's pace (its think time), not a wait for an event
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "sentinel-workload");
      workload.start();
      try {
        Eventually.await(Duration.ofSeconds(10), "workload running", () -> ok.get() > 50);
        RedisNode oldMaster = sentinel.master();
        RedisNode newMaster = sentinel.failover();
        assertThat(newMaster.port()).isNotEqualTo(oldMaster.port());
        long okAtFailover = ok.get();
        Eventually.await(
            Duration.ofSeconds(30),
            "the workload succeeds again after the failover",
            () -> ok.get() > okAtFailover + 100);
      } finally {
        running.set(false);
        workload.join(10_000);
      }
      // Writes now land on the new master.
      cache.put("after-failover", "yes");
      RedisNode master = sentinel.master();
      LettuceRedisTier<String> t = tier(cache);
      String rk = t.layout().entryKey(t.shared().generations.known(), "after-failover");
      assertThat((Long) master.call("EXISTS", rk)).isEqualTo(1L);
      assertThat(cache.getIfPresent("after-failover")).isEqualTo("yes");
    }
  }

  // ---------------------------------------------------------------- sharded pub/sub slot migration

  @Test
  void bus_channelSlotMigrates_subscriptionLostThenResubscribed_messagesFlowAgain(
      @RedisClusterServers(owned = true) RedisCluster cluster) throws Exception {
    try (RedisConnections c = RedisConnections.createCluster(cluster.seedUris());
        RemoteTier<String> tier = builder(c, "bus-move", "slots").buildRemoteTier()) {
      BlockingQueue<String> received = new LinkedBlockingQueue<>();
      AtomicInteger lost = new AtomicInteger();
      AtomicInteger resubscribed = new AtomicInteger();
      InvalidationBus.Subscription sub =
          tier.invalidationBus()
              .subscribe(
                  new InvalidationBus.Listener() {
                    @Override
                    public void onMessage(String message) {
                      received.add(message);
                    }

                    @Override
                    public void onResubscribed() {
                      resubscribed.incrementAndGet();
                    }

                    @Override
                    public void onSubscriptionLost(Throwable cause) {
                      lost.incrementAndGet();
                    }
                  });
      Eventually.await(Duration.ofSeconds(10), "subscribed", sub::isActive);
      tier.invalidationBus().publish("before").get(5, TimeUnit.SECONDS);
      assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("before");

      String channel = ((LettuceRedisTier<String>) tier).layout().channel();
      int slot = SlotHash.getSlot(channel.getBytes(StandardCharsets.UTF_8));
      RedisNode source = cluster.ownerOf(slot);
      RedisNode target =
          cluster.masters().stream().filter(m -> m.port() != source.port()).findFirst().orElseThrow();
      cluster.moveSlot(slot, target);

      Eventually.await(Duration.ofSeconds(10), "onSubscriptionLost", () -> lost.get() > 0);
      Eventually.await(Duration.ofSeconds(30), "onResubscribed", () -> resubscribed.get() > 0);
      Eventually.await(Duration.ofSeconds(10), "subscription active again", sub::isActive);
      RedisNode newOwner = target;
      Eventually.await(
          Duration.ofSeconds(10),
          "the new owner has the shard channel subscriber",
          () -> newOwner.command("PUBSUB", "SHARDNUMSUB", channel).endsWith("1"));
      tier.invalidationBus().publish("after").get(5, TimeUnit.SECONDS);
      assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("after");
    }
  }
}
