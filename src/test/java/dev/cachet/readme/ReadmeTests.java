package dev.cachet.readme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Keeps the README's quick start identical to a compiled test source, and runnable. */
class ReadmeTests {

  static String readmeQuickStart() throws Exception {
    return readmeSnippet("quickstart");
  }

  static String readmeSnippet(String marker) throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    int start = readme.indexOf("<!-- " + marker + ":start -->");
    int end = readme.indexOf("<!-- " + marker + ":end -->");
    assertThat(start).as(marker + ":start marker in README.md").isNotNegative();
    assertThat(end).as(marker + ":end marker in README.md").isGreaterThan(start);
    String block = readme.substring(start, end);
    int code = block.indexOf("```java\n") + "```java\n".length();
    return block.substring(code, block.lastIndexOf("```"));
  }

  @Test
  void quickStart_inReadme_isTheCompiledSource() throws Exception {
    String source =
        Files.readString(Path.of("src/test/java/dev/cachet/readme/QuickStart.java"));
    assertThat(readmeQuickStart()).isEqualTo(source);
  }

  @Test
  void tieredQuickStart_inReadme_isTheCompiledSource() throws Exception {
    String source =
        Files.readString(Path.of("src/test/java/dev/cachet/readme/TieredQuickStart.java"));
    assertThat(readmeSnippet("tiered-quickstart")).isEqualTo(source);
  }

  @Test
  void quickStart_runs_andPrintsTheLoadedValue() throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      Class.forName("QuickStart").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
    } finally {
      System.setOut(original);
    }
    assertThat(captured.toString(StandardCharsets.UTF_8))
        .startsWith("Hello, world! ")
        .contains("misses=1")
        .contains("loadSuccesses=1");
  }
}
