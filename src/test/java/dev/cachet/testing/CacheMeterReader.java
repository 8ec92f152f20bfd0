package dev.cachet.testing;

import dev.cachet.Tier;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Reads the meters of one Cachet cache from a {@link MeterRegistry} by name and tags, as Micrometer's
 * compatibility kit does, for unit and integration tests ({@code SimpleMeterRegistry} recommended).
 * Every reader fails with an {@link AssertionError} naming the meter when it is missing, so a test
 * never confuses "not registered" with zero.
 *
 * <pre>{@code
 * CacheMeterReader meters = CacheMeterReader.of(registry, "profiles");
 * assertThat(meters.tierGets(Tier.REDIS, true)).isEqualTo(3);
 * assertThat(meters.decryptionFailures(DecryptionFailureReason.AUTHENTICATION)).isEqualTo(1);
 * }</pre>
 */
public final class CacheMeterReader {

  private final MeterRegistry registry;
  private final String cacheName;

  private CacheMeterReader(MeterRegistry registry, String cacheName) {
    this.registry = registry;
    this.cacheName = cacheName;
  }

  public static CacheMeterReader of(MeterRegistry registry, String cacheName) {
    return new CacheMeterReader(registry, cacheName);
  }

  /** The meter {@code name} tagged {@code cache=<name>} and {@code tags} (key-value pairs). */
  public Meter meter(String name, String... tags) {
    Meter meter = search(name, tags).meter();
    if (meter == null) {
      throw new AssertionError(
          "no meter " + name + "{cache=" + cacheName + ", " + String.join(",", tags) + "}; meters of the"
              + " cache: " + meterIds());
    }
    return meter;
  }

  /** The count of a counter, function counter or timer. */
  public double count(String name, String... tags) {
    Meter meter = meter(name, tags);
    if (meter instanceof FunctionCounter) {
      return ((FunctionCounter) meter).count();
    }
    if (meter instanceof Counter) {
      return ((Counter) meter).count();
    }
    if (meter instanceof Timer) {
      return ((Timer) meter).count();
    }
    if (meter instanceof DistributionSummary) {
      return ((DistributionSummary) meter).count();
    }
    throw new AssertionError(name + " is not countable: " + meter.getId());
  }

  /** The value of a gauge (or time gauge, in its base unit). */
  public double gauge(String name, String... tags) {
    Meter meter = meter(name, tags);
    if (!(meter instanceof Gauge)) {
      throw new AssertionError(name + " is not a gauge: " + meter.getId());
    }
    return ((Gauge) meter).value();
  }

  /** The value of a time gauge, in nanoseconds. */
  public double timeGaugeNanos(String name, String... tags) {
    Meter meter = meter(name, tags);
    if (!(meter instanceof TimeGauge)) {
      throw new AssertionError(name + " is not a time gauge: " + meter.getId());
    }
    return ((TimeGauge) meter).value(TimeUnit.NANOSECONDS);
  }

  public Timer timer(String name, String... tags) {
    Meter meter = meter(name, tags);
    if (!(meter instanceof Timer)) {
      throw new AssertionError(name + " is not a timer: " + meter.getId());
    }
    return (Timer) meter;
  }

  public DistributionSummary summary(String name, String... tags) {
    Meter meter = meter(name, tags);
    if (!(meter instanceof DistributionSummary)) {
      throw new AssertionError(name + " is not a distribution summary: " + meter.getId());
    }
    return (DistributionSummary) meter;
  }

  public double gets(boolean hit) {
    return count("cache.gets", "result", hit ? "hit" : "miss");
  }

  public double tierGets(Tier tier, boolean hit) {
    return count("cache.tier.gets", "tier", tier.tagValue(), "result", hit ? "hit" : "miss");
  }

  public double redisErrors(RemoteOperation operation, RemoteErrorReason reason) {
    return count("cache.redis.errors", "operation", operation.tagValue(), "reason", reason.tagValue());
  }

  public Timer redisOperation(RemoteOperation operation, boolean success) {
    return timer("cache.redis.operation", "operation", operation.tagValue(), "result", success ? "success" : "failure");
  }

  public double decryptionFailures(DecryptionFailureReason reason) {
    return count("cache.decryption.failures", "reason", reason.tagValue());
  }

  public boolean degraded() {
    return gauge("cache.degraded") == 1.0;
  }

  /** The Resilience4j circuit-breaker state gauge (1 for the current state) of the cache's breaker. */
  public double breakerState(String state) {
    Gauge gauge =
        registry.find("resilience4j.circuitbreaker.state").tag("name", cacheName).tag("state", state).gauge();
    if (gauge == null) {
      throw new AssertionError("no breaker state meter for cache '" + cacheName + "', state " + state);
    }
    return gauge.value();
  }

  /** Ids of every meter tagged {@code cache=<name>} or (Resilience4j) {@code name=<name>}. */
  public List<Meter.Id> meterIds() {
    return registry.getMeters().stream()
        .map(Meter::getId)
        .filter(id -> cacheName.equals(id.getTag("cache")) || cacheName.equals(id.getTag("name")))
        .collect(Collectors.toList());
  }

  private Search search(String name, String... tags) {
    return registry.find(name).tag("cache", cacheName).tags(tags);
  }
}
