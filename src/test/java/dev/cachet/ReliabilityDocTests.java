package dev.cachet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/reliability.md lists every reliability test (every test class that records figures through
 * {@code ReliabilityFigures}, plus the fuzz targets) with a command that runs it, and has its figures
 * block.
 */
class ReliabilityDocTests {

  private static final Path ROOT = Path.of(System.getProperty("cachet.project.dir", System.getProperty("user.dir")));

  @Test
  void everyReliabilityTestIsListedWithACommand() throws IOException {
    String page = Files.readString(ROOT.resolve("docs/reliability.md"), StandardCharsets.UTF_8);
    List<String> tests;
    try (Stream<Path> files = Files.walk(ROOT.resolve("src/test/java"))) {
      tests =
          files
              .filter(p -> p.toString().endsWith("Tests.java") && !p.endsWith("ReliabilityDocTests.java"))
              .filter(p -> {
                try {
                  String source = Files.readString(p, StandardCharsets.UTF_8);
                  return source.contains("ReliabilityFigures.record") || source.contains("Fuzzer.of(");
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              })
              .map(p -> p.getFileName().toString().replace(".java", ""))
              .sorted()
              .collect(Collectors.toList());
    }
    assertThat(tests).contains("RecoveryTimeIntegrationTests", "FernetTokenFuzzTests");
    for (String test : tests) {
      String row = page.lines().filter(l -> l.startsWith("| `" + test + "`")).findFirst().orElse("");
      assertThat(row).as("docs/reliability.md lists %s", test).isNotEmpty();
      assertThat(row).as("the row of %s has a command running it", test)
          .containsPattern("`[^`]*mvn [^`]*" + test + "[^`]*`");
    }
    assertThat(page).contains("<!-- figures:begin -->").contains("<!-- figures:end -->");
  }
}
