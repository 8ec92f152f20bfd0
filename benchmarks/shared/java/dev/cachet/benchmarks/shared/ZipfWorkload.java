package dev.cachet.benchmarks.shared;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The workload every Zipf subject runs, in the suite and in {@code benchmarks/peers} alike: a universe of
 * {@value #UNIVERSE} keys {@code item:0 .. item:99999}, each with a distinct {@value #VALUE_CHARS}-character
 * ASCII value (1 KB), all stored in Redis before measuring; a local tier bounded to {@value #LOCAL_ENTRIES}
 * entries (10 %); reads drawn from a Zipf distribution with exponent {@value #EXPONENT} over the key ranks
 * (rank 0, {@code item:0}, the most frequent), precomputed with a fixed seed so every subject reads the
 * same sequence.
 */
public final class ZipfWorkload {
  public static final int UNIVERSE = 100_000;
  public static final double EXPONENT = 0.99;
  public static final int VALUE_CHARS = 1024;
  public static final int LOCAL_ENTRIES = UNIVERSE / 10;
  /** Length of the precomputed draw sequence (a power of two; threads start at random offsets). */
  public static final int SAMPLES = 1 << 20;

  private static final String FILLER;

  static {
    char[] filler = new char[VALUE_CHARS];
    Arrays.fill(filler, 'x');
    FILLER = new String(filler);
  }

  private ZipfWorkload() {}

  public static String key(int index) {
    return "item:" + index;
  }

  /** The value stored under {@link #key(int) key(index)}: {@value #VALUE_CHARS} ASCII characters. */
  public static String value(int index) {
    String suffix = Integer.toString(index);
    return FILLER.substring(suffix.length()) + suffix;
  }

  /** Every key, by rank. */
  public static String[] keys() {
    String[] keys = new String[UNIVERSE];
    for (int i = 0; i < UNIVERSE; i++) {
      keys[i] = key(i);
    }
    return keys;
  }

  /** {@value #SAMPLES} key ranks drawn from Zipf({@value #EXPONENT}) with a fixed seed. */
  public static int[] draws() {
    double[] cdf = new double[UNIVERSE];
    double sum = 0;
    for (int i = 0; i < UNIVERSE; i++) {
      sum += 1.0 / Math.pow(i + 1, EXPONENT);
      cdf[i] = sum;
    }
    SplittableRandom random = new SplittableRandom(7);
    int[] draws = new int[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
      int idx = Arrays.binarySearch(cdf, random.nextDouble() * sum);
      draws[i] = Math.min(idx >= 0 ? idx : -idx - 1, UNIVERSE - 1);
    }
    return draws;
  }
}
