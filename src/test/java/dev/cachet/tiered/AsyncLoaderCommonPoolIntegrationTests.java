package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.testing.ReliabilityFigures;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Async loaders never block a pool thread while the remote call runs: in a JVM whose {@code
 * ForkJoinPool.commonPool} has parallelism 1 (the cache's default executor), 1,000 concurrent async gets
 * of 10 keys whose loads take 100 ms each complete within 2 s and call each loader exactly once, on a
 * memory cache and on a tiered cache over real Redis. The workload runs in a forked JVM ({@link
 * AsyncLoaderCommonPoolMain}) because the common pool's parallelism is fixed at JVM start.
 */
class AsyncLoaderCommonPoolIntegrationTests {

  @RedisStandaloneServer static RedisServer redis;

  private static final Pattern LINE =
      Pattern.compile("(\\w+) parallelism=(\\d+) elapsedMillis=(\\d+) loaderCalls=(\\d+) maxPerKey=(\\d+) wrong=(\\d+)");

  @Test
  void thousandAsyncGetsOfTenKeys_commonPoolParallelismOne_within2sAndOneLoadPerKey() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p =
        new ProcessBuilder(
                List.of(
                    java.toString(),
                    "-Djava.util.concurrent.ForkJoinPool.common.parallelism=1",
                    "-cp", System.getProperty("java.class.path"),
                    AsyncLoaderCommonPoolMain.class.getName(),
                    redis.uri(),
                    TieredTestSupport.prefixFrom(redis.keyPrefix())))
            .redirectErrorStream(true)
            .start();
    String output;
    try {
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("forked JVM finished").isTrue();
      output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      p.destroyForcibly();
    }
    assertThat(p.exitValue()).as(output).isZero();
    int runs = 0;
    for (String line : output.split("\n")) {
      Matcher m = LINE.matcher(line.trim());
      if (!m.matches()) {
        continue;
      }
      runs++;
      String kind = m.group(1);
      assertThat(Integer.parseInt(m.group(2))).as("common pool parallelism").isEqualTo(1);
      long elapsed = Long.parseLong(m.group(3));
      ReliabilityFigures.record("AsyncLoaderCommonPoolIntegrationTests", kind + ".elapsedMillis", elapsed);
      assertThat(elapsed).as(kind + ": 1,000 async gets of 10 keys, 100 ms loads").isLessThan(2_000);
      assertThat(Integer.parseInt(m.group(4))).as(kind + ": loader calls").isEqualTo(10);
      assertThat(Integer.parseInt(m.group(5))).as(kind + ": loads per key").isEqualTo(1);
      assertThat(Integer.parseInt(m.group(6))).as(kind + ": wrong values").isZero();
    }
    assertThat(runs).as(output).isEqualTo(2);
  }
}
