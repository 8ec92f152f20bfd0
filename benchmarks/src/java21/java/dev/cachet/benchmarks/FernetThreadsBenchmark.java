package dev.cachet.benchmarks;

import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Fernet round trips (encrypt then decrypt, 1 KB) run as {@value #TASKS} short tasks per invocation,
 * either on a fixed pool of platform threads (one per processor) or on a virtual-thread-per-task
 * executor, where every task is a brand-new thread. Two implementations:
 *
 * <ul>
 *   <li>{@code cachet}: {@link FernetKeyRing}, whose JCE objects live in a small bounded pool per key;
 *   <li>{@code threadLocalJce}: the raw JCE floor ({@link JceFernetFloor}) cached in a {@code
 *       ThreadLocal}, the common alternative: fast while threads are long-lived, but every new virtual
 *       thread builds its own {@code Cipher}s and {@code Mac}.
 * </ul>
 *
 * Scores are round trips per second.
 *
 * <p>Needs Java 21 (built by the {@code java21} profile of {@code benchmarks/pom.xml} when Maven runs on
 * 21+); {@code benchmarks/run.sh thorough} runs it then.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(3)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FernetThreadsBenchmark {
  static final int TASKS = 256;

  @Param({"platform", "virtual"})
  String threads;

  @Param({"cachet", "threadLocalJce"})
  String impl;

  private ExecutorService executor;
  private List<Callable<byte[]>> tasks;

  @Setup
  public void setUp() {
    byte[] plaintext = new byte[1024];
    new Random(1).nextBytes(plaintext);
    FernetKey key = FernetKey.generate();
    FernetKeyRing ring = FernetKeyRing.of(key);
    byte[] keyBytes = java.util.Base64.getUrlDecoder().decode(key.revealBase64());
    ThreadLocal<JceFernetFloor> perThread = ThreadLocal.withInitial(() -> new JceFernetFloor(keyBytes));
    Callable<byte[]> task =
        impl.equals("cachet")
            ? () -> ring.decrypt(ring.encrypt(plaintext))
            : () -> {
              JceFernetFloor floor = perThread.get();
              return floor.decrypt(floor.encrypt(plaintext, System.currentTimeMillis() / 1000));
            };
    tasks = new ArrayList<>(TASKS);
    for (int i = 0; i < TASKS; i++) {
      tasks.add(task);
    }
    executor =
        threads.equals("virtual")
            ? Executors.newVirtualThreadPerTaskExecutor()
            : Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
  }

  @TearDown
  public void tearDown() {
    executor.shutdownNow();
  }

  @Benchmark
  @OperationsPerInvocation(TASKS)
  public int roundTrip1k() throws InterruptedException, ExecutionException {
    int total = 0;
    for (Future<byte[]> result : executor.invokeAll(tasks)) {
      total += result.get().length;
    }
    return total;
  }
}
