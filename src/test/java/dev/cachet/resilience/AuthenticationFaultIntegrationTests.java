package dev.cachet.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cachet.CacheHealth;
import dev.cachet.CacheUnavailableException;
import dev.cachet.redis.RedisConnections;
import dev.cachet.resilience.ResilienceTestSupport.Node;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteTierException;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.StderrCapture;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import dev.cachet.tiered.FailurePolicy;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Authentication and authorization failures (a wrong password, a missing password, a wrong ACL user,
 * a command the user may not run) are classified {@code permission}, not {@code connection}: never
 * retried, logged once at ERROR with the target and the fix ("will not fix itself"), shown in health,
 * the password never echoed. The cache keeps serving from memory and loaders.
 */
class AuthenticationFaultIntegrationTests {

  private static final String RIGHT = "right-Pw-123";
  private static final String WRONG = "wrong-Pw-456";

  private static ResilienceSettings settings() {
    return ResilienceSettings.newBuilder(ResilienceSettings.testing())
        .maxAttempts(3).slidingWindowSize(100).minimumNumberOfCalls(100).build();
  }

  private static Node node(String name, String uri, RedisServer redis, FailurePolicy policy) {
    ResilienceSettings s = settings();
    RedisConnections connections = ResilienceTestSupport.connections(uri, s);
    try {
      return ResilienceTestSupport.node(
          name, connections, ResilienceTestSupport.prefixFrom(redis.keyPrefix()), s,
          b -> b.coherence(false).failurePolicy(policy));
    } catch (RuntimeException e) {
      connections.close(); // a strict build may refuse to start: its connections must not retry on
      throw e;
    }
  }

  private static void assertRefused(RedisServer redis, String uri, String word, String secret) {
    try (StderrCapture log = new StderrCapture()) {
      try (Node node = node("auth", uri, redis, FailurePolicy.SERVE_DEGRADED)) {
        for (int i = 0; i < 20; i++) {
          assertThat(node.cache.get("k" + i, k -> "loaded")).isEqualTo("loaded");
        }
        assertThat(node.remoteErrors(RemoteErrorReason.PERMISSION)).as("classified permission").isPositive();
        assertThat(node.remoteErrors(RemoteErrorReason.CONNECTION)).as("not connection: %s", node.cache.health().details()).isZero();
        var retry = Resilience.retryOf(node.cache).orElseThrow().getMetrics();
        assertThat(retry.getNumberOfFailedCallsWithRetryAttempt()).as("never retried").isZero();
        CacheHealth health = node.cache.health();
        assertThat(health.details()).containsEntry("redis.lastError.reason", "permission")
            .containsEntry("redis.redis.lastConnectFailure.reason", "permission");
        assertThat(health.toString()).doesNotContain(secret);
        Eventually.await(Duration.ofSeconds(5), "the ERROR line",
            () -> log.count("will not fix itself") >= 1);
      }
      try (Node strict = node("auth-strict", uri, redis, FailurePolicy.STRICT)) {
        Throwable thrown = catchThrowable(() -> strict.cache.get("k", k -> "loaded"));
        assertThat(thrown).isInstanceOf(CacheUnavailableException.class);
        assertThat(thrown.getCause()).isInstanceOfSatisfying(RemoteTierException.class, e -> {
          assertThat(e.reason()).isEqualTo(RemoteErrorReason.PERMISSION);
          assertThat(e.isTransient()).isFalse();
          assertThat(e).hasMessageContaining(word).hasMessageContaining("will not fix itself")
              .hasMessageNotContaining(secret);
        });
      } catch (RuntimeException e) {
        // a strict build may refuse to start without Redis: that is fine as long as it names no secret
        assertThat(String.valueOf(e.getMessage())).doesNotContain(secret);
      }
      String text = log.text();
      assertThat(text).contains("refused authentication at connect").contains(word)
          .doesNotContain(secret);
      assertThat(log.count("refused authentication at connect")).as("logged once per connections object")
          .isLessThanOrEqualTo(2);
    }
  }

  @Test
  void wrongPassword_permission(@RedisStandaloneServer(owned = true) RedisServer redis) {
    redis.command("ACL", "SETUSER", "app", "on", ">" + RIGHT, "~*", "&*", "+@all");
    assertRefused(redis, "redis://app:" + WRONG + "@127.0.0.1:" + redis.port(), "WRONGPASS", WRONG);
  }

  @Test
  void wrongAclUser_permission(@RedisStandaloneServer(owned = true) RedisServer redis) {
    redis.command("ACL", "SETUSER", "app", "on", ">" + RIGHT, "~*", "&*", "+@all");
    assertRefused(redis, "redis://nosuchuser:" + RIGHT + "@127.0.0.1:" + redis.port(), "WRONGPASS", RIGHT);
  }

  @Test
  void missingPassword_permission(@RedisStandaloneServer(owned = true) RedisServer redis) {
    redis.command("CONFIG", "SET", "requirepass", RIGHT);
    try {
      assertRefused(redis, "redis://127.0.0.1:" + redis.port(), "NOAUTH", RIGHT);
    } finally {
      RedisClient client = RedisClient.create("redis://:" + RIGHT + "@127.0.0.1:" + redis.port());
      try (StatefulRedisConnection<String, String> c = client.connect()) {
        c.sync().configSet("requirepass", "");
      } finally {
        client.shutdown();
      }
    }
  }
}
