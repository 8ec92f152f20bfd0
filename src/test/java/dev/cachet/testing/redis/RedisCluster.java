package dev.cachet.testing.redis;

import dev.cachet.testing.Eventually;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A 6-node Redis Cluster (3 masters, 3 replicas) on 127.0.0.1, declared with {@link
 * RedisClusterServers}: {@code --cluster-node-timeout 1000}, so a killed master's replica takes over in
 * about 2 s. Formed with {@code redis-cli --cluster create}; ready when every node reports {@code
 * cluster_state:ok} and every replica's link is up.
 *
 * <p>The shared cluster (the default) is reused by every test class in the JVM and refuses process
 * control; an owned one ({@code owned = true}) may be broken at will. Thread-safe.
 */
public final class RedisCluster {

  /** Bound for forming the cluster and for {@link #awaitHealthy(Duration)} after creation. */
  static final Duration FORM_TIMEOUT = Duration.ofSeconds(30);

  private final List<RedisNode> nodes;
  private final boolean owned;
  private volatile Duration startupTime;
  private final Map<Integer, Integer> replicaByKilledMasterPort = new ConcurrentHashMap<>();

  private RedisCluster(List<RedisNode> nodes, boolean owned) {
    this.nodes = List.copyOf(nodes);
    this.owned = owned;
  }

  /** Starts 6 nodes, forms the cluster and waits until it is healthy. */
  static RedisCluster start(RedisBinaries.Binary binary, Path cli, boolean owned) {
    long started = System.nanoTime();
    List<RedisNode> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 6; i++) {
        nodes.add(
            RedisNode.launch(
                "cluster-" + i,
                binary,
                true,
                (port, dir) -> {
                  List<String> args = RedisNode.baseArguments(binary, port, dir);
                  args.addAll(
                      List.of(
                          "--cluster-enabled", "yes",
                          "--cluster-config-file", "nodes.conf",
                          "--cluster-node-timeout", "1000",
                          "--cluster-replica-validity-factor", "0"));
                  return args;
                }));
      }
      create(cli, nodes);
      RedisCluster cluster = new RedisCluster(nodes, owned);
      cluster.awaitHealthy(FORM_TIMEOUT);
      cluster.startupTime = Duration.ofNanos(System.nanoTime() - started);
      if (!owned) {
        for (RedisNode node : nodes) {
          node.markShared("Redis Cluster");
        }
      }
      return cluster;
    } catch (RuntimeException | Error e) {
      for (RedisNode node : nodes) {
        node.close();
      }
      throw e;
    }
  }

  private static void create(Path cli, List<RedisNode> nodes) {
    List<String> command = new ArrayList<>(List.of(cli.toString(), "--cluster", "create"));
    for (RedisNode node : nodes) {
      command.add("127.0.0.1:" + node.port());
    }
    command.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output;
      try (InputStream in = process.getInputStream()) {
        output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("redis-cli --cluster create timed out:\n" + output);
      }
      if (process.exitValue() != 0 || !output.contains("[OK] All 16384 slots covered")) {
        throw new IllegalStateException(
            "redis-cli --cluster create failed (exit " + process.exitValue() + "):\n" + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted forming the cluster", e);
    }
  }

  /** Wall time from the first node's start until the cluster was healthy. */
  public Duration startupTime() {
    return startupTime;
  }

  /** Whether this test owns the cluster (may kill nodes). */
  public boolean isOwned() {
    return owned;
  }

  /** {@code redis://127.0.0.1:port} of every node, for {@code RedisClusterClient.create(...)}. */
  public List<String> seedUris() {
    List<String> uris = new ArrayList<>();
    for (RedisNode node : nodes) {
      uris.add(node.uri());
    }
    return uris;
  }

  /** All six nodes, in start order, running or not. */
  public List<RedisNode> nodes() {
    return nodes;
  }

  /** The running nodes that currently report the master role, by port. */
  public List<RedisNode> masters() {
    return byRole(RedisRole.MASTER);
  }

  /** The running nodes that currently report the replica role, by port. */
  public List<RedisNode> replicas() {
    return byRole(RedisRole.REPLICA);
  }

  private List<RedisNode> byRole(RedisRole role) {
    List<RedisNode> matching = new ArrayList<>();
    for (RedisNode node : nodes) {
      if (node.isRunning() && !node.isPaused() && node.role() == role) {
        matching.add(node);
      }
    }
    matching.sort(Comparator.comparingInt(RedisNode::port));
    return matching;
  }

  /**
   * The running replica of {@code master}.
   *
   * @throws IllegalStateException if it has none
   */
  public RedisNode replicaOf(RedisNode master) {
    return findReplicaOf(master.port())
        .orElseThrow(() -> new IllegalStateException("no running replica of " + master));
  }

  private Optional<RedisNode> findReplicaOf(int masterPort) {
    for (RedisNode node : nodes) {
      if (!node.isRunning() || node.isPaused()) {
        continue;
      }
      Object role = node.call("ROLE");
      if (role instanceof List) {
        List<?> fields = (List<?>) role;
        if ("slave".equals(fields.get(0)) && String.valueOf(masterPort).equals(String.valueOf(fields.get(2)))) {
          return Optional.of(node);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Kills (SIGKILL) the {@code index}-th master of {@link #masters()} and returns it. Owned clusters only.
   * Follow with {@link #awaitFailover(RedisNode, Duration)}.
   */
  public RedisNode killMaster(int index) {
    requireOwned("kill a master of");
    List<RedisNode> masters = masters();
    if (index < 0 || index >= masters.size()) {
      throw new IllegalArgumentException(
          "master index must be in [0, " + masters.size() + "): " + index);
    }
    RedisNode master = masters.get(index);
    findReplicaOf(master.port())
        .ifPresent(replica -> replicaByKilledMasterPort.put(master.port(), replica.port()));
    master.kill();
    return master;
  }

  /**
   * Waits until the replica of the killed {@code oldMaster} is a master and every running node reports
   * {@code cluster_state:ok}; returns the new master.
   */
  public RedisNode awaitFailover(RedisNode oldMaster, Duration timeout) {
    Integer replicaPort = replicaByKilledMasterPort.get(oldMaster.port());
    RedisNode promoted;
    if (replicaPort != null) {
      promoted = nodeOnPort(replicaPort);
    } else {
      promoted =
          findReplicaOf(oldMaster.port())
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "cannot tell which replica will replace "
                              + oldMaster
                              + ": kill it with killMaster(...)"));
    }
    Eventually.await(
        timeout,
        Duration.ofMillis(50),
        promoted + " promoted to master after " + oldMaster + " died",
        () -> promoted.role() == RedisRole.MASTER && allRunningNodesOk());
    return promoted;
  }

  /** Waits until every running node reports {@code cluster_state:ok} and every replica's link is up. */
  public void awaitHealthy(Duration timeout) {
    Eventually.await(
        timeout,
        Duration.ofMillis(50),
        "cluster healthy (cluster_state:ok on every node, replicas in sync, 3 masters)",
        () -> {
          if (!allRunningNodesOk()) {
            return false;
          }
          int masters = 0;
          for (RedisNode node : nodes) {
            if (!node.isRunning() || node.isPaused()) {
              continue;
            }
            Map<String, String> replication = node.info("replication");
            if ("slave".equals(replication.get("role"))) {
              if (!"up".equals(replication.get("master_link_status"))
                  || "1".equals(replication.get("master_sync_in_progress"))) {
                return false;
              }
            } else {
              masters++;
            }
          }
          return masters == 3;
        });
  }

  /**
   * Waits until every running replica has processed its master's whole replication stream (its {@code
   * slave_repl_offset} equals the master's {@code master_repl_offset}), so that writes acknowledged so far
   * survive killing a master. Call after writing, before {@link #killMaster(int)}.
   */
  public void awaitReplicasCaughtUp(Duration timeout) {
    Eventually.await(
        timeout,
        Duration.ofMillis(10),
        "every replica caught up with its master's replication offset",
        () -> {
          for (RedisNode master : masters()) {
            long masterOffset = Long.parseLong(master.info("replication").get("master_repl_offset"));
            RedisNode replica = findReplicaOf(master.port()).orElse(null);
            if (replica == null) {
              continue;
            }
            Map<String, String> replication = replica.info("replication");
            if (!"up".equals(replication.get("master_link_status"))
                || Long.parseLong(replication.get("slave_repl_offset")) < masterOffset) {
              return false;
            }
          }
          return true;
        });
  }

  private boolean allRunningNodesOk() {
    for (RedisNode node : nodes) {
      if (node.isRunning() && !node.isPaused()) {
        Map<String, String> info = RedisNode.parseInfo(node.command("CLUSTER", "INFO"));
        if (!"ok".equals(info.get("cluster_state"))) {
          return false;
        }
      }
    }
    return true;
  }

  private RedisNode nodeOnPort(int port) {
    for (RedisNode node : nodes) {
      if (node.port() == port) {
        return node;
      }
    }
    throw new IllegalArgumentException("no cluster node on port " + port);
  }

  /** The master that serves {@code slot}, as that master itself reports it ({@code CLUSTER NODES}). */
  public RedisNode ownerOf(int slot) {
    for (RedisNode master : masters()) {
      String myId = master.command("CLUSTER", "MYID").trim();
      for (String line : master.command("CLUSTER", "NODES").split("\n")) {
        String[] f = line.trim().split(" ");
        if (f.length < 9 || !f[0].equals(myId)) {
          continue;
        }
        for (int i = 8; i < f.length; i++) {
          if (f[i].startsWith("[")) {
            continue;
          }
          String[] range = f[i].split("-");
          int lo = Integer.parseInt(range[0]);
          int hi = range.length > 1 ? Integer.parseInt(range[1]) : lo;
          if (slot >= lo && slot <= hi) {
            return master;
          }
        }
      }
    }
    throw new IllegalStateException("no master reports slot " + slot);
  }

  /**
   * Moves {@code slot} with its keys to {@code target} the way {@code redis-cli --cluster reshard} does
   * (IMPORTING/MIGRATING, MIGRATE each key, SETSLOT NODE on every master), while clients keep using it:
   * they follow {@code ASK}, then {@code MOVED}; the old owner drops its shard-channel subscribers of
   * the slot ({@code SUNSUBSCRIBE}). Owned clusters only. No-op when {@code target} already serves it.
   */
  public void moveSlot(int slot, RedisNode target) {
    requireOwned("move slots of");
    RedisNode source = ownerOf(slot);
    if (source.port() == target.port()) {
      return;
    }
    String s = Integer.toString(slot);
    String sourceId = source.command("CLUSTER", "MYID").trim();
    String targetId = target.command("CLUSTER", "MYID").trim();
    target.command("CLUSTER", "SETSLOT", s, "IMPORTING", sourceId);
    source.command("CLUSTER", "SETSLOT", s, "MIGRATING", targetId);
    while (true) {
      List<?> keys = (List<?>) source.call("CLUSTER", "GETKEYSINSLOT", s, "100");
      if (keys.isEmpty()) {
        break;
      }
      for (Object key : keys) {
        source.call("MIGRATE", "127.0.0.1", Integer.toString(target.port()), (String) key, "0", "5000");
      }
    }
    target.command("CLUSTER", "SETSLOT", s, "NODE", targetId);
    source.command("CLUSTER", "SETSLOT", s, "NODE", targetId);
    for (RedisNode master : masters()) {
      if (master.port() != source.port() && master.port() != target.port()) {
        master.command("CLUSTER", "SETSLOT", s, "NODE", targetId);
      }
    }
  }

  /** {@code FLUSHALL} on every running master. */
  public void flushAll() {
    for (RedisNode master : masters()) {
      master.command("FLUSHALL");
    }
  }

  private void requireOwned(String operation) {
    if (!owned) {
      throw new IllegalStateException(
          "cannot " + operation + " the shared cluster; declare @RedisClusterServers(owned = true)");
    }
  }

  void close() {
    for (RedisNode node : nodes) {
      node.close();
    }
  }

  @Override
  public String toString() {
    List<Integer> ports = new ArrayList<>();
    for (RedisNode node : nodes) {
      ports.add(node.port());
    }
    return "RedisCluster{ports=" + ports + (owned ? ", owned" : ", shared") + "}";
  }
}
