package dev.cachet.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.memory.MemoryCacheBuilder;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The library works without Spring: run by the {@code without-spring} execution (spring-tests profile)
 * with every Spring jar removed from the class path. Every class outside {@code dev.cachet.spring} is
 * loaded and its members resolved (a signature naming a Spring type would fail with {@code
 * NoClassDefFoundError}), and a cache is built and used.
 */
class SpringFreeTests {

  private static boolean springPresent() {
    try {
      Class.forName("org.springframework.cache.Cache", false, SpringFreeTests.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  @Test
  void everyClassOutsideTheSpringPackage_loadsAndResolves_withoutSpring() throws Exception {
    Assumptions.assumeFalse(springPresent(), "run by the without-spring execution only");
    Path root = Path.of(Cache.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> names = classNames(root);
    assertThat(names).contains("dev.cachet.Cache", "dev.cachet.tiered.TieredCacheBuilder");
    ClassLoader loader = getClass().getClassLoader();
    for (String name : names) {
      if (name.startsWith("dev.cachet.spring.")) {
        continue;
      }
      Class<?> type = Class.forName(name, false, loader);
      type.getDeclaredMethods();
      type.getDeclaredFields();
      type.getDeclaredConstructors();
    }
    assertThatThrownBy(() -> Class.forName("dev.cachet.spring.CachetCacheManager", true, loader).getDeclaredMethods())
        .isInstanceOf(NoClassDefFoundError.class);
  }

  @Test
  void aCacheWorks_withoutSpring() {
    Assumptions.assumeFalse(springPresent(), "run by the without-spring execution only");
    try (Cache<String, String> cache =
        MemoryCacheBuilder.<String, String>newBuilder().name("nospring").build()) {
      assertThat(cache.get("k", k -> "v:" + k)).isEqualTo("v:k");
      assertThat(cache.getIfPresent("k")).isEqualTo("v:k");
    }
  }

  private static List<String> classNames(Path root) throws IOException, URISyntaxException {
    List<String> names = new ArrayList<>();
    if (Files.isDirectory(root)) {
      try (Stream<Path> files = Files.walk(root)) {
        files.filter(f -> f.toString().endsWith(".class"))
            .map(f -> root.relativize(f).toString())
            .filter(n -> !n.endsWith("module-info.class") && !n.endsWith("package-info.class"))
            .forEach(n -> names.add(n.substring(0, n.length() - 6).replace('/', '.').replace('\\', '.')));
      }
    } else {
      try (var jar = new java.util.jar.JarFile(root.toFile())) {
        jar.stream()
            .map(java.util.jar.JarEntry::getName)
            .filter(n -> n.startsWith("dev/cachet/") && n.endsWith(".class"))
            .filter(n -> !n.endsWith("module-info.class") && !n.endsWith("package-info.class"))
            .forEach(n -> names.add(n.substring(0, n.length() - 6).replace('/', '.')));
      }
    }
    return names;
  }
}
