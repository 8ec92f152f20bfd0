package dev.cachet.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A small mutation fuzzer for the parsers (Jazzer's JUnit integration is built on JUnit 5's Jupiter
 * API and this build runs JUnit 6, so plain JUnit tests drive it): every input of a committed seed
 * corpus ({@code src/test/resources/fuzz/<target>/}, one input per file, or one per line in {@code
 * *.lines} files), then seeded random mutations of them (bit flips, byte inserts and deletes,
 * truncation, extension, splices, interesting bytes).
 *
 * <p>Bounded: by default {@value #DEFAULT_ITERATIONS} mutations per target with seed {@value
 * #DEFAULT_SEED}, so {@code mvn verify} replays the same inputs every run (regression mode). The
 * {@code fuzz} profile ({@code mvn -Pfuzz test}) sets {@code cachet.fuzz.seconds} (60 per target) and
 * a random seed, printed so that a failure can be replayed with {@code -Dcachet.fuzz.seed=...}. A
 * failing input is written to {@code target/fuzz-failures/<target>/} and its seed and iteration named
 * in the assertion. Not thread-safe.
 */
public final class Fuzzer {

  public static final int DEFAULT_ITERATIONS = 5_000;
  public static final long DEFAULT_SEED = 17;

  private static final byte[] INTERESTING =
      " :-+_.=0129aAzZ\u0000\u007f/%@#,~gtkhvIHC".getBytes(StandardCharsets.ISO_8859_1);

  private final String target;
  private final List<byte[]> corpus;
  private final long seed;
  private final long iterations;
  private final long deadlineNanos;
  private long executed;

  private Fuzzer(String target, List<byte[]> corpus) {
    this.target = target;
    this.corpus = corpus;
    String seconds = System.getProperty("cachet.fuzz.seconds", "");
    String seedProperty = System.getProperty("cachet.fuzz.seed", "");
    this.seed = seedProperty.isBlank()
        ? (seconds.isBlank() ? DEFAULT_SEED : new Random().nextLong())
        : Long.parseLong(seedProperty.trim());
    if (seconds.isBlank()) {
      this.iterations = Long.getLong("cachet.fuzz.iterations", DEFAULT_ITERATIONS);
      this.deadlineNanos = Long.MAX_VALUE;
    } else {
      this.iterations = Long.MAX_VALUE;
      this.deadlineNanos = System.nanoTime() + Long.parseLong(seconds.trim()) * 1_000_000_000L;
    }
  }

  /** A fuzzer over the corpus of {@code target} plus {@code extraSeeds}. */
  public static Fuzzer of(String target, List<byte[]> extraSeeds) {
    List<byte[]> corpus = new ArrayList<>(readCorpus(target));
    corpus.addAll(extraSeeds);
    if (corpus.isEmpty()) {
      throw new IllegalStateException("no seed corpus for fuzz target " + target);
    }
    return new Fuzzer(target, corpus);
  }

  /** The committed seed inputs of {@code target}. */
  public static List<byte[]> readCorpus(String target) {
    String dir = System.getProperty("cachet.project.dir", System.getProperty("user.dir"));
    Path root = Path.of(dir, "src", "test", "resources", "fuzz", target);
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    List<byte[]> inputs = new ArrayList<>();
    try (Stream<Path> files = Files.list(root)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        if (f.getFileName().toString().endsWith(".lines")) {
          for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            inputs.add(line.getBytes(StandardCharsets.UTF_8));
          }
        } else {
          inputs.add(Files.readAllBytes(f));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return inputs;
  }

  /**
   * Runs {@code check} over every corpus input, then over mutations until the budget is spent; the
   * check throws {@link AssertionError} (or anything) to report a finding. Returns the inputs run.
   */
  public long run(Consumer<byte[]> check) {
    for (byte[] input : corpus) {
      runOne(check, input, -1);
    }
    Random random = new Random(seed);
    for (long i = 0; i < iterations && System.nanoTime() < deadlineNanos; i++) {
      byte[] base = corpus.get(random.nextInt(corpus.size()));
      int rounds = 1 + random.nextInt(4);
      byte[] input = base;
      for (int r = 0; r < rounds; r++) {
        input = mutate(input, random);
      }
      runOne(check, input, i);
    }
    if (!System.getProperty("cachet.fuzz.seconds", "").isBlank()) {
      System.out.println("fuzz " + target + ": " + executed + " inputs, seed " + seed);
    }
    ReliabilityFigures.record("fuzz." + target, "inputs", executed);
    return executed;
  }

  private void runOne(Consumer<byte[]> check, byte[] input, long iteration) {
    executed++;
    try {
      check.accept(input);
    } catch (Throwable t) {
      Path saved = save(input);
      throw new AssertionError(
          "fuzz target " + target + " failed on " + (iteration < 0 ? "a corpus input" : "mutation " + iteration)
              + " (seed " + seed + "; input saved to " + saved + "): " + t,
          t);
    }
  }

  private Path save(byte[] input) {
    String dir = System.getProperty("cachet.project.dir", System.getProperty("user.dir"));
    Path out = Path.of(dir, "target", "fuzz-failures", target,
        "crash-" + Integer.toHexString(java.util.Arrays.hashCode(input)));
    try {
      Files.createDirectories(out.getParent());
      Files.write(out, input);
    } catch (IOException e) {
      return null;
    }
    return out;
  }

  private byte[] mutate(byte[] in, Random random) {
    int n = in.length;
    switch (random.nextInt(8)) {
      case 0: { // flip a bit
        if (n == 0) {
          return new byte[] {INTERESTING[random.nextInt(INTERESTING.length)]};
        }
        byte[] out = in.clone();
        int i = random.nextInt(n);
        out[i] ^= (byte) (1 << random.nextInt(8));
        return out;
      }
      case 1: { // replace a byte with an interesting one
        if (n == 0) {
          return in;
        }
        byte[] out = in.clone();
        out[random.nextInt(n)] = INTERESTING[random.nextInt(INTERESTING.length)];
        return out;
      }
      case 2: { // insert
        int at = random.nextInt(n + 1);
        byte[] out = new byte[n + 1];
        System.arraycopy(in, 0, out, 0, at);
        out[at] = random.nextBoolean() ? INTERESTING[random.nextInt(INTERESTING.length)] : (byte) random.nextInt();
        System.arraycopy(in, at, out, at + 1, n - at);
        return out;
      }
      case 3: { // delete
        if (n == 0) {
          return in;
        }
        int at = random.nextInt(n);
        byte[] out = new byte[n - 1];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(in, at + 1, out, at, n - at - 1);
        return out;
      }
      case 4: // truncate
        return java.util.Arrays.copyOf(in, n == 0 ? 0 : random.nextInt(n));
      case 5: { // extend with a copy of a slice
        if (n == 0) {
          return in;
        }
        int from = random.nextInt(n);
        int len = 1 + random.nextInt(Math.min(64, n - from));
        byte[] out = java.util.Arrays.copyOf(in, n + len);
        System.arraycopy(in, from, out, n, len);
        return out;
      }
      case 6: { // splice with another corpus input
        byte[] other = corpus.get(random.nextInt(corpus.size()));
        int a = n == 0 ? 0 : random.nextInt(n);
        int b = other.length == 0 ? 0 : random.nextInt(other.length);
        byte[] out = new byte[a + other.length - b];
        System.arraycopy(in, 0, out, 0, a);
        System.arraycopy(other, b, out, a, other.length - b);
        return out;
      }
      default: { // overwrite a run of digits or a random byte
        if (n == 0) {
          return in;
        }
        byte[] out = in.clone();
        int at = random.nextInt(n);
        int len = Math.min(n - at, 1 + random.nextInt(8));
        for (int i = 0; i < len; i++) {
          out[at + i] = (byte) (random.nextBoolean() ? '0' + random.nextInt(10) : random.nextInt());
        }
        return out;
      }
    }
  }
}
