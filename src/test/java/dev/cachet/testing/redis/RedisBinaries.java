package dev.cachet.testing.redis;

import dev.cachet.cli.EmbeddedRedisResources;
import dev.cachet.testing.TestEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the Redis binaries the harness runs: {@code redis-server} and {@code redis-cli} from {@code
 * PATH} (Debian's {@code redis-server} and {@code redis-tools}, Redis 7.0), or, for standalone servers
 * only, the Redis 6.2 binary shipped in the test-scoped {@code com.github.codemonstur:embedded-redis}
 * JAR, extracted to a temporary directory that {@link #close()} removes.
 *
 * <p>Thread-safe.
 */
public final class RedisBinaries implements AutoCloseable {

  /** Where a binary came from. */
  public enum Source {
    PATH,
    EMBEDDED
  }

  /** An executable {@code redis-server} and its version. */
  public static final class Binary {
    private final Path path;
    private final Source source;
    private final String version;

    Binary(Path path, Source source, String version) {
      this.path = path;
      this.source = source;
      this.version = version;
    }

    public Path path() {
      return path;
    }

    public Source source() {
      return source;
    }

    /** For example {@code 7.0.15}. */
    public String version() {
      return version;
    }

    /** The major version, e.g. 7; 0 when unknown. */
    public int majorVersion() {
      int dot = version.indexOf('.');
      try {
        return Integer.parseInt(dot < 0 ? version : version.substring(0, dot));
      } catch (NumberFormatException e) {
        return 0;
      }
    }

    @Override
    public String toString() {
      return "redis-server " + version + " (" + source + ": " + path + ")";
    }
  }

  /** What a test that needs {@code redis-server} on PATH does without it. */
  public enum MissingBinaryOutcome {
    SKIP,
    FAIL
  }

  static final String INSTALL_HINT =
      "install redis-server (Debian/Ubuntu: apt-get install redis-server redis-tools)";

  private static final Pattern VERSION = Pattern.compile("v=(\\d+\\.\\d+\\.\\d+)");

  private final TestEnvironment environment;
  private final Optional<Binary> pathServer;
  private final Optional<Path> pathCli;
  private Binary embedded;
  private Path extractedDir;

  RedisBinaries(TestEnvironment environment) {
    this.environment = Objects.requireNonNull(environment, "environment must not be null");
    this.pathServer =
        findOnPath(environment, "redis-server").map(p -> new Binary(p, Source.PATH, versionOf(p)));
    this.pathCli = findOnPath(environment, "redis-cli");
  }

  /** {@code redis-server} from PATH, required by clusters and Sentinels. */
  public Optional<Binary> pathServer() {
    return pathServer;
  }

  /** {@code redis-cli} from PATH, required to form clusters. */
  public Optional<Path> cli() {
    return pathCli;
  }

  /** The binary for standalone servers: PATH first, else the embedded one. */
  public synchronized Binary standaloneServer() {
    if (pathServer.isPresent()) {
      return pathServer.get();
    }
    return embeddedServer();
  }

  /** The binary shipped in the embedded-redis JAR for this OS and architecture, extracted on first use. */
  public synchronized Binary embeddedServer() {
    if (embedded != null) {
      return embedded;
    }
    String osName = System.getProperty("os.name", "");
    String osArch = System.getProperty("os.arch", "");
    String resource =
        embeddedResource(osName, osArch)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no redis-server on PATH and embedded-redis ships no binary for "
                            + osName
                            + "/"
                            + osArch
                            + ": "
                            + INSTALL_HINT));
    try (InputStream in = RedisBinaries.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "embedded-redis resource " + resource + " not on the test classpath: " + INSTALL_HINT);
      }
      extractedDir = Files.createTempDirectory("cachet-embedded-redis-");
      Path binary = extractedDir.resolve("redis-server");
      Files.copy(in, binary, StandardCopyOption.REPLACE_EXISTING);
      if (!binary.toFile().setExecutable(true, true)) {
        throw new IllegalStateException("cannot make " + binary + " executable");
      }
      embedded = new Binary(binary, Source.EMBEDDED, versionOf(binary));
      return embedded;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract embedded redis-server " + resource, e);
    }
  }

  /**
   * What a cluster or Sentinel test does when {@code redis-server} is not on PATH: fail under CI (the
   * {@code CI} variable is set), skip elsewhere.
   */
  static MissingBinaryOutcome missingBinaryOutcome(TestEnvironment environment) {
    return environment.isCi() ? MissingBinaryOutcome.FAIL : MissingBinaryOutcome.SKIP;
  }

  MissingBinaryOutcome missingBinaryOutcome() {
    return missingBinaryOutcome(environment);
  }

  /**
   * The embedded-redis resource for an OS and architecture (as in the {@code os.name} and {@code
   * os.arch} system properties), or empty when the JAR has none the harness can run. Windows is not
   * supported: the harness signals processes with {@code kill}.
   */
  static Optional<String> embeddedResource(String osName, String osArch) {
    return EmbeddedRedisResources.forPlatform(osName, osArch);
  }

  /** The first executable file called {@code name} in the directories of {@code PATH}. */
  static Optional<Path> findOnPath(TestEnvironment environment, String name) {
    for (Path dir : environment.path()) {
      Path candidate = dir.resolve(name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Parses {@code redis-server --version} output, e.g. {@code Redis server v=7.0.15 sha=...}. */
  static String parseVersion(String output) {
    Matcher matcher = VERSION.matcher(output);
    return matcher.find() ? matcher.group(1) : "unknown";
  }

  private static String versionOf(Path binary) {
    try {
      Process process = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
      String output;
      try (InputStream in = process.getInputStream()) {
        output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      return parseVersion(output);
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  /** Deletes the extracted embedded binary, if any. */
  @Override
  public synchronized void close() {
    if (extractedDir != null) {
      Files2.deleteRecursively(extractedDir);
      extractedDir = null;
      embedded = null;
    }
  }

  @Override
  public String toString() {
    return "RedisBinaries{server=" + pathServer.map(Binary::toString).orElse("none on PATH")
        + ", cli=" + pathCli.map(Path::toString).orElse("none on PATH") + "}";
  }
}
