package dev.cachet.tiered;

import dev.cachet.Cache;
import dev.cachet.CacheHealth;
import dev.cachet.CacheLoader;
import dev.cachet.CacheUnavailableException;
import dev.cachet.KeyCodec;
import dev.cachet.MultiTenantCache;
import dev.cachet.Ticker;
import dev.cachet.Tier;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.CacheSettings;
import dev.cachet.internal.Preconditions;
import dev.cachet.internal.StatsRecorder;
import dev.cachet.memory.MemoryCacheBuilder;
import dev.cachet.memory.ValueWeigher;
import dev.cachet.spi.RemoteTier;
import dev.cachet.internal.RemoteTierSpecs;
import dev.cachet.resilience.Resilience;
import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.spi.RemoteTierSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * Builds a tiered cache: a Caffeine memory tier in front of a remote tier (Redis), kept coherent across
 * application instances.
 *
 * <pre>{@code
 * MultiTenantCache<String, User> users = TieredCacheBuilder.<String, User>newBuilder()
 *     .name("users")
 *     .keyCodec(KeyCodec.strings())
 *     .remote(redis)                     // a RedisCacheBuilder with connections, key ring, serializer
 *     .resilience(ResilienceSettings.production())
 *     .defaultTtl(Duration.ofMinutes(30))
 *     .memoryMaximumSize(10_000)
 *     .memoryTtl(Duration.ofMinutes(2))
 *     .build();
 * }</pre>
 *
 * <p><b>Staleness bound.</b> Another instance's put or invalidate reaches this instance's memory tier
 * through pub/sub, usually within a millisecond or two on a LAN. Coherence fails safe: while this
 * instance cannot be sure it receives every invalidation (subscription broken or being confirmed, own
 * heartbeat not heard, a peer silent), or after it noticed lost messages, memory entries older than
 * {@code missedHeartbeats x heartbeatInterval} are not served (the read goes to Redis); memory is never
 * cleared for it. So a read is at most {@code (missedHeartbeats + 1) x heartbeatInterval} (4 s by
 * default) plus one Redis read staler than the latest write, or {@code memoryTtl} if shorter. While
 * Redis itself is down the bound is {@code degradedTtl}; writes made meanwhile live in memory for at
 * most {@code degradedTtl} and are invalidated in Redis and on other instances when it is back. The
 * whole model is in {@code docs/architecture.md}.
 *
 * <p>Each setter may be called once ({@code IllegalStateException} otherwise), throws {@code
 * NullPointerException} for null and {@code IllegalArgumentException} naming the setting for a value
 * out of range; {@link #build()} checks what only makes sense together. Not thread-safe; the caches it
 * builds are. The cache owns the remote tier (built from {@link #remote} or given to {@link
 * #remoteTier}) and closes it; the {@code RedisConnections} of a {@code RedisCacheBuilder} stay
 * borrowed.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class TieredCacheBuilder<K, V> {

  /** Default bound on a synchronous call's wait for the remote tier. */
  public static final Duration DEFAULT_REMOTE_TIMEOUT = Duration.ofSeconds(2);
  /** Default memory TTL of values written while the remote tier is down. */
  public static final Duration DEFAULT_DEGRADED_TTL = Duration.ofSeconds(30);
  /** Default heartbeat interval of the coherence channel. */
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(1);
  /** Default number of heartbeat intervals of silence after which coherence fails safe. */
  public static final int DEFAULT_MISSED_HEARTBEATS = 3;
  /** Default memory entry bound. */
  public static final long DEFAULT_MEMORY_MAXIMUM_SIZE = 10_000;

  private final CacheSettings.Builder<K, V> settings = new CacheSettings.Builder<>();
  private RemoteTier<V> remoteTier;
  private RemoteTierSpec<V> remoteSpec;
  private ResilienceSettings resilience;
  private Long memoryMaximumSize;
  private Long memoryMaximumBytes;
  private ValueWeigher<? super V> memoryWeigher;
  private Duration memoryTtl;
  private Duration remoteTimeout;
  private FailurePolicy failurePolicy;
  private Duration degradedTtl;
  private Boolean coherence;
  private Duration heartbeatInterval;
  private Integer missedHeartbeats;
  private Duration leaseTime;
  private Duration leaseWait;
  private Duration refreshAfterWrite;
  private Executor refreshExecutor;
  private Ticker ticker;
  private Clock clock;

  private TieredCacheBuilder() {}

  /** A new builder. */
  public static <K, V> TieredCacheBuilder<K, V> newBuilder() {
    return new TieredCacheBuilder<>();
  }

  /** The cache name (required); must equal the remote tier's cache name. */
  public TieredCacheBuilder<K, V> name(String name) {
    settings.name(name);
    return this;
  }

  /** Maps keys one-to-one to strings (required: keys are shared across instances). */
  public TieredCacheBuilder<K, V> keyCodec(KeyCodec<? super K> keyCodec) {
    settings.keyCodec(keyCodec);
    return this;
  }

  /**
   * The remote tier, described by a remote builder (required, or {@link #remoteTier(RemoteTier)}): e.g.
   * a {@code RedisCacheBuilder} with its connections, key ring and serializer. The tier is built with
   * this builder's name, key codec, default TTL and key length limit, so set those here only; the remote
   * builder may repeat them only with the same values. The cache owns the tier it builds.
   */
  public TieredCacheBuilder<K, V> remote(RemoteTierSpec<V> remote) {
    Preconditions.requireState(this.remoteTier == null && remoteSpec == null, "the remote tier was already set");
    this.remoteSpec = Preconditions.requireNonNull(remote, "remote");
    return this;
  }

  /**
   * A remote tier built elsewhere: the SPI for those who write their own {@link RemoteTier} (Cachet's
   * Redis tier is configured with {@link #remote(RemoteTierSpec)} instead). Its name must equal this
   * cache's. The cache owns it from here on and closes it.
   */
  public TieredCacheBuilder<K, V> remoteTier(RemoteTier<V> remoteTier) {
    Preconditions.requireState(this.remoteTier == null && remoteSpec == null, "the remote tier was already set");
    this.remoteTier = Preconditions.requireNonNull(remoteTier, "remoteTier");
    return this;
  }

  /**
   * Puts every remote call behind Resilience4j retries and a circuit breaker named after the cache
   * (see {@link Resilience#decorate}); default: none. {@link ResilienceSettings#production()} is the
   * usual choice; the remote tier's command timeout must not exceed the settings'.
   */
  public TieredCacheBuilder<K, V> resilience(ResilienceSettings settings) {
    Preconditions.requireState(resilience == null, "resilience was already set");
    resilience = Preconditions.requireNonNull(settings, "resilience");
    return this;
  }

  /** The TTL of entries written without one, in Redis (default 10 minutes). */
  public TieredCacheBuilder<K, V> defaultTtl(Duration ttl) {
    settings.defaultTtl(ttl);
    return this;
  }

  /**
   * Tells {@code listener} about every entry that leaves this instance's memory tier, with the cause:
   * explicit, replaced, expired, evicted by size, invalidated by a peer, cleared by coherence. Keys are
   * the <em>encoded</em> keys (the {@link dev.cachet.KeyCodec} output, without a tenant scope), since the
   * memory tier keeps only those. Delivered on the cache's executor; exceptions are contained and
   * counted. See {@link dev.cachet.RemovalListener}.
   *
   * @throws NullPointerException if {@code listener} is null
   * @throws IllegalStateException if a listener was already set
   */
  public TieredCacheBuilder<K, V> removalListener(dev.cachet.RemovalListener<? super String, ? super V> listener) {
    Preconditions.requireState(removalListener == null, "removalListener was already set");
    this.removalListener = Preconditions.requireNonNull(listener, "listener");
    return this;
  }

  private dev.cachet.RemovalListener<? super String, ? super V> removalListener;

  /** The longest an entry stays in memory (default: the default TTL). */
  public TieredCacheBuilder<K, V> memoryTtl(Duration ttl) {
    Preconditions.requireState(memoryTtl == null, "memoryTtl was already set");
    memoryTtl = Preconditions.requireTtl(ttl, "memoryTtl");
    return this;
  }

  /** Bounds memory to this many entries (default {@value #DEFAULT_MEMORY_MAXIMUM_SIZE}). */
  public TieredCacheBuilder<K, V> memoryMaximumSize(long maximumSize) {
    Preconditions.requireState(memoryMaximumSize == null && memoryMaximumBytes == null,
        "the memory bound was already set");
    memoryMaximumSize = Preconditions.requireAtLeast(maximumSize, 0, "memoryMaximumSize");
    return this;
  }

  /** Bounds memory by bytes; see {@link MemoryCacheBuilder#maximumBytes(long)}. */
  public TieredCacheBuilder<K, V> memoryMaximumBytes(long maximumBytes) {
    Preconditions.requireState(memoryMaximumSize == null && memoryMaximumBytes == null,
        "the memory bound was already set");
    memoryMaximumBytes = Preconditions.requireAtLeast(maximumBytes, 0, "memoryMaximumBytes");
    return this;
  }

  /** Weighs values for {@link #memoryMaximumBytes(long)}. */
  public TieredCacheBuilder<K, V> memoryWeigher(ValueWeigher<? super V> weigher) {
    Preconditions.requireState(memoryWeigher == null, "memoryWeigher was already set");
    memoryWeigher = Preconditions.requireNonNull(weigher, "memoryWeigher");
    return this;
  }

  /**
   * How long a synchronous call waits for the remote tier, per remote call. Default: 2 s, or the
   * remote tier's worst case plus 250 ms when that is longer (with the resilience layer in front:
   * attempts x command timeout + backoffs, see {@code ResilienceSettings.worstCaseLatency()}).
   */
  public TieredCacheBuilder<K, V> remoteTimeout(Duration timeout) {
    Preconditions.requireState(remoteTimeout == null, "remoteTimeout was already set");
    remoteTimeout = Preconditions.requirePositive(timeout, "remoteTimeout");
    return this;
  }

  /** What to do when the remote tier fails (default {@link FailurePolicy#SERVE_DEGRADED}). */
  public TieredCacheBuilder<K, V> failurePolicy(FailurePolicy policy) {
    Preconditions.requireState(failurePolicy == null, "failurePolicy was already set");
    failurePolicy = Preconditions.requireNonNull(policy, "failurePolicy");
    return this;
  }

  /** Memory TTL of values written while the remote tier is down (default 30 s). */
  public TieredCacheBuilder<K, V> degradedTtl(Duration ttl) {
    Preconditions.requireState(degradedTtl == null, "degradedTtl was already set");
    degradedTtl = Preconditions.requireTtl(ttl, "degradedTtl");
    return this;
  }

  /**
   * Whether instances invalidate each other's memory over pub/sub (default true). Turn it off only when
   * a single instance uses the cache, or memory TTLs are short enough to bound staleness on their own.
   */
  public TieredCacheBuilder<K, V> coherence(boolean enabled) {
    Preconditions.requireState(coherence == null, "coherence was already set");
    coherence = enabled;
    return this;
  }

  /** Heartbeat interval on the invalidation channel (default 1 s). */
  public TieredCacheBuilder<K, V> heartbeatInterval(Duration interval) {
    Preconditions.requireState(heartbeatInterval == null, "heartbeatInterval was already set");
    heartbeatInterval = Preconditions.requirePositive(interval, "heartbeatInterval");
    Preconditions.requireArgument(interval.toMillis() >= 10,
        () -> "heartbeatInterval must be at least 10 ms: " + interval.toMillis() + " ms");
    return this;
  }

  /**
   * Intervals of silence (of this instance's own heartbeat, or of a peer's) after which coherence fails
   * safe: memory entries older than {@code missedHeartbeats x heartbeatInterval} are read again from
   * Redis instead of served (default 3, at least 2). A peer silent twice as long is forgotten.
   */
  public TieredCacheBuilder<K, V> missedHeartbeats(int count) {
    Preconditions.requireState(missedHeartbeats == null, "missedHeartbeats was already set");
    Preconditions.requireArgument(count >= 2, () -> "missedHeartbeats must be at least 2: " + count);
    missedHeartbeats = count;
    return this;
  }

  /**
   * Turns on cross-instance single-flight: on a miss in both tiers, one instance takes a Redis lease on
   * the key (random token, {@code leaseTime} long, renewed while loading, released by compare-and-delete)
   * and loads; the others poll Redis for its value for at most {@code maxWait}, then load themselves.
   * Best effort: a lost lease or a slow holder only costs a duplicate load. {@code leaseTime} should be
   * at least the loader's timeout.
   */
  public TieredCacheBuilder<K, V> crossInstanceLoading(Duration leaseTime, Duration maxWait) {
    Preconditions.requireState(this.leaseTime == null, "crossInstanceLoading was already set");
    this.leaseTime = Preconditions.requirePositive(leaseTime, "leaseTime");
    this.leaseWait = Preconditions.requirePositive(maxWait, "maxWait");
    return this;
  }

  /**
   * Refreshes an entry in the background with the build-time loader's {@code reload} when a memory hit
   * finds it older than {@code refreshAfter}, so hot keys do not all expire at once. Requires {@link
   * #loader}. Refreshes run on a small bounded executor; when it is full, refreshes are skipped.
   */
  public TieredCacheBuilder<K, V> refreshAfterWrite(Duration refreshAfter) {
    Preconditions.requireState(refreshAfterWrite == null, "refreshAfterWrite was already set");
    refreshAfterWrite = Preconditions.requirePositive(refreshAfter, "refreshAfterWrite");
    return this;
  }

  /**
   * Runs refresh-ahead work (default: a shared pool of 2 daemon threads with a bounded queue). The
   * executor must throw {@link java.util.concurrent.RejectedExecutionException} when it cannot take a
   * task (as {@link Executor#execute} requires); a rejected refresh is skipped and tried on a later hit.
   */
  public TieredCacheBuilder<K, V> refreshExecutor(Executor executor) {
    Preconditions.requireState(refreshExecutor == null, "refreshExecutor was already set");
    refreshExecutor = Preconditions.requireNonNull(executor, "refreshExecutor");
    return this;
  }

  /** The build-time loader, for {@link Cache#get(Object)} and refresh-ahead. */
  public TieredCacheBuilder<K, V> loader(CacheLoader<? super K, ? extends V> loader) {
    settings.loader(loader);
    return this;
  }

  /**
   * Runs the async view's calls that may wait for Redis, and asynchronous loads (default: a shared pool
   * of daemon threads owned by Cachet's tiered caches, never {@code ForkJoinPool.commonPool()}, so a slow
   * Redis cannot starve the application's parallel streams and fork-join work).
   */
  public TieredCacheBuilder<K, V> executor(Executor executor) {
    settings.executor(executor);
    return this;
  }

  /**
   * The longest accepted encoded key: default 1,024 characters, or no limit when the remote tier hides
   * key names (a {@code RedisCacheBuilder} with a {@code keyNameHasher}: Redis then stores a fixed-length
   * HMAC). A longer key is refused with {@code IllegalArgumentException} on writes. For long keys
   * without hiding, use {@link KeyCodec#sha256(KeyCodec)}.
   */
  public TieredCacheBuilder<K, V> maxKeyLength(int maxKeyLength) {
    settings.maxKeyLength(maxKeyLength);
    return this;
  }

  /** The memory tier's time source (tests). */
  public TieredCacheBuilder<K, V> ticker(Ticker ticker) {
    Preconditions.requireState(this.ticker == null, "ticker was already set");
    this.ticker = Preconditions.requireNonNull(ticker, "ticker");
    return this;
  }

  /** Wall-clock time, for the remaining lifetime of remote entries (default UTC system clock). */
  public TieredCacheBuilder<K, V> clock(Clock clock) {
    Preconditions.requireState(this.clock == null, "clock was already set");
    this.clock = Preconditions.requireNonNull(clock, "clock");
    return this;
  }

  /**
   * Builds the cache and subscribes it to its invalidation channel.
   *
   * @throws IllegalStateException if the name, key codec or remote tier is missing, the remote tier
   *     serves another cache, or refresh-ahead has no loader
   */
  public MultiTenantCache<K, V> build() {
    Preconditions.requireState(remoteTier != null || remoteSpec != null,
        "a remote tier is required: call remote(redisCacheBuilder) (without one, use MemoryCacheBuilder)");
    CacheSettings<K, V> built = settings.build(true);
    if (remoteSpec != null && !settings.hasMaxKeyLength() && RemoteTierSpecs.hidesKeyNames(remoteSpec)) {
      built = built.withMaxKeyLength(CacheSettings.UNLIMITED_KEY_LENGTH);
    }
    Preconditions.requireState(refreshAfterWrite == null || built.loader() != null,
        "refreshAfterWrite needs a build-time loader: call loader(...)");
    CacheInstrumentation instrumentation = new CacheInstrumentation();
    instrumentation.deriveMemoryHits();
    @SuppressWarnings("unchecked")
    RemoteTier<V> remoteTier =
        this.remoteTier != null
            ? this.remoteTier
            : (RemoteTier<V>) RemoteTierSpecs.build(remoteSpec, built, instrumentation);
    if (!built.name().equals(remoteTier.cacheName())) {
      if (this.remoteTier == null) {
        remoteTier.close();
      }
      throw new IllegalStateException(
          "the remote tier serves cache '" + remoteTier.cacheName() + "', not '" + built.name() + "'");
    }
    if (resilience != null) {
      try {
        remoteTier = Resilience.decorate(remoteTier, resilience);
      } catch (RuntimeException e) {
        if (this.remoteTier == null) {
          remoteTier.close();
        }
        throw e;
      }
    }

    if (failurePolicy == FailurePolicy.STRICT) {
      requireRemoteUpForStrict(built.name(), remoteTier, this.remoteTier == null);
    }

    Options options = new Options();
    options.memoryTtl = memoryTtl == null ? built.defaultTtl() : memoryTtl;
    options.remoteTimeout = remoteTimeout != null ? remoteTimeout : defaultRemoteTimeout(remoteTier);
    options.failurePolicy = failurePolicy == null ? FailurePolicy.SERVE_DEGRADED : failurePolicy;
    options.degradedTtl = degradedTtl == null ? DEFAULT_DEGRADED_TTL : degradedTtl;
    options.coherence = coherence == null || coherence;
    options.heartbeatInterval = heartbeatInterval == null ? DEFAULT_HEARTBEAT_INTERVAL : heartbeatInterval;
    options.missedHeartbeats = missedHeartbeats == null ? DEFAULT_MISSED_HEARTBEATS : missedHeartbeats;
    options.leaseTime = leaseTime;
    options.leaseWait = leaseWait;
    options.refreshAfterWrite = refreshAfterWrite;

    MemoryCacheBuilder<String, V> memory =
        MemoryCacheBuilder.<String, V>newBuilder()
            .name(built.name())
            // the tiered cache checks key length; memory keys add a tenant prefix to the encoded key
            .maxKeyLength(CacheSettings.UNLIMITED_KEY_LENGTH)
            .defaultTtl(options.memoryTtl)
            .ticker(ticker == null ? Ticker.system() : ticker);
    if (memoryMaximumBytes != null) {
      memory.maximumBytes(memoryMaximumBytes);
      if (memoryWeigher != null) {
        memory.weigher(memoryWeigher);
      }
    } else {
      memory.maximumSize(memoryMaximumSize == null ? DEFAULT_MEMORY_MAXIMUM_SIZE : memoryMaximumSize);
    }
    if (removalListener != null) {
      dev.cachet.RemovalListener<? super String, ? super V> listener = removalListener;
      memory.removalListener(
          (k, v, cause) -> {
            try {
              listener.onRemoval(TieredCache.encodedKeyOf(k), v, cause);
            } catch (RuntimeException | Error e) {
              instrumentation.recordRemovalListenerFailure(); // the tiered cache's meter; memory logs it
              throw e;
            }
          });
    }
    Cache<String, V> memoryCache = memory.build();
    // memory evictions count as the tiered cache's evictions
    ((dev.cachet.internal.AbstractCache<String, V>) memoryCache)
        .instrumentation()
        .attach(
            new StatsRecorder() {
              @Override
              public void recordEviction(int weight) {
                instrumentation.recordEviction(weight);
              }
            });
    SharedThreads.Lease threads = SharedThreads.acquire();
    if (!settings.hasExecutor()) {
      built = new CacheSettings<>(built.name(), built.keyCodec(), built.maxKeyLength(), built.defaultTtl(),
          built.loader(), threads.async());
    }
    TieredCache.Shared<V> shared =
        new TieredCache.Shared<>(
            memoryCache,
            remoteTier,
            options,
            clock == null ? Clock.systemUTC() : clock,
            threads,
            refreshExecutor == null ? threads.refresh() : refreshExecutor,
            instrumentation,
            built.name());
    TieredCache<K, V> cache = new TieredCache<>(built, shared, remoteTier, null, null);
    try {
      cache.start();
    } catch (RuntimeException | Error e) {
      cache.close();
      throw e;
    }
    return cache;
  }

  /**
   * Under {@link FailurePolicy#STRICT} a cache does not start without its remote tier (resilience, issue
   * 6); the default policy starts degraded and recovers by itself.
   */
  private static void requireRemoteUpForStrict(String name, RemoteTier<?> remoteTier, boolean owned) {
    CacheHealth health = remoteTier.health();
    if (health.status() != CacheHealth.Status.DOWN) {
      return;
    }
    if (owned) {
      remoteTier.close();
    }
    String why = health.details().getOrDefault("redis.lastConnectFailure", "not connected");
    throw new CacheUnavailableException(
        name, Tier.REDIS,
        "cache '" + name + "': the Redis tier is unavailable at start-up (" + why
            + ") and the failure policy is STRICT; use SERVE_DEGRADED to start from memory and loaders",
        null);
  }

  /**
   * {@link #DEFAULT_REMOTE_TIMEOUT}, or longer when the remote tier's worst case (every retry timing
   * out) is longer, so that callers do not give up while retries are still running.
   */
  private static Duration defaultRemoteTimeout(RemoteTier<?> remoteTier) {
    return remoteTier
        .worstCaseLatency()
        .map(worst -> worst.plusMillis(250))
        .filter(timeout -> timeout.compareTo(DEFAULT_REMOTE_TIMEOUT) > 0)
        .orElse(DEFAULT_REMOTE_TIMEOUT);
  }

  /** Resolved options shared by a cache and its tenant views. */
  static final class Options {
    Duration memoryTtl;
    Duration remoteTimeout;
    FailurePolicy failurePolicy;
    Duration degradedTtl;
    boolean coherence;
    Duration heartbeatInterval;
    int missedHeartbeats;
    Duration leaseTime;
    Duration leaseWait;
    Duration leasePollInterval = Duration.ofMillis(20);
    Duration refreshAfterWrite;
    int maxDirtyKeys = 10_000;
  }

  @Override
  public String toString() {
    return "TieredCacheBuilder{" + settings.describe()
        + (remoteTier == null ? "" : ", remoteTier") + (remoteSpec == null ? "" : ", remote")
        + (resilience == null ? "" : ", resilience") + '}';
  }
}
