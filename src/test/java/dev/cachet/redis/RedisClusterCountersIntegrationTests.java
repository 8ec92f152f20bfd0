package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.Counters;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counters on the 6-node cluster: every change is one single-key script (no {@code WATCH}/{@code
 * MULTI}), so 4 instances x 8 threads over 200 keys spread across the slots keep the same per-key
 * at-most-once bounds, and a counter's value is the same from every instance.
 */
class RedisClusterCountersIntegrationTests {

  private static final Logger log = LoggerFactory.getLogger(RedisClusterCountersIntegrationTests.class);

  @RedisClusterServers static RedisCluster cluster;

  @Test
  void fourInstancesTimesEightThreads_onACluster_appliedAtMostOnce() throws Exception {
    List<RedisConnections> connections = new ArrayList<>();
    List<Cache<String, String>> caches = new ArrayList<>();
    try {
      List<Counters<String>> instances = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        RedisConnections c = RedisConnections.createCluster(cluster.seedUris());
        connections.add(c);
        Cache<String, String> cache = RedisCountersFaultIntegrationTests.cache(c, "ctrcluster");
        caches.add(cache);
        instances.add(cache.counters().orElseThrow());
      }
      RedisCountersFaultIntegrationTests.Tally tally =
          RedisCountersFaultIntegrationTests.run(instances, "c", 200, 60);
      log.info("counters on the cluster over 200 keys, 32 clients: {}", tally.describe());
      for (Counters<String> counters : instances) {
        RedisCountersFaultIntegrationTests.assertAtMostOnce(counters, "c", tally);
      }
      assertThat(tally.successRate()).as(tally.describe()).isGreaterThanOrEqualTo(0.99);

      Counters<String> first = instances.get(0);
      first.reset("window", 5, Duration.ofSeconds(30));
      assertThat(instances.get(3).incrementBy("window", 1)).isEqualTo(6);
      assertThat(first.compareAndSet("window", 6, 0)).isTrue();
      assertThat(instances.get(2).get("window")).isZero();
    } finally {
      caches.forEach(Cache::close);
      connections.forEach(RedisConnections::close);
    }
  }
}
