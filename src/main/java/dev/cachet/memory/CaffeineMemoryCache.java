package dev.cachet.memory;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.cachet.CacheHealth;
import dev.cachet.CachePolicy;
import dev.cachet.Ticker;
import dev.cachet.Tier;
import dev.cachet.internal.AbstractCache;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.CacheSettings;
import dev.cachet.internal.LocalTier;
import dev.cachet.internal.Preconditions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The memory tier: a Caffeine cache of {@link Timed} entries, each carrying its own time to live, read
 * through Caffeine's variable {@link Expiry}. Loads never run inside a Caffeine compute (the base class
 * runs them through single-flight), so a slow loader never blocks other keys. Maintenance and removal
 * notifications run on the calling thread, which keeps counts exact and deterministic.
 */
final class CaffeineMemoryCache<K, V> extends AbstractCache<K, V> implements LocalTier<K, V> {

  private final com.github.benmanes.caffeine.cache.Cache<K, Timed> cache;
  private final Ticker ticker;
  private final Duration negativeTtl;
  private final boolean weighted;

  CaffeineMemoryCache(
      CacheSettings<K, V> settings,
      CacheInstrumentation instrumentation,
      long maximum,
      ValueWeigher<Object> weigher,
      Duration negativeTtl,
      Ticker ticker) {
    super(settings, instrumentation);
    this.negativeTtl = negativeTtl;
    this.weighted = weigher != null;
    this.ticker = ticker;
    Caffeine<K, Timed> builder =
        Caffeine.newBuilder()
            .executor(Runnable::run)
            // the system ticker as Caffeine's own: one call less per read than wrapping ours
            .ticker(
                ticker == dev.cachet.Ticker.system()
                    ? com.github.benmanes.caffeine.cache.Ticker.systemTicker()
                    : ticker::read)
            .expireAfter(new TimedExpiry<K>());
    if (weigher != null) {
      builder.maximumWeight(maximum).weigher((K k, Timed v) -> v.weight);
    } else {
      builder.maximumSize(maximum);
    }
    this.cache =
        builder
            .removalListener(
                (K k, Timed v, RemovalCause cause) -> {
                  if (cause.wasEvicted()) {
                    instrumentation.recordEviction(v == null ? 0 : v.weight);
                  } else {
                    instrumentation.recordRemovals(1);
                  }
                  if (removalListener != null && k != null && v != null && v.value != null) {
                    notifyRemoval(k, v.value, cause);
                  }
                })
            .build();
    this.weigherForStore = weigher;
  }

  private final ValueWeigher<Object> weigherForStore;
  private volatile dev.cachet.RemovalListener<? super K, ? super V> removalListener;
  private volatile java.util.function.Function<K, ?> listenerKeys = k -> k;
  private volatile long lastListenerWarning;

  /**
   * Sets the removal listener; {@code keys} maps a stored key to the key the listener sees (the tiered
   * cache strips its tenant scope). Called once, before the cache is shared.
   */
  @SuppressWarnings("unchecked")
  <L> void removalListener(dev.cachet.RemovalListener<? super L, ? super V> listener, java.util.function.Function<K, L> keys) {
    this.listenerKeys = keys;
    this.removalListener = (dev.cachet.RemovalListener<? super K, ? super V>) (dev.cachet.RemovalListener<?, ?>) listener;
  }

  /** Maps Caffeine's cause (or the composition's, set on this thread) and delivers on the executor. */
  @SuppressWarnings("unchecked")
  private void notifyRemoval(K key, Object value, RemovalCause caffeineCause) {
    dev.cachet.RemovalCause cause;
    switch (caffeineCause) {
      case EXPIRED:
        cause = dev.cachet.RemovalCause.EXPIRED;
        break;
      case SIZE:
      case COLLECTED:
        cause = dev.cachet.RemovalCause.SIZE;
        break;
      case REPLACED:
        cause = dev.cachet.RemovalCause.REPLACED;
        break;
      default:
        dev.cachet.RemovalCause given = dev.cachet.internal.RemovalCauses.current();
        cause = given == null ? dev.cachet.RemovalCause.EXPLICIT : given;
    }
    dev.cachet.RemovalListener<Object, Object> listener = (dev.cachet.RemovalListener<Object, Object>) removalListener;
    Object reported = listenerKeys.apply(key);
    if (reported == null) {
      return;
    }
    try {
      settings.executor().execute(() -> deliver(listener, reported, value, cause));
    } catch (RuntimeException rejected) {
      listenerFailed(rejected);
    }
  }

  private void deliver(dev.cachet.RemovalListener<Object, Object> listener, Object key, Object value, dev.cachet.RemovalCause cause) {
    try {
      listener.onRemoval(key, value, cause);
    } catch (RuntimeException | Error e) {
      listenerFailed(e);
    }
  }

  private void listenerFailed(Throwable e) {
    instrumentation.recordRemovalListenerFailure();
    long now = System.nanoTime();
    long last = lastListenerWarning;
    if (last == 0 || now - last > java.util.concurrent.TimeUnit.MINUTES.toNanos(1)) {
      lastListenerWarning = now;
      org.slf4j.LoggerFactory.getLogger(CaffeineMemoryCache.class)
          .warn("cache '{}': the removal listener threw {} (contained; logged at most once a minute)",
              name, e.getClass().getName());
    }
  }

  /** An entry: the value (null for a cached absence), its time to live, weight and write time. */
  static final class Timed {
    final Object value;
    final long ttlNanos;
    final int weight;
    final long writtenAtNanos;

    Timed(Object value, long ttlNanos, int weight, long writtenAtNanos) {
      this.value = value;
      this.ttlNanos = ttlNanos;
      this.weight = weight;
      this.writtenAtNanos = writtenAtNanos;
    }
  }

  private static final class TimedExpiry<K> implements Expiry<K, Timed> {
    @Override
    public long expireAfterCreate(K key, Timed value, long currentTime) {
      return value.ttlNanos;
    }

    @Override
    public long expireAfterUpdate(K key, Timed value, long currentTime, long currentDuration) {
      return value.ttlNanos;
    }

    @Override
    public long expireAfterRead(K key, Timed value, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }

  private Timed timed(V value, Duration ttl) {
    int weight = weigherForStore == null ? 1 : weigherForStore.weigh(value);
    if (weight < 0) {
      throw new IllegalArgumentException(
          "the weigher of cache '" + name + "' returned a negative weight: " + weight);
    }
    return new Timed(value, saturatedNanos(ttl), weight, ticker.read());
  }

  private static long saturatedNanos(Duration ttl) {
    try {
      return ttl.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  @Override
  protected Object lookup(K key) {
    Timed entry = cache.getIfPresent(key);
    if (entry == null) {
      return null;
    }
    return entry.value == null ? ABSENT : entry.value;
  }

  @Override
  protected Map<K, Object> lookupAll(Set<K> keys) {
    Map<K, Timed> present = cache.getAllPresent(keys);
    Map<K, Object> result = new HashMap<>(present.size() * 2);
    present.forEach((k, t) -> result.put(k, t.value == null ? ABSENT : t.value));
    return result;
  }

  @Override
  protected void store(K key, V value, Duration ttl) {
    cache.put(key, timed(value, ttl));
  }

  @Override
  protected void storeAll(Map<K, V> entries, Duration ttl) {
    Map<K, Timed> timed = new HashMap<>(entries.size() * 2);
    entries.forEach((k, v) -> timed.put(k, timed(v, ttl)));
    cache.putAll(timed);
  }

  @Override
  protected Object storeLoaded(K key, V value) {
    Timed entry = timed(value, defaultTtl());
    cache.put(key, entry);
    return entry;
  }

  @Override
  protected void storeAbsent(K key) {
    if (negativeTtl != null) {
      cache.put(key, new Timed(null, saturatedNanos(negativeTtl), 0, ticker.read()));
    }
  }

  @Override
  protected void undoLoadedStore(K key, Object handle) {
    cache.asMap().remove(key, handle);
  }

  /** The stored entry instance is the token: a compare-and-set is Caffeine's identity-based replace. */
  @SuppressWarnings("unchecked")
  @Override
  protected Versioned<V> readForUpdate(K key) {
    Timed entry = cache.getIfPresent(key);
    return entry == null || entry.value == null ? null : new Versioned<>((V) entry.value, entry);
  }

  @Override
  protected boolean compareAndStore(K key, Versioned<V> expected, V value, Duration ttl) {
    if (expected == null) {
      if (value == null) {
        return true;
      }
      Timed fresh = timed(value, ttl);
      Timed prior = cache.asMap().putIfAbsent(key, fresh);
      // a cached absence (negative caching) is no entry: replace exactly it
      return prior == null || (prior.value == null && cache.asMap().replace(key, prior, fresh));
    }
    Timed current = (Timed) expected.token();
    if (value == null) {
      return cache.asMap().remove(key, current);
    }
    return cache.asMap().replace(key, current, timed(value, ttl));
  }

  @Override
  protected void remove(K key) {
    cache.invalidate(key);
  }

  @Override
  protected void removeAll(Set<K> keys) {
    cache.invalidateAll(keys);
  }

  @Override
  protected void clear() {
    cache.invalidateAll();
  }

  @Override
  protected void onClose() {
    cache.invalidateAll();
    cache.cleanUp();
  }

  @Override
  protected CacheHealth currentHealth() {
    return CacheHealth.newBuilder(CacheHealth.Status.UP)
        .tier(Tier.MEMORY, CacheHealth.Status.UP)
        .detail("memory.estimatedSize", cache.estimatedSize())
        .build();
  }

  // ---------------------------------------------------------------- LocalTier

  @SuppressWarnings("unchecked")
  @Override
  public V peek(K key) {
    Timed entry = cache.getIfPresent(key);
    return entry == null ? null : (V) entry.value;
  }

  @Override
  public long writtenAtNanos(K key) {
    Timed entry = cache.getIfPresent(key);
    return entry == null ? -1 : entry.writtenAtNanos;
  }

  @Override
  public long nowNanos() {
    return ticker.read();
  }

  @Override
  public Object storeWithHandle(K key, V value, Duration ttl) {
    Timed entry = timed(value, ttl);
    cache.put(key, entry);
    return entry;
  }

  @Override
  public void removeIfSame(K key, Object handle) {
    cache.asMap().remove(key, handle);
  }

  @Override
  public void discard(K key) {
    cache.invalidate(key);
  }

  @Override
  public void discardAll() {
    cache.invalidateAll();
  }

  @Override
  public void discardPrefix(String prefix) {
    cache.asMap().keySet().removeIf(k -> k instanceof String && ((String) k).startsWith(prefix));
  }

  /** Approximate entry count, for metrics. */
  long estimatedSize() {
    return cache.estimatedSize();
  }

  @Override
  public CachePolicy policy() {
    checkOpen();
    Optional<CachePolicy.SizeBound> bound =
        cache.policy().eviction().map(eviction -> new Bound(eviction));
    return withTimeToLive(new CachePolicy() {
      @Override
      public Optional<SizeBound> sizeBound() {
        return bound;
      }

      @Override
      public Optional<PatternInvalidation> patternInvalidation() {
        return Optional.empty();
      }
    });
  }

  private final class Bound implements CachePolicy.SizeBound {
    private final Policy.Eviction<K, Timed> eviction;

    Bound(Policy.Eviction<K, Timed> eviction) {
      this.eviction = eviction;
    }

    @Override
    public boolean isWeighted() {
      return weighted;
    }

    @Override
    public long maximum() {
      return eviction.getMaximum();
    }

    @Override
    public void setMaximum(long maximum) {
      Preconditions.requireAtLeast(maximum, 0, "maximum");
      checkOpen();
      eviction.setMaximum(maximum);
    }

    @Override
    public long estimatedSize() {
      return cache.estimatedSize();
    }

    @Override
    public OptionalLong weightedSize() {
      return weighted ? eviction.weightedSize() : OptionalLong.empty();
    }
  }
}
