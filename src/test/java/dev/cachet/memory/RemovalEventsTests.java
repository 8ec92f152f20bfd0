package dev.cachet.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.RemovalCause;
import dev.cachet.internal.AbstractCache;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.FakeTicker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Removal events of the memory cache: every local cause, off the caller's thread, failures contained. */
class RemovalEventsTests {

  record Event(String key, String value, RemovalCause cause, Thread thread) {}

  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final FakeTicker ticker = new FakeTicker();

  private Cache<String, String> cache(long maximumSize) {
    return MemoryCacheBuilder.<String, String>newBuilder()
        .name("removals")
        .maximumSize(maximumSize)
        .defaultTtl(Duration.ofMinutes(1))
        .ticker(ticker)
        .removalListener((k, v, cause) -> events.add(new Event(k, v, cause, Thread.currentThread())))
        .build();
  }

  private Event awaitEvent(RemovalCause cause) {
    return Eventually.awaitValue(Duration.ofSeconds(10), Eventually.DEFAULT_POLL_INTERVAL, "a " + cause + " event",
        () -> events.stream().filter(e -> e.cause() == cause).findFirst().orElse(null));
  }

  @Test
  void explicitReplacedExpiredAndSize_eachReportedWithKeyValueAndCause_offTheCallersThread() {
    try (Cache<String, String> cache = cache(2)) {
      cache.put("a", "1");
      cache.put("a", "2");
      Event replaced = awaitEvent(RemovalCause.REPLACED);
      assertThat(replaced.key()).isEqualTo("a");
      assertThat(replaced.value()).isEqualTo("1");

      cache.invalidate("a");
      Event explicit = awaitEvent(RemovalCause.EXPLICIT);
      assertThat(explicit.value()).isEqualTo("2");

      cache.put("e", "old");
      ticker.advance(Duration.ofMinutes(2));
      assertThat(cache.getIfPresent("e")).isNull();
      cache.policy().sizeBound().orElseThrow().estimatedSize(); // lets the memory tier run maintenance
      cache.put("x", "x");
      Event expired = awaitEvent(RemovalCause.EXPIRED);
      assertThat(expired.key()).isEqualTo("e");

      cache.put("y", "y");
      cache.put("z", "z"); // the bound of 2 evicts one
      awaitEvent(RemovalCause.SIZE);

      assertThat(events).allSatisfy(e -> assertThat(e.thread()).isNotSameAs(Thread.currentThread()));
    }
  }

  @Test
  void computeToNull_isExplicit_computeToValue_isReplaced() {
    try (Cache<String, String> cache = cache(100)) {
      cache.put("k", "1");
      cache.compute("k", (k, v) -> v + "1");
      assertThat(awaitEvent(RemovalCause.REPLACED).value()).isEqualTo("1");
      cache.compute("k", (k, v) -> null);
      assertThat(awaitEvent(RemovalCause.EXPLICIT).value()).isEqualTo("11");
    }
  }

  @Test
  void aThrowingListener_isContainedAndCounted() {
    try (Cache<String, String> cache =
        MemoryCacheBuilder.<String, String>newBuilder()
            .name("throwing")
            .removalListener((k, v, c) -> { throw new IllegalStateException("listener bug"); })
            .build()) {
      cache.put("k", "1");
      cache.put("k", "2");
      cache.invalidate("k");
      Eventually.await(Duration.ofSeconds(10), "both failures counted",
          () -> ((AbstractCache<?, ?>) cache).instrumentation().removalListenerFailureCount() == 2);
      cache.put("k", "3");
      assertThat(cache.getIfPresent("k")).isEqualTo("3");
    }
  }
}
