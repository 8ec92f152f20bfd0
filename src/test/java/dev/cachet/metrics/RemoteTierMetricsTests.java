package dev.cachet.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.cachet.Tier;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.StatsRecorder;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.testing.CacheMeterReader;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The Redis, crypto, degraded-mode and resilience meters, driven through {@link CacheInstrumentation}
 * as the Redis tier and the tiered cache record them. Real-Redis checks live in the integration tests
 * of those tiers ({@link CacheMeterReader} reads the meters there too).
 */
class RemoteTierMetricsTests {

  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  private final MeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void tierGets_areCountedPerTierWithTheRightTags() {
    FakeRemoteCache cache = new FakeRemoteCache("orders");
    TieredCacheMetrics.monitor(registry, cache);
    CacheMeterReader meters = CacheMeterReader.of(registry, "orders");
    cache.put("a", "1");
    cache.getIfPresent("a"); // memory hit
    cache.getIfPresent("b"); // memory miss, redis miss
    cache.instrumentation().recordTierGet(Tier.REDIS, true, 3);

    assertThat(meters.tierGets(Tier.MEMORY, true)).isEqualTo(1);
    assertThat(meters.tierGets(Tier.MEMORY, false)).isEqualTo(1);
    assertThat(meters.tierGets(Tier.REDIS, true)).isEqualTo(3);
    assertThat(meters.tierGets(Tier.REDIS, false)).isEqualTo(1);
    assertThat(meters.gets(true)).isEqualTo(1);
    assertThat(meters.gets(false)).isEqualTo(1);
  }

  @Test
  void redisErrors_areCountedByOperationAndReason_everyCombinationRegisteredAtZero() {
    FakeRemoteCache cache = new FakeRemoteCache("orders");
    TieredCacheMetrics.monitor(registry, cache);
    CacheMeterReader meters = CacheMeterReader.of(registry, "orders");
    CacheInstrumentation inst = cache.instrumentation();
    inst.recordRemoteError(RemoteOperation.GET, RemoteErrorReason.TIMEOUT);
    inst.recordRemoteError(RemoteOperation.GET, RemoteErrorReason.TIMEOUT);
    inst.recordRemoteError(RemoteOperation.PUT, RemoteErrorReason.CIRCUIT_OPEN);

    assertThat(meters.redisErrors(RemoteOperation.GET, RemoteErrorReason.TIMEOUT)).isEqualTo(2);
    assertThat(meters.redisErrors(RemoteOperation.PUT, RemoteErrorReason.CIRCUIT_OPEN)).isEqualTo(1);
    for (RemoteOperation op : RemoteOperation.values()) {
      for (RemoteErrorReason reason : RemoteErrorReason.values()) {
        assertThat(meters.redisErrors(op, reason))
            .isEqualTo(inst.remoteErrorCount(op, reason)); // registered (bounded) and in agreement
      }
    }
  }

  @Test
  void decryptionFailures_areCountedByReason() {
    FakeRemoteCache cache = new FakeRemoteCache("orders");
    TieredCacheMetrics.monitor(registry, cache);
    CacheMeterReader meters = CacheMeterReader.of(registry, "orders");
    cache.instrumentation().recordDecryptionFailure(DecryptionFailureReason.AUTHENTICATION);
    cache.instrumentation().recordDecryptionFailure(DecryptionFailureReason.AUTHENTICATION);
    cache.instrumentation().recordDecryptionFailure(DecryptionFailureReason.KEY_BINDING);

    assertThat(meters.decryptionFailures(DecryptionFailureReason.AUTHENTICATION)).isEqualTo(2);
    assertThat(meters.decryptionFailures(DecryptionFailureReason.KEY_BINDING)).isEqualTo(1);
    assertThat(meters.decryptionFailures(DecryptionFailureReason.FORMAT)).isZero();
    assertThat(meters.decryptionFailures(DecryptionFailureReason.EXPIRED)).isZero();
    assertThat(meters.decryptionFailures(DecryptionFailureReason.DESERIALIZE)).isZero();
  }

  @Test
  void degraded_gaugeFollowsTheFlag() {
    FakeRemoteCache cache = new FakeRemoteCache("orders");
    TieredCacheMetrics.monitor(registry, cache);
    CacheMeterReader meters = CacheMeterReader.of(registry, "orders");
    assertThat(meters.degraded()).isFalse();
    cache.instrumentation().recordDegraded(true);
    assertThat(meters.degraded()).isTrue();
    cache.instrumentation().recordDegraded(false);
    assertThat(meters.degraded()).isFalse();
  }

  @Test
  void redisOperations_areTimedByOperationAndResult() {
    FakeRemoteCache cache = new FakeRemoteCache("orders");
    TieredCacheMetrics.monitor(registry, cache);
    CacheMeterReader meters = CacheMeterReader.of(registry, "orders");
    cache.instrumentation().recordRemoteOperation(RemoteOperation.GET, 3 * MS, true);
    cache.instrumentation().recordRemoteOperation(RemoteOperation.GET, 5 * MS, true);
    cache.instrumentation().recordRemoteOperation(RemoteOperation.PUT_ALL, 7 * MS, false);

    assertThat(meters.redisOperation(RemoteOperation.GET, true).count()).isEqualTo(2);
    assertThat(meters.redisOperation(RemoteOperation.GET, true).totalTime(TimeUnit.MILLISECONDS))
        .isEqualTo(8.0);
    assertThat(meters.redisOperation(RemoteOperation.GET, false).count()).isZero();
    assertThat(meters.redisOperation(RemoteOperation.PUT_ALL, false).count()).isEqualTo(1);
  }

  @Test
  void crypto_isTimedAndSized() {
    FakeRemoteCache cache = new FakeRemoteCache("orders");
    TieredCacheMetrics.monitor(registry, cache);
    CacheMeterReader meters = CacheMeterReader.of(registry, "orders");
    cache.instrumentation().recordEncryption(MS, 100);
    cache.instrumentation().recordEncryption(MS, 300);
    cache.instrumentation().recordDecryption(2 * MS, 100);

    assertThat(meters.timer("cache.encrypt").count()).isEqualTo(2);
    assertThat(meters.timer("cache.decrypt").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2.0);
    assertThat(meters.summary("cache.value.size", "operation", "encrypt").totalAmount()).isEqualTo(400);
    assertThat(meters.summary("cache.value.size", "operation", "encrypt").max()).isEqualTo(300);
    assertThat(meters.summary("cache.value.size", "operation", "decrypt").count()).isEqualTo(1);
  }

  @Test
  void circuitBreaker_metersShowItsStateAndAreRemovedOnClose() {
    CircuitBreaker breaker = CircuitBreaker.ofDefaults("orders");
    FakeRemoteCache cache = new FakeRemoteCache("orders", breaker, null);
    TieredCacheMetrics.monitor(registry, cache);
    CacheMeterReader meters = CacheMeterReader.of(registry, "orders");
    assertThat(meters.breakerState("closed")).isEqualTo(1);
    assertThat(meters.breakerState("open")).isZero();

    breaker.transitionToOpenState();
    assertThat(meters.breakerState("open")).isEqualTo(1);
    assertThat(meters.breakerState("closed")).isZero();

    cache.close();
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void retry_metersArePresentAndRemovedOnClose() {
    Retry retry = Retry.ofDefaults("orders");
    FakeRemoteCache cache = new FakeRemoteCache("orders", null, retry);
    TieredCacheMetrics.monitor(registry, cache);
    assertThat(registry.find("resilience4j.retry.calls").tag("name", "orders").meters()).isNotEmpty();
    cache.close();
    assertThat(registry.getMeters()).isEmpty();
  }

  @Test
  void close_removesEveryMeter_includingPushMetersAndTheBreakers_andDetachesTheListener() {
    FakeRemoteCache cache =
        new FakeRemoteCache("orders", CircuitBreaker.ofDefaults("orders"), Retry.ofDefaults("orders"));
    FakeRemoteCache other = new FakeRemoteCache("other");
    TieredCacheMetrics binder = TieredCacheMetrics.monitor(registry, cache, Tags.of("app", "shop"));
    TieredCacheMetrics.monitor(registry, other);
    cache.instrumentation().recordRemoteOperation(RemoteOperation.GET, MS, true);
    List<Meter.Id> before = CacheMeterReader.of(registry, "orders").meterIds();
    assertThat(before.stream().map(Meter.Id::getName))
        .contains(
            "cache.gets", "cache.puts", "cache.evictions", "cache.removals", "cache.load",
            "cache.load.duration", "cache.tier.gets", "cache.redis.errors", "cache.redis.operation",
            "cache.decryption.failures", "cache.degraded", "cache.encrypt", "cache.decrypt",
            "cache.value.size", "resilience4j.circuitbreaker.state", "resilience4j.retry.calls");
    assertThat(RecorderFanout.isAttached(cache.instrumentation())).isTrue();

    binder.close();

    assertThat(CacheMeterReader.of(registry, "orders").meterIds()).isEmpty();
    assertThat(RecorderFanout.isAttached(cache.instrumentation())).isFalse();
    assertThat(CacheMeterReader.of(registry, "other").meterIds()).isNotEmpty();
    assertThatCode(() -> cache.instrumentation().recordRemoteOperation(RemoteOperation.GET, MS, true))
        .doesNotThrowAnyException();
  }

  @Test
  void aThrowingPushRecorder_failsNoCacheCall_andTheOtherRecordersStillRecord() {
    FakeRemoteCache cache = new FakeRemoteCache("orders");
    StatsRecorder thrower =
        new StatsRecorder() {
          @Override
          public void recordRemoteOperation(RemoteOperation operation, long nanos, boolean success) {
            throw new IllegalStateException("broken meter");
          }

          @Override
          public void recordEncryption(long nanos, int plaintextBytes) {
            throw new IllegalStateException("broken meter");
          }
        };
    RecorderFanout.add(cache.instrumentation(), thrower);
    try {
      TieredCacheMetrics.monitor(registry, cache);
      assertThatCode(
              () -> {
                cache.instrumentation().recordRemoteOperation(RemoteOperation.GET, MS, true);
                cache.instrumentation().recordEncryption(MS, 10);
                cache.put("k", "v");
                cache.getIfPresent("k");
              })
          .doesNotThrowAnyException();
      CacheMeterReader meters = CacheMeterReader.of(registry, "orders");
      assertThat(meters.redisOperation(RemoteOperation.GET, true).count()).isEqualTo(1);
      assertThat(meters.timer("cache.encrypt").count()).isEqualTo(1);
      assertThat(meters.gets(true)).isEqualTo(1);
    } finally {
      RecorderFanout.remove(cache.instrumentation(), thrower);
    }
  }

  @Test
  void slowCrypto_isLoggedOverTheThreshold() {
    FakeRemoteCache cache = new FakeRemoteCache("orders");
    TieredCacheMetrics binder =
        TieredCacheMetrics.monitor(registry, cache, Tags.empty(), Duration.ofMillis(10));
    SlowCryptoLog log = binder.slowCryptoLog();
    cache.instrumentation().recordEncryption(9 * MS, 10);
    assertThat(log.warningsLogged()).isZero();
    cache.instrumentation().recordDecryption(11 * MS, 10);
    assertThat(log.warningsLogged()).isEqualTo(1);
    cache.instrumentation().recordEncryption(50 * MS, 10); // within the interval: counted, not logged
    assertThat(log.warningsLogged()).isEqualTo(1);
    assertThat(log.unloggedSinceLastWarning()).isEqualTo(1);
  }

  @Test
  void slowCryptoLog_logsAtMostOncePerInterval() {
    AtomicLong now = new AtomicLong(1_000);
    long interval = TimeUnit.SECONDS.toNanos(60);
    SlowCryptoLog log = new SlowCryptoLog("orders", 50 * MS, interval, now::get);
    log.recordEncryption(60 * MS, 1);
    log.recordEncryption(60 * MS, 1);
    log.recordDecryption(60 * MS, 1);
    assertThat(log.warningsLogged()).isEqualTo(1);
    assertThat(log.unloggedSinceLastWarning()).isEqualTo(2);
    now.addAndGet(interval - 1);
    log.recordEncryption(60 * MS, 1);
    assertThat(log.warningsLogged()).isEqualTo(1);
    now.addAndGet(1);
    log.recordEncryption(60 * MS, 1);
    assertThat(log.warningsLogged()).isEqualTo(2);
    assertThat(log.unloggedSinceLastWarning()).isZero();
  }

  @Test
  void slowCryptoLog_defaultThresholdIs50ms() {
    assertThat(TieredCacheMetrics.DEFAULT_SLOW_CRYPTO_THRESHOLD).isEqualTo(Duration.ofMillis(50));
    FakeRemoteCache cache = new FakeRemoteCache("orders");
    TieredCacheMetrics binder = TieredCacheMetrics.monitor(registry, cache);
    cache.instrumentation().recordEncryption(50 * MS, 10);
    assertThat(binder.slowCryptoLog().warningsLogged()).isZero();
    cache.instrumentation().recordEncryption(50 * MS + 1, 10);
    assertThat(binder.slowCryptoLog().warningsLogged()).isEqualTo(1);
  }
}
