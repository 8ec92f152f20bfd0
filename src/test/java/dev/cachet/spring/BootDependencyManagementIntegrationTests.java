package dev.cachet.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.crypto.FernetKey;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Spring Boot 4.0.7 application built as its users build it: the Maven project in {@code
 * src/it/boot-app} imports {@code spring-boot-dependencies} as a BOM and depends on Cachet through the
 * JAR and POM of this build, installed into an empty local repository, so Boot's dependency management
 * picks Lettuce, Caffeine, Micrometer and Jackson 2 (older than Cachet's own). Its configuration is the
 * {@code application.yaml} of {@code docs/spring.md}, verbatim. One Maven build (install, compile,
 * resolve), then two runs (the second class path resolved while the first runs):
 *
 * <ul>
 *   <li>as resolved: two instances share a real Redis through {@code @Cacheable(sync = true)}, an
 *       eviction crosses over, meters and health are there, on exactly the versions the {@code
 *       boot-managed} test execution names (so that execution cannot drift from the BOM);
 *   <li>with {@code -Dcaffeine.version=3.1.8}, as a user overriding a version would: the start fails
 *       with the start-up check's message naming {@code caffeine.version}.
 * </ul>
 *
 * Run once, by the default failsafe execution (the class path around it does not matter).
 */
class BootDependencyManagementIntegrationTests {

  private static final String INSTALL_PLUGIN =
      "org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file";
  private static final String BUILD_CLASSPATH =
      "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath";

  @Test
  void aBootApplication_onTheVersionsBootManages_cachesThroughRedis_andAnOlderCaffeineFailsTheStart(
      @TempDir Path tmp, @RedisStandaloneServer RedisServer redis) throws Exception {
    Path projectDir = Path.of(System.getProperty("cachet.project.dir", "."));
    Path jar = Path.of(System.getProperty("cachet.jar", "target/cachet.jar"));
    String version = System.getProperty("cachet.version");
    org.junit.jupiter.api.Assumptions.assumeTrue(version != null, "not run by the Maven build");
    assertThat(jar).as("the library JAR is built before integration tests").exists();

    Path repo = tmp.resolve("repo");
    Path settings = tmp.resolve("settings.xml");
    Path userRepo = Path.of(System.getProperty("user.home"), ".m2", "repository");
    // ~/.m2 as a remote repository (a user's build would reach Maven Central the same way)
    String cache =
        "<url>" + userRepo.toUri() + "</url><releases><checksumPolicy>ignore</checksumPolicy>"
            + "</releases><snapshots><enabled>false</enabled></snapshots>";
    Files.writeString(
        settings,
        "<settings><profiles><profile><id>cache</id><repositories><repository>"
            + "<id>user-cache</id>" + cache + "</repository></repositories>"
            + "<pluginRepositories><pluginRepository><id>user-cache-plugins</id>" + cache
            + "</pluginRepository></pluginRepositories>"
            + "</profile></profiles><activeProfiles><activeProfile>cache</activeProfile>"
            + "</activeProfiles></settings>");

    Path app = tmp.resolve("boot-app");
    copy(projectDir.resolve("src/it/boot-app"), app);
    Path pom = app.resolve("pom.xml");
    Files.writeString(pom, Files.readString(pom).replace("@cachet.version@", version));
    Path resources = Files.createDirectories(app.resolve("src/main/resources"));
    Files.writeString(resources.resolve("application.yaml"), docsApplicationYaml(projectDir));

    // one Maven run: install this build's JAR and POM into the empty repository, compile, resolve
    Path managed = app.resolve("classpath.txt");
    mvn(app, settings, repo,
        INSTALL_PLUGIN,
        "-Dfile=" + jar.toAbsolutePath(),
        "-DpomFile=" + projectDir.resolve("pom.xml").toAbsolutePath(),
        "compile",
        BUILD_CLASSPATH,
        "-Dmdep.outputFile=" + managed);
    String classpath = classpath(app, managed);
    String expected = System.getProperty("cachet.boot-managed.jars");
    if (expected != null) {
      assertThat(jarNames(classpath))
          .as("the boot-managed test execution swaps in what the BOM resolves")
          .contains(expected.split(","));
    }
    assertThat(jarNames(classpath)).contains("cachet-" + version + ".jar", "spring-core-7.0.8.jar");

    String prefix = "boot-app-" + Long.toHexString(System.nanoTime());
    Map<String, String> env =
        Map.of(
            "REDIS_URL", redis.uri(),
            "CACHET_ENCRYPTION_KEYS", FernetKey.generate().revealBase64());
    // the override's resolution runs while the application does
    Path older = app.resolve("classpath-older.txt");
    Mvn resolvingOlder =
        Mvn.start(app, settings, repo, BUILD_CLASSPATH, "-Dmdep.outputFile=" + older,
            "-Dcaffeine.version=3.1.8");
    Run ok = run(classpath, env, "--cachet.redis.key-prefix=" + prefix);
    resolvingOlder.finish();
    assertThat(ok.exitCode).as(ok.output).isZero();
    assertThat(ok.output)
        .contains("versions lettuce=6.8.", "caffeine=3.2.", "micrometer=1.16.", "jackson=2.21.")
        .contains("spring=7.0.8")
        .contains("OK");

    String olderClasspath = classpath(app, older);
    assertThat(jarNames(olderClasspath)).contains("caffeine-3.1.8.jar");
    Run refused = run(olderClasspath, env, "--cachet.redis.key-prefix=" + prefix);
    assertThat(refused.exitCode).as(refused.output).isNotZero();
    assertThat(refused.output)
        .contains("APPLICATION FAILED TO START")
        .contains("Caffeine 3.1.8 (com.github.ben-manes.caffeine:caffeine) is older than 3.2")
        .contains("set caffeine.version to a 3.2.x or newer version")
        .doesNotContain("NoSuchMethodError")
        .doesNotContain("\nOK");
  }

  /** The {@code application.yaml} block of docs/spring.md. */
  static String docsApplicationYaml(Path projectDir) throws IOException {
    String doc = Files.readString(projectDir.resolve("docs/spring.md"));
    int start = doc.indexOf("<!-- boot-application-yaml:start -->");
    int end = doc.indexOf("<!-- boot-application-yaml:end -->");
    assertThat(start).as("boot-application-yaml markers in docs/spring.md").isNotNegative();
    assertThat(end).isGreaterThan(start);
    String block = doc.substring(start, end);
    int code = block.indexOf("```yaml\n") + "```yaml\n".length();
    return block.substring(code, block.lastIndexOf("```"));
  }

  private static String classpath(Path app, Path file) throws IOException {
    return app.resolve("target/classes") + File.pathSeparator + Files.readString(file).trim();
  }

  private static List<String> jarNames(String classpath) {
    return Arrays.stream(classpath.split(File.pathSeparator))
        .map(p -> Path.of(p).getFileName().toString())
        .toList();
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path source : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
  }

  private record Run(int exitCode, String output) {}

  private static Run run(String classpath, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-cp");
    command.add(classpath);
    command.add("com.example.shop.ShopApplication");
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeIf(name -> name.startsWith("CACHET_") || name.startsWith("SPRING_"));
    builder.environment().putAll(env);
    long started = System.nanoTime();
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("the application finished").isTrue();
    System.out.printf(
        "BootDependencyManagementIntegrationTests: application run: %d ms%n",
        (System.nanoTime() - started) / 1_000_000);
    return new Run(process.exitValue(), output);
  }

  private static void mvn(Path dir, Path settings, Path repo, String... args)
      throws IOException, InterruptedException {
    Mvn.start(dir, settings, repo, args).finish();
  }

  /** A Maven run in the background; {@link #finish} waits for it and fails the test if it failed. */
  private record Mvn(Process process, Path log, long started, String[] args) {
    static Mvn start(Path dir, Path settings, Path repo, String... args) throws IOException {
      List<String> command = new ArrayList<>();
      command.add("mvn");
      command.add("-B");
      command.add("-q");
      command.add("-s");
      command.add(settings.toString());
      command.add("-Dmaven.repo.local=" + repo);
      command.addAll(List.of(args));
      Path log = Files.createTempFile(dir, "mvn", ".log");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      // short-lived JVMs: the C1 compiler only
      builder.environment().put("MAVEN_OPTS", "-XX:TieredStopAtLevel=1");
      return new Mvn(builder.start(), log, System.nanoTime(), args);
    }

    void finish() throws IOException, InterruptedException {
      assertThat(process.waitFor(5, TimeUnit.MINUTES)).as("mvn finished").isTrue();
      String output = Files.readString(log, StandardCharsets.UTF_8);
      System.out.printf(
          "BootDependencyManagementIntegrationTests: mvn %s: %d ms%n",
          args[args.length - 1], (System.nanoTime() - started) / 1_000_000);
      assertThat(process.exitValue()).as("mvn " + String.join(" ", args) + "\n" + output).isZero();
    }
  }
}
