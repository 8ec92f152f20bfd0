package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.FakeTicker;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Coherence when things go wrong, on real Redis: lost messages, dropped and late subscriptions, silent
 * and departing peers, a Redis restart under three instances, the degraded-TTL fallback, and a mixed
 * fleet with the previous message version. Heartbeats every 200 ms, 3 missed: the bound is 600 ms.
 * Entry ages are moved with a fake ticker on the memory tier, so nothing depends on sleeping.
 */
class CoherenceFailSafeIntegrationTests {

  private static final Duration DEADLINE = Duration.ofSeconds(15);
  private static final Duration BOUND = Duration.ofMillis(600);

  @RegisterExtension final TieredInstances instances = new TieredInstances();

  private static String uniqueName() {
    return TieredInstances.uniqueName("cfs");
  }

  private TieredCache<String, String> instance(
      RedisServer redis, String name, Consumer<TieredCacheBuilder<String, String>> customizer) {
    return instances.on(redis, name, customizer);
  }

  private TieredCache<String, String> instance(RedisServer redis, String name) {
    return instances.on(redis, name);
  }

  private static String channel(RedisServer redis, String name) {
    return TieredTestSupport.prefixFrom(redis.keyPrefix()) + ":" + name + ":bus";
  }

  private static void awaitInSync(TieredCache<?, ?> cache) {
    Eventually.await(DEADLINE, "coherence in sync", () -> cache.coherence().state().equals("in-sync")
        || cache.coherence().state().equals("suspect-older-entries"));
  }

  /**
   * 8 writer threads on A for {@code cachet.coherence.soakSeconds} (30 s by default, as CI runs it; set
   * it lower for a quick local run), B reading: no message is lost, so B never clears nor suspects.
   */
  @Test
  void noLostMessage_noClear_noLoss_underEightWriterThreads(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    Duration soak = Duration.ofSeconds(Long.getLong("cachet.coherence.soakSeconds", 30));
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name);
    TieredCache<String, String> b = instance(redis, name);
    awaitInSync(a);
    awaitInSync(b);
    java.util.concurrent.atomic.LongAdder puts = new java.util.concurrent.atomic.LongAdder();
    long end = System.nanoTime() + soak.toNanos();
    ExecutorService writers = Executors.newFixedThreadPool(8);
    try {
      List<CompletableFuture<Void>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        done.add(CompletableFuture.runAsync(() -> {
          for (int i = 0; System.nanoTime() - end < 0; i++) {
            String key = "k" + ThreadLocalRandom.current().nextInt(200);
            a.put(key, thread + ":" + i);
            puts.increment();
            if (i % 10 == 0) {
              b.getIfPresent(key);
            }
          }
        }, writers));
      }
      CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0])).get(soak.toSeconds() + 120, TimeUnit.SECONDS);
    } finally {
      writers.shutdownNow();
    }
    // one marker put after the writers stopped: once Redis acknowledged a message sent after it, A's
    // publisher has sent everything the writers queued (the acknowledgement is asynchronous)
    long beforeMarker = a.coherence().acknowledged();
    a.put("drain-marker", "x");
    Eventually.await(Duration.ofSeconds(60), "A's publisher drained",
        () -> a.coherence().acknowledged() > beforeMarker);
    long sent = a.coherence().acknowledged();
    Eventually.await(DEADLINE, "B applied A's last message", () -> b.coherence().peerCount() == 1
        && b.coherence().peerInvalidationsApplied() >= sent);
    System.out.printf("coherence soak: %d s, 8 writer threads, %d puts, %d messages sent by A, %d applied by B, "
        + "%d memory clears, %d losses%n", soak.toSeconds(), puts.sum(), sent, b.coherence().peerInvalidationsApplied(),
        b.coherence().clearCount(), b.coherence().lossCount());
    assertThat(sent).as("messages sent (merged while one is in flight)").isPositive();
    assertThat(b.coherence().clearCount()).as("memory clears on B").isZero();
    assertThat(b.coherence().lossCount()).as("losses on B (%s)", b.coherence().lastLossReason()).isZero();
    assertThat(a.coherence().lossCount()).isZero();
    assertThat(String.valueOf(b.health().details().get("coherence.memoryClears"))).isEqualTo("0");
  }

  @Test
  void sequenceGap_isALoss_entriesStoredBeforeItAreReadAgainAfterTheBound_nothingCleared(
      @RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    FakeTicker ticker = new FakeTicker();
    TieredCache<String, String> b = instance(redis, name, builder -> builder.ticker(ticker));
    TieredCache<String, String> behindTheBack = instance(redis, name, builder -> builder.coherence(false));
    awaitInSync(b);
    behindTheBack.put("k", "v1");
    assertThat(b.getIfPresent("k")).isEqualTo("v1");
    behindTheBack.put("k", "v2"); // nothing tells B: as if the message were lost
    String channel = channel(redis, name);
    // a peer that sends message 1, then a heartbeat naming 3: message 2 was lost on the way to B
    redis.command("PUBLISH", channel, CoherenceMessage.invalidate("ghost", 1, false, List.of("-:other")).encode());
    Eventually.await(DEADLINE, "B knows the peer", () -> b.coherence().peerCount() == 1);
    assertThat(b.coherence().lossCount()).isZero();
    redis.command("PUBLISH", channel, CoherenceMessage.of("ghost", 3, CoherenceMessage.HEARTBEAT).encode());
    Eventually.await(DEADLINE, "B noticed the loss", () -> b.coherence().lossCount() > 0);
    assertThat(b.coherence().lastLossReason()).contains("sequence gap");
    assertThat(b.getIfPresent("k")).as("younger than the bound: still served").isEqualTo("v1");
    ticker.advance(BOUND.plusMillis(1));
    assertThat(b.getIfPresent("k")).as("older than the bound: read again from Redis").isEqualTo("v2");
    assertThat(b.coherence().clearCount()).as("nothing was cleared").isZero();
  }

  @Test
  void silentPeer_failsSafeForOneBound_thenIsForgotten(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    FakeTicker ticker = new FakeTicker();
    TieredCache<String, String> b = instance(redis, name, builder -> builder.ticker(ticker));
    TieredCache<String, String> behindTheBack = instance(redis, name, builder -> builder.coherence(false));
    awaitInSync(b);
    behindTheBack.put("k", "v1");
    assertThat(b.getIfPresent("k")).isEqualTo("v1");
    redis.command("PUBLISH", channel(redis, name), CoherenceMessage.of("ghost", 5, CoherenceMessage.HEARTBEAT).encode());
    Eventually.await(DEADLINE, "B knows the peer", () -> b.coherence().peerCount() == 1);
    // the ghost falls silent: after the bound B is unsure and serves no entry older than the bound
    Eventually.await(DEADLINE, "B is unsure", () -> b.coherence().state().equals("unsure"));
    behindTheBack.put("k", "v2");
    ticker.advance(BOUND.plusMillis(1));
    assertThat(b.getIfPresent("k")).isEqualTo("v2");
    // after one more bound the ghost is forgotten: the fleet does not stay fail-safe after a scale-down
    Eventually.await(DEADLINE, "the silent peer is forgotten",
        () -> b.coherence().peerCount() == 0 && !b.coherence().state().equals("unsure"));
    assertThat(b.coherence().clearCount()).isZero();
  }

  @Test
  void goodbye_forgetsThePeerAtOnce_withoutALoss(@RedisStandaloneServer RedisServer redis) throws Exception {
    String name = uniqueName();
    TieredCache<String, String> a = instance(redis, name);
    TieredCache<String, String> b = instance(redis, name);
    a.put("k", "v1");
    Eventually.await(DEADLINE, "B knows A", () -> b.coherence().peerCount() == 1);
    a.put("k", "v2");
    a.close();
    Eventually.await(DEADLINE, "B forgot A", () -> b.coherence().peerCount() == 0);
    assertThat(b.coherence().lossCount()).as("a goodbye is no loss (%s)", b.coherence().lastLossReason()).isZero();
    assertThat(b.coherence().state()).isEqualTo("in-sync");
  }

  @Test
  void droppedSubscription_failsSafeThenConfirms_noClear_andWritesMeanwhileAreNotServedStale(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    String name = uniqueName();
    FakeTicker ticker = new FakeTicker();
    // the first values come from an instance closed before B subscribes (close sends what it queued): no
    // invalidation of theirs can reach B after B read them (one that did would empty B's memory of
    // "untouched" and fail the checks below: the likely cause of one clean-clone failure)
    TieredCache<String, String> seed = instance(redis, name);
    seed.put("k", "v1");
    seed.put("untouched", "u1");
    seed.close();
    TieredCache<String, String> a = instance(redis, name);
    TieredCache<String, String> b = instance(redis, name, builder -> builder.ticker(ticker));
    Eventually.await(DEADLINE, "B holds both entries in memory", () -> {
      b.getIfPresent("k");
      b.getIfPresent("untouched");
      return "v1".equals(b.peekMemory("k")) && "u1".equals(b.peekMemory("untouched"));
    });
    Eventually.await(DEADLINE, "B knows A", () -> b.coherence().peerCount() == 1);
    long resubscribed = b.coherence().resubscriptions();
    assertThat(killSubscribers(redis)).isGreaterThanOrEqualTo(2);
    a.put("k", "v2"); // B may or may not be resubscribed when this message goes out
    // wait for the resubscription itself: right after CLIENT KILL, B may not have noticed the drop yet
    // and still look subscribed and in sync (a wait on that state alone once passed before the drop,
    // and v3 below then went out while B was resubscribing)
    Eventually.await(DEADLINE, "B resubscribed and is in sync again", () -> b.coherence().resubscriptions() > resubscribed
        && b.coherence().isSubscribed() && !b.coherence().state().equals("unsure"));
    assertThat(b.peekMemory("untouched")).as("the drop cleared no memory").isEqualTo("u1");
    ticker.advance(BOUND.plusMillis(1));
    // A's message may still be in A's publisher when B confirms its sync (heartbeats name only what
    // Redis acknowledged): then it reaches B after the confirmation, or a later heartbeat shows B the
    // gap. Either way B serves v2 within the bound, and never clears its memory.
    Eventually.await(DEADLINE, "B serves the write made while it resubscribed",
        () -> "v2".equals(b.getIfPresent("k")));
    assertThat(b.coherence().clearCount()).isZero();
    // a loss seen meanwhile only stops older entries being served (FailSafe): it never empties memory
    assertThat(b.peekMemory("untouched")).as("memory was not cleared").isEqualTo("u1");
    long losses = b.coherence().lossCount();
    a.put("k", "v3");
    // in sync again, B hears v3's invalidation: the ticker stays frozen, so the fail-safe cannot be what
    // makes B read v3 (a lost message would leave v2 served here)
    Eventually.await(DEADLINE, "B serves v3", () -> "v3".equals(b.getIfPresent("k")));
    assertThat(b.coherence().lossCount()).as("no loss once in sync (%s)", b.coherence().lastLossReason())
        .isEqualTo(losses);
  }

  @Test
  void redisRestart_underThreeInstances_clearsNoInstancesMemory(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    String name = uniqueName();
    FakeTicker tickerB = new FakeTicker();
    FakeTicker tickerC = new FakeTicker();
    TieredCache<String, String> a = instance(redis, name);
    TieredCache<String, String> b = instance(redis, name, builder -> builder.ticker(tickerB));
    TieredCache<String, String> c = instance(redis, name, builder -> builder.ticker(tickerC));
    for (int i = 0; i < 20; i++) {
      a.put("k" + i, "v" + i);
      assertThat(b.getIfPresent("k" + i)).isEqualTo("v" + i);
      assertThat(c.getIfPresent("k" + i)).isEqualTo("v" + i);
    }
    Eventually.await(DEADLINE, "everyone knows everyone",
        () -> a.coherence().peerCount() == 2 && b.coherence().peerCount() == 2 && c.coherence().peerCount() == 2);
    // A's invalidations may reach B and C after their first reads: read until every entry is in memory
    Eventually.await(DEADLINE, "B and C hold every entry in memory", () -> {
      boolean all = true;
      for (int i = 0; i < 20; i++) {
        for (TieredCache<String, String> x : List.of(b, c)) {
          x.getIfPresent("k" + i);
          all &= ("v" + i).equals(x.peekMemory("k" + i));
        }
      }
      return all;
    });
    redis.restart(); // no persistence: Redis comes back empty
    a.put("k0", "degraded"); // while Redis is down or reconnecting: a dirty key, or a plain write
    for (TieredCache<String, String> x : List.of(a, b, c)) {
      Eventually.await(DEADLINE, "subscribed and in sync again",
          () -> x.coherence().isSubscribed() && !x.coherence().state().equals("unsure"));
    }
    Eventually.await(DEADLINE, "A recovered", () -> !a.isDegraded());
    for (TieredCache<String, String> x : List.of(a, b, c)) {
      String who = x == a ? "A" : x == b ? "B" : "C";
      assertThat(x.coherence().clearCount()).as("memory clears on %s: %s", who, x.coherence().lastClearReason()).isZero();
      for (int i = 1; i < 20; i++) {
        assertThat(x.peekMemory("k" + i)).as("untouched entries stay in memory on %s", who).isEqualTo("v" + i);
      }
    }
    tickerB.advance(BOUND.plusMillis(1));
    tickerC.advance(BOUND.plusMillis(1));
    for (TieredCache<String, String> x : List.of(b, c)) {
      assertThat(x.getIfPresent("k0")).as("the key written during the restart is not served stale")
          .isNotEqualTo("v0");
    }
    Eventually.await(DEADLINE, "A writes to Redis again and B and C serve it", () -> {
      a.put("k1", "new");
      return "new".equals(b.getIfPresent("k1")) && "new".equals(c.getIfPresent("k1"));
    });
  }

  @Test
  void redisOutage_memoryServesUpToDegradedTtl_thenNothingOlder(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    String name = uniqueName();
    FakeTicker ticker = new FakeTicker();
    TieredCache<String, String> a =
        instance(redis, name, builder -> builder.ticker(ticker).degradedTtl(Duration.ofSeconds(10))
            .failurePolicy(FailurePolicy.SERVE_DEGRADED));
    a.put("k", "v1");
    awaitInSync(a);
    redis.stop();
    Eventually.await(DEADLINE, "A is degraded and unsure", () -> {
      a.getIfPresent("probe-" + ThreadLocalRandom.current().nextInt());
      return a.isDegraded() && a.coherence().state().equals("unsure");
    });
    ticker.advance(Duration.ofSeconds(5));
    assertThat(a.getIfPresent("k")).as("older than the coherence bound, younger than degradedTtl").isEqualTo("v1");
    ticker.advance(Duration.ofSeconds(6));
    assertThat(a.getIfPresent("k")).as("older than degradedTtl: not served").isNull();
    redis.start();
  }

  /** A kind this version does not know (a later release's) is treated as a clear: safe, never ignored. */
  @Test
  void unknownKind_isTreatedAsAClear(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    TieredCache<String, String> b = instance(redis, name);
    awaitInSync(b);
    b.put("k", "v1");
    assertThat(b.peekMemory("k")).isEqualTo("v1");
    redis.command("PUBLISH", channel(redis, name), "cachet2 later 1 Z - 6:t.acme");
    Eventually.await(DEADLINE, "B cleared its memory", () -> b.coherence().clearCount() == 1);
    assertThat(b.peekMemory("k")).isNull();
    assertThat(b.coherence().lastClearReason()).contains("does not know");
    assertThat(b.coherence().malformedCount()).isZero();
  }

  /**
   * Under STRICT, a put that timed out but was applied throws, and still publishes its invalidation: a
   * peer holding the old value drops it.
   */
  @Test
  void strictWrite_timedOutButApplied_stillPublishesItsInvalidation(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    dev.cachet.testing.redis.FaultProxy proxy = dev.cachet.testing.redis.FaultProxy.forward(redis.port());
    instances.add(proxy);
    RedisConnections slow = instances.add(RedisConnections.create(proxy.uri()));
    TieredCache<String, String> a = instances.on(slow, TieredTestSupport.prefixFrom(redis.keyPrefix()), name,
        builder -> builder.failurePolicy(FailurePolicy.STRICT).remoteTimeout(Duration.ofMillis(300)));
    // B's entries never age past the fail-safe bound: only the invalidation can make B drop v1
    TieredCache<String, String> b = instance(redis, name, builder -> builder.ticker(new FakeTicker()));
    a.put("k", "v1");
    // A's invalidation of v1 may reach B after its first read: read until v1 stays in B's memory
    Eventually.await(DEADLINE, "B holds v1 in memory", () -> {
      b.getIfPresent("k");
      // the count first: it moves after the drop, so a v1 seen after it is a refill the drop cannot undo
      // (read the other way round, the invalidation could land between the two reads)
      boolean invalidationApplied = b.coherence().peerInvalidationsApplied() > 0;
      return invalidationApplied && "v1".equals(b.peekMemory("k"));
    });
    assertThat(b.peekMemory("k")).isEqualTo("v1");
    proxy.setLatency(Duration.ofMillis(500)); // the SET arrives and is applied; its reply comes too late
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.put("k", "v2"))
        .isInstanceOf(dev.cachet.CacheUnavailableException.class);
    Eventually.await(DEADLINE, "B dropped v1 and serves the applied v2", () -> "v2".equals(b.getIfPresent("k")));
    proxy.setLatency(Duration.ZERO);
  }

  @Test
  void mixedVersions_previousVersionPeer_isReadAndAnsweredInItsFormat(@RedisStandaloneServer RedisServer redis) {
    String name = uniqueName();
    TieredCache<String, String> b = instance(redis, name);
    TieredCache<String, String> behindTheBack = instance(redis, name, builder -> builder.coherence(false));
    awaitInSync(b);
    behindTheBack.put("k", "v1");
    assertThat(b.getIfPresent("k")).isEqualTo("v1");
    behindTheBack.put("k", "v2");
    String channel = channel(redis, name);
    // what an instance of the previous release sends after its put (the fixture of the previous format)
    redis.command("PUBLISH", channel, "cachet1 old1 1 I 1:k");
    Eventually.await(DEADLINE, "B applied the previous-version invalidation", () -> "v2".equals(b.getIfPresent("k")));
    redis.command("PUBLISH", channel, "cachet1 old1 1 H");
    // B now speaks the previous version too (key names are not hidden), so the old instance reads it
    List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.uri());
    try (var sub = client.connectPubSub()) {
      sub.addListener(new io.lettuce.core.pubsub.RedisPubSubAdapter<String, String>() {
        @Override
        public void message(String ch, String message) {
          heard.add(message);
        }
      });
      sub.sync().subscribe(channel);
      Eventually.await(DEADLINE, "B answers in the previous version", () -> {
        redis.command("PUBLISH", channel, "cachet1 old1 1 H"); // the old instance keeps beating
        b.put("k", "v3");
        return heard.stream().anyMatch(m -> m.startsWith("cachet1 ") && !m.contains("old1")
            && CoherenceMessage.decode(m).kind() == CoherenceMessage.INVALIDATE
            && CoherenceMessage.decode(m).items().contains("k"));
      });
      redis.command("PUBLISH", channel, "cachet1 old1 1 H");
      assertThat(b.getIfPresent("k")).isEqualTo("v3");
    } finally {
      client.shutdown();
    }
    assertThat(b.coherence().clearCount()).isZero();
    assertThat(b.coherence().lossCount()).isZero();
  }

  /**
   * Kills every connection with a subscription. {@code CLIENT KILL TYPE pubsub} misses RESP3 clients,
   * which subscribe without entering pub/sub mode, so match {@code sub=}/{@code ssub=} in CLIENT LIST.
   */
  static int killSubscribers(RedisServer redis) {
    int killed = 0;
    for (String line : redis.command("CLIENT", "LIST").split("\n")) {
      if (line.matches(".*\\bs?sub=[1-9].*")) {
        String id = line.replaceAll("^id=(\\d+) .*$", "$1").trim();
        redis.command("CLIENT", "KILL", "ID", id);
        killed++;
      }
    }
    return killed;
  }
}
