package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.spi.InvalidationBus;
import dev.cachet.spi.LeaseLock;
import dev.cachet.spi.RemoteTier;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import dev.cachet.testing.redis.RedisNode;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Invalidation bus, lease lock and batch round trips against real servers. */
class RedisBusLeaseBatchIntegrationTests {

  private static RedisCacheBuilder<String, String> builder(RedisConnections c, String name) {
    return RedisCacheBuilder.newBuilder(String.class, String.class)
        .name(name)
        .connections(c)
        .keyRing(RedisTestSupport.RING);
  }

  private static void roundTrip(RedisConnections a, RedisConnections b) throws Exception {
    try (RemoteTier<String> tierA = builder(a, "bus").buildRemoteTier();
        RemoteTier<String> tierB = builder(b, "bus").buildRemoteTier()) {
      BlockingQueue<String> received = new LinkedBlockingQueue<>();
      AtomicInteger resubscribed = new AtomicInteger();
      InvalidationBus.Subscription sub =
          tierB.invalidationBus().subscribe(
              new InvalidationBus.Listener() {
                @Override
                public void onMessage(String message) {
                  received.add(message);
                }

                @Override
                public void onResubscribed() {
                  resubscribed.incrementAndGet();
                }
              });
      Eventually.await(Duration.ofSeconds(10), "subscribed", sub::isActive);
      tierA.invalidationBus().publish("hello").get(5, TimeUnit.SECONDS);
      assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("hello");
      assertThat(resubscribed).hasValue(0);
      sub.close();
    }
  }

  @Test
  void bus_standalone_deliversAcrossConnections(@RedisStandaloneServer RedisServer redis) throws Exception {
    try (RedisConnections a = RedisConnections.create(redis.uri());
        RedisConnections b = RedisConnections.create(redis.uri())) {
      roundTrip(a, b);
    }
  }

  @Test
  void bus_cluster_usesShardedPubSub(@RedisClusterServers RedisCluster cluster) throws Exception {
    try (RedisConnections a = RedisConnections.createCluster(cluster.seedUris());
        RedisConnections b = RedisConnections.createCluster(cluster.seedUris())) {
      roundTrip(a, b);
    }
  }

  @Test
  void bus_afterServerKillsThePubSubConnection_resubscribesAndSaysSo(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        RemoteTier<String> tier = builder(c, "bus-kill").buildRemoteTier()) {
      BlockingQueue<String> received = new LinkedBlockingQueue<>();
      AtomicInteger resubscribed = new AtomicInteger();
      InvalidationBus.Subscription sub =
          tier.invalidationBus().subscribe(
              new InvalidationBus.Listener() {
                @Override
                public void onMessage(String message) {
                  received.add(message);
                }

                @Override
                public void onResubscribed() {
                  resubscribed.incrementAndGet();
                }
              });
      Eventually.await(Duration.ofSeconds(10), "subscribed", sub::isActive);
      redis.command("CLIENT", "KILL", "TYPE", "pubsub");
      Eventually.await(Duration.ofSeconds(10), "resubscribed", () -> resubscribed.get() > 0);
      tier.invalidationBus().publish("after").get(5, TimeUnit.SECONDS);
      assertThat(received.poll(5, TimeUnit.SECONDS)).isEqualTo("after");
    }
  }

  @Test
  void lease_onlyOneOwner_renewAndReleaseByOwnerOnly(@RedisStandaloneServer RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        RemoteTier<String> tier =
            builder(c, "lease").keyPrefix(RedisTestSupport.prefixFrom(redis.keyPrefix())).buildRemoteTier()) {
      LeaseLock lock = tier.leaseLock();
      Optional<LeaseLock.Lease> first = lock.tryAcquire("k", Duration.ofSeconds(5)).get();
      Optional<LeaseLock.Lease> second = lock.tryAcquire("k", Duration.ofSeconds(5)).get();
      assertThat(first).isPresent();
      assertThat(second).isEmpty();
      assertThat(lock.isHeld("k").get()).isTrue();
      assertThat(first.get().renew(Duration.ofSeconds(5)).get()).isTrue();
      assertThat(first.get().release().get()).isTrue();
      assertThat(first.get().release().get()).isFalse();
      assertThat(first.get().renew(Duration.ofSeconds(5)).get()).isFalse();
      assertThat(lock.isHeld("k").get()).isFalse();
      Optional<LeaseLock.Lease> expiring = lock.tryAcquire("e", Duration.ofMillis(100)).get();
      assertThat(expiring).isPresent();
      Eventually.await(Duration.ofSeconds(5), "the lease expired", () -> {
        assertThat(lock.isHeld("e").get()).isFalse();
      });
      assertThat(lock.tryAcquire("e", Duration.ofSeconds(1)).get()).isPresent();
    }
  }

  private static long mgetCalls(String info) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("cmdstat_mget:")) {
        String calls = line.substring(line.indexOf("calls=") + 6);
        return Long.parseLong(calls.substring(0, calls.indexOf(',')));
      }
    }
    return 0;
  }

  private static List<String> hundredKeys() {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      keys.add("key-" + i);
    }
    return keys;
  }

  @Test
  void getAll_standalone_isOneMget_withOneOrSeveralCommandConnections(@RedisStandaloneServer(owned = true) RedisServer redis) {
    for (int connections : new int[] {1, 3}) {
      try (RedisConnections c =
              RedisConnections.newBuilder().uri(redis.uri()).commandConnections(connections).build();
          Cache<String, String> cache = builder(c, "batch" + connections).build()) {
        List<String> keys = hundredKeys();
        keys.subList(0, 50).forEach(k -> cache.put(k, k));
        redis.command("CONFIG", "RESETSTAT");
        assertThat(cache.getAllPresent(keys)).hasSize(50);
        // nothing else in flight: one MGET on the caller's connection, however many there are
        assertThat(mgetCalls(redis.command("INFO", "commandstats"))).isEqualTo(1);
      }
    }
  }

  @Test
  void getAll_cluster_isOneMgetPerSlot(@RedisClusterServers RedisCluster cluster) {
    try (RedisConnections c = RedisConnections.createCluster(cluster.seedUris());
        Cache<String, String> cache = builder(c, "batch").build()) {
      List<String> keys = hundredKeys();
      keys.forEach(k -> cache.put(k, k));
      LettuceRedisTier<String> tier = ((LettuceRedisCache<String, String>) cache).tier();
      long generation = tier.shared().generations.known();
      Set<Integer> slots = new HashSet<>();
      for (String k : keys) {
        slots.add(SlotHash.getSlot(tier.layout().entryKey(generation, k).getBytes(StandardCharsets.UTF_8)));
      }
      for (RedisNode master : cluster.masters()) {
        master.command("CONFIG", "RESETSTAT");
      }
      assertThat(cache.getAllPresent(keys)).hasSize(100);
      long calls = 0;
      for (RedisNode master : cluster.masters()) {
        calls += mgetCalls(master.command("INFO", "commandstats"));
      }
      assertThat(calls).isEqualTo(slots.size());
    }
  }
}
