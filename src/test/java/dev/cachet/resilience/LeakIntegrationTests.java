package dev.cachet.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.resilience.ResilienceTestSupport.Node;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.ReliabilityFigures;
import dev.cachet.testing.StderrCapture;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Nothing leaks over 30 open/close cycles (100 with {@code -Dcachet.leak.cycles=100}) of connections
 * plus a tiered cache behind the resilience layer, two thirds of them failing (a wrong password, a port nobody listens on): afterwards the JVM
 * has no more Cachet and Lettuce threads, and Redis no more client connections, than with one node
 * open, and
 * neither the password nor a value marker appeared in any log line.
 */
class LeakIntegrationTests {

  private static final String PASSWORD = "Leak-SECRET-pw-77";
  private static final String MARKER = "VALUE-MARKER-LEAK";

  /** JVM-wide threads started on first use, at most this many: the retry scheduler. */
  private static final Map<String, Integer> SINGLETONS = Map.of("cachet-retry", 1);

  private static Map<String, Integer> threadsByPrefix() {
    Map<String, Integer> counts = new TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      String name = t.getName();
      if (t.isAlive() && (name.startsWith("cachet-") || name.startsWith("lettuce-"))) {
        counts.merge(name.replaceAll("[-#]?\\d+(-\\d+)*$", ""), 1, Integer::sum);
      }
    }
    return counts;
  }

  private static int connectedClients(RedisServer redis) {
    Matcher m = Pattern.compile("connected_clients:(\\d+)").matcher(redis.command("INFO", "clients"));
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  @Test
  void hundredOpenCloseCycles_withFailures_leaveNoThreadConnectionOrSecret(
      @RedisStandaloneServer(owned = true) RedisServer redis) {
    redis.command("ACL", "SETUSER", "app", "on", ">" + PASSWORD, "~*", "&*", "+@all");
    ResilienceSettings s = ResilienceSettings.testing();
    String prefix = ResilienceTestSupport.prefixFrom(redis.keyPrefix());
    int cycles = Integer.getInteger("cachet.leak.cycles", 30);
    int failing = 0;
    try (StderrCapture log = new StderrCapture()) {
      // the baseline: the threads and Redis clients with one node open (shared threads exist from here on)
      Map<String, Integer> threadsBefore;
      int clientsBefore;
      try (Node warm = ResilienceTestSupport.node("leak", ResilienceTestSupport.connections(
          "redis://app:" + PASSWORD + "@127.0.0.1:" + redis.port(), s), prefix, s, b -> {})) {
        warm.cache.put("k", MARKER);
        threadsBefore = threadsByPrefix();
        clientsBefore = connectedClients(redis);
      }
      long start = System.nanoTime();
      long[] millisByKind = new long[3];
      for (int i = 0; i < cycles; i++) {
        long cycleStart = System.nanoTime();
        String uri;
        switch (i % 3) {
          case 1:
            uri = "redis://app:wrong-" + PASSWORD + "@127.0.0.1:" + redis.port();
            failing++;
            break;
          case 2:
            uri = "redis://app:" + PASSWORD + "@127.0.0.1:1"; // nobody listens
            failing++;
            break;
          default:
            uri = "redis://app:" + PASSWORD + "@127.0.0.1:" + redis.port();
        }
        RedisConnections c = RedisConnections.newBuilder().uri(uri).commandTimeout(s.commandTimeout())
            .connectTimeout(Duration.ofMillis(300)).build();
        try (Node node = ResilienceTestSupport.node("leak", c, prefix, s, b -> {})) {
          node.cache.put("k" + i, MARKER + i);
          assertThat(node.cache.get("k" + i, k -> MARKER)).startsWith(MARKER);
          assertThat(node.cache.toString()).doesNotContain(PASSWORD).doesNotContain(MARKER);
          assertThat(node.cache.health().toString()).doesNotContain(PASSWORD).doesNotContain(MARKER);
          assertThat(c.toString()).doesNotContain(PASSWORD);
        }
        assertThat(c.isClosed()).isTrue();
        millisByKind[i % 3] += (System.nanoTime() - cycleStart) / 1_000_000;
      }
      System.out.printf("leak cycles ms: ok %d, wrong password %d, closed port %d%n",
          millisByKind[0], millisByKind[1], millisByKind[2]);
      ReliabilityFigures.record("LeakIntegrationTests", "cycleMillis",
          (System.nanoTime() - start) / 1_000_000 / cycles);
      Eventually.await(Duration.ofSeconds(30), "no more threads than with one node open " + threadsBefore,
          (Eventually.ThrowingRunnable) () -> assertThat(threadsByPrefix().entrySet())
              .allMatch(e -> e.getValue() <= threadsBefore.getOrDefault(e.getKey(), SINGLETONS.getOrDefault(e.getKey(), 0))));
      Eventually.await(Duration.ofSeconds(30), "Redis clients back to " + clientsBefore,
          () -> connectedClients(redis) <= clientsBefore);
      String text = log.text();
      ReliabilityFigures.record("LeakIntegrationTests", "cycles", cycles);
      ReliabilityFigures.record("LeakIntegrationTests", "failingCycles", failing);
      ReliabilityFigures.record("LeakIntegrationTests", "threadsLeaked", 0);
      ReliabilityFigures.record("LeakIntegrationTests", "secretsInLogs",
          (text.contains(PASSWORD) ? 1 : 0) + (text.contains(MARKER) ? 1 : 0));
      assertThat(text).doesNotContain(PASSWORD).doesNotContain(MARKER);
    }
  }
}
