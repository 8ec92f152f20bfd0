package dev.cachet.testing.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.testing.Eventually;
import dev.cachet.testing.TestEnvironment;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Checks the harness itself against real processes: every kind of server, every fault. */
class RedisHarnessIntegrationTests {

  private static final Duration SHORT = Duration.ofMillis(300);

  private static RedisClient lettuce(String uri, Duration timeout) {
    RedisClient client = RedisClient.create(uri);
    client.setOptions(
        ClientOptions.builder()
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .build());
    return client;
  }

  // ---- standalone ---------------------------------------------------------------------------------

  @Test
  void sharedStandalone_answersAndIsolatesKeysByPrefix(@RedisStandaloneServer RedisServer redis) {
    assertThat(redis.command("PING")).isEqualTo("PONG");
    assertThat(redis.keyPrefix()).startsWith("cachet-test:RedisHarnessIntegrationTests:").endsWith(":");
    assertThat(redis.uri()).isEqualTo("redis://127.0.0.1:" + redis.port());
    assertThat(redis.isOwned()).isFalse();

    redis.command("SET", redis.key("k"), "v");
    assertThat(redis.command("GET", redis.key("k"))).isEqualTo("v");
    assertThat(redis.command("GET", redis.key("absent"))).isNull();
    assertThat(redis.command("INCR", redis.key("n"))).isEqualTo("1");

    assertThatThrownBy(redis::kill).isInstanceOf(IllegalStateException.class).hasMessageContaining("owned = true");
    assertThatThrownBy(redis::pause).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> redis.node().orElseThrow().kill()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> redis.command("NOSUCHCOMMAND"))
        .isInstanceOf(RedisReplyException.class)
        .hasMessageStartingWith("ERR");
  }

  @Test
  void sharedStandalone_isTheSameProcessForEveryTest(
      @RedisStandaloneServer RedisServer first, @RedisStandaloneServer RedisServer second) {
    assertThat(second.port()).isEqualTo(first.port());
    assertThat(second.keyPrefix()).isEqualTo(first.keyPrefix());
  }

  @Test
  void sharedStandalone_worksWithLettuceWhileTheHarnessRunsCommands(@RedisStandaloneServer RedisServer redis) {
    RedisClient client = lettuce(redis.uri(), Duration.ofSeconds(2));
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      connection.sync().set(redis.key("lettuce"), "x");
      assertThat(redis.command("GET", redis.key("lettuce"))).isEqualTo("x");
      redis.command("SET", redis.key("harness"), "y");
      assertThat(connection.sync().get(redis.key("harness"))).isEqualTo("y");
    } finally {
      client.shutdown();
    }
  }

  @Test
  void ownedStandalone_killAndStartOnTheSamePort_clientReconnects(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    assertThat(redis.isOwned()).isTrue();
    assertThat(redis.keyPrefix()).isEmpty();
    int port = redis.port();
    long pid = redis.pid();
    RedisClient client = lettuce(redis.uri(), Duration.ofSeconds(1));
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      RedisCommands<String, String> sync = connection.sync();
      sync.set("k", "before");

      redis.kill();
      assertThat(redis.isRunning()).isFalse();
      assertThat(redis.answersPing()).isFalse();
      assertThatThrownBy(() -> redis.command("PING")).isInstanceOf(UncheckedIOException.class);

      redis.start();
      assertThat(redis.port()).isEqualTo(port);
      assertThat(redis.pid()).isNotEqualTo(pid);
      assertThat(redis.command("GET", "k")).as("no persistence").isNull();
      Eventually.await(Duration.ofSeconds(10), "Lettuce reconnected", () -> assertThat(sync.ping()).isEqualTo("PONG"));

      redis.restart();
      Eventually.await(Duration.ofSeconds(10), "Lettuce reconnected again", () -> assertThat(sync.ping()).isEqualTo("PONG"));
    } finally {
      client.shutdown();
    }
  }

  @Test
  void ownedStandalone_pauseStopsAnswersAndResumeBringsThemBack(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    RedisClient client = lettuce(redis.uri(), SHORT);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      RedisCommands<String, String> sync = connection.sync();
      sync.set("k", "v");

      redis.pause();
      assertThat(redis.isRunning()).as("a paused process is alive").isTrue();
      long started = System.nanoTime();
      assertThatThrownBy(() -> sync.get("k")).isInstanceOf(RedisCommandTimeoutException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));

      redis.resume();
      Eventually.await(Duration.ofSeconds(5), "answers after resume", () -> assertThat(sync.get("k")).isEqualTo("v"));
    } finally {
      client.shutdown();
    }
  }

  @Test
  void ownedStandalone_stopWhilePausedStillStops(@RedisStandaloneServer(owned = true) RedisServer redis) {
    redis.pause();
    redis.stop();
    assertThat(redis.isRunning()).isFalse();
    redis.start();
    assertThat(redis.command("PING")).isEqualTo("PONG");
  }

  @Test
  void ownedStandalone_allowsDebugSleepAndClientPause(@RedisStandaloneServer(owned = true) RedisServer redis) {
    assertThat(redis.command("DEBUG", "SLEEP", "0")).isEqualTo("OK");
    assertThat(redis.command("CLIENT", "PAUSE", "10", "ALL")).isEqualTo("OK");
  }

  @Test
  void ownedStandalone_eachDeclarationNameIsItsOwnServer(
      @RedisStandaloneServer(owned = true) RedisServer a,
      @RedisStandaloneServer(owned = true, name = "b") RedisServer b,
      @RedisStandaloneServer RedisServer shared) {
    assertThat(Set.of(a.port(), b.port(), shared.port())).hasSize(3);
    a.command("SET", "only-in-a", "1");
    assertThat(b.command("EXISTS", "only-in-a")).isEqualTo("0");
  }

  @Nested
  @TestMethodOrder(MethodOrderer.MethodName.class)
  class OwnedLifecycle {
    static RedisNode previous;

    @Test
    void first(@RedisStandaloneServer(owned = true) RedisServer redis) {
      previous = redis.node().orElseThrow();
    }

    @Test
    void second(@RedisStandaloneServer(owned = true) RedisServer redis) {
      if (previous != null) {
        assertThat(previous.isRunning()).isFalse();
        assertThat(previous.dir()).doesNotExist();
        assertThat(redis.port()).isNotEqualTo(previous.port());
      }
      previous = null;
    }
  }

  @Nested
  class FieldInjection {
    @RedisStandaloneServer static RedisServer shared;
    @RedisStandaloneServer(owned = true) RedisServer owned;

    @Test
    void fieldsAreInjected() {
      assertThat(shared).isNotNull();
      assertThat(shared.isOwned()).isFalse();
      assertThat(owned).isNotNull();
      assertThat(owned.isOwned()).isTrue();
      assertThat(owned.command("PING")).isEqualTo("PONG");
    }
  }

  @Test
  void embeddedBinary_runsAStandaloneServer() {
    RedisBinaries binaries = new RedisBinaries(TestEnvironment.of(Map.of()));
    try {
      assertThat(binaries.pathServer()).isEmpty();
      RedisBinaries.Binary embedded = binaries.standaloneServer();
      assertThat(embedded.source()).isEqualTo(RedisBinaries.Source.EMBEDDED);
      assertThat(embedded.majorVersion()).isEqualTo(6);
      RedisNode node = RedisServer.startNode("embedded", embedded);
      try {
        RedisServer redis = RedisServer.local(node, "", true);
        assertThat(redis.command("INFO", "server")).contains("redis_version:6.2");
        redis.command("SET", "k", "v");
        assertThat(redis.command("GET", "k")).isEqualTo("v");
      } finally {
        node.close();
      }
      assertThat(embedded.path()).exists();
    } finally {
      binaries.close();
    }
  }

  @Test
  void externalServer_sharedServersUseIt_underAPrefix_andFlushOnlyTheirKeys(
      @RedisStandaloneServer(owned = true) RedisServer target) {
    target.command("SET", "not-mine", "1");
    org.junit.platform.testkit.engine.EngineTestKit.engine("junit-jupiter")
        .configurationParameter(RedisExtension.ENVIRONMENT_OVERRIDE_PREFIX + "CACHET_TEST_REDIS_URL", target.uri())
        .selectors(org.junit.platform.engine.discovery.DiscoverySelectors.selectClass(MissingRedisFixtures.ExternalFixture.class))
        .execute()
        .testEvents()
        .assertStatistics(stats -> stats.succeeded(1).failed(0));
    assertThat(target.command("DBSIZE")).isEqualTo("1");
  }

  // ---- cluster ------------------------------------------------------------------------------------

  private static RedisClusterClient clusterClient(RedisCluster cluster) {
    List<RedisURI> seeds = new ArrayList<>();
    for (String uri : cluster.seedUris()) {
      seeds.add(RedisURI.create(uri));
    }
    RedisClusterClient client = RedisClusterClient.create(seeds);
    client.setOptions(
        ClusterClientOptions.builder()
            .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(1)))
            .topologyRefreshOptions(
                ClusterTopologyRefreshOptions.builder()
                    .enableAllAdaptiveRefreshTriggers()
                    .adaptiveRefreshTriggersTimeout(Duration.ofMillis(200))
                    .enablePeriodicRefresh(Duration.ofSeconds(1))
                    .build())
            .build());
    return client;
  }

  @Test
  void sharedCluster_hasThreeMastersAndThreeReplicas_andServesKeys(@RedisClusterServers RedisCluster cluster) {
    System.out.println("[harness] shared cluster ready in " + cluster.startupTime().toMillis() + " ms");
    assertThat(cluster.nodes()).hasSize(6);
    assertThat(cluster.masters()).hasSize(3);
    assertThat(cluster.replicas()).hasSize(3);
    Set<Integer> replicaPorts = new HashSet<>();
    for (RedisNode master : cluster.masters()) {
      replicaPorts.add(cluster.replicaOf(master).port());
    }
    assertThat(replicaPorts).hasSize(3);
    assertThat(cluster.seedUris()).hasSize(6).allMatch(u -> u.startsWith("redis://127.0.0.1:"));

    RedisClusterClient client = clusterClient(cluster);
    try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
      RedisAdvancedClusterCommands<String, String> sync = connection.sync();
      for (int i = 0; i < 20; i++) {
        sync.set("harness:" + i, "v" + i);
      }
      for (int i = 0; i < 20; i++) {
        assertThat(sync.get("harness:" + i)).isEqualTo("v" + i);
      }
    } finally {
      client.shutdown();
    }
    assertThatThrownBy(() -> cluster.killMaster(0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> cluster.nodes().get(0).kill()).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void sharedCluster_isReusedAcrossTests(
      @RedisClusterServers RedisCluster first, @RedisClusterServers RedisCluster second) {
    assertThat(second).isSameAs(first);
  }

  @Test
  void ownedCluster_masterKilled_replicaIsPromoted_andKeysStayAvailable(
      @RedisClusterServers(owned = true) RedisCluster cluster) {
    System.out.println("[harness] owned cluster ready in " + cluster.startupTime().toMillis() + " ms");
    RedisClusterClient client = clusterClient(cluster);
    try (StatefulRedisClusterConnection<String, String> connection = client.connect()) {
      RedisAdvancedClusterCommands<String, String> sync = connection.sync();
      for (int i = 0; i < 30; i++) {
        sync.set("k" + i, "v" + i);
      }
      RedisNode master = cluster.masters().get(0);
      RedisNode replica = cluster.replicaOf(master);
      // Let the replicas catch up so the promoted node has the keys.
      cluster.awaitReplicasCaughtUp(Duration.ofSeconds(5));

      long killed = System.nanoTime();
      RedisNode dead = cluster.killMaster(0);
      assertThat(dead).isSameAs(master);
      RedisNode promoted = cluster.awaitFailover(dead, Duration.ofSeconds(15));
      System.out.println(
          "[harness] cluster failover took " + Duration.ofNanos(System.nanoTime() - killed).toMillis() + " ms");
      assertThat(promoted).isSameAs(replica);
      assertThat(promoted.role()).isEqualTo(RedisRole.MASTER);
      assertThat(cluster.masters()).hasSize(3).contains(promoted).doesNotContain(dead);

      Eventually.await(
          Duration.ofSeconds(10),
          "every key readable through the cluster client after failover",
          () -> {
            for (int i = 0; i < 30; i++) {
              assertThat(sync.get("k" + i)).isEqualTo("v" + i);
            }
          });

      dead.start();
      cluster.awaitHealthy(Duration.ofSeconds(15));
      assertThat(dead.role()).as("the old master rejoins as a replica").isEqualTo(RedisRole.REPLICA);
    } finally {
      client.shutdown();
    }
  }

  // ---- sentinel -----------------------------------------------------------------------------------

  @Test
  void sharedSentinel_uriIsLettuceSyntax_andServesKeysThroughSentinels(@RedisSentinelServers RedisSentinel sentinel) {
    System.out.println("[harness] shared sentinel ready in " + sentinel.startupTime().toMillis() + " ms");
    RedisURI uri = RedisURI.create(sentinel.sentinelUri());
    assertThat(uri.getSentinels()).hasSize(3);
    assertThat(uri.getSentinelMasterId()).isEqualTo("mymaster");
    assertThat(sentinel.master().role()).isEqualTo(RedisRole.MASTER);
    assertThat(sentinel.replica().role()).isEqualTo(RedisRole.REPLICA);
    assertThat(sentinel.sentinels()).hasSize(3).allMatch(s -> s.role() == RedisRole.SENTINEL);

    RedisClient client = lettuce(sentinel.sentinelUri(), Duration.ofSeconds(2));
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      connection.sync().set("through-sentinel", "yes");
      assertThat(sentinel.master().command("GET", "through-sentinel")).isEqualTo("yes");
    } finally {
      client.shutdown();
    }
    assertThatThrownBy(sentinel::failover).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void ownedSentinel_failover_reportsTheNewMaster_andLettuceFollows(
      @RedisSentinelServers(owned = true) RedisSentinel sentinel) {
    System.out.println("[harness] owned sentinel ready in " + sentinel.startupTime().toMillis() + " ms");
    RedisNode oldMaster = sentinel.master();
    RedisNode oldReplica = sentinel.replica();
    RedisClient client = lettuce(sentinel.sentinelUri(), Duration.ofSeconds(1));
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      connection.sync().set("before", "1");

      long started = System.nanoTime();
      RedisNode newMaster = sentinel.failover();
      System.out.println(
          "[harness] sentinel failover took " + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms");
      assertThat(newMaster).isSameAs(oldReplica);
      assertThat(sentinel.master()).isSameAs(oldReplica);
      assertThat(sentinel.replica()).isSameAs(oldMaster);
      assertThat(oldMaster.role()).isEqualTo(RedisRole.REPLICA);
      for (RedisNode s : sentinel.sentinels()) {
        assertThat(s.command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"))
            .isEqualTo("127.0.0.1\n" + newMaster.port());
      }
    } finally {
      client.shutdown();
    }
    // A new Sentinel-aware client lands on the new master.
    RedisClient fresh = lettuce(sentinel.sentinelUri(), Duration.ofSeconds(1));
    try (StatefulRedisConnection<String, String> connection = fresh.connect()) {
      connection.sync().set("after", "2");
      assertThat(sentinel.master().command("GET", "after")).isEqualTo("2");
      assertThat(connection.sync().get("before")).isEqualTo("1");
    } finally {
      fresh.shutdown();
    }
  }

  // ---- fault proxy --------------------------------------------------------------------------------

  @Test
  void proxy_forwardsAndAddsLatency(@RedisStandaloneServer RedisServer redis) {
    try (FaultProxy proxy = FaultProxy.forward(redis)) {
      RedisClient client = lettuce(proxy.uri(), Duration.ofSeconds(2));
      try (StatefulRedisConnection<String, String> connection = client.connect()) {
        RedisCommands<String, String> sync = connection.sync();
        assertThat(sync.ping()).isEqualTo("PONG");
        assertThat(proxy.connectionCount()).isEqualTo(1);

        proxy.setLatency(Duration.ofMillis(100));
        long started = System.nanoTime();
        assertThat(sync.ping()).isEqualTo("PONG");
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .as("request and reply each delayed 100 ms")
            .isGreaterThanOrEqualTo(Duration.ofMillis(200));

        proxy.setLatency(Duration.ZERO);
        started = System.nanoTime();
        assertThat(sync.ping()).isEqualTo("PONG");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(200));
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void proxy_resetAll_breaksOpenConnections_andClientsReconnect(@RedisStandaloneServer RedisServer redis) {
    try (FaultProxy proxy = FaultProxy.forward(redis)) {
      RedisClient client = lettuce(proxy.uri(), Duration.ofSeconds(1));
      try (StatefulRedisConnection<String, String> connection = client.connect()) {
        RedisCommands<String, String> sync = connection.sync();
        assertThat(sync.ping()).isEqualTo("PONG");

        proxy.resetAll();
        Eventually.await(Duration.ofSeconds(5), "Lettuce notices the reset", () -> !connection.isOpen());
        Eventually.await(Duration.ofSeconds(10), "Lettuce reconnects through the proxy", () -> assertThat(sync.ping()).isEqualTo("PONG"));
        assertThat(proxy.connectionCount()).isEqualTo(1);
      } finally {
        client.shutdown();
      }
      Eventually.await(Duration.ofSeconds(5), "proxy connection closed", () -> proxy.connectionCount() == 0);
    }
  }

  @Test
  void proxy_resetMidReply_breaksTheConnectionInsideAReply(@RedisStandaloneServer RedisServer redis) throws IOException {
    redis.command("SET", redis.key("big"), "x".repeat(100_000));
    try (FaultProxy proxy = FaultProxy.forward(redis)) {
      RedisClient client = lettuce(proxy.uri(), Duration.ofSeconds(1));
      try (StatefulRedisConnection<String, String> connection = client.connect()) {
        RedisCommands<String, String> sync = connection.sync();
        proxy.resetMidNextReply();
        assertThatThrownBy(() -> sync.get(redis.key("big"))).isInstanceOf(io.lettuce.core.RedisException.class);
        Eventually.await(Duration.ofSeconds(10), "Lettuce reconnects", () -> assertThat(sync.strlen(redis.key("big"))).isEqualTo(100_000L));
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void proxy_blackhole_makesCommandsTimeOut_untilLifted(@RedisStandaloneServer RedisServer redis) {
    try (FaultProxy proxy = FaultProxy.forward(redis)) {
      RedisClient client = lettuce(proxy.uri(), SHORT);
      try (StatefulRedisConnection<String, String> connection = client.connect()) {
        RedisCommands<String, String> sync = connection.sync();
        assertThat(sync.ping()).isEqualTo("PONG");

        proxy.blackhole(true);
        assertThatThrownBy(sync::ping).isInstanceOf(RedisCommandTimeoutException.class);
        assertThat(connection.isOpen()).as("the connection stays open").isTrue();

        assertThat(proxy.connectionCount()).isEqualTo(1);

        proxy.blackhole(false);
        // Held bytes are delivered: the late reply to the timed-out PING is consumed and the next matches.
        Eventually.await(Duration.ofSeconds(5), "answers after the black hole", () -> assertThat(sync.ping()).isEqualTo("PONG"));
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void proxy_refuseNew_refusesConnections_butKeepsOpenOnes(@RedisStandaloneServer RedisServer redis) throws IOException {
    try (FaultProxy proxy = FaultProxy.forward(redis)) {
      RedisClient client = lettuce(proxy.uri(), Duration.ofSeconds(1));
      try (StatefulRedisConnection<String, String> connection = client.connect()) {
        proxy.refuseNew(true);
        try (Socket socket = new Socket()) {
          assertThatThrownBy(() -> socket.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 1000))
              .isInstanceOf(ConnectException.class);
        }
        assertThat(connection.sync().ping()).isEqualTo("PONG");

        proxy.refuseNew(false);
        try (Socket socket = new Socket()) {
          socket.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 1000);
          assertThat(socket.isConnected()).isTrue();
        }
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void proxy_targetDown_resetsClients(@RedisStandaloneServer(owned = true) RedisServer redis) {
    try (FaultProxy proxy = FaultProxy.forward(redis)) {
      redis.stop();
      RedisClient client = lettuce(proxy.uri(), Duration.ofSeconds(1));
      try {
        assertThatThrownBy(client::connect).isInstanceOf(io.lettuce.core.RedisConnectionException.class);
      } finally {
        client.shutdown();
      }
    }
  }
}
