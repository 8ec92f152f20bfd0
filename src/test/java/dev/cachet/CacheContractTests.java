package dev.cachet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cachet.testing.Eventually;
import dev.cachet.testing.FakeTicker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The contract every {@link Cache} implementation and composition honours. Subclasses supply {@link
 * #newCache(Spec)} and declare their {@link #capabilities()}, in the spirit of Caffeine's {@code
 * CacheSpec}: without {@link Capability#FAKE_TIME}, TTL tests use real short TTLs and poll against a
 * deadline. A test may be skipped only for a capability the implementation declared unsupported; {@link
 * CapabilityGuard} fails the class otherwise.
 *
 * <p>Values are {@code String}s so that every tier (including ones that serialize) can store them.
 */
@ExtendWith(CapabilityGuard.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class CacheContractTests {

  /** What an implementation can do; tests needing an undeclared capability are skipped. */
  public enum Capability {
    /** Expiry follows an injected {@link FakeTicker}. */
    FAKE_TIME,
    /** The cache honours {@link Spec#maximumSize()}. */
    SIZE_BOUND,
    /** {@link CacheStats#evictionCount()} is present and exact. */
    EVICTION_COUNTS
  }

  /**
   * How a test wants its cache.
   *
   * @param name a fresh, valid cache name
   * @param keyCodec the key codec (implementations that need none may ignore it)
   * @param defaultTtl the default time to live
   * @param maximumSize the entry bound, 0 for the implementation's default
   * @param ticker the fake time source (with {@link Capability#FAKE_TIME}), else null
   * @param maxKeyLength the maximum encoded key length
   * @param loader the build-time loader, or null
   */
  public record Spec<K>(
      String name,
      KeyCodec<K> keyCodec,
      Duration defaultTtl,
      long maximumSize,
      FakeTicker ticker,
      int maxKeyLength,
      CacheLoader<K, String> loader) {}

  /** Builds a cache as {@code spec} asks. The suite closes it after the test. */
  protected abstract <K> Cache<K, String> newCache(Spec<K> spec);

  /** The capabilities of this implementation. */
  protected abstract Set<Capability> capabilities();

  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private final List<Cache<?, ?>> created = new CopyOnWriteArrayList<>();
  protected FakeTicker ticker;

  @AfterEach
  void closeCaches() {
    created.forEach(Cache::close);
  }

  /** Skips the calling test unless the implementation has {@code capability}. */
  protected final void requires(Capability capability) {
    Assumptions.assumeTrue(
        capabilities().contains(capability),
        CapabilityGuard.UNSUPPORTED_PREFIX + capability.name());
  }

  protected final boolean has(Capability capability) {
    return capabilities().contains(capability);
  }

  private static String freshName() {
    String suffix = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    return "contract-" + SEQUENCE.incrementAndGet() + "-" + suffix;
  }

  protected final Cache<String, String> cache() {
    return cache(b -> {});
  }

  protected final Cache<String, String> cache(Consumer<SpecBuilder<String>> customizer) {
    return cache(KeyCodec.strings(), customizer);
  }

  protected final <K> Cache<K, String> cache(
      KeyCodec<K> codec, Consumer<SpecBuilder<K>> customizer) {
    SpecBuilder<K> b = new SpecBuilder<>(codec);
    if (has(Capability.FAKE_TIME)) {
      ticker = new FakeTicker();
      b.ticker = ticker;
    }
    customizer.accept(b);
    Cache<K, String> cache =
        newCache(
            new Spec<>(b.name, codec, b.defaultTtl, b.maximumSize, b.ticker, b.maxKeyLength, b.loader));
    created.add(cache);
    return cache;
  }

  /** Mutable spec for tests. */
  protected static final class SpecBuilder<K> {
    String name = freshName();
    final KeyCodec<K> codec;
    Duration defaultTtl = Duration.ofMinutes(10);
    long maximumSize;
    FakeTicker ticker;
    int maxKeyLength = 1024;
    CacheLoader<K, String> loader;

    SpecBuilder(KeyCodec<K> codec) {
      this.codec = codec;
    }
  }

  private static long count(java.util.OptionalLong value) {
    assertThat(value).as("figure must be known").isPresent();
    return value.getAsLong();
  }

  // ------------------------------------------------------------------ basics

  @Test
  void name_isTheConfiguredName() {
    Cache<String, String> cache = cache(b -> b.name = "orders-by-id_2");
    assertThat(cache.name()).isEqualTo("orders-by-id_2");
  }

  @Test
  void getIfPresent_absent_returnsNullAndCountsMiss() {
    Cache<String, String> cache = cache();
    assertThat(cache.getIfPresent("nope")).isNull();
    assertThat(count(cache.stats().missCount())).isEqualTo(1);
    assertThat(count(cache.stats().hitCount())).isZero();
  }

  @Test
  void getIfPresent_present_returnsValueAndCountsHit() {
    Cache<String, String> cache = cache();
    cache.put("k", "v");
    assertThat(cache.getIfPresent("k")).isEqualTo("v");
    assertThat(count(cache.stats().hitCount())).isEqualTo(1);
    assertThat(count(cache.stats().putCount())).isEqualTo(1);
  }

  @Test
  void put_existingKey_replacesValue() {
    Cache<String, String> cache = cache();
    cache.put("k", "v1");
    cache.put("k", "v2");
    assertThat(cache.getIfPresent("k")).isEqualTo("v2");
  }

  @Test
  void put_unicodeAndEmptyValues_roundTrip() {
    Cache<String, String> cache = cache();
    cache.put("empty", "");
    cache.put("unicode", "grüße 🌍 \u0000 end");
    cache.put("ключ/with:odd*chars?[x]", "v");
    assertThat(cache.getIfPresent("empty")).isEmpty();
    assertThat(cache.getIfPresent("unicode")).isEqualTo("grüße 🌍 \u0000 end");
    assertThat(cache.getIfPresent("ключ/with:odd*chars?[x]")).isEqualTo("v");
  }

  @Test
  void put_invalidTtl_throwsNamingTtl() {
    Cache<String, String> cache = cache();
    assertThatThrownBy(() -> cache.put("k", "v", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ttl");
    assertThatThrownBy(() -> cache.put("k", "v", Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ttl");
    assertThat(cache.getIfPresent("k")).isNull();
  }

  // ------------------------------------------------------------------ loading

  @Test
  void get_absent_loadsStoresAndReturns() {
    Cache<String, String> cache = cache();
    AtomicInteger calls = new AtomicInteger();
    assertThat(cache.get("k", k -> "loaded-" + k + "-" + calls.incrementAndGet()))
        .isEqualTo("loaded-k-1");
    assertThat(cache.get("k", k -> "again-" + calls.incrementAndGet())).isEqualTo("loaded-k-1");
    assertThat(calls).hasValue(1);
    assertThat(cache.getIfPresent("k")).isEqualTo("loaded-k-1");
    CacheStats stats = cache.stats();
    assertThat(count(stats.loadSuccessCount())).isEqualTo(1);
    assertThat(count(stats.missCount())).isEqualTo(1);
    assertThat(count(stats.hitCount())).isEqualTo(2);
  }

  @Test
  void get_loaderReturnsNull_storesNothing() {
    Cache<String, String> cache = cache();
    assertThat(cache.get("k", k -> null)).isNull();
    AtomicInteger calls = new AtomicInteger();
    assertThat(cache.get("k", k -> { calls.incrementAndGet(); return null; })).isNull();
    assertThat(calls).hasValue(1);
    assertThat(cache.getIfPresent("k")).isNull();
  }

  @Test
  void get_loaderThrowsUnchecked_propagatesAndLeavesNoEntry() {
    Cache<String, String> cache = cache();
    IllegalStateException boom = new IllegalStateException("boom");
    assertThatThrownBy(() -> cache.get("k", k -> { throw boom; })).isSameAs(boom);
    assertThat(cache.getIfPresent("k")).isNull();
    assertThat(count(cache.stats().loadFailureCount())).isEqualTo(1);
    assertThat(cache.get("k", k -> "recovered")).isEqualTo("recovered");
  }

  @Test
  void get_loaderThrowsChecked_wrapsInCacheLoaderException() {
    Cache<String, String> cache = cache();
    IOException cause = new IOException("disk gone");
    Throwable thrown = catchThrowable(() -> cache.get("k", k -> { throw cause; }));
    assertThat(thrown).isInstanceOf(CacheLoaderException.class).hasCause(cause);
    assertThat(((CacheLoaderException) thrown).cacheName()).isEqualTo(cache.name());
    assertThat(cache.getIfPresent("k")).isNull();
  }

  @Test
  void get_concurrentCallersOfAbsentKey_runLoaderOnce() throws Exception {
    Cache<String, String> cache = cache();
    int threads = 64;
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch loaderEntered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch ready = new CountDownLatch(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  return cache.get(
                      "hot",
                      k -> {
                        calls.incrementAndGet();
                        loaderEntered.countDown();
                        release.await(10, TimeUnit.SECONDS);
                        return "value";
                      });
                }));
      }
      ready.await(10, TimeUnit.SECONDS);
      loaderEntered.await(10, TimeUnit.SECONDS);
      // give the other callers time to arrive at the in-flight load, then let it finish
      awaitQuietly(Duration.ofMillis(200));
      release.countDown();
      for (Future<String> f : results) {
        assertThat(f.get(20, TimeUnit.SECONDS)).isEqualTo("value");
      }
      assertThat(calls).hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void get_concurrentCallersOfFailingLoad_allSeeTheFailure() throws Exception {
    Cache<String, String> cache = cache();
    int threads = 16;
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Throwable>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(
            pool.submit(
                () ->
                    catchThrowable(
                        () ->
                            cache.get(
                                "k",
                                k -> {
                                  calls.incrementAndGet();
                                  release.await(10, TimeUnit.SECONDS);
                                  throw new IllegalStateException("load failed");
                                }))));
      }
      awaitQuietly(Duration.ofMillis(200));
      release.countDown();
      for (Future<Throwable> f : results) {
        assertThat(f.get(20, TimeUnit.SECONDS))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("load failed");
      }
      assertThat(calls.get()).isBetween(1, threads);
      assertThat(cache.getIfPresent("k")).isNull();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void get_invalidatedWhileLoading_doesNotKeepLoadedValue() throws Exception {
    Cache<String, String> cache = cache();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> load =
        CompletableFuture.supplyAsync(
            () ->
                cache.get(
                    "k",
                    k -> {
                      entered.countDown();
                      release.await(10, TimeUnit.SECONDS);
                      return "stale";
                    }));
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    cache.invalidate("k");
    release.countDown();
    assertThat(load.get(10, TimeUnit.SECONDS)).isEqualTo("stale");
    assertThat(cache.getIfPresent("k")).isNull();
  }

  @Test
  void get_putWhileLoading_keepsThePut() throws Exception {
    Cache<String, String> cache = cache();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> load =
        CompletableFuture.supplyAsync(
            () ->
                cache.get(
                    "k",
                    k -> {
                      entered.countDown();
                      release.await(10, TimeUnit.SECONDS);
                      return "old";
                    }));
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    cache.put("k", "new");
    release.countDown();
    load.get(10, TimeUnit.SECONDS);
    assertThat(cache.getIfPresent("k")).isEqualTo("new");
  }

  @Test
  void get_withBuildTimeLoader_usesIt() {
    Cache<String, String> cache = cache(b -> b.loader = k -> "built-" + k);
    assertThat(cache.get("a")).isEqualTo("built-a");
    assertThat(cache.getIfPresent("a")).isEqualTo("built-a");
  }

  @Test
  void get_withoutBuildTimeLoader_throwsIllegalState() {
    Cache<String, String> cache = cache();
    assertThatThrownBy(() -> cache.get("a"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(cache.name())
        .hasMessageContaining("loader");
  }

  // ------------------------------------------------------------------ batch

  @Test
  void getAllPresent_returnsOnlyPresentEntries() {
    Cache<String, String> cache = cache();
    cache.put("a", "1");
    cache.put("c", "3");
    Map<String, String> found = cache.getAllPresent(List.of("a", "b", "c", "a"));
    assertThat(found).containsExactlyInAnyOrderEntriesOf(Map.of("a", "1", "c", "3"));
    assertThat(count(cache.stats().hitCount())).isEqualTo(2);
    assertThat(count(cache.stats().missCount())).isEqualTo(1);
  }

  @Test
  @SuppressWarnings("removal")
  void getAll_withoutLoader_isDeprecatedAndAgreesWithGetAllPresent() {
    Cache<String, String> cache = cache();
    cache.put("a", "1");
    assertThat(cache.getAll(List.of("a", "b"))).isEqualTo(cache.getAllPresent(List.of("a", "b")));
    assertThat(cache.getAll(List.of("a", "b"))).isEqualTo(Map.of("a", "1"));
  }

  @Test
  void async_getAllPresent_neverLoads() throws Exception {
    Cache<String, String> cache = cache(b -> b.loader = k -> "loaded");
    cache.put("a", "1");
    assertThat(cache.async().getAllPresent(List.of("a", "b")).get(10, TimeUnit.SECONDS))
        .isEqualTo(Map.of("a", "1"));
    assertThat(cache.getIfPresent("b")).isNull();
  }

  // ------------------------------------------------------------------ containsKey

  @Test
  void containsKey_agreesWithGetIfPresent_andCountsNothing() throws Exception {
    Cache<String, String> cache = cache();
    cache.put("a", "1");
    cache.put("gone", "2");
    cache.invalidate("gone");
    assertThat(cache.containsKey("a")).isTrue();
    assertThat(cache.containsKey("absent")).isFalse();
    assertThat(cache.containsKey("gone")).isFalse();
    assertThat(count(cache.stats().hitCount()) + count(cache.stats().missCount())).isZero();
    cache.put("short", "3", Duration.ofMillis(has(Capability.FAKE_TIME) ? 1_000 : 300));
    if (has(Capability.FAKE_TIME)) {
      ticker.advance(Duration.ofSeconds(2));
    } else {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (cache.containsKey("short") && System.nanoTime() < deadline) {
        Thread.onSpinWait(); // waits for the expiry (the event), bounded by the deadline
      }
    }
    assertThat(cache.containsKey("short")).isFalse();
    assertThat(cache.getIfPresent("short")).isNull();
  }

  @Test
  void containsKey_doesNotLoad() {
    Cache<String, String> cache = cache(b -> b.loader = k -> "loaded");
    assertThat(cache.containsKey("k")).isFalse();
    assertThat(cache.getIfPresent("k")).isNull();
  }

  // ------------------------------------------------------------------ putIfAbsent, compute

  @Test
  void putIfAbsent_absent_storesAndReturnsNull() {
    Cache<String, String> cache = cache();
    assertThat(cache.putIfAbsent("k", "v")).isNull();
    assertThat(cache.getIfPresent("k")).isEqualTo("v");
  }

  @Test
  void putIfAbsent_present_returnsCurrentAndKeepsIt() {
    Cache<String, String> cache = cache();
    cache.put("k", "old");
    assertThat(cache.putIfAbsent("k", "new")).isEqualTo("old");
    assertThat(cache.getIfPresent("k")).isEqualTo("old");
  }

  @Test
  void putIfAbsent_afterInvalidate_stores() {
    Cache<String, String> cache = cache();
    cache.put("k", "old");
    cache.invalidate("k");
    assertThat(cache.putIfAbsent("k", "new")).isNull();
    assertThat(cache.getIfPresent("k")).isEqualTo("new");
  }

  @Test
  void compute_absent_functionSeesNullAndResultIsStored() {
    Cache<String, String> cache = cache();
    List<String> seen = new ArrayList<>();
    assertThat(cache.compute("k", (k, v) -> { seen.add(String.valueOf(v)); return k + "=1"; }))
        .isEqualTo("k=1");
    assertThat(seen).containsExactly("null");
    assertThat(cache.getIfPresent("k")).isEqualTo("k=1");
  }

  @Test
  void compute_present_functionSeesCurrentValue() {
    Cache<String, String> cache = cache();
    cache.put("k", "1");
    assertThat(cache.compute("k", (k, v) -> v + "+1")).isEqualTo("1+1");
    assertThat(cache.getIfPresent("k")).isEqualTo("1+1");
  }

  @Test
  void compute_returningNull_removesTheEntry() {
    Cache<String, String> cache = cache();
    cache.put("k", "1");
    assertThat(cache.compute("k", (k, v) -> null)).isNull();
    assertThat(cache.getIfPresent("k")).isNull();
    assertThat(cache.compute("absent", (k, v) -> null)).isNull();
    assertThat(cache.getIfPresent("absent")).isNull();
  }

  @Test
  void compute_functionThrows_changesNothing() {
    Cache<String, String> cache = cache();
    cache.put("k", "1");
    assertThatThrownBy(() -> cache.compute("k", (k, v) -> { throw new IllegalStateException("boom"); }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("boom");
    assertThat(cache.getIfPresent("k")).isEqualTo("1");
  }

  @Test
  void compute_concurrentIncrements_eachAppliedExactlyOnce() throws Exception {
    Cache<String, String> cache = cache();
    int threads = 4;
    int perThread = has(Capability.FAKE_TIME) ? 200 : 25;
    List<String> keys = List.of("c0", "c1");
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      CountDownLatch start = new CountDownLatch(1);
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < perThread; i++) {
                    cache.compute(
                        keys.get(i % keys.size()),
                        (k, v) -> Integer.toString(v == null ? 1 : Integer.parseInt(v) + 1));
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(50, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    int total = 0;
    for (String key : keys) {
      total += Integer.parseInt(cache.getIfPresent(key));
    }
    assertThat(total).isEqualTo(threads * perThread);
  }

  @Test
  void compute_whileLoading_makesTheLoadStale() throws Exception {
    Cache<String, String> cache = cache();
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> load =
        CompletableFuture.supplyAsync(
            () ->
                cache.get(
                    "k",
                    k -> {
                      loading.countDown();
                      release.await();
                      return "loaded";
                    }));
    assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(cache.compute("k", (k, v) -> "computed")).isEqualTo("computed");
    release.countDown();
    load.get(10, TimeUnit.SECONDS);
    assertThat(cache.getIfPresent("k")).isEqualTo("computed");
  }

  @Test
  void getAll_withBulkLoader_loadsAllMissingInOneCall() {
    Cache<String, String> cache = cache();
    cache.put("a", "1");
    List<Set<? extends String>> calls = new ArrayList<>();
    Map<String, String> result =
        cache.getAll(
            List.of("a", "b", "c", "d"),
            keys -> {
              calls.add(Set.copyOf(keys));
              Map<String, String> out = new HashMap<>();
              for (String k : keys) {
                if (!k.equals("d")) {
                  out.put(k, "loaded-" + k);
                }
              }
              out.put("unrequested", "ignored");
              return out;
            });
    assertThat(calls).containsExactly(Set.of("b", "c", "d"));
    assertThat(result)
        .containsExactlyInAnyOrderEntriesOf(Map.of("a", "1", "b", "loaded-b", "c", "loaded-c"));
    assertThat(cache.getIfPresent("b")).isEqualTo("loaded-b");
    assertThat(cache.getIfPresent("d")).isNull();
    assertThat(cache.getIfPresent("unrequested")).isNull();
  }

  @Test
  void getAll_bulkLoaderThrows_storesNothing() {
    Cache<String, String> cache = cache();
    assertThatThrownBy(
            () -> cache.getAll(List.of("x", "y"), keys -> { throw new IOException("down"); }))
        .isInstanceOf(CacheLoaderException.class)
        .hasCauseInstanceOf(IOException.class);
    assertThat(cache.getAllPresent(List.of("x", "y"))).isEmpty();
  }

  @Test
  void getAll_emptyKeys_returnsEmptyWithoutLoading() {
    Cache<String, String> cache = cache();
    assertThat(cache.getAllPresent(List.of())).isEmpty();
    assertThat(cache.getAll(List.of(), keys -> { throw new AssertionError("not called"); }))
        .isEmpty();
  }

  @Test
  void putAll_storesEveryEntry() {
    Cache<String, String> cache = cache();
    Map<String, String> entries = new LinkedHashMap<>();
    for (int i = 0; i < 50; i++) {
      entries.put("k" + i, "v" + i);
    }
    cache.putAll(entries);
    assertThat(cache.getAllPresent(entries.keySet())).isEqualTo(entries);
    assertThat(count(cache.stats().putCount())).isEqualTo(50);
  }

  // ------------------------------------------------------------------ invalidation

  @Test
  void invalidate_removesOnlyThatKey() {
    Cache<String, String> cache = cache();
    cache.put("a", "1");
    cache.put("b", "2");
    cache.invalidate("a");
    cache.invalidate("never-there");
    assertThat(cache.getIfPresent("a")).isNull();
    assertThat(cache.getIfPresent("b")).isEqualTo("2");
  }

  @Test
  void invalidateAllKeys_removesThoseKeys() {
    Cache<String, String> cache = cache();
    cache.putAll(Map.of("a", "1", "b", "2", "c", "3"));
    cache.invalidateAll(List.of("a", "c"));
    assertThat(cache.getAllPresent(List.of("a", "b", "c"))).isEqualTo(Map.of("b", "2"));
  }

  @Test
  void invalidateAll_removesEverything_andCacheStaysUsable() {
    Cache<String, String> cache = cache();
    cache.putAll(Map.of("a", "1", "b", "2"));
    cache.invalidateAll();
    assertThat(cache.getAllPresent(List.of("a", "b"))).isEmpty();
    cache.put("a", "again");
    assertThat(cache.getIfPresent("a")).isEqualTo("again");
  }

  @Test
  void invalidateAll_doesNotTouchOtherCaches() {
    Cache<String, String> one = cache();
    Cache<String, String> two = cache();
    one.put("k", "one");
    two.put("k", "two");
    one.invalidateAll();
    assertThat(one.getIfPresent("k")).isNull();
    assertThat(two.getIfPresent("k")).isEqualTo("two");
  }

  // ------------------------------------------------------------------ expiry

  @Test
  void defaultTtl_entryLivesUntilTtlAndNotAfter() throws Exception {
    if (has(Capability.FAKE_TIME)) {
      Cache<String, String> cache = cache(b -> b.defaultTtl = Duration.ofMinutes(1));
      cache.put("k", "v");
      ticker.advance(Duration.ofSeconds(59));
      assertThat(cache.getIfPresent("k")).isEqualTo("v");
      ticker.advance(Duration.ofSeconds(1));
      assertThat(cache.getIfPresent("k")).isNull();
    } else {
      Duration ttl = Duration.ofMillis(700);
      Cache<String, String> cache = cache(b -> b.defaultTtl = ttl);
      assertLivesAboutTtl(cache, () -> cache.put("k", "v"), ttl);
    }
  }

  @Test
  void putWithTtl_overridesDefault() throws Exception {
    if (has(Capability.FAKE_TIME)) {
      Cache<String, String> cache = cache(b -> b.defaultTtl = Duration.ofMinutes(1));
      cache.put("short", "v", Duration.ofSeconds(10));
      cache.put("long", "v", Duration.ofHours(1));
      ticker.advance(Duration.ofSeconds(10));
      assertThat(cache.getIfPresent("short")).isNull();
      ticker.advance(Duration.ofMinutes(30));
      assertThat(cache.getIfPresent("long")).isEqualTo("v");
      ticker.advance(Duration.ofMinutes(30));
      assertThat(cache.getIfPresent("long")).isNull();
    } else {
      Cache<String, String> cache = cache(b -> b.defaultTtl = Duration.ofMinutes(10));
      Duration ttl = Duration.ofMillis(700);
      assertLivesAboutTtl(cache, () -> cache.put("k", "v", ttl), ttl);
    }
  }

  @Test
  void loadedEntry_expiresAfterDefaultTtl() throws Exception {
    if (has(Capability.FAKE_TIME)) {
      Cache<String, String> cache = cache(b -> b.defaultTtl = Duration.ofSeconds(30));
      cache.get("k", k -> "v");
      ticker.advance(Duration.ofSeconds(30));
      assertThat(cache.getIfPresent("k")).isNull();
    } else {
      Duration ttl = Duration.ofMillis(700);
      Cache<String, String> cache = cache(b -> b.defaultTtl = ttl);
      assertLivesAboutTtl(cache, () -> cache.get("k", k -> "v"), ttl);
    }
  }

  /** Real time: present while younger than the TTL, gone soon after it. */
  private static void assertLivesAboutTtl(Cache<String, String> cache, Runnable write, Duration ttl)
      throws InterruptedException {
    long before = System.nanoTime();
    write.run();
    String early = cache.getIfPresent("k");
    long elapsed = System.nanoTime() - before;
    if (elapsed < ttl.toNanos() / 2) {
      assertThat(early).as("present well before its TTL").isEqualTo("v");
    }
    long deadline = before + ttl.toNanos() + Duration.ofSeconds(3).toNanos();
    while (cache.getIfPresent("k") != null) {
      assertThat(System.nanoTime()).as("expired within 3 s after its TTL").isLessThan(deadline);
      Thread.onSpinWait();
      TimeUnit.MILLISECONDS.sleep(20);
    }
    assertThat(System.nanoTime() - before)
        .as("not expired before its TTL")
        .isGreaterThanOrEqualTo(ttl.toNanos() - Duration.ofMillis(5).toNanos());
  }

  // ------------------------------------------------------------------ size bound

  @Test
  void sizeBound_evictsBeyondMaximum() {
    requires(Capability.SIZE_BOUND);
    Cache<String, String> cache = cache(b -> b.maximumSize = 100);
    for (int i = 0; i < 500; i++) {
      cache.put("k" + i, "v" + i);
    }
    CachePolicy.SizeBound bound = cache.policy().sizeBound().orElseThrow();
    assertThat(bound.maximum()).isEqualTo(100);
    assertThat(bound.estimatedSize()).isLessThanOrEqualTo(100);
    int present = cache.getAllPresent(allKeys(500)).size();
    assertThat(present).isLessThanOrEqualTo(100).isGreaterThan(0);
  }

  @Test
  void sizeBound_countsEvictions() {
    requires(Capability.EVICTION_COUNTS);
    Cache<String, String> cache = cache(b -> b.maximumSize = 10);
    for (int i = 0; i < 50; i++) {
      cache.put("k" + i, "v" + i);
    }
    long present = cache.getAllPresent(allKeys(50)).size();
    assertThat(count(cache.stats().evictionCount())).isEqualTo(50 - present);
  }

  @Test
  void sizeBound_resizedAtRuntime_shrinks() {
    requires(Capability.SIZE_BOUND);
    Cache<String, String> cache = cache(b -> b.maximumSize = 100);
    for (int i = 0; i < 100; i++) {
      cache.put("k" + i, "v" + i);
    }
    cache.policy().sizeBound().orElseThrow().setMaximum(10);
    assertThat(cache.policy().sizeBound().orElseThrow().estimatedSize()).isLessThanOrEqualTo(10);
  }

  private static List<String> allKeys(int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add("k" + i);
    }
    return keys;
  }

  // ------------------------------------------------------------------ stats

  @Test
  void stats_afterScriptedWorkload_areExact() {
    Cache<String, String> cache = cache();
    cache.put("a", "1");
    cache.getIfPresent("a");
    cache.getIfPresent("b");
    cache.get("c", k -> "3");
    cache.get("c", k -> "x");
    catchThrowable(() -> cache.get("d", k -> { throw new IllegalStateException(); }));
    CacheStats stats = cache.stats();
    assertThat(count(stats.hitCount())).isEqualTo(2);
    assertThat(count(stats.missCount())).isEqualTo(3);
    assertThat(count(stats.loadSuccessCount())).isEqualTo(1);
    assertThat(count(stats.loadFailureCount())).isEqualTo(1);
    assertThat(count(stats.putCount())).isEqualTo(2);
    assertThat(stats.hitRate()).hasValue(0.4);
    if (has(Capability.EVICTION_COUNTS)) {
      assertThat(stats.evictionCount()).hasValue(0);
    }
  }

  // ------------------------------------------------------------------ arguments

  @Test
  void nullArguments_throwNullPointerExceptionNamingTheArgument() {
    Cache<String, String> cache = cache();
    assertNpe(() -> cache.getIfPresent(null), "key");
    assertNpe(() -> cache.get(null, k -> "v"), "key");
    assertNpe(() -> cache.get("k", null), "loader");
    assertNpe(() -> cache.get(null), "key");
    assertNpe(() -> cache.getAll(null), "keys");
    assertNpe(() -> cache.getAll(Collections.singletonList(null)), "key");
    assertNpe(() -> cache.getAllPresent(null), "keys");
    assertNpe(() -> cache.getAllPresent(Collections.singletonList(null)), "key");
    assertNpe(() -> cache.containsKey(null), "key");
    assertNpe(() -> cache.putIfAbsent(null, "v"), "key");
    assertNpe(() -> cache.putIfAbsent("k", null), "value");
    assertNpe(() -> cache.compute(null, (k, v) -> v), "key");
    assertNpe(() -> cache.compute("k", null), "remapping");
    assertNpe(() -> cache.getAll(List.of("k"), null), "loader");
    assertNpe(() -> cache.put(null, "v"), "key");
    assertNpe(() -> cache.put("k", null), "value");
    assertNpe(() -> cache.put("k", "v", null), "ttl");
    assertNpe(() -> cache.putAll(null), "entries");
    assertNpe(() -> cache.putAll(Collections.singletonMap("k", null)), "value");
    assertNpe(() -> cache.invalidate(null), "key");
    assertNpe(() -> cache.invalidateAll((Iterable<String>) null), "keys");
    assertNpe(() -> cache.async().getIfPresent(null), "key");
    assertNpe(() -> cache.async().put("k", null), "value");
    assertThat(cache.getIfPresent("k")).isNull();
  }

  private static void assertNpe(Runnable call, String argument) {
    assertThatThrownBy(call::run)
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining(argument);
  }

  @Test
  void keyTooLong_isRejectedOnWriteAndLoad() {
    Cache<String, String> cache = cache(b -> b.maxKeyLength = 16);
    String longKey = "x".repeat(17);
    assertThatThrownBy(() -> cache.put(longKey, "v"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("17")
        .hasMessageContaining("16");
    assertThatThrownBy(() -> cache.get(longKey, k -> "v"))
        .isInstanceOf(IllegalArgumentException.class);
    cache.put("x".repeat(16), "fits");
    assertThat(cache.getIfPresent("x".repeat(16))).isEqualTo("fits");
  }

  /** A key type whose toString() collides for every instance; only its codec tells keys apart. */
  record CollidingKey(String tenant, String id) {
    @Override
    public String toString() {
      return "CollidingKey";
    }
  }

  @Test
  void keyCodec_distinctKeysWithEqualToString_stayDistinct() {
    KeyCodec<CollidingKey> codec = k -> k.tenant().length() + ":" + k.tenant() + "/" + k.id();
    Cache<CollidingKey, String> cache = cache(codec, b -> {});
    CollidingKey ab = new CollidingKey("a", "b:c");
    CollidingKey abc = new CollidingKey("a:b", "c");
    cache.put(ab, "first");
    cache.put(abc, "second");
    assertThat(cache.getIfPresent(ab)).isEqualTo("first");
    assertThat(cache.getIfPresent(abc)).isEqualTo("second");
    cache.invalidate(ab);
    assertThat(cache.getIfPresent(abc)).isEqualTo("second");
  }

  // ------------------------------------------------------------------ lifecycle

  @Test
  void close_isIdempotent_andLaterCallsThrowNamingTheCache() {
    Cache<String, String> cache = cache();
    cache.put("k", "v");
    cache.close();
    cache.close();
    List<Runnable> calls =
        List.of(
            () -> cache.getIfPresent("k"),
            () -> cache.get("k", k -> "v"),
            () -> cache.getAll(List.of("k")),
            () -> cache.getAllPresent(List.of("k")),
            () -> cache.containsKey("k"),
            () -> cache.putIfAbsent("k", "v"),
            () -> cache.compute("k", (k, v) -> "w"),
            () -> cache.getAll(List.of("k"), keys -> Map.of()),
            () -> cache.put("k", "v"),
            () -> cache.put("k", "v", Duration.ofSeconds(1)),
            () -> cache.putAll(Map.of("k", "v")),
            () -> cache.invalidate("k"),
            () -> cache.invalidateAll(List.of("k")),
            () -> cache.invalidateAll(),
            () -> cache.policy(),
            () -> cache.async().getIfPresent("k"),
            () -> cache.async().put("k", "v"));
    for (Runnable call : calls) {
      assertThatThrownBy(call::run)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(cache.name());
    }
    assertThat(cache.health().status()).isEqualTo(CacheHealth.Status.DOWN);
  }

  @Test
  void health_ofOpenCache_isNotDown() {
    Cache<String, String> cache = cache();
    assertThat(cache.health().status()).isNotEqualTo(CacheHealth.Status.DOWN);
    assertThat(cache.health().tiers()).isNotEmpty();
  }

  // ------------------------------------------------------------------ async view

  @Test
  void async_putThenGet_seesTheValue() throws Exception {
    Cache<String, String> cache = cache();
    AsyncCache<String, String> async = cache.async();
    assertThat(cache.async()).isSameAs(async);
    async.put("k", "v").get(10, TimeUnit.SECONDS);
    assertThat(async.getIfPresent("k").get(10, TimeUnit.SECONDS)).isEqualTo("v");
    assertThat(async.getAllPresent(List.of("k", "x")).get(10, TimeUnit.SECONDS))
        .isEqualTo(Map.of("k", "v"));
    async.invalidate("k").get(10, TimeUnit.SECONDS);
    assertThat(cache.getIfPresent("k")).isNull();
    assertThat(async.sync()).isSameAs(cache);
  }

  // ------------------------------------------------------------------ runtime TTL

  @Test
  void timeToLive_changedAtRuntime_appliesToLaterWritesOnly_andShowsInStats() throws Exception {
    Cache<String, String> cache = cache();
    CachePolicy.TimeToLive ttl = cache.policy().timeToLive().orElseThrow();
    assertThat(ttl.defaultTtl()).isEqualTo(Duration.ofMinutes(10));
    assertThat(cache.stats().defaultTtl()).contains(Duration.ofMinutes(10));
    cache.put("before", "1");
    Duration shortTtl = Duration.ofMillis(has(Capability.FAKE_TIME) ? 1_000 : 500);
    ttl.setDefaultTtl(shortTtl);
    assertThat(cache.policy().timeToLive().orElseThrow().defaultTtl()).isEqualTo(shortTtl);
    assertThat(cache.stats().defaultTtl()).contains(shortTtl);
    cache.put("after", "2");
    cache.get("loaded", k -> "3");
    if (has(Capability.FAKE_TIME)) {
      ticker.advance(Duration.ofSeconds(2));
    } else {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while ((cache.getIfPresent("after") != null || cache.getIfPresent("loaded") != null)
          && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(20); // polls for the expiry (the event), bounded by the deadline
      }
    }
    assertThat(cache.getIfPresent("after")).isNull();
    assertThat(cache.getIfPresent("loaded")).isNull();
    assertThat(cache.getIfPresent("before")).isEqualTo("1");
  }

  @Test
  void timeToLive_invalidValues_areRejectedAndChangeNothing() {
    Cache<String, String> cache = cache();
    CachePolicy.TimeToLive ttl = cache.policy().timeToLive().orElseThrow();
    assertThatThrownBy(() -> ttl.setDefaultTtl(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
    assertThatThrownBy(() -> ttl.setDefaultTtl(Duration.ofSeconds(-5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
    assertThatThrownBy(() -> ttl.setDefaultTtl(Duration.ofDays(100_000)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
    assertNpe(() -> ttl.setDefaultTtl(null), "ttl");
    assertThat(ttl.defaultTtl()).isEqualTo(Duration.ofMinutes(10));
    cache.close();
    assertThatThrownBy(() -> ttl.setDefaultTtl(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class);
  }

  // ------------------------------------------------------------------ asynchronous loaders

  @Test
  void asyncLoader_absent_loadsStoresAndReturns_thenHits() throws Exception {
    Cache<String, String> cache = cache();
    AtomicInteger calls = new AtomicInteger();
    String value =
        cache.async()
            .get("k", (k, executor) -> {
              calls.incrementAndGet();
              return CompletableFuture.supplyAsync(() -> k + "!", executor);
            })
            .get(10, TimeUnit.SECONDS);
    assertThat(value).isEqualTo("k!");
    assertThat(cache.getIfPresent("k")).isEqualTo("k!");
    assertThat(cache.async().get("k", (k, e) -> CompletableFuture.completedFuture("other")).get(10, TimeUnit.SECONDS))
        .isEqualTo("k!");
    assertThat(calls).hasValue(1);
  }

  @Test
  void asyncLoader_concurrentCallersShareOneLoad_cancellingOneNeverCancelsIt() throws Exception {
    Cache<String, String> cache = cache();
    AtomicInteger calls = new AtomicInteger();
    CompletableFuture<String> remote = new CompletableFuture<>();
    List<CompletableFuture<String>> callers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      callers.add(cache.async().get("k", (k, e) -> { calls.incrementAndGet(); return remote; }));
    }
    assertThat(callers.get(0).cancel(true)).isTrue();
    CompletableFuture<String> sync = CompletableFuture.supplyAsync(() -> cache.get("k", k -> "sync-loader"));
    remote.complete("shared");
    assertThat(callers.get(1).get(10, TimeUnit.SECONDS)).isEqualTo("shared");
    assertThat(callers.get(2).get(10, TimeUnit.SECONDS)).isEqualTo("shared");
    assertThat(sync.get(10, TimeUnit.SECONDS)).isIn("shared", "sync-loader");
    assertThat(callers.get(0)).isCancelled();
    assertThat(remote).isNotCancelled();
    assertThat(calls).hasValue(1);
    assertThat(cache.getIfPresent("k")).isIn("shared", "sync-loader");
  }

  @Test
  void asyncLoader_failure_completesEveryCallerExceptionallyAndStoresNothing() {
    Cache<String, String> cache = cache();
    CompletableFuture<String> remote = new CompletableFuture<>();
    CompletableFuture<String> a = cache.async().get("k", (k, e) -> remote);
    CompletableFuture<String> b = cache.async().get("k", (k, e) -> remote);
    remote.completeExceptionally(new IOException("remote down"));
    for (CompletableFuture<String> f : List.of(a, b)) {
      Throwable thrown = catchThrowable(() -> f.get(10, TimeUnit.SECONDS));
      assertThat(thrown).hasRootCauseInstanceOf(IOException.class);
    }
    assertThat(cache.getIfPresent("k")).isNull();
    Throwable sync = catchThrowable(() -> cache.async().get("x", (k, e) -> { throw new IllegalStateException("at once"); }).get(10, TimeUnit.SECONDS));
    assertThat(sync).hasRootCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void asyncBulkLoader_loadsOnlyMissingKeysInOneCall() throws Exception {
    Cache<String, String> cache = cache();
    cache.put("a", "1");
    List<Set<? extends String>> calls = new CopyOnWriteArrayList<>();
    Map<String, String> result =
        cache.async()
            .getAll(List.of("a", "b", "c"), (keys, executor) -> {
              calls.add(Set.copyOf(keys));
              Map<String, String> loaded = new HashMap<>();
              keys.forEach(k -> loaded.put(k, k.toUpperCase()));
              loaded.remove("c");
              return CompletableFuture.supplyAsync(() -> loaded, executor);
            })
            .get(10, TimeUnit.SECONDS);
    assertThat(result).isEqualTo(Map.of("a", "1", "b", "B"));
    assertThat(calls).containsExactly(Set.of("b", "c"));
    assertThat(cache.getIfPresent("b")).isEqualTo("B");
    assertThat(cache.getIfPresent("c")).isNull();
  }

  @Test
  void asyncBulkLoader_waitsForKeysAnotherCallerIsLoading() throws Exception {
    Cache<String, String> cache = cache();
    CompletableFuture<String> remote = new CompletableFuture<>();
    CountDownLatch loading = new CountDownLatch(1);
    CompletableFuture<String> single =
        cache.async().get("a", (k, e) -> {
          loading.countDown();
          return remote;
        });
    // a remote cache reads Redis before it loads: the bulk call starts once "a" is being loaded
    assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
    AtomicInteger bulkCalls = new AtomicInteger();
    CompletableFuture<Map<String, String>> bulk =
        cache.async().getAll(List.of("a", "b"), (keys, e) -> {
          bulkCalls.incrementAndGet();
          assertThat(Set.<String>copyOf(keys)).isEqualTo(Set.of("b"));
          return CompletableFuture.completedFuture(Map.of("b", "B"));
        });
    remote.complete("A");
    assertThat(single.get(10, TimeUnit.SECONDS)).isEqualTo("A");
    assertThat(bulk.get(10, TimeUnit.SECONDS)).isEqualTo(Map.of("a", "A", "b", "B"));
    assertThat(bulkCalls).hasValue(1);
  }

  /**
   * Issue 19's duplicate load, made deterministic: a single async load of "a" runs; {@code reader} (a
   * loading read of "a") starts, its lookup misses "a", and its claim is held (test hook) until the
   * single load has finished (stored "a" and left the single flight), so no flight is left to join:
   * the reader must read "a" again, not load it. Returns the reader's answer.
   */
  private <T> T readWhileALoadOfAFinishes(
      Cache<String, String> cache, java.util.function.Supplier<CompletableFuture<T>> reader) throws Exception {
    CompletableFuture<String> remote = new CompletableFuture<>();
    CountDownLatch loading = new CountDownLatch(1);
    CompletableFuture<String> single =
        cache.async().get("a", (k, e) -> {
          loading.countDown();
          return remote;
        });
    assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
    CountDownLatch read = new CountDownLatch(1);
    CompletableFuture<Void> claim = new CompletableFuture<>();
    dev.cachet.internal.InternalTestAccess.afterLookup(cache, () -> {
      read.countDown();
      return claim;
    });
    CompletableFuture<T> answer = reader.get();
    assertThat(read.await(10, TimeUnit.SECONDS)).isTrue(); // the reader's lookup missed "a"
    dev.cachet.internal.InternalTestAccess.afterLookup(cache, null);
    remote.complete("A");
    assertThat(single.get(10, TimeUnit.SECONDS)).isEqualTo("A"); // stored, its flight gone
    claim.complete(null);
    return answer.get(10, TimeUnit.SECONDS);
  }

  @Test
  void asyncBulkLoader_doesNotReloadAKeyWhoseLoadFinishedDuringItsRead() throws Exception {
    Cache<String, String> cache = cache();
    List<Set<String>> bulkKeys = new CopyOnWriteArrayList<>();
    Map<String, String> values =
        readWhileALoadOfAFinishes(cache, () -> cache.async().getAll(List.of("a", "b"), (keys, e) -> {
          bulkKeys.add(Set.copyOf(keys));
          return CompletableFuture.completedFuture(Map.of("b", "B"));
        }));
    assertThat(values).isEqualTo(Map.of("a", "A", "b", "B"));
    assertThat(bulkKeys).containsExactly(Set.of("b"));
  }

  @Test
  void asyncLoader_doesNotReloadAKeyWhoseLoadFinishedDuringItsRead() throws Exception {
    Cache<String, String> cache = cache();
    AtomicInteger calls = new AtomicInteger();
    String value =
        readWhileALoadOfAFinishes(cache, () -> cache.async().get("a", (k, e) -> {
          calls.incrementAndGet();
          return CompletableFuture.completedFuture("again");
        }));
    assertThat(value).isEqualTo("A");
    assertThat(calls).hasValue(0);
  }

  /** The synchronous bulk load also reads before it claims. */
  @Test
  void bulkLoader_doesNotReloadAKeyWhoseLoadFinishedDuringItsRead() throws Exception {
    Cache<String, String> cache = cache();
    List<Set<String>> bulkKeys = new CopyOnWriteArrayList<>();
    Map<String, String> values =
        readWhileALoadOfAFinishes(cache, () -> CompletableFuture.supplyAsync(
            () -> cache.getAll(List.of("a", "b"), keys -> {
              bulkKeys.add(Set.copyOf(keys));
              return Map.of("b", "B");
            })));
    assertThat(values).isEqualTo(Map.of("a", "A", "b", "B"));
    assertThat(bulkKeys).containsExactly(Set.of("b"));
  }

  @Test
  void async_getSharesSingleFlightWithSyncCallers() throws Exception {
    Cache<String, String> cache = cache();
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> first =
        cache.async()
            .get(
                "k",
                k -> {
                  calls.incrementAndGet();
                  entered.countDown();
                  release.await(10, TimeUnit.SECONDS);
                  return "v";
                });
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<String> second =
        CompletableFuture.supplyAsync(() -> cache.get("k", k -> "other-" + calls.incrementAndGet()));
    CompletableFuture<String> third = cache.async().get("k", k -> "third");
    release.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("v");
    assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("v");
    assertThat(third.get(10, TimeUnit.SECONDS)).isEqualTo("v");
    assertThat(calls).hasValue(1);
  }

  @Test
  void async_loaderFailure_completesExceptionallyAndStoresNothing() {
    Cache<String, String> cache = cache();
    CompletableFuture<String> f =
        cache.async().get("k", k -> { throw new IOException("no"); });
    assertThat(catchThrowable(() -> f.get(10, TimeUnit.SECONDS)))
        .hasCauseInstanceOf(CacheLoaderException.class);
    assertThat(cache.getIfPresent("k")).isNull();
  }

  // ------------------------------------------------------------------ warming

  /** A bulk loader that records each call's keys and returns {@code "v-" + key}, except for {@code absent}. */
  private static BulkLoader<String, String> recording(List<Set<String>> calls, Set<String> absent) {
    return keys -> {
      calls.add(Set.copyOf(keys));
      Map<String, String> out = new HashMap<>();
      for (String k : keys) {
        if (!absent.contains(k)) {
          out.put(k, "v-" + k);
        }
      }
      return out;
    };
  }

  @Test
  void warm_loadsOnlyMissingKeys_countsEveryKeyOnce_thenGetsHitWithoutLoading() throws Exception {
    Cache<String, String> cache = cache();
    cache.put("a", "1");
    List<Set<String>> calls = new CopyOnWriteArrayList<>();
    WarmReport report =
        cache.async()
            .warm(List.of("a", "b", "c", "d", "e", "b"), recording(calls, Set.of("d")), 2)
            .get(30, TimeUnit.SECONDS);
    assertThat(report.requested()).isEqualTo(5);
    assertThat(report.loaded()).isEqualTo(3);
    assertThat(report.alreadyPresent()).isEqualTo(1);
    assertThat(report.absent()).isEqualTo(1);
    assertThat(report.failed()).isZero();
    assertThat(report.possibleDuplicates()).isZero();
    assertThat(report.firstFailure()).isEmpty();
    assertThat(report.elapsed()).isPositive();
    // every missing key was asked for exactly once, "a" never; batches of at most 2
    List<String> asked = new ArrayList<>();
    calls.forEach(asked::addAll);
    assertThat(asked).containsExactlyInAnyOrder("b", "c", "d", "e");
    assertThat(calls).allSatisfy(keys -> assertThat(keys.size()).isBetween(1, 2));
    // a warm counts its loads, not hits or misses (it is not a read of the application)
    assertThat(count(cache.stats().hitCount())).isZero();
    assertThat(count(cache.stats().missCount())).isZero();
    assertThat(count(cache.stats().loadSuccessCount())).isEqualTo(calls.size());
    CacheLoader<String, String> mustNotLoad = k -> { throw new AssertionError("loaded " + k); };
    assertThat(cache.get("b", mustNotLoad)).isEqualTo("v-b");
    assertThat(cache.get("c", mustNotLoad)).isEqualTo("v-c");
    assertThat(cache.get("e", mustNotLoad)).isEqualTo("v-e");
    assertThat(cache.get("a", mustNotLoad)).isEqualTo("1");
    assertThat(cache.getIfPresent("d")).isNull();
  }

  @Test
  void warm_again_findsEverythingPresent_andCallsNoLoader() throws Exception {
    Cache<String, String> cache = cache();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      keys.add("k" + i);
    }
    List<Set<String>> calls = new CopyOnWriteArrayList<>();
    WarmReport first = cache.async().warm(keys, recording(calls, Set.of())).get(30, TimeUnit.SECONDS);
    assertThat(first.loaded()).isEqualTo(250);
    assertThat(calls).hasSize(3); // the default batch size is 100
    WarmReport second =
        cache.async().warm(keys, k -> { throw new AssertionError("loaded again"); }).get(30, TimeUnit.SECONDS);
    assertThat(second.alreadyPresent()).isEqualTo(250);
    assertThat(second.requested()).isEqualTo(250);
    assertThat(second.loaded() + second.failed() + second.absent()).isZero();
    assertThat(cache.getAllPresent(keys)).hasSize(250);
  }

  @Test
  void warm_loaderFailure_isCountedWithItsCause_storesNothing_andNamesNoKey() throws Exception {
    Cache<String, String> cache = cache();
    BulkLoader<String, String> failingForOne = keys -> {
      if (keys.contains("secret-key-x")) {
        throw new IOException("source down");
      }
      Map<String, String> out = new HashMap<>();
      keys.forEach(k -> out.put(k, "v-" + k));
      return out;
    };
    WarmReport report =
        cache.async().warm(List.of("secret-key-x", "y"), failingForOne, 1).get(30, TimeUnit.SECONDS);
    assertThat(report.failed()).isEqualTo(1);
    assertThat(report.loaded()).isEqualTo(1);
    assertThat(report.requested()).isEqualTo(2);
    assertThat(report.firstFailure()).get().isInstanceOf(CacheLoaderException.class);
    assertThat(report.firstFailure().get()).hasCauseInstanceOf(IOException.class);
    assertThat(report.toString()).doesNotContain("secret-key-x").doesNotContain("source down")
        .contains("failed=1");
    assertThat(cache.getIfPresent("secret-key-x")).isNull();
    assertThat(cache.getIfPresent("y")).isEqualTo("v-y");
    RuntimeException unchecked = new IllegalStateException("unchecked");
    WarmReport again =
        cache.async().warm(List.of("z"), keys -> { throw unchecked; }).get(30, TimeUnit.SECONDS);
    assertThat(again.failed()).isEqualTo(1);
    assertThat(again.firstFailure()).containsSame(unchecked);
  }

  @Test
  void warm_emptyKeys_reportsNothing_andCallsNoLoader() throws Exception {
    Cache<String, String> cache = cache();
    WarmReport report =
        cache.async().warm(List.of(), k -> { throw new AssertionError("called"); }).get(30, TimeUnit.SECONDS);
    assertThat(report.requested()).isZero();
  }

  @Test
  void warm_badInput_isRejectedAtOnce_withTypedExceptions_andLoadsNothing() {
    Cache<String, String> cache = cache(b -> b.maxKeyLength = 16);
    AtomicInteger calls = new AtomicInteger();
    BulkLoader<String, String> loader = keys -> {
      calls.incrementAndGet();
      return Map.of();
    };
    assertNpe(() -> cache.async().warm(null, loader), "keys");
    assertNpe(() -> cache.async().warm(Collections.singletonList(null), loader), "key");
    assertNpe(() -> cache.async().warm(List.of("k"), null), "loader");
    assertThatThrownBy(() -> cache.async().warm(List.of("k"), loader, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batchSize");
    assertThatThrownBy(() -> cache.async().warm(List.of("k"), loader, AsyncCache.MAX_WARM_BATCH_SIZE + 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batchSize");
    assertThatThrownBy(() -> cache.async().warm(List.of("ok", "x".repeat(17)), loader))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("17");
    cache.close();
    assertThatThrownBy(() -> cache.async().warm(List.of("k"), loader))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining(cache.name());
    assertThat(calls).hasValue(0);
  }

  @Test
  void warm_cacheClosedWhileWarming_completesWithTheRestCountedFailed() throws Exception {
    Cache<String, String> cache = cache();
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    CompletableFuture<WarmReport> warm =
        cache.async().warm(List.of("a", "b", "c"), keys -> {
          calls.incrementAndGet();
          loading.countDown();
          assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
          return Map.of();
        }, 1);
    assertThat(loading.await(30, TimeUnit.SECONDS)).isTrue();
    cache.close();
    release.countDown();
    WarmReport report = warm.get(30, TimeUnit.SECONDS);
    assertThat(report.requested()).isEqualTo(3);
    assertThat(report.failed()).as(report.toString()).isGreaterThanOrEqualTo(2);
    assertThat(report.firstFailure()).isPresent();
    assertThat(calls).hasValue(1);
  }

  @Test
  void warm_sharesTheSingleFlight_aGetJoinsItsLoad_andItJoinsAGetsLoad() throws Exception {
    Cache<String, String> cache = cache();
    // a get of a key the warm is loading joins the warm's load
    CountDownLatch warmLoading = new CountDownLatch(1);
    CountDownLatch releaseWarm = new CountDownLatch(1);
    CompletableFuture<WarmReport> warm =
        cache.async().warm(List.of("w"), keys -> {
          warmLoading.countDown();
          assertThat(releaseWarm.await(30, TimeUnit.SECONDS)).isTrue();
          return Map.of("w", "from-warm");
        });
    assertThat(warmLoading.await(30, TimeUnit.SECONDS)).isTrue();
    AtomicInteger getLoads = new AtomicInteger();
    CompletableFuture<String> get =
        CompletableFuture.supplyAsync(() -> cache.get("w", k -> "from-get-" + getLoads.incrementAndGet()));
    releaseWarm.countDown();
    assertThat(get.get(30, TimeUnit.SECONDS)).isEqualTo("from-warm");
    assertThat(getLoads).hasValue(0);
    assertThat(warm.get(30, TimeUnit.SECONDS).loaded()).isEqualTo(1);

    // a warm of a key a get is loading joins the get's load
    CountDownLatch getLoading = new CountDownLatch(1);
    CountDownLatch releaseGet = new CountDownLatch(1);
    CompletableFuture<String> slowGet =
        CompletableFuture.supplyAsync(
            () -> cache.get("g", k -> {
              getLoading.countDown();
              releaseGet.await(30, TimeUnit.SECONDS);
              return "from-get";
            }));
    assertThat(getLoading.await(30, TimeUnit.SECONDS)).isTrue();
    List<Set<String>> calls = new CopyOnWriteArrayList<>();
    CompletableFuture<WarmReport> joining = cache.async().warm(List.of("g", "h"), recording(calls, Set.of()));
    Eventually.await(Duration.ofSeconds(30), "the warm loaded h", () -> assertThat(calls).hasSize(1));
    releaseGet.countDown();
    WarmReport report = joining.get(30, TimeUnit.SECONDS);
    assertThat(slowGet.get(30, TimeUnit.SECONDS)).isEqualTo("from-get");
    assertThat(calls).containsExactly(Set.of("h"));
    assertThat(report.loaded()).isEqualTo(1);
    assertThat(report.alreadyPresent()).isEqualTo(1);
    assertThat(cache.getIfPresent("g")).isEqualTo("from-get");
  }

  // ------------------------------------------------------------------ concurrency

  @Test
  void concurrentMixedOperations_keepInvariants() throws Exception {
    Cache<String, String> cache = cache();
    int threads = 8;
    int opsPerThread = has(Capability.FAKE_TIME) ? 5_000 : 500;
    int keys = 32;
    AtomicLong gets = new AtomicLong();
    Map<String, AtomicLong> versions = new ConcurrentHashMap<>();
    List<String> corrupt = new CopyOnWriteArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  ThreadLocalRandom random = ThreadLocalRandom.current();
                  for (int i = 0; i < opsPerThread; i++) {
                    String key = "key-" + random.nextInt(keys);
                    int op = random.nextInt(10);
                    if (op < 5) {
                      gets.incrementAndGet();
                      String value = cache.getIfPresent(key);
                      if (value != null && !value.startsWith(key + "=")) {
                        corrupt.add(key + " -> " + value);
                      }
                    } else if (op < 7) {
                      long v = versions.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
                      cache.put(key, key + "=" + v);
                    } else if (op < 8) {
                      cache.invalidate(key);
                    } else {
                      gets.incrementAndGet();
                      String value = cache.get(key, k -> k + "=loaded");
                      if (value == null || !value.startsWith(key + "=")) {
                        corrupt.add(key + " -> " + value);
                      }
                    }
                  }
                }));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(corrupt).as("values served under the wrong key").isEmpty();
    CacheStats stats = cache.stats();
    assertThat(count(stats.hitCount()) + count(stats.missCount())).isEqualTo(gets.get());
    // quiescent: every key reads back a value written for it, or nothing
    for (int i = 0; i < keys; i++) {
      String key = "key-" + i;
      String value = cache.getIfPresent(key);
      assertThat(value == null || value.startsWith(key + "=")).as(key + " -> " + value).isTrue();
    }
  }

  private static void awaitQuietly(Duration duration) throws InterruptedException {
    // waiting for other threads to reach a blocking point; not a timing assertion
    TimeUnit.NANOSECONDS.sleep(duration.toNanos());
  }

  /** All capabilities, for implementations that have every one. */
  protected static Set<Capability> allCapabilities() {
    return EnumSet.allOf(Capability.class);
  }
}
