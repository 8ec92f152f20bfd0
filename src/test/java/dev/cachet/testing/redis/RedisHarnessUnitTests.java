package dev.cachet.testing.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.testing.TestEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness's decisions, without starting any server. */
class RedisHarnessUnitTests {

  @Test
  void embeddedResource_linuxAndMac_pickTheMatchingBinary() {
    assertThat(RedisBinaries.embeddedResource("Linux", "amd64")).hasValue("/redis-server-6.2.6-v5-linux-amd64");
    assertThat(RedisBinaries.embeddedResource("Linux", "x86_64")).hasValue("/redis-server-6.2.6-v5-linux-amd64");
    assertThat(RedisBinaries.embeddedResource("Linux", "aarch64")).hasValue("/redis-server-6.2.7-linux-arm64");
    assertThat(RedisBinaries.embeddedResource("Linux", "i386")).hasValue("/redis-server-6.2.7-linux-386");
    assertThat(RedisBinaries.embeddedResource("Mac OS X", "aarch64")).hasValue("/redis-server-6.2.6-v5-darwin-arm64");
    assertThat(RedisBinaries.embeddedResource("Mac OS X", "x86_64")).hasValue("/redis-server-6.2.6-v5-darwin-amd64");
  }

  @Test
  void embeddedResource_unsupportedPlatform_isEmpty() {
    assertThat(RedisBinaries.embeddedResource("Windows 11", "amd64")).isEmpty();
    assertThat(RedisBinaries.embeddedResource("Linux", "s390x")).isEmpty();
    assertThat(RedisBinaries.embeddedResource("FreeBSD", "amd64")).isEmpty();
  }

  @Test
  void embeddedResource_everyNamedResourceIsInTheEmbeddedRedisJar() {
    for (String[] platform :
        List.of(
            new String[] {"Linux", "amd64"},
            new String[] {"Linux", "aarch64"},
            new String[] {"Linux", "x86"},
            new String[] {"Mac OS X", "x86_64"},
            new String[] {"Mac OS X", "aarch64"})) {
      String resource = RedisBinaries.embeddedResource(platform[0], platform[1]).orElseThrow();
      assertThat(RedisBinaries.class.getResource(resource)).as(Arrays.toString(platform)).isNotNull();
    }
  }

  @Test
  void binaries_withoutRedisOnPath_fallBackToEmbeddedForStandaloneOnly() {
    RedisBinaries binaries = new RedisBinaries(TestEnvironment.of(Map.of("PATH", "/nonexistent")));
    assertThat(binaries.pathServer()).isEmpty();
    assertThat(binaries.cli()).isEmpty();
    TestEnvironment env = TestEnvironment.of(Map.of());
    assertThat(RedisExtension.missing(binaries, env, RedisExtension.Kind.STANDALONE)).isEmpty();
    assertThat(RedisExtension.missing(binaries, env, RedisExtension.Kind.CLUSTER))
        .hasValueSatisfying(m -> assertThat(m).contains("install redis-server").doesNotContain("CI"));
    assertThat(RedisExtension.missing(binaries, env, RedisExtension.Kind.SENTINEL))
        .hasValueSatisfying(m -> assertThat(m).contains("redis-server on PATH"));
  }

  @Test
  void missingBinaryOutcome_skipsLocally_failsUnderCi() {
    assertThat(RedisBinaries.missingBinaryOutcome(TestEnvironment.of(Map.of())))
        .isEqualTo(RedisBinaries.MissingBinaryOutcome.SKIP);
    assertThat(RedisBinaries.missingBinaryOutcome(TestEnvironment.of(Map.of("CI", "true"))))
        .isEqualTo(RedisBinaries.MissingBinaryOutcome.FAIL);
    assertThat(RedisBinaries.missingBinaryOutcome(TestEnvironment.of(Map.of("CI", "false"))))
        .isEqualTo(RedisBinaries.MissingBinaryOutcome.SKIP);
    RedisBinaries none = new RedisBinaries(TestEnvironment.of(Map.of("PATH", "/nonexistent")));
    assertThat(RedisExtension.missing(none, TestEnvironment.of(Map.of("CI", "1")), RedisExtension.Kind.CLUSTER))
        .hasValueSatisfying(m -> assertThat(m).contains("because CI is set"));
  }

  @Test
  void findOnPath_findsTheFirstExecutable(@TempDir Path dir) throws IOException {
    Path first = Files.createDirectory(dir.resolve("a"));
    Path second = Files.createDirectory(dir.resolve("b"));
    Files.writeString(first.resolve("redis-server"), "not executable");
    Path binary = Files.writeString(second.resolve("redis-server"), "#!/bin/sh\n");
    assertThat(binary.toFile().setExecutable(true)).isTrue();
    TestEnvironment env = TestEnvironment.of(Map.of("PATH", first + ":" + second));
    assertThat(RedisBinaries.findOnPath(env, "redis-server")).hasValue(binary);
    assertThat(RedisBinaries.findOnPath(env, "redis-cli")).isEmpty();
  }

  @Test
  void parseVersion_readsRedisServerVersionOutput() {
    assertThat(RedisBinaries.parseVersion("Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64"))
        .isEqualTo("7.0.15");
    assertThat(RedisBinaries.parseVersion("garbage")).isEqualTo("unknown");
    assertThat(new RedisBinaries.Binary(Path.of("x"), RedisBinaries.Source.PATH, "6.2.11").majorVersion()).isEqualTo(6);
  }

  @Test
  void baseArguments_enableDebugOnlyOnRedis7() {
    Path dir = Path.of("/tmp/x");
    List<String> seven =
        RedisNode.baseArguments(new RedisBinaries.Binary(Path.of("r"), RedisBinaries.Source.PATH, "7.0.15"), 1234, dir);
    List<String> six =
        RedisNode.baseArguments(new RedisBinaries.Binary(Path.of("r"), RedisBinaries.Source.EMBEDDED, "6.2.11"), 1234, dir);
    assertThat(String.join(" ", seven))
        .contains("--port 1234", "--bind 127.0.0.1", "--save  --appendonly no", "--enable-debug-command local");
    assertThat(six).doesNotContain("--enable-debug-command");
  }

  @Test
  void keyPrefix_isRandomPerCallAndSafeForGlobs() {
    String a = RedisExtension.keyPrefixFor(RedisHarnessUnitTests.class);
    String b = RedisExtension.keyPrefixFor(RedisHarnessUnitTests.class);
    assertThat(a).startsWith("cachet-test:RedisHarnessUnitTests:").endsWith(":").isNotEqualTo(b);
    assertThat(a).doesNotContain("*", "?", "[", "]");
  }

  @Test
  void externalTarget_parsesCredentialsAndDatabase() {
    RedisServer.ExternalTarget target = RedisServer.ExternalTarget.parse("redis://user:p%40ss@example.test:6390/2");
    assertThat(target.host).isEqualTo("example.test");
    assertThat(target.port).isEqualTo(6390);
    assertThat(target.username).isEqualTo("user");
    assertThat(target.password).isEqualTo("p@ss");
    assertThat(target.database).isEqualTo(2);
    assertThat(target.tls).isFalse();
    RedisServer.ExternalTarget plain = RedisServer.ExternalTarget.parse("rediss://localhost");
    assertThat(plain.port).isEqualTo(6379);
    assertThat(plain.tls).isTrue();
    assertThat(plain.password).isNull();
    assertThatThrownBy(() -> RedisServer.ExternalTarget.parse("http://localhost"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("redis://");
  }

  @Test
  void externalServer_refusesFaultsAndFlushes() {
    RedisServer external = RedisServer.external("redis://127.0.0.1:1", "cachet-test:X:1:");
    assertThat(external.isExternal()).isTrue();
    assertThat(external.keyPrefix()).isEqualTo("cachet-test:X:1:");
    assertThatThrownBy(external::kill).isInstanceOf(IllegalStateException.class).hasMessageContaining("CACHET_TEST_REDIS_URL");
    assertThatThrownBy(external::pause).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(external::pid).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> external.command("FLUSHALL")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> external.command("flushdb")).isInstanceOf(IllegalStateException.class);
    assertThat(external.toString()).doesNotContain("redis://");
  }

  @Test
  void format_rendersRepliesAsText() {
    assertThat(RespClient.format("OK")).isEqualTo("OK");
    assertThat(RespClient.format(3L)).isEqualTo("3");
    assertThat(RespClient.format(null)).isNull();
    assertThat(RespClient.format(List.of("127.0.0.1", "6379"))).isEqualTo("127.0.0.1\n6379");
    assertThat(RespClient.format(List.of("a", List.of("b", 1L)))).isEqualTo("a\nb\n1");
    assertThat(RespClient.format(List.of())).isEmpty();
  }

  @Test
  void parseInfo_readsFieldsAndSkipsSections() {
    Map<String, String> info = RedisNode.parseInfo("# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n");
    assertThat(info).containsEntry("role", "slave").containsEntry("master_link_status", "up").hasSize(2);
  }

  @Test
  void sentinelConfig_monitorsWithQuorumTwoAndShortTimeouts() {
    String config = RedisSentinel.sentinelConfig(26000, Path.of("/tmp/s"), 7000);
    assertThat(config)
        .contains("port 26000", "bind 127.0.0.1", "sentinel monitor mymaster 127.0.0.1 7000 2")
        .contains("down-after-milliseconds mymaster 1000", "failover-timeout mymaster 3000");
  }

  @Test
  void ports_areLoopbackPortsWithAFreeClusterBusPort() {
    int port = Ports.allocate(true);
    assertThat(port).isBetween(Ports.LOW, Ports.HIGH - 1);
    assertThat(port + Ports.CLUSTER_BUS_OFFSET).isLessThan(32768);
    assertThat(Ports.allocate(false)).isNotEqualTo(port);
  }
}
