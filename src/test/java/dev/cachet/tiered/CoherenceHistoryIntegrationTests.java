package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.CacheHealth;
import dev.cachet.KeyCodec;
import dev.cachet.redis.RedisConnections;
import dev.cachet.spi.InvalidationBus;
import dev.cachet.spi.LeaseLock;
import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteTier;
import dev.cachet.testing.history.History;
import dev.cachet.testing.history.HistoryChecker;
import dev.cachet.testing.redis.FaultProxy;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The history checker on real Redis: three instances (each with its own {@code RedisConnections}), four
 * threads each, mixed puts, invalidations and reads of 64 keys with values carrying key and version;
 * every read is checked against the consistency model ({@link HistoryChecker}): no wrong value and no
 * read staler than the bound, in normal running, with every subscriber connection killed every 1.5 s,
 * with one instance's coherence connection silently blackholed, and with an instance closed mid-run.
 *
 * <p>Heartbeats every 200 ms, 3 missed: the model's bound is (3 + 1) x 200 ms plus one Redis read; the
 * checker allows 400 ms for that read and for scheduling on a loaded test machine, so 1.2 s. Operations
 * per thread: at least {@code -Dcachet.history.ops} (default 6,000), and on until the fault script ends:
 * a few hundred thousand operations over the four runs.
 */
class CoherenceHistoryIntegrationTests {

  private static final Logger log = LoggerFactory.getLogger(CoherenceHistoryIntegrationTests.class);
  static final Duration BOUND = Duration.ofMillis(4 * 200 + 400);
  private static final int OPS_PER_THREAD = Integer.getInteger("cachet.history.ops", 6_000);
  private static final int THREADS = 4;
  private static final int KEYS = 64;

  @RegisterExtension final TieredInstances fleet = new TieredInstances();

  private static String uniqueName() {
    return TieredInstances.uniqueName("hist");
  }

  private TieredCache<String, String> instance(RedisServer redis, String name) {
    return fleet.on(redis, name);
  }

  /**
   * Runs the workload on every instance while {@code fault} runs: each thread does at least its
   * operations and goes on until the fault script has finished, so every fault hits a running workload.
   */
  static History run(List<TieredCache<String, String>> instances, Fault fault) throws Exception {
    return run(instances, new WriteGate(), fault);
  }

  /** {@link #run(List, Fault)}; while {@code writes} is paused, the threads only read. */
  static History run(List<TieredCache<String, String>> instances, WriteGate writes, Fault fault)
      throws Exception {
    History history = new History();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicBoolean faultDone = new AtomicBoolean();
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    List<Stop> stops = new ArrayList<>();
    for (int i = 0; i < instances.size(); i++) {
      TieredCache<String, String> cache = instances.get(i);
      String id = "i" + i;
      Stop stop = new Stop();
      stops.add(stop);
      for (int t = 0; t < THREADS; t++) {
        CompletableFuture<Void> worker = CompletableFuture.runAsync(
            () -> work(cache, id, history, stop.flag, faultDone, writes), daemonThread());
        stop.workers.add(worker);
        workers.add(worker);
      }
    }
    CompletableFuture<Void> faults = CompletableFuture.runAsync(() -> {
      try {
        fault.run(running, stops);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      } finally {
        faultDone.set(true);
      }
    }, daemonThread());
    CompletableFuture.allOf(workers.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.MINUTES);
    running.set(false);
    faults.get(1, TimeUnit.MINUTES);
    return history;
  }

  /** Lets a fault script pause the workload's writes (reads go on) and know that none is in progress. */
  static final class WriteGate {
    private final AtomicBoolean paused = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicInteger inProgress = new java.util.concurrent.atomic.AtomicInteger();

    /** A thread about to write: false while paused (then it reads instead). */
    boolean enter() {
      inProgress.incrementAndGet();
      if (paused.get()) {
        inProgress.decrementAndGet();
        return false;
      }
      return true;
    }

    void exit() {
      inProgress.decrementAndGet();
    }

    /** Pauses writes and waits until every write that had begun has returned. */
    void pause() {
      paused.set(true);
      dev.cachet.testing.Eventually.await(Duration.ofSeconds(30), Duration.ofMillis(1), "writes in progress returned",
          () -> inProgress.get() == 0);
    }

    void resume() {
      paused.set(false);
    }
  }

  /** One instance's threads, for a fault script that stops them. */
  static final class Stop {
    final AtomicBoolean flag = new AtomicBoolean();
    final List<CompletableFuture<Void>> workers = new ArrayList<>();

    /** Stops the instance's threads and waits until each has finished the operation it was in. */
    void stopAndAwait() throws Exception {
      flag.set(true);
      CompletableFuture.allOf(workers.toArray(new CompletableFuture<?>[0])).get(1, TimeUnit.MINUTES);
    }
  }

  private static java.util.concurrent.Executor daemonThread() {
    return r -> {
      Thread t = new Thread(r, "history-worker");
      t.setDaemon(true);
      t.start();
    };
  }

  private static void work(
      TieredCache<String, String> cache, String id, History history, AtomicBoolean stop, AtomicBoolean faultDone,
      WriteGate writes) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; (i < OPS_PER_THREAD || !faultDone.get()) && !stop.get(); i++) {
      String key = "key" + random.nextInt(KEYS);
      int dice = cache.coherence() == null ? 100 : random.nextInt(100); // without coherence: reads only
      if (dice < 18 && !writes.enter()) {
        dice = 18 + random.nextInt(82); // writes paused: a read instead
      }
      long start = System.nanoTime();
      if (dice < 15) {
        try {
          String value = history.nextValue(key, id);
          cache.put(key, value);
          history.record(new History.Op(id, History.Kind.PUT, key, value, start, System.nanoTime()));
        } finally {
          writes.exit();
        }
      } else if (dice < 18) {
        try {
          cache.invalidate(key);
          history.record(new History.Op(id, History.Kind.INVALIDATE, key, null, start, System.nanoTime()));
        } finally {
          writes.exit();
        }
      } else {
        String value = cache.getIfPresent(key);
        if (dice == 100) {
          LockSupport.parkNanos(50_000); // a reader without coherence: read for longer than the bound
        }
        history.record(new History.Op(id, History.Kind.READ, key, value, start, System.nanoTime()));
      }
    }
  }

  @FunctionalInterface
  interface Fault {
    void run(AtomicBoolean running, List<Stop> stops) throws Exception;
  }

  /**
   * The fault script's schedule: lets the workload run on the real clock for {@code d} (the history is
   * timed with System.nanoTime, so no fake ticker can stand in), returning early once the workload ended.
   */
  static void pause(Duration d, AtomicBoolean running) throws InterruptedException {
    long end = System.nanoTime() + d.toNanos();
    while (running.get() && System.nanoTime() < end) {
      Thread.sleep(20); // the schedule itself, not a wait for an event
    }
  }

  static HistoryChecker.Result checkAndLog(String scenario, History history) {
    HistoryChecker.Result result = HistoryChecker.check(history.operations(), BOUND);
    log.info("history '{}': {}", scenario, result);
    return result;
  }

  static void assertNoneDegraded(List<TieredCache<String, String>> instances) {
    for (TieredCache<String, String> cache : instances) {
      assertThat(cache.outage().lastError()).as("no Redis command failed (the degraded model would apply)")
          .isEqualTo("none");
    }
  }

  @Test
  void normalRunning(@RedisStandaloneServer RedisServer redis) throws Exception {
    String name = uniqueName();
    List<TieredCache<String, String>> instances =
        List.of(instance(redis, name), instance(redis, name), instance(redis, name));
    History history = run(instances, (running, stops) -> {});
    HistoryChecker.Result result = checkAndLog("normal", history);
    assertThat(result.ok()).as(result.toString()).isTrue();
    assertThat(result.hits()).as("reads that returned a value").isPositive();
    for (TieredCache<String, String> cache : instances) {
      assertThat(cache.coherence().clearCount()).isZero();
      assertThat(cache.coherence().lossCount()).as(cache.coherence().lastLossReason()).isZero();
    }
    assertNoneDegraded(instances);
  }

  /** With key names hidden, messages name keys by their HMAC and receivers map them back: same model. */
  @Test
  void normalRunning_withKeyNamesHidden(@RedisStandaloneServer RedisServer redis) throws Exception {
    String name = uniqueName();
    byte[] secret = new byte[32];
    new java.security.SecureRandom().nextBytes(secret);
    List<TieredCache<String, String>> instances = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RedisConnections connections = RedisConnections.create(redis.uri());
      fleet.add(connections);
      TieredCache<String, String> cache =
          (TieredCache<String, String>)
              TieredCacheBuilder.<String, String>newBuilder()
                  .name(name)
                  .keyCodec(KeyCodec.strings())
                  .remote(dev.cachet.redis.RedisCacheBuilder.<String, String>newBuilder()
                      .connections(connections)
                      .keyRing(TieredTestSupport.RING)
                      .serializer(dev.cachet.serialization.ValueSerializers.json(String.class))
                      .keyPrefix(TieredTestSupport.prefixFrom(redis.keyPrefix()))
                      .keyNameHasher(dev.cachet.crypto.KeyNameHasher.of(secret)))
                  .heartbeatInterval(Duration.ofMillis(200))
                  .build();
      fleet.add(cache);
      instances.add(cache);
    }
    History history = run(instances, (running, stops) -> {});
    HistoryChecker.Result result = checkAndLog("normal, hidden names", history);
    assertThat(result.ok()).as(result.toString()).isTrue();
    for (TieredCache<String, String> cache : instances) {
      assertThat(cache.coherence().clearCount()).isZero();
      assertThat(cache.coherence().lossCount()).as(cache.coherence().lastLossReason()).isZero();
    }
  }

  /**
   * The checker has teeth: an instance with coherence off that only reads keeps serving what it first
   * read, and the checker finds those reads staler than the bound.
   */
  @Test
  void withCoherenceOffOnOneInstance_theCheckerFindsStaleReads(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    String name = uniqueName();
    RedisConnections connections = RedisConnections.create(redis.uri());
    fleet.add(connections);
    TieredCache<String, String> deaf =
        (TieredCache<String, String>) TieredTestSupport.cache(
            name, connections, TieredTestSupport.prefixFrom(redis.keyPrefix()), b -> b.coherence(false));
    fleet.add(deaf);
    TieredCache<String, String> writer = instance(redis, name);
    History history = run(List.of(writer, deaf), (running, stops) -> {});
    // then every key is written once more, and read on the deaf instance twice the bound later
    for (int k = 0; k < KEYS; k++) {
      String key = "key" + k;
      String value = history.nextValue(key, "i0");
      long start = System.nanoTime();
      writer.put(key, value);
      history.record(new History.Op("i0", History.Kind.PUT, key, value, start, System.nanoTime()));
    }
    // the scenario: the reads must begin more than the bound after the writes returned, on the real clock
    // the history is timed with (no fake ticker can stand in), for the checker to call them stale
    Thread.sleep(BOUND.multipliedBy(2).toMillis());
    for (int k = 0; k < KEYS; k++) {
      String key = "key" + k;
      long start = System.nanoTime();
      String value = deaf.getIfPresent(key);
      history.record(new History.Op("i1", History.Kind.READ, key, value, start, System.nanoTime()));
    }
    HistoryChecker.Result result = checkAndLog("coherence off", history);
    assertThat(result.stale()).as(result.toString()).isPositive();
  }

  @Test
  void subscriberConnectionsKilledEvery1500ms(@RedisStandaloneServer(owned = true) RedisServer redis)
      throws Exception {
    String name = uniqueName();
    List<TieredCache<String, String>> instances =
        List.of(instance(redis, name), instance(redis, name), instance(redis, name));
    int[] kills = new int[1];
    History history = run(instances, (running, stops) -> {
      for (int round = 0; round < 5; round++) {
        pause(Duration.ofMillis(1500), running);
        kills[0] += Integer.parseInt(redis.command("CLIENT", "KILL", "TYPE", "pubsub").trim());
        kills[0] += CoherenceFailSafeIntegrationTests.killSubscribers(redis);
      }
      pause(Duration.ofMillis(1500), running);
    });
    HistoryChecker.Result result = checkAndLog("pubsub killed", history);
    assertThat(kills[0]).as("subscriber connections killed").isPositive();
    assertThat(result.ok()).as(result.toString()).isTrue();
    for (TieredCache<String, String> cache : instances) {
      assertThat(cache.coherence().clearCount()).isZero();
    }
  }

  @Test
  void oneInstancesCoherenceConnectionSilentlyBlackholed(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    String name = uniqueName();
    String prefix = TieredTestSupport.prefixFrom(redis.keyPrefix());
    FaultProxy proxy = FaultProxy.forward(redis.port());
    fleet.add(proxy);
    // C's commands go straight to Redis; its coherence channel (subscription and publishes) goes
    // through the proxy, which can hold every byte without closing anything
    RedisConnections direct = RedisConnections.create(redis.uri());
    RedisConnections proxied = RedisConnections.create(proxy.uri());
    fleet.add(direct);
    fleet.add(proxied);
    TieredCache<String, String> commandsDonor =
        (TieredCache<String, String>) TieredTestSupport.cache(name, direct, prefix, b -> b.coherence(false));
    TieredCache<String, String> busDonor =
        (TieredCache<String, String>) TieredTestSupport.cache(name, proxied, prefix, b -> b.coherence(false));
    fleet.add(commandsDonor);
    fleet.add(busDonor);
    TieredCache<String, String> c =
        (TieredCache<String, String>)
            TieredCacheBuilder.<String, String>newBuilder()
                .name(name)
                .keyCodec(KeyCodec.strings())
                .remoteTier(new SplitBus<>(commandsDonor.remote(), busDonor.remote().invalidationBus()))
                .heartbeatInterval(Duration.ofMillis(200))
                .build();
    fleet.add(c);
    List<TieredCache<String, String>> instances = List.of(instance(redis, name), instance(redis, name), c);
    History history = run(instances, (running, stops) -> {
      pause(Duration.ofMillis(1000), running);
      proxy.blackhole(true);
      pause(Duration.ofMillis(2500), running);
      proxy.blackhole(false);
      pause(Duration.ofMillis(2000), running);
    });
    HistoryChecker.Result result = checkAndLog("blackholed", history);
    assertThat(result.ok()).as(result.toString()).isTrue();
    assertThat(instances.get(0).coherence().lossCount())
        .as("the fault took effect: A forgot the silent C (or saw its gap)").isPositive();
    for (TieredCache<String, String> cache : instances) {
      assertThat(cache.coherence().clearCount()).isZero();
    }
  }

  @Test
  void anInstanceClosedMidRun(@RedisStandaloneServer RedisServer redis) throws Exception {
    String name = uniqueName();
    List<TieredCache<String, String>> instances =
        List.of(instance(redis, name), instance(redis, name), instance(redis, name));
    History history = run(instances, (running, stops) -> {
      pause(Duration.ofMillis(1500), running);
      stops.get(2).stopAndAwait(); // its workers finish the operation they are in
      instances.get(2).close();
      pause(Duration.ofMillis(1500), running);
    });
    HistoryChecker.Result result = checkAndLog("closed mid-run", history);
    assertThat(result.ok()).as(result.toString()).isTrue();
    for (TieredCache<String, String> cache : instances.subList(0, 2)) {
      assertThat(cache.coherence().clearCount()).isZero();
      assertThat(cache.coherence().lossCount()).as(cache.coherence().lastLossReason()).isZero();
    }
  }

  /** A remote tier whose commands go to one tier and whose invalidation bus is another's. */
  private static final class SplitBus<V> implements RemoteTier<V> {
    private final RemoteTier<V> commands;
    private final InvalidationBus bus;

    SplitBus(RemoteTier<V> commands, InvalidationBus bus) {
      this.commands = commands;
      this.bus = bus;
    }

    @Override public String cacheName() { return commands.cacheName(); }
    @Override public CompletableFuture<RemoteEntry<V>> get(String key, java.util.concurrent.Executor d) { return commands.get(key, d); }
    @Override public CompletableFuture<Map<String, RemoteEntry<V>>> getAll(Collection<String> keys, java.util.concurrent.Executor d) { return commands.getAll(keys, d); }
    @Override public CompletableFuture<Void> put(String key, V value, Duration ttl) { return commands.put(key, value, ttl); }
    @Override public CompletableFuture<Boolean> putIfAbsent(String key, V value, Duration ttl) { return commands.putIfAbsent(key, value, ttl); }
    @Override public CompletableFuture<Boolean> replace(String key, RemoteEntry<V> expected, V value, Duration ttl) { return commands.replace(key, expected, value, ttl); }
    @Override public CompletableFuture<Void> putAll(Map<String, V> entries, Duration ttl) { return commands.putAll(entries, ttl); }
    @Override public CompletableFuture<Void> invalidate(Collection<String> keys) { return commands.invalidate(keys); }
    @Override public CompletableFuture<Void> invalidateAll() { return commands.invalidateAll(); }
    @Override public CompletableFuture<Long> invalidateMatching(String glob) { return commands.invalidateMatching(glob); }
    @Override public boolean supportsPatternInvalidation() { return commands.supportsPatternInvalidation(); }
    @Override public RemoteTier<V> forTenant(String tenantId) { return commands.forTenant(tenantId); }
    @Override public InvalidationBus invalidationBus() { return bus; }
    @Override public LeaseLock leaseLock() { return commands.leaseLock(); }
    @Override public CompletableFuture<Void> resynchronize() { return commands.resynchronize(); }
    @Override public Optional<Duration> commandTimeout() { return commands.commandTimeout(); }
    @Override public CacheHealth health() { return commands.health(); }
    @Override public void close() {}
  }
}
