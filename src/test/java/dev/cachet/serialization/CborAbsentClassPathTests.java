package dev.cachet.serialization;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * Cachet on a class path without {@code jackson-dataformat-cbor} (a class loader over the test class
 * path minus that JAR, not the test seam): JSON caches work, reading a CBOR entry is an {@code
 * unsupported_format} miss, and choosing CBOR fails at {@code build()} naming the artifact ({@link
 * CborAbsentProbe} runs inside that loader).
 */
class CborAbsentClassPathTests {

  @Test
  void withoutTheCborJar_jsonWorks_cborEntriesAreMisses_andChoosingCborFailsAtBuild() throws Exception {
    List<URL> urls = new ArrayList<>();
    boolean removed = false;
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (entry.contains("jackson-dataformat-cbor")) {
        removed = true;
        continue;
      }
      urls.add(new File(entry).toURI().toURL());
    }
    assertThat(removed).as("the test class path has the CBOR JAR to remove").isTrue();
    try (URLClassLoader loader =
        new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
      assertThat(loader.loadClass(CborAbsentProbe.class.getName())).isNotSameAs(CborAbsentProbe.class);
      @SuppressWarnings("unchecked")
      Callable<String> probe =
          (Callable<String>) loader.loadClass(CborAbsentProbe.class.getName()).getDeclaredConstructor().newInstance();
      assertThat(probe.call()).isEqualTo("ok");
    }
  }
}
