package dev.cachet.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.resilience.ResilienceTestSupport.Node;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.ReliabilityFigures;
import dev.cachet.testing.StderrCapture;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.metrics.TieredCacheMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Nothing leaks over 21 open/close cycles (100 with {@code -Dcachet.leak.cycles=100}) of connections
 * plus a tiered cache behind the resilience layer, two thirds of them failing (a wrong password, a port nobody listens on): afterwards the JVM
 * has no more Cachet and Lettuce threads, and Redis no more client connections, than with one node
 * open, and
 * neither the password, the encryption key, the key-naming secret (in use every other cycle) nor a
 * value marker appeared in any log line, {@code toString()}, {@code health()}, or meter name or tag
 * (every {@code Meter.Id} of a {@code SimpleMeterRegistry} the caches were bound to, failures
 * included).
 */
class LeakIntegrationTests {

  private static final String PASSWORD = "Leak-SECRET-pw-77";
  private static final String MARKER = "VALUE-MARKER-LEAK";
  private static final byte[] NAMING_SECRET = new byte[32];

  static {
    new java.security.SecureRandom().nextBytes(NAMING_SECRET);
  }

  /** Everything that must appear in no output: the password, a value marker, the keys' text forms. */
  private static List<String> secrets() {
    return List.of(PASSWORD, MARKER, ResilienceTestSupport.KEY.revealBase64(),
        Base64.getEncoder().encodeToString(NAMING_SECRET), Base64.getUrlEncoder().encodeToString(NAMING_SECRET),
        HexFormat.of().formatHex(NAMING_SECRET));
  }

  private static void assertNoSecret(String what, String text) {
    for (String secret : secrets()) {
      assertThat(text).as(what).doesNotContain(secret);
    }
  }

  /** Every tag value of every meter in {@code registry}, checked; returns how many were checked. */
  private static int assertNoSecretInTags(MeterRegistry registry) {
    int checked = 0;
    for (Meter meter : registry.getMeters()) {
      Meter.Id id = meter.getId();
      assertNoSecret("meter name " + id.getName(), id.getName());
      for (Tag tag : id.getTags()) {
        assertNoSecret("tag " + tag.getKey() + " of " + id.getName(), tag.getKey() + "=" + tag.getValue());
        checked++;
      }
    }
    return checked;
  }

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
    int cycles = Integer.getInteger("cachet.leak.cycles", 21);
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
      MeterRegistry registry = new SimpleMeterRegistry();
      int tagValues = 0;
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
        // every other cycle hides key names, so that the naming secret is in use too
        boolean hidden = i % 2 == 0;
        try (Node node = ResilienceTestSupport.node("leak", c, prefix, s, b -> {},
                r -> {
                  if (hidden) {
                    r.keyNameHasher(KeyNameHasher.of(NAMING_SECRET));
                  }
                });
            TieredCacheMetrics metrics = TieredCacheMetrics.monitor(registry, node.cache, "instance", "i" + i)) {
          node.cache.put("k" + i, MARKER + i);
          assertThat(node.cache.get("k" + i, k -> MARKER)).startsWith(MARKER);
          node.cache.getAll(List.of("k" + i, "absent" + i), missing -> Map.of());
          node.cache.invalidate("k" + i);
          assertNoSecret("toString()", node.cache.toString());
          assertNoSecret("health()", node.cache.health().toString());
          assertNoSecret("connections", c.toString());
          assertNoSecret("metrics", metrics.toString());
          tagValues += assertNoSecretInTags(registry);
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
          secrets().stream().filter(text::contains).count());
      ReliabilityFigures.record("LeakIntegrationTests", "meterTagValuesChecked", tagValues);
      assertNoSecret("the log", text);
      assertThat(tagValues).as("meter tags were checked").isPositive();
    }
  }
}
