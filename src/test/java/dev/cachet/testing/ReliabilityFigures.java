package dev.cachet.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;

/**
 * Figures the reliability tests measure (recovery times, operations, faults injected, wrong values),
 * appended as {@code time<TAB>test<TAB>figure<TAB>value} lines to {@code
 * target/reliability/figures.tsv}; docs/reliability.md is made from a stated run of this file.
 * Thread-safe.
 */
public final class ReliabilityFigures {

  private ReliabilityFigures() {}

  /** Where the figures go: {@code target/reliability/figures.tsv} under the project directory. */
  public static Path file() {
    String dir = System.getProperty("cachet.project.dir", System.getProperty("user.dir"));
    return Path.of(dir, "target", "reliability", "figures.tsv");
  }

  /** Appends one figure of {@code test}. */
  public static synchronized void record(String test, String figure, Object value) {
    String v = value instanceof Double || value instanceof Float
        ? String.format(Locale.ROOT, "%.3f", ((Number) value).doubleValue())
        : String.valueOf(value);
    String line = Instant.now() + "\t" + test + "\t" + figure + "\t" + v + "\n";
    try {
      Files.createDirectories(file().getParent());
      Files.writeString(file(), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
