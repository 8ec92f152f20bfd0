package dev.cachet.testing;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The one place test support reads environment variables (main code uses {@code
 * dev.cachet.CachetEnvironment}). Backed by an injectable map so harness decisions can be unit-tested.
 *
 * <p>Immutable and thread-safe.
 */
public final class TestEnvironment {

  /** Set by CI systems (GitHub Actions, {@code .ci/run}): missing test infrastructure fails instead of skipping. */
  public static final String CI = "CI";
  /** Points shared standalone Redis test servers at an existing server ({@code redis://host:port}). */
  public static final String TEST_REDIS_URL = "CACHET_TEST_REDIS_URL";
  /** Where {@code redis-server} and {@code redis-cli} are looked up. */
  public static final String PATH = "PATH";

  private static final TestEnvironment SYSTEM = new TestEnvironment(System.getenv());

  private final Map<String, String> variables;

  private TestEnvironment(Map<String, String> variables) {
    this.variables = Map.copyOf(variables);
  }

  /** The process environment. */
  public static TestEnvironment system() {
    return SYSTEM;
  }

  /** An environment backed by {@code variables} (copied). */
  public static TestEnvironment of(Map<String, String> variables) {
    Objects.requireNonNull(variables, "variables must not be null");
    return new TestEnvironment(variables);
  }

  /**
   * This environment with some variables replaced; a blank replacement unsets the variable. Used to
   * simulate machines without {@code redis-server}, or CI, in the harness's own tests.
   */
  public TestEnvironment withOverrides(Map<String, String> overrides) {
    Objects.requireNonNull(overrides, "overrides must not be null");
    Map<String, String> merged = new java.util.HashMap<>(variables);
    merged.putAll(overrides);
    return new TestEnvironment(merged);
  }

  /** The names this class reads, for {@link #withOverrides(Map)} sources that cannot be enumerated. */
  public static List<String> knownNames() {
    return List.of(CI, TEST_REDIS_URL, PATH);
  }

  /** The trimmed value of {@code name}; empty when unset or blank. */
  public Optional<String> get(String name) {
    Objects.requireNonNull(name, "name must not be null");
    String value = variables.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  /** Whether {@code CI} is set to anything but {@code false}/{@code 0}. */
  public boolean isCi() {
    return get(CI)
        .map(v -> !v.equalsIgnoreCase("false") && !v.equals("0"))
        .orElse(false);
  }

  /** {@code CACHET_TEST_REDIS_URL}, if set. */
  public Optional<String> externalRedisUrl() {
    return get(TEST_REDIS_URL);
  }

  /** The directories on {@code PATH}, in order. */
  public List<Path> path() {
    List<Path> dirs = new ArrayList<>();
    for (String entry : get(PATH).orElse("").split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        dirs.add(Path.of(entry));
      }
    }
    return dirs;
  }

  /** Names of the variables this class knows about that are set; never values (URLs may hold passwords). */
  @Override
  public String toString() {
    List<String> set = new ArrayList<>();
    for (String name : List.of(CI, TEST_REDIS_URL)) {
      if (get(name).isPresent()) {
        set.add(name.toUpperCase(Locale.ROOT));
      }
    }
    return "TestEnvironment" + set;
  }
}
