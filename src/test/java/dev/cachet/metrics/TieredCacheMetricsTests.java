package dev.cachet.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cachet.Cache;
import dev.cachet.CacheStats;
import dev.cachet.Tier;
import dev.cachet.internal.AbstractCache;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.StatsRecorder;
import dev.cachet.memory.MemoryCacheBuilder;
import dev.cachet.testing.CacheMeterReader;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The binder against the memory tier: exact counts, agreement with stats(), lifecycle, isolation. */
class TieredCacheMetricsTests {

  private final MeterRegistry registry = new SimpleMeterRegistry();

  private static Cache<String, String> memoryCache(String name, long maximumSize) {
    return MemoryCacheBuilder.<String, String>newBuilder().name(name).maximumSize(maximumSize).build();
  }

  private static CacheInstrumentation instrumentation(Cache<?, ?> cache) {
    return ((AbstractCache<?, ?>) cache).instrumentation();
  }

  private static long count(java.util.OptionalLong n) {
    return n.orElseThrow();
  }

  @Test
  void runtimeTtl_isVisibleInTheDefaultTtlMeterAndStats() {
    Cache<String, String> cache =
        MemoryCacheBuilder.<String, String>newBuilder().name("ttls").defaultTtl(Duration.ofMinutes(5)).build();
    TieredCacheMetrics.monitor(registry, cache, Tags.empty());
    io.micrometer.core.instrument.TimeGauge gauge =
        registry.find(CacheMetricNames.DEFAULT_TTL).tag("cache", "ttls").timeGauge();
    assertThat(gauge).isNotNull();
    assertThat(gauge.value(TimeUnit.SECONDS)).isEqualTo(300.0);
    cache.policy().timeToLive().orElseThrow().setDefaultTtl(Duration.ofSeconds(42));
    assertThat(gauge.value(TimeUnit.SECONDS)).isEqualTo(42.0);
    assertThat(cache.stats().defaultTtl()).contains(Duration.ofSeconds(42));
    assertThatThrownBy(() -> cache.policy().timeToLive().orElseThrow().setDefaultTtl(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ttl");
    assertThat(gauge.value(TimeUnit.SECONDS)).isEqualTo(42.0);
    cache.close();
  }

  @Test
  void monitor_scriptedWorkload_countsAreExactAndAgreeWithStats() {
    Cache<String, String> cache = memoryCache("profiles", 10);
    TieredCacheMetrics.monitor(registry, cache, Tags.of("app", "shop"));
    CacheMeterReader meters = CacheMeterReader.of(registry, "profiles");

    for (int i = 0; i < 50; i++) {
      cache.put("k" + i, "v" + i); // 50 puts; the bound of 10 evicts 40
    }
    cache.invalidateAll(); // removes the 10 left
    cache.put("a", "1");
    cache.getIfPresent("a"); // hit
    cache.getIfPresent("b"); // miss
    cache.get("c", k -> "3"); // miss, load, put
    cache.get("c", k -> "x"); // hit
    catchThrowable(() -> cache.get("d", k -> { throw new IllegalStateException("boom"); })); // miss, failed load
    cache.put("a", "2"); // put, replaces: a removal
    cache.invalidate("c"); // removal

    assertThat(meters.gets(true)).isEqualTo(2);
    assertThat(meters.gets(false)).isEqualTo(3);
    assertThat(meters.count("cache.puts")).isEqualTo(53);
    assertThat(meters.count("cache.evictions")).isEqualTo(40);
    assertThat(meters.count("cache.eviction.weight")).isEqualTo(40);
    assertThat(meters.count("cache.removals")).isEqualTo(12);
    assertThat(meters.count("cache.load", "result", "success")).isEqualTo(1);
    assertThat(meters.count("cache.load", "result", "failure")).isEqualTo(1);
    assertThat(meters.gauge("cache.load.duration")).isGreaterThan(0);
    assertThat(meters.gauge("cache.size")).isEqualTo(1);
    assertThat(meters.tierGets(Tier.MEMORY, true)).isEqualTo(2);
    assertThat(meters.tierGets(Tier.MEMORY, false)).isEqualTo(3);

    CacheStats stats = cache.stats();
    assertThat(meters.gets(true)).isEqualTo(count(stats.hitCount()));
    assertThat(meters.gets(false)).isEqualTo(count(stats.missCount()));
    assertThat(meters.count("cache.puts")).isEqualTo(count(stats.putCount()));
    assertThat(meters.count("cache.evictions")).isEqualTo(count(stats.evictionCount()));
    assertThat(meters.count("cache.removals")).isEqualTo(count(stats.removalCount()));
    assertThat(meters.count("cache.load", "result", "success")).isEqualTo(count(stats.loadSuccessCount()));
    assertThat(meters.count("cache.load", "result", "failure")).isEqualTo(count(stats.loadFailureCount()));
    // the TimeGauge converts through its base unit (seconds) in double arithmetic
    assertThat(meters.timeGaugeNanos("cache.load.duration"))
        .isCloseTo(count(stats.totalLoadTimeNanos()), org.assertj.core.data.Offset.offset(1.0));
  }

  @Test
  void monitor_userTags_areOnEveryCachetMeter() {
    Cache<String, String> cache = memoryCache("tagged", 10);
    TieredCacheMetrics.monitor(registry, cache, "app", "shop", "region", "eu");
    List<Meter.Id> ids = CacheMeterReader.of(registry, "tagged").meterIds();
    assertThat(ids).isNotEmpty();
    assertThat(ids).allSatisfy(id -> {
      assertThat(id.getTag("app")).isEqualTo("shop");
      assertThat(id.getTag("region")).isEqualTo("eu");
    });
  }

  @Test
  void monitor_memoryOnlyCache_registersNoRedisOrCryptoMetersAndAttachesNoListener() {
    Cache<String, String> cache = memoryCache("local", 10);
    TieredCacheMetrics.monitor(registry, cache);
    List<String> names = names(CacheMeterReader.of(registry, "local").meterIds());
    assertThat(names)
        .containsExactlyInAnyOrder(
            "cache.size", "cache.gets", "cache.gets", "cache.puts", "cache.evictions",
            "cache.eviction.weight", "cache.removals", "cache.load", "cache.load",
            "cache.load.duration", "cache.ttl.default", "cache.removal.listener.failures", "cache.tier.gets", "cache.tier.gets");
    assertThat(RecorderFanout.isAttached(instrumentation(cache))).isFalse();
  }

  @Test
  void of_withoutBindTo_registersAndAttachesNothing() {
    FakeRemoteCache cache = new FakeRemoteCache("unbound");
    TieredCacheMetrics binder = TieredCacheMetrics.of(cache, Tags.empty());
    assertThat(registry.getMeters()).isEmpty();
    assertThat(RecorderFanout.isAttached(cache.instrumentation())).isFalse();
    binder.bindTo(registry);
    assertThat(RecorderFanout.isAttached(cache.instrumentation())).isTrue();
    binder.close();
    assertThat(RecorderFanout.isAttached(cache.instrumentation())).isFalse();
  }

  @Test
  void twoCaches_inOneRegistry_keepSeparateMeters() {
    Cache<String, String> first = memoryCache("first", 10);
    Cache<String, String> second = memoryCache("second", 10);
    TieredCacheMetrics.monitor(registry, first);
    TieredCacheMetrics.monitor(registry, second);
    first.put("a", "1");
    first.getIfPresent("a");
    second.getIfPresent("zz");
    second.getIfPresent("zz");

    CacheMeterReader a = CacheMeterReader.of(registry, "first");
    CacheMeterReader b = CacheMeterReader.of(registry, "second");
    assertThat(a.count("cache.puts")).isEqualTo(1);
    assertThat(a.gets(true)).isEqualTo(1);
    assertThat(a.gets(false)).isZero();
    assertThat(b.count("cache.puts")).isZero();
    assertThat(b.gets(false)).isEqualTo(2);

    first.close();
    assertThat(a.meterIds()).isEmpty();
    assertThat(b.meterIds()).isNotEmpty();
    assertThat(b.gets(false)).isEqualTo(2);
  }

  @Test
  void monitor_sameNameTwice_isRefusedWhileTheFirstIsOpen() {
    Cache<String, String> cache = memoryCache("dup", 10);
    TieredCacheMetrics first = TieredCacheMetrics.monitor(registry, cache);
    Cache<String, String> other = memoryCache("dup", 10);
    assertThatThrownBy(() -> TieredCacheMetrics.monitor(registry, other))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'dup'");
    first.close();
    TieredCacheMetrics.monitor(registry, other);
    other.put("k", "v");
    assertThat(CacheMeterReader.of(registry, "dup").count("cache.puts")).isEqualTo(1);
  }

  @Test
  void bindTo_sameNameTwice_secondBinderRegistersNothingAndItsCloseKeepsTheFirstsMeters() {
    Cache<String, String> cache = memoryCache("dup2", 10);
    TieredCacheMetrics.monitor(registry, cache);
    int before = registry.getMeters().size();
    TieredCacheMetrics second = TieredCacheMetrics.of(memoryCache("dup2", 10), Tags.empty());
    second.bindTo(registry);
    assertThat(registry.getMeters()).hasSize(before);
    second.close();
    assertThat(registry.getMeters()).hasSize(before);
  }

  @Test
  void closingTheCache_removesEveryMeter() {
    Cache<String, String> cache = memoryCache("closing", 10);
    TieredCacheMetrics binder = TieredCacheMetrics.monitor(registry, cache, "app", "shop");
    assertThat(registry.getMeters()).isNotEmpty();
    cache.close();
    assertThat(registry.getMeters()).isEmpty();
    assertThat(binder.isClosed()).isTrue();
  }

  @Test
  void closingTheBinder_removesEveryMeter_andTheCacheKeepsWorking() {
    Cache<String, String> cache = memoryCache("unbind", 10);
    TieredCacheMetrics binder = TieredCacheMetrics.monitor(registry, cache);
    binder.close();
    binder.close(); // idempotent
    assertThat(registry.getMeters()).isEmpty();
    cache.put("k", "v");
    assertThat(cache.getIfPresent("k")).isEqualTo("v");
    cache.close();
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void bindTo_twoRegistries_closeRemovesFromBoth() {
    MeterRegistry other = new SimpleMeterRegistry();
    Cache<String, String> cache = memoryCache("both", 10);
    TieredCacheMetrics binder = TieredCacheMetrics.of(cache, Tags.empty());
    binder.bindTo(registry);
    binder.bindTo(other);
    cache.put("k", "v");
    assertThat(CacheMeterReader.of(other, "both").count("cache.puts")).isEqualTo(1);
    assertThat(CacheMeterReader.of(registry, "both").count("cache.puts")).isEqualTo(1);
    cache.close();
    assertThat(registry.getMeters()).isEmpty();
    assertThat(other.getMeters()).isEmpty();
  }

  @Test
  void bindTo_afterClose_leavesNoMeters() {
    Cache<String, String> cache = memoryCache("late", 10);
    TieredCacheMetrics binder = TieredCacheMetrics.of(cache, Tags.empty());
    binder.close();
    binder.bindTo(registry);
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void monitor_alreadyClosedCache_leavesNoMeters() {
    Cache<String, String> cache = memoryCache("gone", 10);
    cache.close();
    TieredCacheMetrics binder = TieredCacheMetrics.monitor(registry, cache);
    assertThat(registry.getMeters()).isEmpty();
    assertThat(binder.isClosed()).isTrue();
  }

  @Test
  void monitor_rejectsBadArguments() {
    Cache<String, String> cache = memoryCache("args", 10);
    assertThatThrownBy(() -> TieredCacheMetrics.monitor(null, cache))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("registry");
    assertThatThrownBy(() -> TieredCacheMetrics.monitor(registry, null, Tags.empty()))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("cache");
    assertThatThrownBy(
            () -> TieredCacheMetrics.monitor(registry, cache, Tags.empty(), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("slowCryptoThreshold");
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void aThrowingRecorder_neverFailsACacheCall() {
    Cache<String, String> cache = memoryCache("robust", 10);
    TieredCacheMetrics.monitor(registry, cache);
    instrumentation(cache)
        .attach(
            new StatsRecorder() {
              @Override
              public void recordHits(int count) {
                throw new IllegalStateException("recorder failure");
              }

              @Override
              public void recordPuts(int count) {
                throw new IllegalStateException("recorder failure");
              }
            });
    cache.put("k", "v");
    assertThat(cache.getIfPresent("k")).isEqualTo("v");
    assertThat(CacheMeterReader.of(registry, "robust").gets(true)).isEqualTo(1);
  }

  @Test
  void theBinder_holdsTheCacheWeakly() throws InterruptedException {
    TieredCacheMetrics binder = TieredCacheMetrics.monitor(registry, memoryCache("weak", 10));
    for (int i = 0; i < 20 && binder.cacheIsReachable(); i++) {
      System.gc();
      TimeUnit.MILLISECONDS.sleep(10);
    }
    assertThat(binder.cacheIsReachable()).isFalse();
  }

  private static List<String> names(List<Meter.Id> ids) {
    return ids.stream().map(Meter.Id::getName).collect(Collectors.toCollection(ArrayList::new));
  }
}
