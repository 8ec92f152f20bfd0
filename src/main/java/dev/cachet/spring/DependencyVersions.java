package dev.cachet.spring;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start-up check of the auto-configuration: the libraries Cachet builds on must not be older than
 * the oldest versions it is tested on. A Spring Boot build's dependency management picks their versions
 * (Boot 4.0.7 manages Lettuce 6.8, Caffeine 3.2, Micrometer 1.16 and Jackson 2.21, older than Cachet's
 * own), so an older Boot or an explicit override could put an untested version on the class path; the
 * check fails the start with a message naming the Boot version property to override instead of a
 * {@code NoSuchMethodError} later. A version is read from the library's JAR manifest ({@code
 * Implementation-Version}, else {@code Bundle-Version}) without initializing any of its classes; a
 * library whose version cannot be read (a shaded or repackaged JAR) or that is absent is not checked.
 * Stateless and thread-safe.
 */
final class DependencyVersions {

  private static final Logger log = LoggerFactory.getLogger(DependencyVersions.class);

  /** The property that turns the check off. */
  static final String SWITCH = "cachet.verify-dependency-versions";

  /** A library Cachet needs at a minimum {@code major.minor}, and how a Boot build overrides it. */
  record Library(
      String name, String probeClass, String coordinates, String bootProperty, String minimum) {}

  /** The supported floors: the minor lines Spring Boot 4.0.7 manages, which the build tests. */
  static final List<Library> LIBRARIES =
      List.of(
          new Library(
              "Lettuce", "io.lettuce.core.RedisClient", "io.lettuce:lettuce-core", "lettuce.version",
              "6.8"),
          new Library(
              "Caffeine", "com.github.benmanes.caffeine.cache.Caffeine",
              "com.github.ben-manes.caffeine:caffeine", "caffeine.version", "3.2"),
          new Library(
              "Micrometer", "io.micrometer.core.instrument.MeterRegistry",
              "io.micrometer:micrometer-core", "micrometer.version", "1.16"),
          new Library(
              "Jackson 2", "com.fasterxml.jackson.databind.ObjectMapper",
              "com.fasterxml.jackson.core:jackson-databind", "jackson-2-bom.version", "2.21"));

  private static final Pattern NUMBERS = Pattern.compile("^(\\d+)(?:\\.(\\d+))?");

  private DependencyVersions() {}

  /**
   * Checks the libraries as {@code loader} sees them.
   *
   * @throws CacheConfigurationException ({@code UNSUPPORTED_DEPENDENCY}) listing every library that
   *     is too old, with the property to override
   */
  static void verify(ClassLoader loader) {
    Map<Library, String> found = new LinkedHashMap<>();
    for (Library library : LIBRARIES) {
      Optional<String> version = versionOf(library.probeClass(), loader);
      if (version.isPresent()) {
        found.put(library, version.get());
      } else {
        log.debug("{}: version not known, not checked", library.name());
      }
    }
    verify(found);
  }

  /** Checks the given versions (the unit tests' entry point). */
  static void verify(Map<Library, String> versions) {
    List<String> problems = new ArrayList<>();
    versions.forEach(
        (library, version) -> {
          if (older(version, library.minimum())) {
            problems.add(problem(library, version));
          }
        });
    if (!problems.isEmpty()) {
      throw new CacheConfigurationException(
          Reason.UNSUPPORTED_DEPENDENCY,
          "Cachet does not support these library versions on the class path:\n  - "
              + String.join("\n  - ", problems)
              + "\nA Spring Boot build takes their versions from Boot's dependency management: with"
              + " spring-boot-starter-parent or Gradle's io.spring.dependency-management plugin set the"
              + " property named above; when importing spring-boot-dependencies as a BOM in Maven,"
              + " declare the artifact with a supported version in your own <dependencyManagement>"
              + " ahead of the import. To start anyway on untested versions, set "
              + SWITCH
              + "=false.");
    }
  }

  private static String problem(Library library, String version) {
    return library.name()
        + " "
        + version
        + " ("
        + library.coordinates()
        + ") is older than "
        + library.minimum()
        + ", the oldest Cachet supports: set "
        + library.bootProperty()
        + " to a "
        + library.minimum()
        + ".x or newer version";
  }

  /** Whether {@code version} is older than {@code minimum} ({@code major.minor}); false if unparsable. */
  static boolean older(String version, String minimum) {
    int[] v = parse(version);
    int[] min = parse(minimum);
    if (v == null || min == null) {
      return false;
    }
    return v[0] != min[0] ? v[0] < min[0] : v[1] < min[1];
  }

  private static int[] parse(String version) {
    Matcher m = NUMBERS.matcher(version.strip());
    if (!m.find()) {
      return null;
    }
    try {
      return new int[] {
        Integer.parseInt(m.group(1)), m.group(2) == null ? 0 : Integer.parseInt(m.group(2))
      };
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The version of the JAR that holds {@code className}, from its package (the manifest the class
   * loader read) or the manifest beside the class; empty if the class is absent or unversioned.
   */
  static Optional<String> versionOf(String className, ClassLoader loader) {
    Class<?> type;
    try {
      type = Class.forName(className, false, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      return Optional.empty();
    }
    Package p = type.getPackage();
    if (p != null && p.getImplementationVersion() != null) {
      return Optional.of(p.getImplementationVersion());
    }
    String resource = className.replace('.', '/') + ".class";
    URL url = type.getClassLoader() == null ? null : type.getClassLoader().getResource(resource);
    if (url == null) {
      return Optional.empty();
    }
    String location = url.toString();
    if (!location.endsWith(resource)) {
      return Optional.empty();
    }
    try (InputStream in =
        new URL(location.substring(0, location.length() - resource.length()) + "META-INF/MANIFEST.MF")
            .openStream()) {
      Attributes main = new Manifest(in).getMainAttributes();
      String version = main.getValue(Attributes.Name.IMPLEMENTATION_VERSION);
      if (version == null) {
        version = main.getValue("Bundle-Version");
      }
      return Optional.ofNullable(version);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
