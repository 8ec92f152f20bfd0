package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.KeyCodec;
import dev.cachet.WarmReport;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code warm} on a tiered cache over a scripted remote tier (no Redis): the lease-less paths. */
class TieredWarmTests {

  private ScriptedRemoteTier<String> remote;
  private TieredCache<String, String> cache;

  private TieredCache<String, String> build() {
    remote = new ScriptedRemoteTier<>("warmunit"); // its leaseLock() throws: no lease can be taken
    cache =
        (TieredCache<String, String>)
            TieredCacheBuilder.<String, String>newBuilder()
                .name("warmunit").keyCodec(KeyCodec.strings()).remoteTier(remote).coherence(false)
                .remoteTimeout(Duration.ofSeconds(10))
                .build();
    return cache;
  }

  @AfterEach
  void close() {
    if (cache != null) {
      cache.close();
    }
  }

  @Test
  void warm_batchLeaseCannotBeTaken_loadsAnyway_andCountsEveryLoadedKeyAsAPossibleDuplicate() throws Exception {
    build();
    remote.storeDirectly("k1", "from-redis");
    AtomicInteger calls = new AtomicInteger();
    WarmReport report =
        cache.async()
            .warm(List.of("k0", "k1", "k2", "k3"), keys -> {
              calls.incrementAndGet();
              Map<String, String> values = new HashMap<>();
              keys.forEach(k -> values.put(k, "loaded-" + k));
              return values;
            }, 2)
            .get(30, TimeUnit.SECONDS);
    assertThat(report.loaded()).isEqualTo(3);
    assertThat(report.alreadyPresent()).isEqualTo(1);
    assertThat(report.possibleDuplicates()).as(report.toString()).isEqualTo(3);
    assertThat(cache.instrumentation().duplicateLoadCount()).isEqualTo(3);
    assertThat(calls).hasValue(2);
    // MGET's hit refilled memory; loaded values went to the remote tier (SET NX) and memory
    assertThat(cache.peekMemory("k1")).isEqualTo("from-redis");
    assertThat(remote.stored("k2")).isEqualTo("loaded-k2");
    assertThat(cache.peekMemory("k2")).isEqualTo("loaded-k2");
  }

  @Test
  void warm_remoteTierDown_servesDegraded_loadsIntoMemory_andCountsPossibleDuplicates() throws Exception {
    build();
    remote.down = true;
    WarmReport report =
        cache.async()
            .warm(List.of("a", "b"), keys -> Map.of("a", "A", "b", "B"))
            .get(30, TimeUnit.SECONDS);
    assertThat(report.loaded()).isEqualTo(2);
    assertThat(report.failed()).isZero();
    assertThat(report.possibleDuplicates()).isEqualTo(2);
    assertThat(cache.peekMemory("a")).isEqualTo("A");
  }
}
