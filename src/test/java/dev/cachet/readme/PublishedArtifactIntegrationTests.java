package dev.cachet.readme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.crypto.FernetKey;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installs the built JAR with the POM Maven would publish (and the sources and javadoc JARs) into an
 * empty local repository, then compiles both README quick starts in a separate project that knows
 * Cachet only through that POM, and runs them: the memory one alone, the tiered one against a real
 * Redis server with the environment variables the README names. Fails if the POM lost its dependencies
 * (maven-shade-plugin's dependency-reduced POM would do that) or if {@code protobuf-java} reaches the
 * application's class path (it is optional: only {@code EncryptedKeyRingLoader}'s keyset overloads
 * need it).
 */
class PublishedArtifactIntegrationTests {

  private static final String INSTALL_PLUGIN =
      "org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file";

  @Test
  void readmeQuickStarts_compileAndRunAgainstThePublishedPomAlone(
      @TempDir Path tmp, @RedisStandaloneServer RedisServer redis) throws Exception {
    Path projectDir = Path.of(System.getProperty("cachet.project.dir", "."));
    Path jar = Path.of(System.getProperty("cachet.jar"));
    String version = System.getProperty("cachet.version");
    assertThat(jar).as("the library JAR is built before integration tests").exists();
    Path sourcesJar = sibling(jar, "-sources.jar");
    Path javadocJar = sibling(jar, "-javadoc.jar");
    assertThat(sourcesJar).as("the sources JAR is built").exists();
    assertThat(javadocJar).as("the javadoc JAR is built").exists();
    try (JarFile library = new JarFile(jar.toFile())) {
      assertThat(library.getManifest().getMainAttributes().getValue("Automatic-Module-Name"))
          .isEqualTo("dev.cachet");
    }
    assertThat(projectDir.resolve("dependency-reduced-pom.xml"))
        .as("shade must not replace the published POM with a dependency-reduced one")
        .doesNotExist();

    Path repo = tmp.resolve("repo");
    Path settings = tmp.resolve("settings.xml");
    Path userRepo = Path.of(System.getProperty("user.home"), ".m2", "repository");
    Files.writeString(
        settings,
        "<settings><profiles><profile><id>cache</id><repositories><repository>"
            + "<id>user-cache</id><url>" + userRepo.toUri() + "</url></repository></repositories>"
            + "<pluginRepositories><pluginRepository><id>user-cache-plugins</id><url>"
            + userRepo.toUri() + "</url></pluginRepository></pluginRepositories>"
            + "</profile></profiles><activeProfiles><activeProfile>cache</activeProfile>"
            + "</activeProfiles></settings>");

    mvn(tmp, settings, repo,
        INSTALL_PLUGIN,
        "-Dfile=" + jar.toAbsolutePath(),
        "-Dsources=" + sourcesJar.toAbsolutePath(),
        "-Djavadoc=" + javadocJar.toAbsolutePath(),
        "-DpomFile=" + projectDir.resolve("pom.xml").toAbsolutePath());
    Path installed = repo.resolve("dev/cachet/cachet/" + version);
    assertThat(Files.readString(installed.resolve("cachet-" + version + ".pom")))
        .contains("<artifactId>caffeine</artifactId>")
        .contains("<artifactId>lettuce-core</artifactId>");
    assertThat(installed.resolve("cachet-" + version + "-sources.jar")).exists();
    assertThat(installed.resolve("cachet-" + version + "-javadoc.jar")).exists();

    Path consumer = tmp.resolve("consumer");
    Path sources = Files.createDirectories(consumer.resolve("src/main/java"));
    Files.writeString(sources.resolve("QuickStart.java"), ReadmeTests.readmeQuickStart());
    Files.writeString(
        sources.resolve("TieredQuickStart.java"), ReadmeTests.readmeSnippet("tiered-quickstart"));
    Files.writeString(
        consumer.resolve("pom.xml"),
        "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion>"
            + "<groupId>example</groupId><artifactId>consumer</artifactId><version>1</version>"
            + "<properties><maven.compiler.release>17</maven.compiler.release>"
            + "<project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>"
            + "<dependencies><dependency><groupId>dev.cachet</groupId><artifactId>cachet</artifactId>"
            + "<version>" + version + "</version></dependency></dependencies>"
            + "<build><plugins><plugin><groupId>org.apache.maven.plugins</groupId>"
            + "<artifactId>maven-compiler-plugin</artifactId><version>3.14.1</version></plugin>"
            + "<plugin><groupId>org.apache.maven.plugins</groupId>"
            + "<artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>"
            + "</plugins></build></project>");
    Path classpathFile = consumer.resolve("classpath.txt");
    mvn(consumer, settings, repo,
        "compile",
        "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
        "-Dmdep.outputFile=" + classpathFile.toAbsolutePath());

    String classpath =
        consumer.resolve("target/classes") + java.io.File.pathSeparator
            + Files.readString(classpathFile).trim();
    assertThat(classpath).contains("caffeine").contains("jackson-datatype-jsr310").doesNotContain("protobuf");
    // The CLI's parser and the demo's Redis binaries are optional: shaded into the -cli JAR only.
    assertThat(classpath).doesNotContain("picocli").doesNotContain("embedded-redis");
    // CBOR payloads are optional too: the quick starts (JSON) run without jackson-dataformat-cbor
    assertThat(classpath).doesNotContain("jackson-dataformat-cbor");
    assertThat(consumer.resolve("target/classes/TieredQuickStart.class")).exists();

    String output = run(classpath, "QuickStart", Map.of());
    assertThat(output).contains("Hello, world!").contains("loadSuccesses=1");

    String tiered =
        run(classpath, "TieredQuickStart",
            Map.of("CACHET_REDIS_URL", redis.uri(),
                "CACHET_ENCRYPTION_KEYS", FernetKey.generate().revealBase64()));
    assertThat(tiered).contains("User[id=42, name=Ada]");
  }

  private static Path sibling(Path jar, String suffix) {
    String name = jar.getFileName().toString();
    return jar.resolveSibling(name.substring(0, name.length() - ".jar".length()) + suffix);
  }

  private static String run(String classpath, String mainClass, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(javaBinary(), "-cp", classpath, mainClass).redirectErrorStream(true);
    builder.environment().keySet().removeIf(name -> name.startsWith("CACHET_"));
    builder.environment().putAll(env);
    Process run = builder.start();
    String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(run.exitValue()).as(mainClass + " output:\n" + output).isZero();
    return output;
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static void mvn(Path dir, Path settings, Path repo, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("mvn");
    command.add("-B");
    command.add("-q");
    command.add("-s");
    command.add(settings.toString());
    command.add("-Dmaven.repo.local=" + repo);
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(5, TimeUnit.MINUTES)).as("mvn finished").isTrue();
    assertThat(process.exitValue()).as("mvn " + String.join(" ", args) + "\n" + output).isZero();
  }
}
