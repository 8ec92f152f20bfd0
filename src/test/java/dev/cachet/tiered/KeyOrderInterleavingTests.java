package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheHealth;
import dev.cachet.CacheLoader;
import dev.cachet.InvalidValueException;
import dev.cachet.KeyCodec;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.FakeTicker;
import dev.cachet.tiered.ScriptedRemoteTier.Op;
import dev.cachet.tiered.ScriptedRemoteTier.Pending;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Deterministic interleavings of the races of issue 10 on one instance, over a remote tier whose
 * operations the test applies and completes in a chosen order. Every scenario ends with the key order's
 * guarantee: memory holds nothing for the key, or exactly what the remote tier holds.
 */
class KeyOrderInterleavingTests {

  private ScriptedRemoteTier<String> remote;
  private TieredCache<String, String> cache;
  private Duration remoteTimeout = Duration.ofSeconds(10);

  private TieredCache<String, String> build(Consumer<TieredCacheBuilder<String, String>> customizer) {
    remote = new ScriptedRemoteTier<>("order");
    TieredCacheBuilder<String, String> builder =
        TieredCacheBuilder.<String, String>newBuilder()
            .name("order").keyCodec(KeyCodec.strings()).remoteTier(remote).coherence(false)
            .remoteTimeout(remoteTimeout);
    customizer.accept(builder);
    cache = (TieredCache<String, String>) builder.build();
    return cache;
  }

  @AfterEach
  void close() {
    if (cache != null) {
      cache.close();
    }
  }

  private void assertMemoryAgreesWithRemote(String key) {
    String inMemory = cache.peekMemory(key);
    assertThat(inMemory).as("memory holds nothing or what Redis holds").isIn(null, remote.stored(key));
    assertThat(cache.getIfPresent(key)).isEqualTo(remote.stored(key));
    assertThat(cache.keyOrder().inFlight(key)).isZero();
  }

  private static CompletableFuture<Void> async(Runnable r) {
    return CompletableFuture.runAsync(r);
  }

  /** Every order in which two operations can reach Redis and their replies can come back. */
  static Stream<Arguments> orders() {
    return Stream.of(
        Arguments.of(true, true), Arguments.of(true, false),
        Arguments.of(false, true), Arguments.of(false, false));
  }

  @ParameterizedTest(name = "first applied first={0}, first completed first={1}")
  @MethodSource("orders")
  void put_racingPut_memoryNeverOlderThanRedis(boolean applyV1First, boolean completeV1First) throws Exception {
    build(b -> {});
    remote.hold(Op.PUT);
    CompletableFuture<Void> t1 = async(() -> cache.put("k", "v1"));
    Pending p1 = remote.next(Op.PUT, "v1");
    CompletableFuture<Void> t2 = async(() -> cache.put("k", "v2"));
    Pending p2 = remote.next(Op.PUT, "v2");
    settle(p1, p2, applyV1First, completeV1First);
    t1.get(5, TimeUnit.SECONDS);
    t2.get(5, TimeUnit.SECONDS);
    assertMemoryAgreesWithRemote("k");
  }

  @ParameterizedTest(name = "put applied first={0}, put completed first={1}")
  @MethodSource("orders")
  void put_racingInvalidate_memoryNeverOlderThanRedis(boolean applyPutFirst, boolean completePutFirst)
      throws Exception {
    build(b -> {});
    remote.hold(Op.PUT, Op.INVALIDATE);
    CompletableFuture<Void> t1 = async(() -> cache.put("k", "v1"));
    Pending put = remote.next(Op.PUT, "v1");
    CompletableFuture<Void> t2 = async(() -> cache.invalidate("k"));
    Pending inv = remote.next(Op.INVALIDATE, null);
    settle(put, inv, applyPutFirst, completePutFirst);
    t1.get(5, TimeUnit.SECONDS);
    t2.get(5, TimeUnit.SECONDS);
    assertMemoryAgreesWithRemote("k");
  }

  @ParameterizedTest(name = "load applied first={0}, load completed first={1}")
  @MethodSource("orders")
  void load_racingPut_neverOverwritesTheNewerValue(boolean applyLoadFirst, boolean completeLoadFirst)
      throws Exception {
    build(b -> {});
    remote.hold(Op.PUT, Op.PUT_IF_ABSENT);
    CompletableFuture<String> loader = CompletableFuture.supplyAsync(() -> cache.get("k", k -> "loaded"));
    Pending load = remote.next(Op.PUT_IF_ABSENT, "loaded");
    CompletableFuture<Void> writer = async(() -> cache.put("k", "v2"));
    Pending put = remote.next(Op.PUT, "v2");
    settle(load, put, applyLoadFirst, completeLoadFirst);
    assertThat(loader.get(5, TimeUnit.SECONDS)).isEqualTo("loaded");
    writer.get(5, TimeUnit.SECONDS);
    assertThat(remote.stored("k")).isEqualTo("v2");
    assertMemoryAgreesWithRemote("k");
  }

  @Test
  void load_afterPutCompletedDuringTheLoader_doesNotStoreTheLoadedValue() throws Exception {
    build(b -> {});
    java.util.concurrent.CountDownLatch inLoader = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    CompletableFuture<String> loader = CompletableFuture.supplyAsync(() -> cache.get("k", k -> {
      inLoader.countDown();
      release.await(5, TimeUnit.SECONDS);
      return "loaded";
    }));
    assertThat(inLoader.await(5, TimeUnit.SECONDS)).isTrue();
    cache.put("k", "v2");
    release.countDown();
    assertThat(loader.get(5, TimeUnit.SECONDS)).isEqualTo("loaded");
    assertThat(remote.stored("k")).isEqualTo("v2");
    assertThat(cache.peekMemory("k")).isIn(null, "v2");
    assertMemoryAgreesWithRemote("k");
  }

  /** Applies two held operations to Redis and completes their replies in the chosen orders. */
  private static void settle(Pending a, Pending b, boolean applyAFirst, boolean completeAFirst) {
    if (applyAFirst) {
      a.apply();
      b.apply();
    } else {
      b.apply();
      a.apply();
    }
    if (completeAFirst) {
      a.complete();
      b.complete();
    } else {
      b.complete();
      a.complete();
    }
  }

  // ------------------------------------------------------------------ refresh-ahead

  private final FakeTicker ticker = new FakeTicker();
  private final AtomicInteger reloads = new AtomicInteger();

  private TieredCache<String, String> refreshing(java.util.concurrent.Executor executor) {
    CacheLoader<String, String> loader = new CacheLoader<>() {
      @Override
      public String load(String key) {
        return "loaded";
      }

      @Override
      public String reload(String key, String old) {
        return "reloaded-" + reloads.incrementAndGet();
      }
    };
    remoteTimeout = Duration.ofMillis(200);
    return build(b -> b.loader(loader).refreshAfterWrite(Duration.ofSeconds(1)).ticker(ticker)
        .refreshExecutor(executor));
  }

  private static final java.util.concurrent.Executor NEW_THREAD = r -> new Thread(r, "test-refresh").start();

  @Test
  void refresh_racingInvalidate_neverResurrectsTheKey() throws Exception {
    refreshing(NEW_THREAD);
    cache.put("k", "v1");
    ticker.advance(Duration.ofSeconds(2));
    remote.hold(Op.REPLACE, Op.INVALIDATE);
    assertThat(cache.getIfPresent("k")).isEqualTo("v1"); // triggers the refresh
    Pending replace = remote.next(Op.REPLACE, "reloaded-1");
    CompletableFuture<Void> inv = async(() -> cache.invalidate("k"));
    Pending invalidate = remote.next(Op.INVALIDATE, null);
    invalidate.apply();
    invalidate.complete();
    inv.get(5, TimeUnit.SECONDS);
    replace.apply(); // the compare-and-set arrives after the invalidation: it must not apply
    replace.complete();
    awaitNoRefreshPending();
    assertThat(remote.stored("k")).isNull();
    assertMemoryAgreesWithRemote("k");
  }

  @Test
  void refresh_afterInvalidateCompleted_doesNotWriteAnything() throws Exception {
    refreshing(NEW_THREAD);
    cache.put("k", "v1");
    ticker.advance(Duration.ofSeconds(2));
    remote.hold(Op.GET);
    assertThat(cache.getIfPresent("k")).isEqualTo("v1");
    Pending read = remote.next();
    cache.invalidate("k");
    read.apply();
    read.complete();
    awaitNoRefreshPending();
    assertThat(reloads.get()).as("nothing to refresh: the entry is gone").isZero();
    assertThat(remote.stored("k")).isNull();
    assertThat(cache.peekMemory("k")).isNull();
  }

  @Test
  void refresh_racingPut_thePutWins() throws Exception {
    refreshing(NEW_THREAD);
    cache.put("k", "v1");
    ticker.advance(Duration.ofSeconds(2));
    remote.hold(Op.REPLACE, Op.PUT);
    cache.getIfPresent("k");
    Pending replace = remote.next(Op.REPLACE, "reloaded-1");
    CompletableFuture<Void> writer = async(() -> cache.put("k", "v2"));
    Pending put = remote.next(Op.PUT, "v2");
    put.apply();
    replace.apply();
    replace.complete();
    put.complete();
    writer.get(5, TimeUnit.SECONDS);
    awaitNoRefreshPending();
    assertThat(remote.stored("k")).isEqualTo("v2");
    assertMemoryAgreesWithRemote("k");
  }

  @Test
  void refresh_uncontended_replacesRemoteAndMemory() throws Exception {
    refreshing(NEW_THREAD);
    cache.put("k", "v1");
    ticker.advance(Duration.ofSeconds(2));
    cache.getIfPresent("k");
    awaitNoRefreshPending();
    assertThat(remote.stored("k")).isEqualTo("reloaded-1");
    assertThat(cache.peekMemory("k")).isEqualTo("reloaded-1");
  }

  @Test
  void refresh_rejectedByTheExecutor_leavesNoMarker_andIsTriedAgain() throws Exception {
    AtomicInteger offered = new AtomicInteger();
    refreshing(r -> {
      if (offered.incrementAndGet() == 1) {
        throw new RejectedExecutionException("full");
      }
      NEW_THREAD.execute(r);
    });
    cache.put("k", "v1");
    ticker.advance(Duration.ofSeconds(2));
    cache.getIfPresent("k");
    assertThat(cache.refreshAhead().pending()).isZero();
    assertThat(cache.refreshAhead().skipped()).isEqualTo(1);
    cache.getIfPresent("k");
    awaitNoRefreshPending();
    assertThat(remote.stored("k")).isEqualTo("reloaded-1");
  }

  @Test
  void refresh_droppedSilentlyByTheExecutor_doesNotDisableRefreshForever() throws Exception {
    AtomicInteger offered = new AtomicInteger();
    refreshing(r -> {
      if (offered.incrementAndGet() > 1) {
        NEW_THREAD.execute(r);
      } // the first task vanishes, as with DiscardPolicy
    });
    cache.put("k", "v1");
    ticker.advance(Duration.ofSeconds(2));
    cache.getIfPresent("k");
    assertThat(offered.get()).isEqualTo(1);
    cache.getIfPresent("k");
    assertThat(offered.get()).as("a marker younger than its lifetime blocks a second refresh").isEqualTo(1);
    // marker lifetime = 3 x remoteTimeout (200 ms) + refreshAfter (1 s), on the cache's ticker
    ticker.advance(Duration.ofMillis(1_700));
    cache.getIfPresent("k");
    awaitNoRefreshPending();
    assertThat(offered.get()).isEqualTo(2);
    assertThat(remote.stored("k")).isEqualTo("reloaded-1");
  }

  private void awaitNoRefreshPending() {
    Eventually.await(Duration.ofSeconds(5), Duration.ofMillis(2), "refresh finished",
        () -> cache.refreshAhead().pending() == 0);
  }

  // ------------------------------------------------------------------ caller errors, outages

  @Test
  void put_valueTheTierRefuses_throwsToTheCaller_andDoesNotDegrade() {
    build(b -> {});
    cache.put("k", "ok");
    remote.refuse = v -> v.startsWith("huge");
    for (int i = 0; i < 20; i++) {
      int n = i;
      assertThatThrownBy(() -> cache.put("k", "huge" + n)).isInstanceOf(InvalidValueException.class);
      assertThatThrownBy(() -> cache.get("other" + n, k -> "huge")).isInstanceOf(InvalidValueException.class);
    }
    assertThat(cache.isDegraded()).isFalse();
    assertThat(cache.health().status()).isEqualTo(CacheHealth.Status.UP);
    assertThat(cache.outage().dirtyCount()).isZero();
    assertThat(remote.stored("k")).isEqualTo("ok");
    assertThat(cache.keyOrder().inFlight("k")).isZero();
  }

  @Test
  void recovery_keysDirtiedWhileRecovering_areInvalidatedToo() throws Exception {
    build(b -> b.heartbeatInterval(Duration.ofMillis(20)));
    remote.storeDirectly("a", "old-a");
    remote.storeDirectly("b", "old-b");
    remote.down = true;
    cache.put("a", "new-a"); // memory only: dirty
    assertThat(cache.isDegraded()).isTrue();
    assertThat(cache.outage().isDirty("a")).isTrue();
    remote.hold(Op.INVALIDATE);
    remote.down = false;
    Pending first = remote.next(); // the first recovery pass invalidates "a"
    assertThat(first.key).isEqualTo("a");
    remote.down = true;
    cache.put("b", "new-b"); // fails while the pass runs: "b" is dirtied during recovery
    remote.down = false;
    first.apply();
    first.complete();
    Pending second = remote.next(); // a second pass for "b"
    assertThat(second.key).isEqualTo("b");
    second.apply();
    second.complete();
    Eventually.await(Duration.ofSeconds(5), "recovered", () -> !cache.isDegraded());
    assertThat(cache.outage().isDirty("a")).isFalse();
    assertThat(cache.outage().isDirty("b")).isFalse();
    assertThat(remote.stored("a")).isNull();
    assertThat(remote.stored("b")).isNull();
  }

  @Test
  void loader_askingForItsOwnKey_failsFast() {
    build(b -> {});
    assertThatThrownBy(() -> cache.get("k", k -> cache.get(k, k2 -> "inner")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("recursive");
    assertThat(cache.get("k", k -> "fine")).isEqualTo("fine");
  }

  @Test
  void asyncView_runsOnCachetThreads_notTheCommonPool() throws Exception {
    build(b -> {});
    String thread = cache.async().get("k", k -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS);
    assertThat(thread).startsWith("cachet-async");
  }

  @Test
  void close_releasesSharedThreads() {
    int before = SharedThreads.users();
    build(b -> {});
    assertThat(SharedThreads.users()).isEqualTo(before + 1);
    cache.close();
    cache.close();
    assertThat(SharedThreads.users()).isEqualTo(before);
    cache = null;
  }
}
