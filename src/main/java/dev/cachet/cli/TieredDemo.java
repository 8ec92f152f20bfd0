package dev.cachet.cli;

import dev.cachet.Cache;
import dev.cachet.CacheHealth;
import dev.cachet.CachetEnvironment;
import dev.cachet.KeyCodec;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.metrics.CacheMetricNames;
import dev.cachet.metrics.TieredCacheMetrics;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.redis.RedisServerInfo;
import dev.cachet.resilience.Resilience;
import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.tiered.TieredCacheBuilder;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Statistic;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The full demo: two instances ("A" and "B", as two application processes would be) of one tiered,
 * encrypted cache, built with the public builders, sharing a Redis through a {@link CutProxy}. Phases:
 * a Zipf workload on A then B (hit rates per tier, loader calls saved), the raw Redis value, a coherent
 * write, an outage (the proxy is cut: callers are still answered, the breaker opens; then restored and
 * the recovery timed), and the meters. Uses a random key prefix and deletes its keys at the end.
 */
final class TieredDemo {
  private static final String CACHE = "products";
  private static final Duration WAIT_LIMIT = Duration.ofSeconds(15);

  private final CliCommand.Io io;
  private final PrintStream out;
  private final int requests;
  private final int keys;
  private final int cacheSize;
  private final double zipf;
  private final long loaderNanos;
  private final int threads;
  private final long seed;

  TieredDemo(CliCommand.Io io, int requests, int keys, int cacheSize, double zipf, int loaderMillis,
      int threads, long seed) {
    this.io = io;
    this.out = io.out();
    this.requests = requests;
    this.keys = keys;
    this.cacheSize = cacheSize;
    this.zipf = zipf;
    this.loaderNanos = TimeUnit.MILLISECONDS.toNanos(loaderMillis);
    this.threads = threads;
    this.seed = seed;
  }

  int run() throws Exception {
    CachetEnvironment env = io.environment();
    Optional<String> userUrl = env.secret(CachetEnvironment.REDIS_URL);
    DemoRedis started = null;
    try {
      String redisUri;
      String where;
      if (userUrl.isPresent()) {
        redisUri = userUrl.get();
        where = "your Redis (" + CachetEnvironment.REDIS_URL + ")";
      } else {
        out.println("no " + CachetEnvironment.REDIS_URL + " set: starting a redis-server for this demo...");
        out.flush();
        started = DemoRedis.start(env);
        redisUri = started.uri();
        where = started.toString();
      }
      return run(redisUri, where, started != null);
    } finally {
      if (started != null) {
        started.close();
        out.println("stopped the demo's redis-server");
      }
      out.flush();
    }
  }

  private int run(String redisUri, String where, boolean ownServer) throws Exception {
    String prefix = "cachet-demo-" + UUID.randomUUID().toString().substring(0, 8);
    FernetKey key = FernetKey.generate();
    FernetKeyRing ring = FernetKeyRing.of(key);
    Optional<URI> proxiable = proxiable(redisUri);
    try (RedisConnections direct = RedisConnections.newBuilder().uri(redisUri).settingsFrom(io.environment()).build()) {
      RedisServerInfo info = RedisServerInfo.query(direct);
      out.printf(Locale.ROOT, "cachet demo: two instances (A, B) of the tiered cache '%s' share %s%n",
          CACHE, where);
      out.printf(Locale.ROOT, "  Redis %s, %s; key prefix %s; a fresh Fernet key (id %s) made for this run%n",
          info.version(), info.mode().name().toLowerCase(Locale.ROOT), prefix, key.keyId());
      out.printf(Locale.ROOT, "  each instance: memory tier of %,d entries in front of Redis; loader takes %d ms%n",
          cacheSize, TimeUnit.NANOSECONDS.toMillis(loaderNanos));
      CutProxy proxy = null;
      String instanceUri = redisUri;
      if (proxiable.isPresent()) {
        URI u = proxiable.get();
        proxy = new CutProxy(u.getHost(), u.getPort() == -1 ? 6379 : u.getPort());
        instanceUri = withPort(u, proxy.port());
      }
      try {
        return phases(direct, instanceUri, prefix, ring, proxy, ownServer);
      } finally {
        if (proxy != null) {
          proxy.close();
        }
        try {
          long deleted = RedisServerInfo.deleteKeys(direct, prefix);
          out.printf(Locale.ROOT, "cleaned up: deleted the demo's %,d Redis keys (prefix %s)%n", deleted, prefix);
        } catch (RuntimeException e) {
          io.err().println("cachet demo: could not delete the demo's keys under '" + prefix + ":': "
              + e.getMessage());
        }
      }
    }
  }

  private int phases(RedisConnections direct, String instanceUri, String prefix, FernetKeyRing ring,
      CutProxy proxy, boolean ownServer) throws Exception {
    ResilienceSettings resilience =
        ResilienceSettings.newBuilder(ResilienceSettings.development())
            .waitDurationInOpenState(Duration.ofSeconds(1))
            .build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (RedisConnections redisA = connections(instanceUri);
        RedisConnections redisB = connections(instanceUri);
        Cache<String, String> a = cache(redisA, prefix, ring, resilience);
        Cache<String, String> b = cache(redisB, prefix, ring, resilience)) {
      // Closing a cache removes its meters.
      TieredCacheMetrics.monitor(registry, a, "instance", "A");
      TieredCacheMetrics.monitor(registry, b, "instance", "B");

      // 1. The workload: A first (cold Redis), then B (Redis warm with what A loaded).
      out.println();
      out.printf(Locale.ROOT, "[1/5] hit rates: %,d requests on A, then %,d on B, over %,d keys (Zipf s=%.2f),"
          + " %d threads each%n", requests, requests, keys, zipf, threads);
      DemoCommand.ZipfSampler sampler = new DemoCommand.ZipfSampler(keys, zipf);
      AtomicLong loadsA = new AtomicLong();
      AtomicLong loadsB = new AtomicLong();
      long tookA = workload("A", a, sampler, seed, loadsA);
      long tookB = workload("B", b, sampler, seed + 1, loadsB);
      tierLine("A", registry, loadsA.get(), tookA);
      tierLine("B", registry, loadsB.get(), tookB);
      long loads = loadsA.get() + loadsB.get();
      out.printf(Locale.ROOT, "  loader calls: %,d for %,d requests: %,d saved (%.1f %%); without a cache"
              + " the loader would have run %,d times%n",
          loads, 2L * requests, 2L * requests - loads, 100.0 * (2L * requests - loads) / (2L * requests),
          2L * requests);

      // 2. What Redis holds.
      out.println();
      out.println("[2/5] what Redis holds: the value is sealed before it leaves the process");
      String plain = a.get("product-1", k -> "{\"id\":1,\"name\":\"Product 1\"}");
      Optional<String> raw = RedisServerInfo.rawValue(direct, prefix, CACHE);
      out.printf(Locale.ROOT, "  the application sees : %s%n", plain);
      out.printf(Locale.ROOT, "  Redis holds          : %s%n", raw.map(TieredDemo::abbreviate).orElse("(nothing)"));
      out.println("                         (one of the demo's entries, as GET returns it)");
      out.printf(Locale.ROOT, "  %s%n", raw.isPresent() && raw.get().startsWith("gAAAAA")
          && !raw.get().contains("Product")
          ? "a Fernet token (readable by Python's cryptography.fernet with the key), not the data"
          : "UNEXPECTED: not a Fernet token");

      // 3. Coherence.
      out.println();
      out.println("[3/5] coherence: B has 'product-1' in memory; A writes a new value");
      String before = b.get("product-1", k -> "(loaded by B)");
      a.put("product-1", "{\"id\":1,\"name\":\"Product 1, renamed\"}");
      long written = System.nanoTime();
      String seen = before;
      while (seen != null && seen.equals(before) && System.nanoTime() - written < WAIT_LIMIT.toNanos()) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        seen = b.getIfPresent("product-1");
      }
      long coherentMicros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - written);
      out.printf(Locale.ROOT, "  B before the write   : %s%n", before);
      out.printf(Locale.ROOT, "  B after the write    : %s (%s after A's put: A's invalidation reached B"
          + " over Redis pub/sub)%n", seen, millis(coherentMicros));
      boolean coherent = seen != null && seen.contains("renamed");

      // 4. An outage.
      out.println();
      boolean survived = true;
      if (proxy == null) {
        out.println("[4/5] outage: skipped (the demo can cut only a plain redis:// URL, through a local"
            + " proxy; it never touches your server)");
      } else {
        survived = outage(a, proxy, sampler, ownServer);
      }

      // 5. Meters.
      out.println();
      out.println("[5/5] meters (Micrometer, instance A; TieredCacheMetrics.monitor(registry, cache, tags))");
      meters(registry);
      out.println();
      if (!coherent || !survived) {
        io.err().println("cachet demo: " + (!coherent ? "B did not see A's write" : "the outage was not"
            + " survived as expected"));
        return CachetCli.FAILURE;
      }
      return CachetCli.OK;
    }
  }

  private boolean outage(Cache<String, String> a, CutProxy proxy, DemoCommand.ZipfSampler sampler,
      boolean ownServer) throws Exception {
    out.printf(Locale.ROOT, "[4/5] outage: Redis is cut off from A and B (the demo closes a local proxy in"
        + " front of %s)%n", ownServer ? "its redis-server" : "your Redis");
    proxy.cut();
    int calls = Math.max(1_000, requests / 10);
    SplittableRandom random = new SplittableRandom(seed + 2);
    long answered = 0;
    long errors = 0;
    AtomicLong loads = new AtomicLong();
    long start = System.nanoTime();
    for (int i = 0; i < calls; i++) {
      String k = "product-" + sampler.sample(random);
      try {
        if (a.get(k, x -> load(x, loads)) != null) {
          answered++;
        }
      } catch (RuntimeException e) {
        errors++;
      }
    }
    long outageNanos = System.nanoTime() - start;
    String breaker = Resilience.circuitBreakerOf(a).map(cb -> cb.getState().name()).orElse("none");
    out.printf(Locale.ROOT, "  during the outage    : %,d of %,d calls answered (%,d by the loader, the rest"
        + " from memory), %,d errors, in %s%n", answered, calls, loads.get(), errors,
        millis(TimeUnit.NANOSECONDS.toMicros(outageNanos)));
    out.printf(Locale.ROOT, "  circuit breaker      : %s; health %s%n", breaker, a.health().status());
    proxy.restore();
    long restored = System.nanoTime();
    out.println("  Redis is back        : waiting for A to recover (breaker closed, health UP)...");
    out.flush();
    int i = 0;
    while (System.nanoTime() - restored < WAIT_LIMIT.toNanos()) {
      try {
        a.get("product-" + sampler.sample(random), x -> load(x, loads));
      } catch (RuntimeException e) {
        errors++;
      }
      boolean closed = Resilience.circuitBreakerOf(a).map(cb -> cb.getState() == CircuitBreaker.State.CLOSED)
          .orElse(true);
      if (closed && a.health().status() == CacheHealth.Status.UP) {
        break;
      }
      if (++i % 50 == 0) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    long recoveryMicros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - restored);
    CacheHealth.Status status = a.health().status();
    breaker = Resilience.circuitBreakerOf(a).map(cb -> cb.getState().name()).orElse("none");
    out.printf(Locale.ROOT, "  recovered            : %s after Redis came back (breaker %s, health %s)%n",
        millis(recoveryMicros), breaker, status);
    return errors == 0 && answered == calls && status == CacheHealth.Status.UP;
  }

  private String load(String key, AtomicLong loads) {
    loads.incrementAndGet();
    LockSupport.parkNanos(loaderNanos);
    return "{\"id\":" + key.substring(key.indexOf('-') + 1) + "}";
  }

  private long workload(String instance, Cache<String, String> cache, DemoCommand.ZipfSampler sampler,
      long workloadSeed, AtomicLong loads) throws Exception {
    int[][] perThread = DemoCommand.workload(sampler, requests, threads, workloadSeed);
    AtomicLong done = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long start = System.nanoTime();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int[] part : perThread) {
        futures.add(pool.submit(() -> {
          for (int k : part) {
            cache.get("product-" + k, x -> load(x, loads));
            done.incrementAndGet();
          }
          return null;
        }));
      }
      int printedQuarter = 0;
      for (Future<?> f : futures) {
        while (!f.isDone()) {
          int quarter = (int) (done.get() * 4 / requests);
          if (quarter > printedQuarter && quarter < 4) {
            printedQuarter = quarter;
            out.printf(Locale.ROOT, "  ... %s: %,d/%,d requests%n", instance, done.get(), requests);
            out.flush();
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return System.nanoTime() - start;
  }

  private void tierLine(String instance, SimpleMeterRegistry registry, long loads, long nanos) {
    double memoryHits = count(registry, CacheMetricNames.TIER_GETS, instance, "tier", "memory", "result", "hit");
    double memoryMisses = count(registry, CacheMetricNames.TIER_GETS, instance, "tier", "memory", "result", "miss");
    double redisHits = count(registry, CacheMetricNames.TIER_GETS, instance, "tier", "redis", "result", "hit");
    double redisMisses = count(registry, CacheMetricNames.TIER_GETS, instance, "tier", "redis", "result", "miss");
    out.printf(Locale.ROOT, "  %s: memory hit rate %5.1f %%, Redis hit rate %5.1f %% (of memory misses),"
            + " loader calls %,d, %,.0f requests/s%n",
        instance, percent(memoryHits, memoryHits + memoryMisses), percent(redisHits, redisHits + redisMisses),
        loads, requests / (nanos / 1e9));
  }

  private void meters(SimpleMeterRegistry registry) {
    String a = "A";
    out.printf(Locale.ROOT, "  %-46s hit %,.0f, miss %,.0f%n", "cache.gets",
        count(registry, CacheMetricNames.GETS, a, "result", "hit"),
        count(registry, CacheMetricNames.GETS, a, "result", "miss"));
    for (String tier : new String[] {"memory", "redis"}) {
      out.printf(Locale.ROOT, "  %-46s hit %,.0f, miss %,.0f%n", "cache.tier.gets{tier=" + tier + "}",
          count(registry, CacheMetricNames.TIER_GETS, a, "tier", tier, "result", "hit"),
          count(registry, CacheMetricNames.TIER_GETS, a, "tier", tier, "result", "miss"));
    }
    out.printf(Locale.ROOT, "  %-46s success %,.0f, failure %,.0f%n", "cache.load",
        count(registry, CacheMetricNames.LOAD, a, "result", "success"),
        count(registry, CacheMetricNames.LOAD, a, "result", "failure"));
    for (String operation : new String[] {"get", "put"}) {
      timerLine(registry, CacheMetricNames.REDIS_OPERATION, "cache.redis.operation{operation=" + operation + "}",
          "operation", operation, "result", "success");
    }
    StringBuilder errors = new StringBuilder();
    for (Meter m : registry.find(CacheMetricNames.REDIS_ERRORS).tag("instance", a).meters()) {
      double n = countOf(m);
      if (n > 0) {
        errors.append(errors.length() == 0 ? "" : ", ")
            .append(m.getId().getTag("operation")).append('/').append(m.getId().getTag("reason"))
            .append(' ').append(String.format(Locale.ROOT, "%,.0f", n));
      }
    }
    out.printf(Locale.ROOT, "  %-46s %s%n", "cache.redis.errors (non-zero)",
        errors.length() == 0 ? "none" : errors);
    timerLine(registry, CacheMetricNames.ENCRYPT, "cache.encrypt");
    timerLine(registry, CacheMetricNames.DECRYPT, "cache.decrypt");
    out.printf(Locale.ROOT, "  %-46s %,.0f%n", "cache.decryption.failures",
        count(registry, CacheMetricNames.DECRYPTION_FAILURES, a));
    io.micrometer.core.instrument.Gauge degraded =
        registry.find(CacheMetricNames.DEGRADED).tag("instance", a).gauge();
    out.printf(Locale.ROOT, "  %-46s %s%n", "cache.degraded",
        degraded == null ? "n/a" : String.format(Locale.ROOT, "%.0f", degraded.value()));
  }

  private void timerLine(SimpleMeterRegistry registry, String name, String label, String... tags) {
    long count = 0;
    double totalMillis = 0;
    double maxMillis = 0;
    for (Meter m : registry.find(name).tag("instance", "A").tags(tags).meters()) {
      if (m instanceof Timer t) {
        count += t.count();
        totalMillis += t.totalTime(TimeUnit.MILLISECONDS);
        maxMillis = Math.max(maxMillis, t.max(TimeUnit.MILLISECONDS));
      }
    }
    out.printf(Locale.ROOT, "  %-46s count %,d, mean %.3f ms, max %.3f ms%n", label, count,
        count == 0 ? 0.0 : totalMillis / count, maxMillis);
  }

  private static double count(SimpleMeterRegistry registry, String name, String instance, String... tags) {
    double sum = 0;
    for (Meter m : registry.find(name).tag("instance", instance).tags(tags).meters()) {
      sum += countOf(m);
    }
    return sum;
  }

  private static double countOf(Meter m) {
    double sum = 0;
    for (Measurement measurement : m.measure()) {
      if (measurement.getStatistic() == Statistic.COUNT) {
        sum += measurement.getValue();
      }
    }
    return sum;
  }

  private static double percent(double part, double whole) {
    return whole == 0 ? 0 : 100.0 * part / whole;
  }

  private static String millis(long micros) {
    return String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
  }

  private static String abbreviate(String raw) {
    return raw.length() <= 72 ? raw : raw.substring(0, 60) + "... (" + raw.length() + " characters)";
  }

  private RedisConnections connections(String uri) {
    return RedisConnections.newBuilder().uri(uri).settingsFrom(io.environment()).build();
  }

  private Cache<String, String> cache(RedisConnections redis, String prefix, FernetKeyRing ring,
      ResilienceSettings resilience) {
    return TieredCacheBuilder.<String, String>newBuilder()
        .name(CACHE)
        .keyCodec(KeyCodec.strings())
        .defaultTtl(Duration.ofMinutes(10))
        .memoryMaximumSize(cacheSize)
        .remote(RedisCacheBuilder.<String, String>newBuilder(String.class, String.class)
            .connections(redis)
            .keyRing(ring)
            .keyPrefix(prefix))
        .resilience(resilience)
        .build();
  }

  /** A plain {@code redis://host:port} URL the demo can put its proxy in front of. */
  static Optional<URI> proxiable(String redisUri) {
    try {
      URI u = new URI(redisUri);
      if ("redis".equals(u.getScheme()) && u.getHost() != null) {
        return Optional.of(u);
      }
    } catch (URISyntaxException e) {
      // not proxiable
    }
    return Optional.empty();
  }

  private static String withPort(URI u, int port) throws URISyntaxException {
    return new URI(u.getScheme(), u.getRawUserInfo() == null ? null : u.getUserInfo(), "127.0.0.1", port,
        u.getPath(), u.getQuery(), u.getFragment()).toString();
  }
}
