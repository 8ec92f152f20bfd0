package dev.cachet.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.CacheHealth;
import dev.cachet.memory.MemoryCacheBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java block in README.md and docs/ is compiled code: it equals a whole file under {@code
 * src/test/java/dev/cachet/readme/} or {@code .../docs/}, or a region of such a file between {@code //
 * snippet:start} and {@code // snippet:end} (with the region's indentation removed). The regions of
 * {@link FactorySnippets} are run too.
 */
class DocsSnippetTests {

  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL);
  private static final List<Path> SNIPPET_DIRS =
      List.of(Path.of("src/test/java/dev/cachet/readme"), Path.of("src/test/java/dev/cachet/docs"));

  static List<Path> markdownFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    files.add(Path.of("README.md"));
    try (Stream<Path> docs = Files.walk(Path.of("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    return files;
  }

  static List<String> compiledSnippets() throws IOException {
    List<String> snippets = new ArrayList<>();
    for (Path dir : SNIPPET_DIRS) {
      try (Stream<Path> sources = Files.list(dir)) {
        for (Path source : (Iterable<Path>) sources.filter(p -> p.toString().endsWith(".java")).sorted()::iterator) {
          String text = Files.readString(source);
          snippets.add(text);
          snippets.addAll(regions(text));
        }
      }
    }
    return snippets;
  }

  /** The regions between snippet markers, de-indented by the start marker's indentation. */
  static List<String> regions(String source) {
    List<String> regions = new ArrayList<>();
    String[] lines = source.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (!lines[i].trim().equals("// snippet:start")) {
        continue;
      }
      int indent = lines[i].indexOf("//");
      StringBuilder region = new StringBuilder();
      for (i++; i < lines.length && !lines[i].trim().equals("// snippet:end"); i++) {
        String line = lines[i];
        region.append(line.length() >= indent && line.substring(0, indent).isBlank() ? line.substring(indent) : line.strip())
            .append('\n');
      }
      regions.add(region.toString());
    }
    return regions;
  }

  @Test
  void everyJavaBlockInTheDocs_isCompiledCode() throws IOException {
    List<String> compiled = compiledSnippets();
    int blocks = 0;
    for (Path file : markdownFiles()) {
      Matcher m = JAVA_BLOCK.matcher(Files.readString(file));
      while (m.find()) {
        blocks++;
        String block = m.group(1);
        assertThat(compiled)
            .as("the Java block at offset %d of %s must equal a compiled snippet (a file or a // snippet:start"
                + " region under %s)", m.start(), file, SNIPPET_DIRS)
            .contains(block);
      }
    }
    assertThat(blocks).as("Java blocks found").isGreaterThanOrEqualTo(7);
  }

  @Test
  void factorySnippets_run() {
    assertThat(FactorySnippets.webApp(new SimpleMeterRegistry())).isEqualTo("Ada");
    assertThat(FactorySnippets.aiApp(new SimpleMeterRegistry())).isEqualTo("ok");
    assertThat(FactorySnippets.testing()).isTrue();
    assertThat(FactorySnippets.health()).isEqualTo(CacheHealth.Status.UP);
    try (var cache =
        MemoryCacheBuilder.<String, FactorySnippets.User>newBuilder().name("snippet-users").build()) {
      assertThat(FactorySnippets.bindByHand(new SimpleMeterRegistry(), cache)).isNotNull();
    }
  }
}
