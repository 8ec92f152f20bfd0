package dev.cachet.resilience;

import dev.cachet.Cache;
import dev.cachet.KeyCodec;
import dev.cachet.MultiTenantCache;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.spi.RemoteTier;
import dev.cachet.tiered.TieredCacheBuilder;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/** Tiered caches behind the resilience decorator over real Redis, and a multi-threaded workload. */
final class ResilienceTestSupport {

  /** The encryption key of every node (the leak test looks for it in every output). */
  static final FernetKey KEY = FernetKey.generate();
  static final FernetKeyRing RING = FernetKeyRing.of(KEY);

  private ResilienceTestSupport() {}

  /** A valid Cachet key prefix from a harness key prefix. */
  static String prefixFrom(String harnessPrefix) {
    String p = harnessPrefix.replace(':', '.').replaceAll("[^A-Za-z0-9_.-]", "_");
    while (p.endsWith(".")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.isEmpty() ? "cachet" : (p.length() > 64 ? p.substring(p.length() - 64) : p);
  }

  /** Connections whose command timeout is the one the settings assume. */
  static RedisConnections connections(String uri, ResilienceSettings settings) {
    return RedisConnections.newBuilder()
        .uri(uri)
        .commandTimeout(settings.commandTimeout())
        .connectTimeout(Duration.ofMillis(500))
        .reconnectInterval(Duration.ofMillis(200))
        .build();
  }

  static RedisConnections clusterConnections(List<String> seeds, ResilienceSettings settings) {
    return RedisConnections.newBuilder()
        .clusterSeeds(seeds)
        .commandTimeout(settings.commandTimeout())
        .connectTimeout(Duration.ofMillis(1000))
        .reconnectInterval(Duration.ofMillis(200))
        .build();
  }

  /** A tiered cache and what the tests look at. */
  static final class Node implements AutoCloseable {
    final MultiTenantCache<String, String> cache;
    final RemoteTier<String> remote;
    final CacheInstrumentation instrumentation;
    final RedisConnections connections;
    final ResilienceSettings settings;
    final Duration remoteTimeout;

    Node(MultiTenantCache<String, String> cache, RemoteTier<String> remote, CacheInstrumentation instrumentation,
        RedisConnections connections, ResilienceSettings settings, Duration remoteTimeout) {
      this.cache = cache;
      this.remote = remote;
      this.instrumentation = instrumentation;
      this.connections = connections;
      this.settings = settings;
      this.remoteTimeout = remoteTimeout;
    }

    CircuitBreaker breaker() {
      return Resilience.circuitBreakerOf(remote).orElseThrow();
    }

    int inFlight() {
      return ((ResilientRemoteTier<String>) remote).inFlightCalls();
    }

    long remoteErrors(RemoteErrorReason reason) {
      long n = 0;
      for (RemoteOperation op : RemoteOperation.values()) {
        n += instrumentation.remoteErrorCount(op, reason);
      }
      return n;
    }

    @Override
    public void close() {
      try {
        cache.close();
      } finally {
        connections.close();
      }
    }
  }

  /**
   * A tiered cache over {@code connections}, behind {@code Resilience.decorate(..., settings)}, with a
   * remote timeout just above the settings' worst case.
   */
  static Node node(
      String name, RedisConnections connections, String prefix, ResilienceSettings settings,
      Consumer<TieredCacheBuilder<String, String>> customizer) {
    return node(name, connections, prefix, settings, customizer, r -> {});
  }

  /** As above, with {@code redisCustomizer} applied to the Redis tier's builder too. */
  static Node node(
      String name, RedisConnections connections, String prefix, ResilienceSettings settings,
      Consumer<TieredCacheBuilder<String, String>> customizer,
      Consumer<RedisCacheBuilder<String, String>> redisCustomizer) {
    RedisCacheBuilder<String, String> redis =
        RedisCacheBuilder.<String, String>newBuilder()
            .name(name)
            .connections(connections)
            .keyRing(RING)
            .serializer(ValueSerializers.json(String.class))
            .keyPrefix(prefix)
            .keyCodec(KeyCodec.strings());
    redisCustomizer.accept(redis);
    AtomicReference<RemoteTier<String>> remote = new AtomicReference<>();
    AtomicReference<CacheInstrumentation> instrumentation = new AtomicReference<>();
    Duration remoteTimeout = settings.worstCaseLatency().plusMillis(300);
    TieredCacheBuilder<String, String> b =
        TieredCacheBuilder.<String, String>newBuilder()
            .name(name)
            .keyCodec(KeyCodec.strings())
            .remote(redis)
            .resilience(settings)
            .remoteTimeout(remoteTimeout);
    customizer.accept(b);
    MultiTenantCache<String, String> cache = b.build();
    instrumentation.set(((dev.cachet.internal.Instrumented) cache).instrumentation());
    remote.set(dev.cachet.tiered.TieredTestAccess.remoteOf(cache));
    return new Node(cache, remote.get(), instrumentation.get(), connections, settings, remoteTimeout);
  }

  static String valueOf(String key) {
    return "v-" + key;
  }

  /**
   * Threads calling {@code get(key, loader)} (and now and then {@code put}) on random keys, every value
   * checked, every exception and latency recorded. Latencies are also kept per breaker state (at the
   * call's start and end, when they agree), and in-flight remote attempts and live threads are sampled.
   */
  static final class Workload implements AutoCloseable {
    final AtomicLong calls = new AtomicLong();
    final AtomicLong loads = new AtomicLong();
    final AtomicLong wrongValues = new AtomicLong();
    final ConcurrentLinkedQueue<Throwable> exceptions = new ConcurrentLinkedQueue<>();
    final LongAccumulator maxLatencyNanos = new LongAccumulator(Math::max, 0);
    final Map<CircuitBreaker.State, LongAccumulator> maxLatencyByState = new ConcurrentHashMap<>();
    final Map<CircuitBreaker.State, AtomicLong> callsByState = new ConcurrentHashMap<>();
    final LongAccumulator maxInFlight = new LongAccumulator(Math::max, 0);
    final LongAccumulator maxThreads = new LongAccumulator(Math::max, 0);
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    Workload(Cache<String, String> cache, CircuitBreaker breaker, IntSupplier inFlight, int threadCount, int keys) {
      for (int i = 0; i < threadCount; i++) {
        Thread t = new Thread(() -> run(cache, breaker, keys), "workload-" + i);
        t.setDaemon(true);
        threads.add(t);
      }
      Thread sampler =
          new Thread(
              () -> {
                while (running.get()) {
                  maxInFlight.accumulate(inFlight.getAsInt());
                  maxThreads.accumulate(Thread.activeCount());
                  LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
              },
              "workload-sampler");
      sampler.setDaemon(true);
      threads.add(sampler);
      threads.forEach(Thread::start);
    }

    private void run(Cache<String, String> cache, CircuitBreaker breaker, int keys) {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (running.get()) {
        String key = "k" + random.nextInt(keys);
        CircuitBreaker.State before = breaker.getState();
        long start = System.nanoTime();
        try {
          if (random.nextInt(10) == 0) {
            cache.put(key, valueOf(key));
          } else {
            String value =
                cache.get(
                    key,
                    k -> {
                      loads.incrementAndGet();
                      return valueOf(k);
                    });
            if (!valueOf(key).equals(value)) {
              wrongValues.incrementAndGet();
            }
          }
        } catch (Throwable e) {
          exceptions.add(e);
        }
        long took = System.nanoTime() - start;
        CircuitBreaker.State after = breaker.getState();
        calls.incrementAndGet();
        maxLatencyNanos.accumulate(took);
        if (before == after) {
          maxLatencyByState.computeIfAbsent(before, s -> new LongAccumulator(Math::max, 0)).accumulate(took);
          callsByState.computeIfAbsent(before, s -> new AtomicLong()).incrementAndGet();
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
    }

    long calls(CircuitBreaker.State state) {
      AtomicLong n = callsByState.get(state);
      return n == null ? 0 : n.get();
    }

    long maxLatencyMillis(CircuitBreaker.State state) {
      LongAccumulator a = maxLatencyByState.get(state);
      return a == null ? 0 : TimeUnit.NANOSECONDS.toMillis(a.get());
    }

    long maxLatencyMillis() {
      return TimeUnit.NANOSECONDS.toMillis(maxLatencyNanos.get());
    }

    /** Forgets latencies and samples so far (calls and exceptions are kept). */
    void resetMaxima() {
      maxLatencyNanos.reset();
      maxLatencyByState.clear();
      callsByState.clear();
      maxInFlight.reset();
      maxThreads.reset();
    }

    String describe() {
      return "calls=" + calls + ", loads=" + loads + ", exceptions=" + exceptions.size() + ", wrongValues="
          + wrongValues + ", maxLatencyMs=" + maxLatencyMillis() + ", byState=" + maxLatencyByState
          + ", callsByState=" + callsByState + ", maxInFlight=" + maxInFlight.get() + ", maxThreads="
          + maxThreads.get();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(10_000);
      }
    }
  }
}
