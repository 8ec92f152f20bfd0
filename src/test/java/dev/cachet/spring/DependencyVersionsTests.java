package dev.cachet.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheConfigurationException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The auto-configuration's start-up check of library versions ({@link DependencyVersions}). The real
 * pass and fail paths under Boot's dependency management are in {@code
 * BootDependencyManagementIntegrationTests}.
 */
class DependencyVersionsTests {

  private static DependencyVersions.Library library(String name) {
    return DependencyVersions.LIBRARIES.stream()
        .filter(l -> l.name().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void theVersionsOnThisClassPath_areReadFromTheirJars_andPass() {
    ClassLoader loader = getClass().getClassLoader();
    for (DependencyVersions.Library library : DependencyVersions.LIBRARIES) {
      assertThat(DependencyVersions.versionOf(library.probeClass(), loader))
          .as(library.name())
          .hasValueSatisfying(v -> assertThat(v).matches("\\d+\\.\\d+.*"));
    }
    assertThatCode(() -> DependencyVersions.verify(loader)).doesNotThrowAnyException();
  }

  @Test
  void older_comparesMajorAndMinor_only() {
    assertThat(DependencyVersions.older("6.8.2.RELEASE/34f8700", "6.8")).isFalse();
    assertThat(DependencyVersions.older("6.7.1.RELEASE", "6.8")).isTrue();
    assertThat(DependencyVersions.older("7.7.0.RELEASE", "6.8")).isFalse();
    assertThat(DependencyVersions.older("3.1.8", "3.2")).isTrue();
    assertThat(DependencyVersions.older("3.2.0", "3.2")).isFalse();
    assertThat(DependencyVersions.older("2.21.4", "2.21")).isFalse();
    assertThat(DependencyVersions.older("2.9.3", "2.21")).isTrue();
    assertThat(DependencyVersions.older("1.16.0-M1", "1.16")).isFalse();
    assertThat(DependencyVersions.older("2", "2.21")).isTrue();
    assertThat(DependencyVersions.older("unknown", "3.2")).isFalse();
  }

  @Test
  void tooOldVersions_failNamingEachBootPropertyAndArtifact_andTheSwitch() {
    Map<DependencyVersions.Library, String> versions = new LinkedHashMap<>();
    versions.put(library("Lettuce"), "6.8.2.RELEASE");
    versions.put(library("Caffeine"), "3.1.8");
    versions.put(library("Jackson 2"), "2.20.1");
    assertThatThrownBy(() -> DependencyVersions.verify(versions))
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> assertThat(e.reason())
                .isEqualTo(CacheConfigurationException.Reason.UNSUPPORTED_DEPENDENCY))
        .hasMessageContaining("Caffeine 3.1.8 (com.github.ben-manes.caffeine:caffeine)")
        .hasMessageContaining("set caffeine.version to a 3.2.x or newer version")
        .hasMessageContaining("Jackson 2 2.20.1 (com.fasterxml.jackson.core:jackson-databind)")
        .hasMessageContaining("set jackson-2-bom.version")
        .hasMessageContaining("cachet.verify-dependency-versions=false")
        .hasMessageNotContaining("lettuce.version");
  }

  @Test
  void aPackageWithoutVersion_isReadFromTheManifestBesideTheClass(@TempDir Path tmp) throws Exception {
    String resource = NullMarker.class.getName().replace('.', '/') + ".class";
    Path jar = tmp.resolve("bundle-only.jar");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().putValue("Bundle-Version", "3.1.8");
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream jarOut = new JarOutputStream(out, manifest);
        InputStream classBytes = NullMarker.class.getClassLoader().getResourceAsStream(resource)) {
      jarOut.putNextEntry(new JarEntry(resource));
      classBytes.transferTo(jarOut);
      jarOut.closeEntry();
    }
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      assertThat(loader.loadClass(NullMarker.class.getName()).getPackage().getImplementationVersion())
          .isNull();
      assertThat(DependencyVersions.versionOf(NullMarker.class.getName(), loader)).contains("3.1.8");
      assertThat(DependencyVersions.versionOf("no.such.Type", loader)).isEmpty();
    }
  }
}
