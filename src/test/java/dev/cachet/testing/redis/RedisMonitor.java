package dev.cachet.testing.redis;

import dev.cachet.testing.Eventually;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Redis's own {@code MONITOR} through {@code redis-cli}: every command every client sends to one server,
 * with its arguments and the client's address ({@code <time> [<db> <ip:port>] "CMD" "arg"...}; commands a
 * Lua script runs show {@code lua} instead of an address). {@link #start} waits until it records;
 * {@link #stop} waits until everything sent before it is recorded and returns the lines. Skips the test
 * (assumption) when {@code redis-cli} is missing outside CI. Not thread-safe; close it in a finally.
 */
public final class RedisMonitor implements AutoCloseable {

  private static final Duration DEADLINE = Duration.ofSeconds(15);

  private final RedisServer redis;
  private final Path out;
  private final Process process;

  private RedisMonitor(RedisServer redis, Path out, Process process) {
    this.redis = redis;
    this.out = out;
    this.process = process;
  }

  /** Starts {@code MONITOR} on {@code redis} and returns once it records. */
  public static RedisMonitor start(RedisServer redis) throws IOException {
    Path out = Files.createTempFile("cachet-monitor", ".txt");
    ProcessBuilder monitor =
        new ProcessBuilder("redis-cli", "-h", redis.host(), "-p", Integer.toString(redis.port()), "monitor")
            .redirectErrorStream(true)
            .redirectOutput(out.toFile());
    Process process;
    try {
      process = monitor.start();
    } catch (IOException e) {
      Files.deleteIfExists(out);
      Assumptions.assumeTrue(System.getenv("CI") != null, "redis-cli is not on the PATH");
      throw e;
    }
    RedisMonitor m = new RedisMonitor(redis, out, process);
    Eventually.await(DEADLINE, "MONITOR is running", () -> m.output().startsWith("OK"));
    return m;
  }

  private String output() {
    try {
      return Files.readString(out, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return "";
    }
  }

  /** Waits until every command sent before this call is recorded, stops, and returns the lines. */
  public List<String> stop() throws IOException, InterruptedException {
    // MONITOR prints commands in order: once this one is in its output, everything before it is too
    redis.command("ECHO", "monitor-end");
    Eventually.await(DEADLINE, "MONITOR recorded the end marker", () -> output().contains("monitor-end"));
    close();
    return Files.readAllLines(out, StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException, InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Deletes the recorded output. */
  public void delete() throws IOException {
    Files.deleteIfExists(out);
  }
}
