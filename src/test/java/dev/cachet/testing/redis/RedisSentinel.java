package dev.cachet.testing.redis;

import dev.cachet.testing.Eventually;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Redis Sentinel setup on 127.0.0.1, declared with {@link RedisSentinelServers}: one master, one
 * replica and three Sentinels monitoring them as {@value #MASTER_NAME} (quorum 2, {@code
 * down-after-milliseconds 1000}, {@code failover-timeout 3000}).
 *
 * <p>The shared setup (the default) is reused by every test class in the JVM and refuses {@link
 * #failover()} and process control; an owned one ({@code owned = true}) allows both. Thread-safe.
 */
public final class RedisSentinel {

  /** The name the Sentinels monitor the master under. */
  public static final String MASTER_NAME = "mymaster";

  static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final List<RedisNode> dataNodes;
  private final List<RedisNode> sentinels;
  private final boolean owned;
  private volatile Duration startupTime;

  private RedisSentinel(List<RedisNode> dataNodes, List<RedisNode> sentinels, boolean owned) {
    this.dataNodes = List.copyOf(dataNodes);
    this.sentinels = List.copyOf(sentinels);
    this.owned = owned;
  }

  static RedisSentinel start(RedisBinaries.Binary binary, boolean owned) {
    long started = System.nanoTime();
    List<RedisNode> data = new ArrayList<>();
    List<RedisNode> sentinels = new ArrayList<>();
    try {
      RedisNode master =
          RedisNode.launch(
              "sentinel-master", binary, false, (port, dir) -> RedisNode.baseArguments(binary, port, dir));
      data.add(master);
      RedisNode replica =
          RedisNode.launch(
              "sentinel-replica",
              binary,
              false,
              (port, dir) -> {
                List<String> args = RedisNode.baseArguments(binary, port, dir);
                args.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(master.port())));
                return args;
              });
      data.add(replica);
      Eventually.await(
          READY_TIMEOUT,
          Duration.ofMillis(20),
          "replica " + replica.port() + " in sync with master " + master.port(),
          () -> "up".equals(replica.info("replication").get("master_link_status")));
      for (int i = 0; i < 3; i++) {
        sentinels.add(
            RedisNode.launch(
                "sentinel-" + i,
                binary,
                false,
                (port, dir) -> {
                  Path config = dir.resolve("sentinel.conf");
                  Files.writeString(config, sentinelConfig(port, dir, master.port()));
                  return List.of(config.toString(), "--sentinel");
                }));
      }
      RedisSentinel setup = new RedisSentinel(data, sentinels, owned);
      setup.awaitReady(master, READY_TIMEOUT);
      setup.startupTime = Duration.ofNanos(System.nanoTime() - started);
      if (!owned) {
        for (RedisNode node : setup.allNodes()) {
          node.markShared("Sentinel setup");
        }
      }
      return setup;
    } catch (RuntimeException | Error e) {
      closeAll(data, sentinels);
      throw e;
    }
  }

  private static void closeAll(List<RedisNode> data, List<RedisNode> sentinels) {
    for (RedisNode node : sentinels) {
      node.close();
    }
    for (RedisNode node : data) {
      node.close();
    }
  }

  static String sentinelConfig(int port, Path dir, int masterPort) {
    return String.join(
        "\n",
        "port " + port,
        "bind 127.0.0.1",
        "dir " + dir,
        "logfile \"\"",
        "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + masterPort + " 2",
        "sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
        "sentinel failover-timeout " + MASTER_NAME + " 3000",
        "sentinel parallel-syncs " + MASTER_NAME + " 1",
        "");
  }

  /** Every Sentinel knows the master, the replica and the two other Sentinels. */
  private void awaitReady(RedisNode master, Duration timeout) {
    Eventually.await(
        timeout,
        Duration.ofMillis(50),
        "3 sentinels agree on master " + master.port() + " and see its replica and each other",
        () -> {
          for (RedisNode sentinel : sentinels) {
            if (reportedMasterPort(sentinel) != master.port()) {
              return false;
            }
            Map<String, String> state = masterState(sentinel);
            if (!"1".equals(state.get("num-slaves")) || !"2".equals(state.get("num-other-sentinels"))) {
              return false;
            }
            String flags = String.valueOf(state.get("flags"));
            if (!flags.equals("master")) {
              return false;
            }
          }
          return true;
        });
  }

  /** Wall time from the master's start until all Sentinels were ready. */
  public Duration startupTime() {
    return startupTime;
  }

  public boolean isOwned() {
    return owned;
  }

  /**
   * The Lettuce Sentinel URI: {@code redis-sentinel://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3#mymaster}.
   */
  public String sentinelUri() {
    StringBuilder uri = new StringBuilder("redis-sentinel://");
    for (int i = 0; i < sentinels.size(); i++) {
      if (i > 0) {
        uri.append(',');
      }
      uri.append("127.0.0.1:").append(sentinels.get(i).port());
    }
    return uri.append('#').append(MASTER_NAME).toString();
  }

  /** The master name, {@value #MASTER_NAME}. */
  public String masterName() {
    return MASTER_NAME;
  }

  /** The data node the first reachable Sentinel currently reports as master. */
  public RedisNode master() {
    for (RedisNode sentinel : sentinels) {
      if (sentinel.isRunning() && !sentinel.isPaused()) {
        return dataNodeOnPort(reportedMasterPort(sentinel));
      }
    }
    throw new IllegalStateException("no Sentinel is running");
  }

  /** The data node that is not {@link #master()}. */
  public RedisNode replica() {
    RedisNode master = master();
    return dataNodes.get(0) == master ? dataNodes.get(1) : dataNodes.get(0);
  }

  /** The three Sentinel processes. */
  public List<RedisNode> sentinels() {
    return sentinels;
  }

  /** Master and replica, in start order. */
  public List<RedisNode> dataNodes() {
    return dataNodes;
  }

  /**
   * Runs {@code SENTINEL FAILOVER mymaster} and waits until every running Sentinel reports the former
   * replica as master and that node reports the master role, then makes the old master (if running) a
   * replica of it, as the Sentinels would at their next 10-second poll; returns the new master. Takes
   * about 1.5 s. Owned setups only.
   */
  public RedisNode failover() {
    return failover(Duration.ofSeconds(20));
  }

  /** {@link #failover()} with an explicit bound. */
  public RedisNode failover(Duration timeout) {
    if (!owned) {
      throw new IllegalStateException(
          "cannot fail over the shared Sentinel setup; declare @RedisSentinelServers(owned = true)");
    }
    RedisNode oldMaster = master();
    RedisNode newMaster = replica();
    RedisNode asked = firstRunningSentinel();
    // The replica may not be "good" yet for a Sentinel that just (re)connected: retry NOGOODSLAVE.
    Eventually.await(
        timeout,
        Duration.ofMillis(100),
        "SENTINEL FAILOVER " + MASTER_NAME + " accepted",
        () -> {
          try {
            asked.command("SENTINEL", "FAILOVER", MASTER_NAME);
          } catch (RedisReplyException e) {
            if (String.valueOf(e.getMessage()).startsWith("INPROG")) {
              return;
            }
            throw e;
          }
        });
    awaitMaster(newMaster, timeout);
    if (oldMaster.isRunning() && !oldMaster.isPaused()) {
      // Sentinels would demote the old master only at their next INFO poll of it (every 10 s); send the
      // same REPLICAOF they would send, now.
      if (oldMaster.role() == RedisRole.MASTER) {
        oldMaster.command("REPLICAOF", "127.0.0.1", Integer.toString(newMaster.port()));
      }
      Eventually.await(
          timeout,
          Duration.ofMillis(50),
          "old master " + oldMaster.port() + " reconfigured as replica of " + newMaster.port(),
          () -> oldMaster.role() == RedisRole.REPLICA);
    }
    return newMaster;
  }

  /** Waits until every running Sentinel reports {@code expected} as master and it has the master role. */
  public void awaitMaster(RedisNode expected, Duration timeout) {
    Eventually.await(
        timeout,
        Duration.ofMillis(50),
        "every Sentinel reports " + expected.port() + " as master",
        () -> {
          for (RedisNode sentinel : sentinels) {
            if (sentinel.isRunning() && !sentinel.isPaused() && reportedMasterPort(sentinel) != expected.port()) {
              return false;
            }
          }
          return expected.role() == RedisRole.MASTER;
        });
  }

  private RedisNode firstRunningSentinel() {
    for (RedisNode sentinel : sentinels) {
      if (sentinel.isRunning() && !sentinel.isPaused()) {
        return sentinel;
      }
    }
    throw new IllegalStateException("no Sentinel is running");
  }

  private static int reportedMasterPort(RedisNode sentinel) {
    Object reply = sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME);
    if (!(reply instanceof List) || ((List<?>) reply).size() < 2) {
      return -1;
    }
    return Integer.parseInt(String.valueOf(((List<?>) reply).get(1)));
  }

  private static Map<String, String> masterState(RedisNode sentinel) {
    List<?> reply = (List<?>) sentinel.call("SENTINEL", "MASTER", MASTER_NAME);
    Map<String, String> state = new java.util.HashMap<>();
    for (int i = 0; i + 1 < reply.size(); i += 2) {
      state.put(String.valueOf(reply.get(i)), String.valueOf(reply.get(i + 1)));
    }
    return state;
  }

  private RedisNode dataNodeOnPort(int port) {
    for (RedisNode node : dataNodes) {
      if (node.port() == port) {
        return node;
      }
    }
    throw new IllegalStateException("Sentinels report an unknown master port " + port);
  }

  private List<RedisNode> allNodes() {
    List<RedisNode> all = new ArrayList<>(dataNodes);
    all.addAll(sentinels);
    return all;
  }

  void close() {
    closeAll(dataNodes, sentinels);
  }

  @Override
  public String toString() {
    return "RedisSentinel{" + sentinelUri() + (owned ? ", owned" : ", shared") + "}";
  }
}
