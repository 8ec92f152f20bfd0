package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedisServerInfoIntegrationTests {

  @Test
  void query_rawValue_deleteKeys(@RedisStandaloneServer RedisServer redis) {
    FernetKeyRing ring = FernetKeyRing.ephemeralForTesting("server info");
    String prefix = "info-" + System.nanoTime();
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cache = RedisCacheBuilder.newBuilder(String.class, String.class)
            .name("orders").connections(c).keyRing(ring).keyPrefix(prefix).build()) {
      RedisServerInfo info = RedisServerInfo.query(c);
      assertThat(info.mode()).isEqualTo(RedisServerInfo.Mode.STANDALONE);
      assertThat(info.version()).matches("\\d+\\.\\d+\\.\\d+");
      assertThat(info.pingLatency()).isPositive();
      assertThat(info.toString()).contains("standalone").contains(info.version());

      assertThat(RedisServerInfo.rawValue(c, prefix, "orders")).isEmpty();
      cache.put("k", "secret plaintext");
      String raw = RedisServerInfo.rawValue(c, prefix, "orders").orElseThrow();
      assertThat(raw).startsWith("gAAAAA").doesNotContain("secret plaintext");
      assertThat(RedisServerInfo.rawValue(c, prefix, "other")).isEmpty();

      redis.call("SET", prefix + "-neighbour:x", "1");
      assertThat(RedisServerInfo.deleteKeys(c, prefix)).isPositive();
      assertThat((List<?>) redis.call("KEYS", prefix + ":*")).isEmpty();
      assertThat((List<?>) redis.call("KEYS", prefix + "-neighbour:*")).hasSize(1);
      redis.call("DEL", prefix + "-neighbour:x");

      assertThatThrownBy(() -> RedisServerInfo.deleteKeys(c, "*"))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> RedisServerInfo.deleteKeys(c, "a:b"))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void field_parsesInfoLines() {
    String info = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n";
    assertThat(RedisServerInfo.field(info, "redis_version")).contains("7.0.15");
    assertThat(RedisServerInfo.field(info, "redis_mode")).contains("standalone");
    assertThat(RedisServerInfo.field(info, "nope")).isEmpty();
  }
}
