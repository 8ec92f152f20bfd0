package dev.cachet.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The {@code application.yaml} of docs/spring.md names only properties Cachet has (Boot ignores unknown
 * ones, so a typo there would go unnoticed); {@code BootDependencyManagementIntegrationTests} runs an
 * application configured by it.
 */
class SpringDocsTests {

  @Test
  void docsApplicationYaml_namesOnlyPropertiesInTheConfigurationMetadata() throws Exception {
    Set<String> known = new HashSet<>();
    try (InputStream in =
        getClass().getClassLoader().getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("configuration metadata generated").isNotNull();
      Matcher m =
          Pattern.compile("\"name\"\\s*:\\s*\"(cachet\\.[^\"]+)\"")
              .matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      while (m.find()) {
        known.add(m.group(1));
      }
    }
    List<String> keys =
        leafKeys(BootDependencyManagementIntegrationTests.docsApplicationYaml(Path.of(".")));
    List<String> cachet = keys.stream().filter(k -> k.startsWith("cachet.")).toList();
    assertThat(cachet).hasSizeGreaterThan(20);
    for (String key : cachet) {
      // cachet.caches.<name>.<setting> has the settings of cachet.defaults.<setting>
      String property = key.replaceFirst("^cachet\\.caches\\.[^.]+\\.", "cachet.defaults.");
      assertThat(known).as("docs/spring.md application.yaml: " + key).contains(property);
    }
  }

  /** The dotted keys of the leaves of a simple YAML document (block maps, scalars, flow lists). */
  private static List<String> leafKeys(String yaml) {
    List<String> leaves = new ArrayList<>();
    Deque<int[]> indents = new ArrayDeque<>();
    Deque<String> path = new ArrayDeque<>();
    for (String raw : yaml.split("\n")) {
      String line = raw.replaceFirst("\\s+#.*$", "");
      if (line.isBlank()) {
        continue;
      }
      int indent = line.length() - line.stripLeading().length();
      while (!indents.isEmpty() && indents.peek()[0] >= indent) {
        indents.pop();
        path.removeLast();
      }
      String content = line.strip();
      int colon = content.indexOf(':');
      String key = content.substring(0, colon);
      String value = content.substring(colon + 1).strip();
      String dotted = path.isEmpty() ? key : String.join(".", path) + "." + key;
      if (value.isEmpty()) {
        indents.push(new int[] {indent});
        path.addLast(key);
      } else {
        leaves.add(dotted);
      }
    }
    return leaves;
  }
}
