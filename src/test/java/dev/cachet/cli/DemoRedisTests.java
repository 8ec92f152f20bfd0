package dev.cachet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the demo finds a redis-server: the PATH first, else the binary embedded for this platform. */
class DemoRedisTests {

  @Test
  void findOnPath_firstExecutableRedisServer(@TempDir Path dir) throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Path notExecutable = Files.createDirectories(dir.resolve("plain"));
    Files.writeString(notExecutable.resolve("redis-server"), "");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path server = Files.writeString(bin.resolve("redis-server"), "#!/bin/sh\n");
    assertThat(server.toFile().setExecutable(true)).isTrue();

    String path = String.join(File.pathSeparator, empty.toString(), notExecutable.toString(), "", bin.toString());
    assertThat(DemoRedis.findOnPath(path)).contains(server);
    assertThat(DemoRedis.findOnPath(empty.toString())).isEmpty();
    assertThat(DemoRedis.findOnPath("")).isEmpty();
  }

  @Test
  void embeddedResource_coversLinuxAndMacOnly() {
    assertThat(DemoRedis.embeddedResource("Linux", "amd64")).contains("/redis-server-6.2.6-v5-linux-amd64");
    assertThat(DemoRedis.embeddedResource("Linux", "aarch64")).contains("/redis-server-6.2.7-linux-arm64");
    assertThat(DemoRedis.embeddedResource("Mac OS X", "aarch64")).contains("/redis-server-6.2.6-v5-darwin-arm64");
    assertThat(DemoRedis.embeddedResource("Windows 11", "amd64")).isEmpty();
    assertThat(DemoRedis.embeddedResource("Linux", "s390x")).isEmpty();
  }

  @Test
  void embeddedBinary_forThisPlatform_isOnTheClassPath() {
    DemoRedis.embeddedResource(System.getProperty("os.name"), System.getProperty("os.arch"))
        .ifPresent(resource -> assertThat(DemoRedis.class.getResource(resource)).as(resource).isNotNull());
  }
}
