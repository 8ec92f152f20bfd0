package dev.cachet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKey;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code inspect} failures, without Redis: they exit 1 and print neither the key nor the password. */
class InspectCommandTests {

  @Test
  void unreachableRedis_exitsOne_withoutPasswordOrKey() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    String key = FernetKey.generate().revealBase64();
    CliTestSupport.Run run =
        CliTestSupport.run(new byte[0],
            Map.of(CachetEnvironment.REDIS_URL, "redis://:s3cretpassw0rd@127.0.0.1:" + port,
                CachetEnvironment.ENCRYPTION_KEY, key,
                CachetEnvironment.REDIS_CONNECT_TIMEOUT, "500ms"),
            "inspect");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.stderr()).startsWith("cachet inspect: ").contains("127.0.0.1:" + port)
        .doesNotContain("s3cretpassw0rd").doesNotContain(key);
    assertThat(run.out()).doesNotContain("s3cretpassw0rd").doesNotContain(key);
  }

  @Test
  void noKey_exitsOne_namingTheVariables() {
    CliTestSupport.Run run =
        CliTestSupport.run(new byte[0], Map.of(CachetEnvironment.REDIS_URL, "redis://127.0.0.1:1"), "inspect");
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.stderr()).contains(CachetEnvironment.ENCRYPTION_KEY);
  }
}
