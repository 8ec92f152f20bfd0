package dev.cachet.testing.redis;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks free loopback ports for test servers. Ports come from 12000-22499, below Linux's ephemeral
 * range (32768+), so that a cluster node's bus port ({@code port + 10000}) is valid and below it too,
 * and outgoing connections never grab a port a restarted server needs back. A port is handed out at
 * most once per JVM. When the build runs several test JVMs at once ({@code cachet.test.forks}, each
 * told its {@code cachet.test.fork} number from 1), each takes its own slice of the range, so one JVM
 * never takes a port another's stopped server is about to get back.
 */
final class Ports {
  static final int LOW = 12000;
  static final int HIGH = 22500;
  static final int CLUSTER_BUS_OFFSET = 10000;

  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private Ports() {}

  /** A port free on 127.0.0.1 now; with {@code clusterBus}, {@code port + 10000} is free too. */
  static int allocate(boolean clusterBus) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int[] slice = slice(Integer.getInteger("cachet.test.fork", 1), Integer.getInteger("cachet.test.forks", 1));
    for (int attempt = 0; attempt < 1000; attempt++) {
      int port = random.nextInt(slice[0], slice[1]);
      if (!HANDED_OUT.add(port)) {
        continue;
      }
      if (isFree(port) && (!clusterBus || isFree(port + CLUSTER_BUS_OFFSET))) {
        return port;
      }
    }
    throw new IllegalStateException("no free loopback port in " + LOW + "-" + HIGH);
  }

  /** The ports [low, high) of test JVM {@code fork} (1-based) of {@code forks}; all of them for one. */
  static int[] slice(int fork, int forks) {
    if (forks <= 1 || fork < 1 || fork > forks) {
      return new int[] {LOW, HIGH};
    }
    int size = (HIGH - LOW) / forks;
    int low = LOW + (fork - 1) * size;
    return new int[] {low, fork == forks ? HIGH : low + size};
  }

  static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(loopback(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** 127.0.0.1, the only address the harness ever binds or connects to. */
  static InetAddress loopback() {
    try {
      return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
