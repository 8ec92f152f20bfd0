package dev.cachet.benchmarks.shared;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The Zipf workload ({@link ZipfWorkload}) against one subject chosen by the subclass's {@code subject}
 * parameter: throughput and {@code SampleTime} latency percentiles of a read at 1 and 2 threads.
 *
 * <p>Besides JMH's figures, every measurement iteration records, from {@code INFO commandstats} deltas
 * of the benchmark's own Redis, the Redis commands sent per call (all commands, including heartbeats and
 * pub/sub, minus the one {@code info} of the snapshot itself) and the local hit ratio ({@code 1 -
 * remote reads / calls}, see {@link ZipfSubject#remoteReadCommand()}). They are printed at the end of the
 * trial and, if the system property {@code cachet.bench.counters} names a file, appended to it as one
 * JSON object per line ({@code benchmarks/report/generate.py} reads it).
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(3)
public abstract class ZipfBenchmarkBase {

  /** Every thread's cursor, ever (one benchmark per fork: never cleared). */
  private static final List<Cursor> CURSORS = new CopyOnWriteArrayList<>();

  private String[] keys;
  private int[] draws;
  private BenchRedis redis;
  private ZipfSubject subject;
  private Map<String, Long> commandsAtStart;
  private long callsAtStart;
  private int measurement;
  private final List<String> summaries = new ArrayList<>();

  /** The value of the subclass's {@code @Param subject}. */
  protected abstract String subjectName();

  /** Builds the named subject against {@code redis}. */
  protected abstract ZipfSubject createSubject(String name, BenchRedis redis) throws Exception;

  @Setup(Level.Trial)
  public void setUpTrial() throws Exception {
    redis = BenchRedis.acquire();
    keys = ZipfWorkload.keys();
    try {
      subject = createSubject(subjectName(), redis);
      subject.load(keys);
      verify(subject, keys);
    } catch (Exception | Error e) {
      if (subject != null) {
        subject.close();
      }
      redis.close();
      throw e;
    }
    draws = ZipfWorkload.draws();
  }

  /** Reads a few keys back so that a subject returning nothing (a misconfigured codec) fails the trial. */
  private static void verify(ZipfSubject subject, String[] keys) {
    for (int index : new int[] {0, 1, 4_242, ZipfWorkload.UNIVERSE - 1}) {
      Object value = subject.get(index, keys[index]);
      String expected = ZipfWorkload.value(index);
      boolean ok =
          value instanceof String
              ? value.equals(expected)
              : value instanceof byte[]
                  && Arrays.equals((byte[]) value, expected.getBytes(StandardCharsets.UTF_8));
      if (!ok) {
        throw new IllegalStateException(
            "subject did not read back the stored value of rank " + index + " (got "
                + (value == null ? "null" : value.getClass().getName()) + ")");
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDownTrial() throws Exception {
    for (String summary : summaries) {
      System.out.println(summary);
    }
    try {
      subject.close();
    } finally {
      redis.close();
    }
  }

  @Setup(Level.Iteration)
  public void beginIteration() throws IOException {
    commandsAtStart = redis.commandCalls();
    callsAtStart = totalCalls();
  }

  @TearDown(Level.Iteration)
  public void endIteration(BenchmarkParams benchmark, IterationParams iteration) throws IOException {
    long calls = totalCalls() - callsAtStart;
    Map<String, Long> end = redis.commandCalls();
    if (iteration.getType() != IterationType.MEASUREMENT) {
      return;
    }
    Map<String, Long> delta = new TreeMap<>();
    long total = 0;
    for (Map.Entry<String, Long> e : end.entrySet()) {
      long d = e.getValue() - commandsAtStart.getOrDefault(e.getKey(), 0L);
      if (e.getKey().equals("info")) {
        d -= 1; // the snapshot at the start of this iteration
      }
      if (d > 0) {
        delta.put(e.getKey(), d);
        total += d;
      }
    }
    String read = subject.remoteReadCommand();
    long remoteReads = read == null ? 0 : delta.getOrDefault(read, 0L);
    double perCall = calls == 0 ? Double.NaN : (double) total / calls;
    double localHitRatio = calls == 0 ? Double.NaN : 1.0 - (double) remoteReads / calls;
    measurement++;
    summaries.add(
        String.format(
            "zipf counters: subject=%s mode=%s threads=%d iteration=%d calls=%d redisCommandsPerCall=%.4f"
                + " localHitRatio=%.4f commands=%s",
            subjectName(), benchmark.getMode().shortLabel(), benchmark.getThreads(), measurement, calls,
            perCall, localHitRatio, delta));
    String file = System.getProperty("cachet.bench.counters");
    if (file != null && !file.isBlank()) {
      StringBuilder json = new StringBuilder("{");
      json.append("\"benchmark\":\"").append(benchmark.getBenchmark()).append('"');
      json.append(",\"subject\":\"").append(subjectName()).append('"');
      json.append(",\"mode\":\"").append(benchmark.getMode().shortLabel()).append('"');
      json.append(",\"threads\":").append(benchmark.getThreads());
      json.append(",\"iteration\":").append(measurement);
      json.append(",\"redisOwned\":").append(redis.owned());
      json.append(",\"calls\":").append(calls);
      json.append(",\"remoteReadCommand\":").append(read == null ? "null" : "\"" + read + "\"");
      json.append(",\"remoteReads\":").append(remoteReads);
      json.append(",\"redisCommands\":").append(total);
      json.append(",\"commands\":{");
      boolean first = true;
      for (Map.Entry<String, Long> e : delta.entrySet()) {
        json.append(first ? "" : ",").append('"').append(e.getKey()).append("\":").append(e.getValue());
        first = false;
      }
      json.append("}}\n");
      Files.write(
          Path.of(file), json.toString().getBytes(StandardCharsets.UTF_8),
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
  }

  private static long totalCalls() {
    long sum = 0;
    for (Cursor c : CURSORS) {
      sum += c.calls;
    }
    return sum;
  }

  /** Per-thread position in the precomputed draws and call count. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;
    long calls;

    @Setup(Level.Trial)
    public void register() {
      next = new SplittableRandom().nextInt(ZipfWorkload.SAMPLES);
      CURSORS.add(this);
    }
  }

  private Object read(Cursor cursor) {
    int index = draws[cursor.next++ & (ZipfWorkload.SAMPLES - 1)];
    cursor.calls++;
    return subject.get(index, keys[index]);
  }

  @Benchmark
  @Threads(1)
  public Object zipf1Thread(Cursor cursor) {
    return read(cursor);
  }

  @Benchmark
  @Threads(2)
  public Object zipf2Threads(Cursor cursor) {
    return read(cursor);
  }
}
