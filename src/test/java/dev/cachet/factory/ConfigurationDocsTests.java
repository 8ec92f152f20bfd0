package dev.cachet.factory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.CachetEnvironment;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** docs/configuration.md lists exactly what the code does: preset values, variables, factory options. */
class ConfigurationDocsTests {

  private static String section(String marker) throws Exception {
    String doc = Files.readString(Path.of("docs/configuration.md"));
    String open = "<!-- " + marker + ":start -->\n";
    int start = doc.indexOf(open);
    int end = doc.indexOf("<!-- " + marker + ":end -->");
    assertThat(start).as(marker + ":start in docs/configuration.md").isNotNegative();
    assertThat(end).as(marker + ":end in docs/configuration.md").isGreaterThan(start);
    return doc.substring(start + open.length(), end);
  }

  /** The first cell of every row after the header and separator. */
  private static Set<String> firstColumn(String table) {
    Set<String> cells = new TreeSet<>();
    String[] lines = table.split("\n");
    for (int i = 2; i < lines.length; i++) {
      String cell = lines[i].split("\\|")[1].trim();
      cells.add(cell.replace("`", ""));
    }
    return cells;
  }

  @Test
  void presetTable_isGeneratedFromTheCode() throws Exception {
    assertThat(section("presets")).isEqualTo(Presets.markdownTable());
  }

  @Test
  void variableTable_listsExactlyTheVariablesCachetReads() throws Exception {
    Set<String> expected = new TreeSet<>(CachetEnvironment.knownVariables());
    expected.add(CachetEnvironment.LEGACY_ENCRYPTION_KEY);
    expected.add(CachetEnvironment.CACHE_PREFIX + "<NAME>" + CachetEnvironment.TTL_SUFFIX);
    expected.add(CachetEnvironment.CACHE_PREFIX + "<NAME>" + CachetEnvironment.MAX_SIZE_SUFFIX);
    expected.add(CachetEnvironment.TEST_PREFIX + "*");
    assertThat(firstColumn(section("variables"))).isEqualTo(expected);
  }

  @Test
  void knownVariables_includeEveryVariableConstant() throws Exception {
    List<String> constants = new ArrayList<>();
    for (var field : CachetEnvironment.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
        String value = (String) field.get(null);
        if (value.startsWith("CACHET_") && !value.endsWith("_")) {
          constants.add(value);
        }
      }
    }
    assertThat(CachetEnvironment.knownVariables()).containsExactlyInAnyOrderElementsOf(constants);
  }

  @Test
  void builderTable_listsEveryFactoryOption() throws Exception {
    Set<String> options = new TreeSet<>();
    for (Method m : CacheFactory.Builder.class.getDeclaredMethods()) {
      if (Modifier.isPublic(m.getModifiers()) && !m.getName().equals("build") && !m.getName().equals("toString")) {
        options.add(m.getName() + "(" + m.getParameterTypes()[0].getSimpleName() + ")");
      }
    }
    assertThat(firstColumn(section("builder"))).isEqualTo(options);
  }
}
