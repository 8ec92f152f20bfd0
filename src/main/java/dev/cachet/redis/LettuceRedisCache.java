package dev.cachet.redis;

import dev.cachet.spi.RemoteOperation;
import dev.cachet.AsyncCache;
import dev.cachet.CacheHealth;
import dev.cachet.CachePolicy;
import dev.cachet.internal.AbstractCache;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.CacheSettings;
import dev.cachet.internal.Preconditions;
import dev.cachet.resilience.Resilience;
import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteTier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link dev.cachet.Cache} backed only by Redis, built by {@link RedisCacheBuilder#build()}. Every
 * call goes to Redis; a Redis failure is thrown as a {@link dev.cachet.spi.RemoteTierException} (a
 * {@code CacheUnavailableException}). The async view is natively asynchronous. Thread-safe.
 *
 * <p>A value that cannot be stored (too large, not serializable) is refused with {@link
 * dev.cachet.InvalidValueException} before anything is sent: thrown by {@code put}, {@code putAll} and
 * {@code get(key, loader)} (for the loaded value); the async view completes its future with it.
 *
 * <p>A loaded value is stored with {@code SET NX}, so it never overwrites a value another instance (or
 * this one) put while the loader ran. When the load turned stale (this instance invalidated or put the
 * key meanwhile), the loaded value is removed again only if Redis still holds exactly the bytes this load
 * wrote (compare-and-delete), never whatever is there.
 */
final class LettuceRedisCache<K, V> extends AbstractCache<K, V> {

  /** The tier every call goes through: the Redis tier, or the same behind the resilience decorator. */
  private final RemoteTier<V> tier;
  /** The bare Redis tier, for the load path's SET NX and its compare-and-delete undo. */
  private final LettuceRedisTier<V> raw;
  private final long awaitMillis;

  /**
   * @param awaitBound the longest a synchronous call waits: a few sequential commands, each bounded by
   *     the command timeout (with resilience: the decorator's worst case, retries included)
   */
  LettuceRedisCache(
      CacheSettings<K, V> settings, CacheInstrumentation instrumentation, LettuceRedisTier<V> raw,
      RemoteTier<V> tier, Duration awaitBound) {
    super(settings, instrumentation);
    this.raw = raw;
    this.tier = tier;
    this.awaitMillis = awaitBound.toMillis();
  }

  LettuceRedisTier<V> tier() {
    return raw;
  }

  @Override
  public Optional<Object> circuitBreaker() {
    return Resilience.circuitBreakerOf(tier).map(Object.class::cast);
  }

  @Override
  public Optional<Object> retry() {
    return Resilience.retryOf(tier).map(Object.class::cast);
  }

  private <T> T await(CompletableFuture<T> future) {
    return await(future, null);
  }

  /** Waits for {@code future}, running {@code decoder}'s tasks (the read's decoding) on this thread. */
  private <T> T await(CompletableFuture<T> future, dev.cachet.internal.CallerRunsExecutor decoder) {
    try {
      return decoder == null
          ? future.get(awaitMillis, TimeUnit.MILLISECONDS)
          : decoder.await(future, TimeUnit.MILLISECONDS.toNanos(awaitMillis));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new dev.cachet.CacheUnavailableException(name, dev.cachet.Tier.REDIS,
          "interrupted while waiting for Redis in cache '" + name + "'", e);
    } catch (ExecutionException e) {
      Throwable cause = RedisErrors.unwrap(e);
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw new dev.cachet.CacheException(name, "Redis call of cache '" + name + "' failed", cause);
    } catch (TimeoutException e) {
      throw RedisErrors.wrap(name, RemoteOperation.GET, e);
    }
  }

  /** The encoded key, or null when it is longer than allowed (such a key cannot be stored). */
  private String encodeForLookup(K key) {
    String encoded = settings.keyCodec().encode(key);
    if (encoded == null || encoded.length() > settings.maxKeyLength()) {
      return null;
    }
    return encoded;
  }

  @Override
  protected Object lookup(K key) {
    String encoded = encodeForLookup(key);
    if (encoded == null) {
      return null;
    }
    var decoder = new dev.cachet.internal.CallerRunsExecutor();
    RemoteEntry<V> entry = await(tier.get(encoded, decoder), decoder);
    return entry == null ? null : entry.value();
  }

  @Override
  protected Map<K, Object> lookupAll(Set<K> keys) {
    Map<String, K> byEncoded = new HashMap<>();
    for (K key : keys) {
      String encoded = encodeForLookup(key);
      if (encoded != null) {
        byEncoded.put(encoded, key);
      }
    }
    Map<K, Object> found = new HashMap<>();
    if (byEncoded.isEmpty()) {
      return found;
    }
    var decoder = new dev.cachet.internal.CallerRunsExecutor();
    Map<String, RemoteEntry<V>> entries = await(tier.getAll(byEncoded.keySet(), decoder), decoder);
    entries.forEach((encoded, entry) -> found.put(byEncoded.get(encoded), entry.value()));
    return found;
  }

  @Override
  protected void store(K key, V value, Duration ttl) {
    await(tier.put(encodeKey(key), value, ttl));
  }

  /** {@code SET NX}: a loaded value never overwrites a newer one; the handle is what was written. */
  @Override
  protected Object storeLoaded(K key, V value) {
    return await(raw.storeIfAbsent(encodeKey(key), value, defaultTtl()));
  }

  /** Removes the loaded value only if Redis still holds exactly what this load wrote. */
  @Override
  protected void undoLoadedStore(K key, Object handle) {
    LettuceRedisTier.Written written = (LettuceRedisTier.Written) handle;
    await(raw.compareAndDelete(written.redisKey, written.token));
  }

  /** The remote read without blocking the caller (the async loaders' lookup). */
  @Override
  protected CompletableFuture<Object> lookupAsync(K key) {
    String encoded = encodeForLookup(key);
    if (encoded == null) {
      return CompletableFuture.completedFuture(null);
    }
    return tier.get(encoded).thenApply(entry -> entry == null ? null : entry.value());
  }

  /** One {@code MGET} without blocking the caller. */
  @Override
  protected CompletableFuture<Map<K, Object>> lookupAllAsync(Set<K> keys) {
    Map<String, K> byEncoded = new HashMap<>();
    for (K key : keys) {
      String encoded = encodeForLookup(key);
      if (encoded != null) {
        byEncoded.put(encoded, key);
      }
    }
    if (byEncoded.isEmpty()) {
      return CompletableFuture.completedFuture(new HashMap<>());
    }
    return tier.getAll(byEncoded.keySet())
        .thenApply(
            entries -> {
              Map<K, Object> found = new HashMap<>();
              entries.forEach((encoded, entry) -> found.put(byEncoded.get(encoded), entry.value()));
              return found;
            });
  }

  /** The remote entry, with its exact stored bytes as the token. */
  @Override
  protected Versioned<V> readForUpdate(K key) {
    RemoteEntry<V> entry = await(tier.get(encodeKey(key)));
    return entry == null ? null : new Versioned<>(entry.value(), entry);
  }

  /** {@code SET NX}, or the compare-and-set / compare-and-delete script on the exact bytes read. */
  @SuppressWarnings("unchecked")
  @Override
  protected boolean compareAndStore(K key, Versioned<V> expected, V value, Duration ttl) {
    String encoded = encodeKey(key);
    RemoteEntry<V> entry = expected == null ? null : (RemoteEntry<V>) expected.token();
    if (value == null) {
      return entry == null || await(tier.removeIfSame(encoded, entry));
    }
    return await(tier.replace(encoded, entry, value, ttl));
  }

  @Override
  protected boolean contains(K key) {
    String encoded = encodeForLookup(key);
    return encoded != null && await(tier.contains(encoded));
  }

  @Override
  protected void storeAll(Map<K, V> entries, Duration ttl) {
    Map<String, V> encoded = new LinkedHashMap<>();
    entries.forEach((k, v) -> encoded.put(encodeKey(k), v));
    await(tier.putAll(encoded, ttl));
  }

  @Override
  protected void remove(K key) {
    String encoded = encodeForLookup(key);
    if (encoded != null) {
      await(tier.invalidate(List.of(encoded)));
    }
  }

  @Override
  protected void removeAll(Set<K> keys) {
    List<String> encoded = new ArrayList<>();
    for (K key : keys) {
      String e = encodeForLookup(key);
      if (e != null) {
        encoded.add(e);
      }
    }
    if (!encoded.isEmpty()) {
      await(tier.invalidate(encoded));
    }
  }

  @Override
  protected void clear() {
    await(tier.invalidateAll());
  }

  @Override
  protected CacheHealth currentHealth() {
    return tier.health();
  }

  @Override
  protected boolean knowsEvictions() {
    return false;
  }

  /** Redis only: the metrics binder registers the Redis and crypto meters, and no memory size. */
  @Override
  public Set<dev.cachet.Tier> tiers() {
    return Set.of(dev.cachet.Tier.REDIS);
  }

  @Override
  protected void onClose() {
    tier.close();
  }

  /** Redis-only: the tier's counters (behind the breaker when the cache has resilience settings). */
  @Override
  protected Optional<dev.cachet.Counters<String>> remoteCounters() {
    return tier.counters();
  }

  @Override
  public CachePolicy policy() {
    checkOpen();
    if (!tier.supportsPatternInvalidation()) {
      return withTimeToLive(CachePolicy.none());
    }
    CachePolicy.PatternInvalidation patterns =
        glob -> {
          Preconditions.requireNonNull(glob, "glob");
          checkOpen();
          singleFlight.markAllStale();
          return await(tier.invalidateMatching(glob));
        };
    return withTimeToLive(new CachePolicy() {
      @Override
      public Optional<SizeBound> sizeBound() {
        return Optional.empty();
      }

      @Override
      public Optional<PatternInvalidation> patternInvalidation() {
        return Optional.of(patterns);
      }
    });
  }

  @Override
  protected AsyncCache<K, V> createAsyncView() {
    return new RedisAsyncView();
  }

  /** Non-loading calls go to Redis without blocking any thread; loads use the base view. */
  private final class RedisAsyncView extends ExecutorAsyncView {

    @Override
    public CompletableFuture<V> getIfPresent(K key) {
      Preconditions.requireNonNull(key, "key");
      checkOpen();
      String encoded = encodeForLookup(key);
      if (encoded == null) {
        instrumentation.recordMisses(1);
        return CompletableFuture.completedFuture(null);
      }
      return tier.get(encoded)
          .thenApply(
              entry -> {
                if (entry == null) {
                  instrumentation.recordMisses(1);
                  return null;
                }
                instrumentation.recordHits(1);
                return entry.value();
              });
    }

    @Override
    public CompletableFuture<Void> put(K key, V value, Duration ttl) {
      Preconditions.requireNonNull(key, "key");
      Preconditions.requireNonNull(value, "value");
      Preconditions.requireTtl(ttl, "ttl");
      checkOpen();
      String encoded = encodeKey(key);
      singleFlight.markStale(key);
      CompletableFuture<Void> written;
      try {
        written = tier.put(encoded, value, ttl);
      } catch (dev.cachet.InvalidValueException e) {
        return CompletableFuture.failedFuture(e); // not an argument error: completes the future
      }
      return written.thenRun(() -> instrumentation.recordPuts(1));
    }

    @Override
    public CompletableFuture<Void> invalidate(K key) {
      Preconditions.requireNonNull(key, "key");
      checkOpen();
      singleFlight.markStale(key);
      String encoded = encodeForLookup(key);
      return encoded == null ? CompletableFuture.completedFuture(null) : tier.invalidate(List.of(encoded));
    }

    @Override
    public CompletableFuture<Void> invalidateAll() {
      checkOpen();
      singleFlight.markAllStale();
      return tier.invalidateAll();
    }
  }
}
