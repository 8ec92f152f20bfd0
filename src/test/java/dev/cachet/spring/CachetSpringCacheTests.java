package dev.cachet.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.factory.CacheFactory;
import dev.cachet.factory.ManualTicker;
import dev.cachet.testing.Eventually;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache;
import org.springframework.cache.Cache.ValueRetrievalException;
import org.springframework.cache.interceptor.SimpleKey;

/** The Spring {@code Cache} contract of {@link CachetSpringCache} over memory-only Cachet caches. */
class CachetSpringCacheTests {

  private final CachetCacheManager nullsAllowed = SpringTestCaches.memoryManager(true);
  private final CachetCacheManager nullsRefused = SpringTestCaches.memoryManager(false);

  @AfterEach
  void close() {
    nullsAllowed.close();
    nullsRefused.close();
  }

  /** The build runs this suite on Framework 6.2 and again on 7.0 (the spring7 executions). */
  @Test
  void runsOnTheSpringFrameworkTheBuildChose() {
    String expected = System.getProperty("cachet.spring.expected");
    org.junit.jupiter.api.Assumptions.assumeTrue(expected != null, "not run by the Maven build");
    assertThat(org.springframework.core.SpringVersion.getVersion()).isEqualTo(expected);
  }

  @Test
  void getWithCallable_64Threads_callTheLoaderOnce() throws Exception {
    Cache cache = nullsAllowed.getCache("flight");
    CachetSpringCache adapter = (CachetSpringCache) cache;
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(64);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        results.add(
            pool.submit(
                () ->
                    cache.get(
                        new SimpleKey("a", 1),
                        () -> {
                          calls.incrementAndGet();
                          release.await();
                          return "loaded";
                        })));
      }
      Eventually.await(
          Duration.ofSeconds(10),
          "all 64 callers missed",
          () -> adapter.getNativeCache().stats().missCount().orElse(0) == 64);
      release.countDown();
      for (Future<String> result : results) {
        assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("loaded");
      }
      assertThat(calls).hasValue(1);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void getWithCallable_loaderThrowsChecked_wrapsInValueRetrievalException_andStoresNothing() {
    Cache cache = nullsAllowed.getCache("failing");
    IOException failure = new IOException("backend down");
    assertThatThrownBy(() -> cache.get("k", () -> { throw failure; }))
        .isInstanceOf(ValueRetrievalException.class)
        .hasCause(failure)
        .satisfies(e -> assertThat(((ValueRetrievalException) e).getKey()).isEqualTo("k"));
    assertThat(cache.get("k")).isNull();
    assertThat(cache.<String>get("k", () -> "later")).isEqualTo("later");
  }

  @Test
  void getWithCallable_loaderThrowsUnchecked_wrapsInValueRetrievalException() {
    Cache cache = nullsAllowed.getCache("failing-rt");
    IllegalStateException failure = new IllegalStateException("no");
    assertThatThrownBy(() -> cache.get("k", () -> { throw failure; }))
        .isInstanceOf(ValueRetrievalException.class)
        .hasCause(failure);
  }

  @Test
  void nullValues_allowed_areCachedAsAMarker() {
    Cache cache = nullsAllowed.getCache("nulls");
    AtomicInteger calls = new AtomicInteger();
    assertThat(cache.<String>get("k", () -> { calls.incrementAndGet(); return null; })).isNull();
    assertThat(cache.<String>get("k", () -> { calls.incrementAndGet(); return "other"; })).isNull();
    assertThat(calls).hasValue(1);
    Cache.ValueWrapper wrapper = cache.get("k");
    assertThat(wrapper).isNotNull();
    assertThat(wrapper.get()).isNull();
    assertThat(cache.get("k", String.class)).isNull();
    cache.put("p", null);
    assertThat(cache.get("p")).isNotNull();
    assertThat(((CachetSpringCache) cache).getNativeCache().getIfPresent("p"))
        .isSameAs(NullMarker.INSTANCE);
  }

  @Test
  void nullValues_refused_areNotCached_andPutOfNullRemovesTheKey() {
    Cache cache = nullsRefused.getCache("nonulls");
    AtomicInteger calls = new AtomicInteger();
    assertThat(cache.<String>get("k", () -> { calls.incrementAndGet(); return null; })).isNull();
    assertThat(cache.get("k")).isNull();
    assertThat(cache.<String>get("k", () -> { calls.incrementAndGet(); return "v"; })).isEqualTo("v");
    assertThat(calls).hasValue(2);
    cache.put("p", "old");
    cache.put("p", null);
    assertThat(cache.get("p")).isNull();
  }

  @Test
  void retrieve_missCompletesWithNull_hitWithAWrapperWhenNullsAllowed() throws Exception {
    Cache allowing = nullsAllowed.getCache("retrieve");
    assertThat(allowing.retrieve("k").get(10, TimeUnit.SECONDS)).isNull();
    allowing.put("k", "v");
    assertThat(allowing.retrieve("k").get(10, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(Cache.ValueWrapper.class, w -> assertThat(w.get()).isEqualTo("v"));
    allowing.put("n", null);
    assertThat(allowing.retrieve("n").get(10, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(Cache.ValueWrapper.class, w -> assertThat(w.get()).isNull());

    Cache refusing = nullsRefused.getCache("retrieve");
    refusing.put("k", "v");
    assertThat(refusing.retrieve("k").get(10, TimeUnit.SECONDS)).isEqualTo("v");
  }

  @Test
  void retrieveWithSupplier_loadsOnce_andPropagatesTheLoadersFailure() throws Exception {
    Cache cache = nullsAllowed.getCache("retrieve-load");
    AtomicInteger calls = new AtomicInteger();
    CompletableFuture<String> first =
        cache.retrieve("k", () -> { calls.incrementAndGet(); return CompletableFuture.completedFuture("v"); });
    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("v");
    CompletableFuture<String> second =
        cache.retrieve("k", () -> { calls.incrementAndGet(); return CompletableFuture.completedFuture("w"); });
    assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("v");
    assertThat(calls).hasValue(1);

    IllegalStateException failure = new IllegalStateException("down");
    CompletableFuture<String> failed = cache.retrieve("f", () -> CompletableFuture.failedFuture(failure));
    assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCause(failure);
    assertThat(cache.get("f")).isNull();

    CompletableFuture<String> nothing = cache.retrieve("nul", () -> CompletableFuture.completedFuture(null));
    assertThat(nothing.get(10, TimeUnit.SECONDS)).isNull();
    assertThat(cache.get("nul")).isNotNull();
  }

  @Test
  void evictIfPresent_invalidate_andClear_removeAtOnce() {
    Cache cache = nullsAllowed.getCache("evict");
    cache.put("a", "1");
    cache.put("b", "2");
    cache.put("c", "3");
    cache.evictIfPresent("a");
    assertThat(cache.get("a")).isNull();
    cache.evict("b");
    assertThat(cache.get("b")).isNull();
    cache.invalidate();
    assertThat(cache.get("c")).isNull();
    cache.put("d", "4");
    cache.clear();
    assertThat(cache.get("d")).isNull();
  }

  @Test
  void getWithType_wrongType_throws() {
    Cache cache = nullsAllowed.getCache("typed");
    cache.put("k", 42);
    assertThat(cache.get("k", Integer.class)).isEqualTo(42);
    assertThatThrownBy(() -> cache.get("k", String.class))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("java.lang.String");
  }

  @Test
  void manager_dynamicOff_refusesUnknownNames_andClosesItsCaches() {
    CachetCacheManager manager =
        CachetCacheManager.newBuilder(SpringTestCaches.memory())
            .cacheNames("users", "orders")
            .dynamic(false)
            .build();
    assertThat(manager.getCacheNames()).containsExactly("users", "orders");
    assertThat(manager.getCache("unknown")).isNull();
    CachetSpringCache users = (CachetSpringCache) manager.getCache("users");
    assertThat(users).isSameAs(manager.getCache("users"));
    manager.close();
    assertThatThrownBy(() -> users.get("k")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void manager_cacheFunctionNamingTheCacheWrongly_isRefused() {
    CachetCacheManager manager =
        CachetCacheManager.newBuilder(
                spec -> SpringTestCaches.memory().apply(new SpringCacheSpec("other", spec.keyCodec(), spec.valueSerializer())))
            .build();
    assertThatThrownBy(() -> manager.getCache("users"))
        .isInstanceOf(dev.cachet.CacheConfigurationException.class)
        .hasMessageContaining("spec.name()");
    manager.close();
  }

  @Test
  void manager_overACacheFactory_usesItsPreset_andBorrowsIt() {
    try (CacheFactory factory = CacheFactory.forTesting()) {
      ManualTicker ticker = factory.ticker().orElseThrow();
      CachetCacheManager manager =
          CachetCacheManager.newBuilder(factory).cacheNames("from-factory").build();
      assertThat(manager.factory()).containsSame(factory);
      Cache cache = manager.getCache("from-factory");
      assertThat(cache.<String>get(new SimpleKey("a", 1), () -> "v")).isEqualTo("v");
      assertThat(cache.get(new SimpleKey("a", 1), String.class)).isEqualTo("v");
      assertThat(factory.health().details()).containsKey("cache.from-factory");

      // the testing preset's one-minute TTL, on the factory's ticker
      ticker.advance(Duration.ofSeconds(61));
      assertThat(cache.get(new SimpleKey("a", 1))).isNull();

      // closing the manager closes its caches (the factory forgets them), not the factory
      manager.close();
      assertThat(factory.health().details()).doesNotContainKey("cache.from-factory");
      try (CachetCacheManager again = CachetCacheManager.newBuilder(factory).build()) {
        assertThat(again.getCache("from-factory").<String>get("k", () -> "w")).isEqualTo("w");
      }
    }
  }

  @Test
  void manager_overAClosedFactory_failsOnTheFirstCache() {
    CacheFactory factory = CacheFactory.forTesting();
    factory.close();
    CachetCacheManager manager = CachetCacheManager.newBuilder(factory).build();
    assertThatThrownBy(() -> manager.getCache("late"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> CachetCacheManager.newBuilder((CacheFactory) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("factory");
  }

  @Test
  void manager_onCacheCreated_isCalledOncePerCache() {
    List<String> created = new ArrayList<>();
    CachetCacheManager manager =
        CachetCacheManager.newBuilder(SpringTestCaches.memory())
            .cacheNames("a")
            .onCacheCreated(c -> created.add(c.getName()))
            .build();
    manager.getCache("a");
    manager.getCache("b");
    manager.getCache("b");
    assertThat(created).containsExactly("a", "b");
    manager.close();
  }
}
