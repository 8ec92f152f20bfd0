package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheConfigurationException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A malformed URI is rejected before anything is allocated: no maintenance executor, no Lettuce
 * {@code ClientResources} (whose timer thread used to stay behind after every failed build).
 */
class RedisConnectionsMalformedUriTests {

  private static Set<String> cachetAndLettuceThreads() {
    Set<String> names = new TreeSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && (t.getName().startsWith("lettuce-") || t.getName().startsWith("cachet-redis"))) {
        names.add(t.getName());
      }
    }
    return names;
  }

  @Test
  void create_malformedUri_throwsAndLeavesNoThread() {
    Set<String> before = cachetAndLettuceThreads();
    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(() -> RedisConnections.create("redis://bad host:x"))
          .isInstanceOf(CacheConfigurationException.class)
          .extracting(e -> ((CacheConfigurationException) e).reason())
          .isEqualTo(CacheConfigurationException.Reason.INVALID_REDIS_URI);
    }
    Set<String> after = cachetAndLettuceThreads();
    after.removeAll(before);
    assertThat(after).as("threads started by failed builds").isEmpty();
  }

  @Test
  void createCluster_oneMalformedSeed_throwsAndLeavesNoThread() {
    Set<String> before = cachetAndLettuceThreads();
    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(
              () -> RedisConnections.createCluster(List.of("redis://127.0.0.1:7000", "http://x:1")))
          .isInstanceOf(CacheConfigurationException.class);
    }
    Set<String> after = cachetAndLettuceThreads();
    after.removeAll(before);
    assertThat(after).as("threads started by failed builds").isEmpty();
  }
}
