package dev.cachet.benchmarks;

import dev.cachet.Cache;
import dev.cachet.Counters;
import dev.cachet.KeyCodec;
import dev.cachet.benchmarks.shared.BenchRedis;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sealed counters ({@code Cache.counters().incrementBy}: GET, decrypt, re-seal, one compare-and-set
 * script, retried with jittered back-off when another writer got there first) against Redis's own
 * {@code INCR} on plain integers, in the same run, on a loopback Redis this benchmark starts itself
 * ({@link BenchRedis}):
 *
 * <ul>
 *   <li>{@code keys=hot}: every thread increments one key (the compare-and-set loses to concurrent
 *       writers and retries; a call that still ends in {@code CounterContentionException}, or in {@code
 *       CounterOutcomeUnknownException} when a descheduled thread's base fell more than 32 changes
 *       behind, counts as an operation, so the hot-key figure is an upper bound on successful
 *       increments);
 *   <li>{@code keys=spread}: uniform over 1,000 keys (almost no conflicts).
 * </ul>
 *
 * Four threads by default ({@code -t} changes it); throughput in increments per second. Sealed counters
 * cost two round trips and one decryption plus one encryption per increment, so expect a fraction of
 * {@code INCR}'s rate; the hot key shows what contention costs on top.
 *
 * <pre>
 *   mvn -B -q -f benchmarks/reactor.xml -DskipTests package
 *   java -jar benchmarks/target/benchmarks.jar CounterBenchmark -f 1 -wi 3 -i 5 -t 4
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(3)
@Threads(4)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CounterBenchmark {

  private static final int SPREAD_KEYS = 1_000;

  @Param({"hot", "spread"})
  public String keys;

  private BenchRedis server;
  private RedisConnections connections;
  private Cache<String, String> cache;
  private Counters<String> counters;
  private RedisClient rawClient;
  private StatefulRedisConnection<String, String> rawConnection;
  private RedisCommands<String, String> raw;
  private String[] names;

  /** Per-thread key choice. */
  @State(Scope.Thread)
  public static class Picker {
    private final SplittableRandom random = new SplittableRandom();

    int next(int bound) {
      return bound == 1 ? 0 : random.nextInt(bound);
    }
  }

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    server = BenchRedis.acquire();
    String uri = server.uri();
    rawClient = RedisClient.create();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        rawConnection = rawClient.connect(StringCodec.UTF8, io.lettuce.core.RedisURI.create(uri));
        break;
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("Redis did not answer at " + uri, e);
        }
        Thread.sleep(50);
      }
    }
    raw = rawConnection.sync();
    connections = RedisConnections.create(uri);
    cache =
        RedisCacheBuilder.newBuilder(String.class, String.class)
            .name("counter-bench")
            .connections(connections)
            .keyRing(FernetKeyRing.of(FernetKey.generate()))
            .keyCodec(KeyCodec.strings())
            .defaultTtl(Duration.ofHours(1))
            .build();
    counters = cache.counters().orElseThrow();
    int n = "hot".equals(keys) ? 1 : SPREAD_KEYS;
    names = new String[n];
    for (int i = 0; i < n; i++) {
      names[i] = "counter-" + i;
      counters.reset(names[i], 0, Duration.ofHours(1));
      raw.set("raw-counter-" + i, "0");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    cache.close();
    connections.close();
    rawConnection.close();
    rawClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    server.close();
  }

  @Benchmark
  public long sealedIncrement(Picker picker) {
    try {
      return counters.incrementBy(names[picker.next(names.length)], 1);
    } catch (dev.cachet.CounterContentionException | dev.cachet.CounterOutcomeUnknownException e) {
      return -1;
    }
  }

  @Benchmark
  public long rawIncr(Picker picker) {
    return raw.incr("raw-counter-" + picker.next(names.length));
  }
}
