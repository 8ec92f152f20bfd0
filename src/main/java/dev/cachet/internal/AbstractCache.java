package dev.cachet.internal;

import dev.cachet.AsyncCache;
import dev.cachet.BulkLoader;
import dev.cachet.Cache;
import dev.cachet.CacheHealth;
import dev.cachet.CacheLoader;
import dev.cachet.CacheLoaderException;
import dev.cachet.CachePolicy;
import dev.cachet.CacheStats;
import dev.cachet.Counters;
import dev.cachet.KeyCodec;
import dev.cachet.Tier;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The base of every {@link Cache} implementation: argument checks, use-after-close, single-flight
 * loading, statistics and a default asynchronous view. Subclasses supply storage primitives ({@link
 * #lookup}, {@link #store}, {@link #remove}, {@link #clear}) and may override the load path ({@link
 * #loadValue}) and the async view.
 *
 * <p>Staleness rule: a write or invalidation of a key while its load runs marks the load's {@link
 * SingleFlight.Flight} stale; the load then answers its callers but does not keep its value cached.
 */
public abstract class AbstractCache<K, V> implements Cache<K, V>, Instrumented {

  private static final Logger log = LoggerFactory.getLogger(AbstractCache.class);

  /** What {@link #lookup} returns for a cached absence (negative caching). */
  protected static final Object ABSENT =
      new Object() {
        @Override
        public String toString() {
          return "ABSENT";
        }
      };

  protected final CacheSettings<K, V> settings;
  protected final String name;
  protected final CacheInstrumentation instrumentation;
  protected final SingleFlight<K, V> singleFlight;
  private final AtomicBoolean closing = new AtomicBoolean();
  private volatile boolean closed;
  private volatile AsyncCache<K, V> asyncView;
  private volatile Counters<K> countersView;
  private final CopyOnWriteArrayList<Runnable> closeHooks = new CopyOnWriteArrayList<>();

  protected AbstractCache(CacheSettings<K, V> settings, CacheInstrumentation instrumentation) {
    this.settings = Preconditions.requireNonNull(settings, "settings");
    this.name = settings.name();
    this.instrumentation = Preconditions.requireNonNull(instrumentation, "instrumentation");
    this.singleFlight = new SingleFlight<>(name);
    this.defaultTtl = settings.defaultTtl();
    instrumentation.recordDefaultTtl(defaultTtl);
  }

  private volatile Duration defaultTtl;

  /** The default time to live of writes now: the built one until {@link CachePolicy.TimeToLive} changes it. */
  protected final Duration defaultTtl() {
    return defaultTtl;
  }

  /** The run-time default TTL capability every built-in cache adds to its {@link #policy()}. */
  protected final CachePolicy.TimeToLive timeToLive() {
    return new CachePolicy.TimeToLive() {
      @Override
      public Duration defaultTtl() {
        return defaultTtl;
      }

      @Override
      public void setDefaultTtl(Duration ttl) {
        Preconditions.requireTtl(ttl, "ttl");
        checkOpen();
        defaultTtl = ttl;
        instrumentation.recordDefaultTtl(ttl);
      }

      @Override
      public String toString() {
        return "TimeToLive{" + name + ", " + defaultTtl + '}';
      }
    };
  }

  /** {@code base} with {@link #timeToLive()} added. */
  protected final CachePolicy withTimeToLive(CachePolicy base) {
    CachePolicy.TimeToLive ttl = timeToLive();
    return new CachePolicy() {
      @Override
      public Optional<SizeBound> sizeBound() {
        return base.sizeBound();
      }

      @Override
      public Optional<PatternInvalidation> patternInvalidation() {
        return base.patternInvalidation();
      }

      @Override
      public Optional<TimeToLive> timeToLive() {
        return Optional.of(ttl);
      }
    };
  }

  // ---------------------------------------------------------------- primitives for subclasses

  /** The stored value of {@code key}: the value, {@link #ABSENT} for a cached absence, or null. */
  protected abstract Object lookup(K key);

  /** Stored values of {@code keys}, as {@link #lookup}; absent keys missing. */
  protected Map<K, Object> lookupAll(Set<K> keys) {
    Map<K, Object> found = new HashMap<>();
    for (K key : keys) {
      Object value = lookup(key);
      if (value != null) {
        found.put(key, value);
      }
    }
    return found;
  }

  /** Stores {@code value} for {@code ttl}, replacing any entry. */
  protected abstract void store(K key, V value, Duration ttl);

  /** Stores every entry for {@code ttl}. */
  protected void storeAll(Map<K, V> entries, Duration ttl) {
    entries.forEach((k, v) -> store(k, v, ttl));
  }

  /**
   * Stores a loaded value; returns a handle for {@link #undoLoadedStore} or null when nothing was
   * stored. The default stores like {@link #store}.
   */
  protected Object storeLoaded(K key, V value) {
    store(key, value, defaultTtl());
    return value;
  }

  /** Caches the absence of {@code key}, when the cache does negative caching. Default: nothing. */
  protected void storeAbsent(K key) {}

  /**
   * Undoes {@link #storeLoaded} after its load turned stale; must not remove a newer value when the
   * implementation can tell. Default: removes the key.
   */
  protected void undoLoadedStore(K key, Object handle) {
    remove(key);
  }

  /** Removes {@code key}. */
  protected abstract void remove(K key);

  /** Removes {@code keys}. */
  protected void removeAll(Set<K> keys) {
    keys.forEach(this::remove);
  }

  /** Removes every entry. */
  protected abstract void clear();

  /** Releases resources; called once. Must not throw. */
  protected void onClose() {}

  /** The health of an open cache. */
  protected abstract CacheHealth currentHealth();

  /** Whether {@link #stats()} can report evictions. */
  protected boolean knowsEvictions() {
    return true;
  }

  // ---------------------------------------------------------------- load path

  /**
   * Loads {@code key} after a miss, as the single-flight winner, and stores the result unless the
   * flight turned stale. Subclasses (the tiered cache) override it to consult another tier first.
   */
  protected V loadValue(K key, CacheLoader<? super K, ? extends V> loader, SingleFlight.Flight<V> flight) {
    Object again = lookup(key);
    if (again != null) {
      return unwrap(again);
    }
    V value = callLoader(key, loader);
    keepLoaded(key, value, flight);
    return value;
  }

  /** Runs {@code loader}, timing and counting it; checked exceptions become {@link CacheLoaderException}. */
  protected final V callLoader(K key, CacheLoader<? super K, ? extends V> loader) {
    long start = System.nanoTime();
    V value;
    try {
      value = loader.load(key);
    } catch (RuntimeException | Error e) {
      instrumentation.recordLoadFailure(System.nanoTime() - start);
      throw e;
    } catch (InterruptedException e) {
      instrumentation.recordLoadFailure(System.nanoTime() - start);
      Thread.currentThread().interrupt();
      throw new CacheLoaderException(name, e);
    } catch (Exception e) {
      instrumentation.recordLoadFailure(System.nanoTime() - start);
      throw new CacheLoaderException(name, e);
    }
    instrumentation.recordLoadSuccess(System.nanoTime() - start);
    return value;
  }

  /** Stores a loaded value (or absence), then undoes it if the flight turned stale meanwhile. */
  protected final void keepLoaded(K key, V value, SingleFlight.Flight<V> flight) {
    if (flight.isStale()) {
      return;
    }
    if (value == null) {
      storeAbsent(key);
      return;
    }
    Object handle = storeLoaded(key, value);
    if (handle != null) {
      instrumentation.recordPuts(1);
      if (flight.isStale()) {
        undoLoadedStore(key, handle);
      }
    }
  }

  /** Loads the won keys of a bulk call with one loader call, storing results. */
  protected Map<K, V> loadValues(Map<K, SingleFlight.Flight<V>> flights, BulkLoader<K, V> loader) {
    Object begun = beginBulkLoad();
    Map<K, V> result = loadValuesWithoutStoring(flights, loader);
    storeLoadedValues(flights, result, begun);
    return result;
  }

  /**
   * {@link #loadValues} for keys claimed after a read that began at {@code stamp}: a key whose load
   * finished since then is read again first (that load's value may postdate the read) and only the keys
   * still missing are loaded; a value found is the flight's, served from the cache.
   */
  private Map<K, V> readAgainThenLoad(
      Map<K, SingleFlight.Flight<V>> flights, long stamp, BulkLoader<K, V> loader) {
    Set<K> again = finishedSince(flights.keySet(), stamp);
    if (again.isEmpty()) {
      return loadValues(flights, loader);
    }
    Map<K, V> result = new HashMap<>();
    Map<K, SingleFlight.Flight<V>> toLoad = withoutFound(flights, lookupAll(again), result);
    if (!toLoad.isEmpty()) {
      result.putAll(loadValues(toLoad, loader));
    }
    return result;
  }

  private Set<K> finishedSince(Set<K> keys, long stamp) {
    Set<K> again = new LinkedHashSet<>();
    for (K key : keys) {
      if (singleFlight.finishedSince(key, stamp)) {
        again.add(key);
      }
    }
    return again;
  }

  /**
   * The {@code flights} not in {@code found}; the found values (not absences) go into {@code values}
   * and their flights are marked served from the cache.
   */
  private Map<K, SingleFlight.Flight<V>> withoutFound(
      Map<K, SingleFlight.Flight<V>> flights, Map<K, Object> found, Map<K, V> values) {
    Map<K, SingleFlight.Flight<V>> rest = new LinkedHashMap<>();
    for (Map.Entry<K, SingleFlight.Flight<V>> e : flights.entrySet()) {
      Object stored = found.get(e.getKey());
      if (stored == null) {
        rest.put(e.getKey(), e.getValue());
        continue;
      }
      e.getValue().markServedFromCache();
      V value = unwrap(stored);
      if (value != null) {
        values.put(e.getKey(), value);
      }
    }
    return rest;
  }

  // ---------------------------------------------------------------- test hook

  /**
   * Test hook (set through the test sources' {@code InternalTestAccess}): called when a loading read's
   * lookup has answered and before its missing keys are claimed; the claim waits for the returned
   * future. Null (always, outside tests) means no wait.
   */
  volatile java.util.function.Supplier<CompletableFuture<?>> afterLookupHook;

  /** {@code lookup}, completing only once the test hook's future has (no extra stage without a hook). */
  private <T> CompletableFuture<T> afterLookup(CompletableFuture<T> lookup) {
    java.util.function.Supplier<CompletableFuture<?>> hook = afterLookupHook;
    return hook == null ? lookup : lookup.thenCompose(found -> hook.get().thenApply(ignored -> found));
  }

  private void awaitAfterLookupHook() {
    java.util.function.Supplier<CompletableFuture<?>> hook = afterLookupHook;
    if (hook != null) {
      hook.get().join();
    }
  }

  /**
   * Called before a bulk load's loader runs; what it returns is handed to {@link #storeLoadedValues}
   * (the tiered cache: the key order's read stamp). Default: null.
   */
  protected Object beginBulkLoad() {
    return null;
  }

  /** Stores the values a bulk load returned for the won {@code flights}, unless a flight turned stale. */
  protected void storeLoadedValues(Map<K, SingleFlight.Flight<V>> flights, Map<K, V> loaded, Object begun) {
    for (Map.Entry<K, SingleFlight.Flight<V>> e : flights.entrySet()) {
      keepLoaded(e.getKey(), loaded.get(e.getKey()), e.getValue());
    }
  }

  // ---------------------------------------------------------------- warming (issue 19)

  /**
   * Takes the cross-instance lease of one batch of a {@code warm} call ({@code batch}: its keys in the
   * order every instance forms it), without waiting for it: {@link WarmLease#held} when taken, {@link
   * WarmLease#busy} when another instance holds it, {@link WarmLease#UNAVAILABLE} when it cannot be asked
   * for. The default, for caches without anything to coordinate with: {@link WarmLease#NOT_NEEDED}.
   */
  protected WarmLease acquireWarmLease(java.util.List<K> batch) {
    return WarmLease.NOT_NEEDED;
  }

  // ---------------------------------------------------------------- asynchronous loaders

  /**
   * Records a failed asynchronous load (single or bulk) and returns nothing: it throws the loader's
   * failure as the caller sees it (unchecked as it is, checked wrapped in {@link CacheLoaderException}),
   * so that a {@code handle} stage can write {@code throw asyncLoadFailed(error, start)}.
   */
  private RuntimeException asyncLoadFailed(Throwable error, long start) {
    instrumentation.recordLoadFailure(System.nanoTime() - start);
    Throwable cause = SingleFlight.unwrap(error);
    if (cause instanceof RuntimeException) {
      throw (RuntimeException) cause;
    }
    if (cause instanceof Error) {
      throw (Error) cause;
    }
    throw new CacheLoaderException(name, cause);
  }

  /**
   * Starts {@code loader} for {@code key} and times it: a synchronous throw or a null future becomes a
   * failed future; checked failures are wrapped in {@link CacheLoaderException}.
   */
  protected final CompletableFuture<V> callAsyncLoader(
      K key,
      java.util.function.BiFunction<? super K, ? super java.util.concurrent.Executor,
              ? extends CompletableFuture<? extends V>> loader) {
    long start = System.nanoTime();
    CompletableFuture<? extends V> started;
    try {
      started = loader.apply(key, settings.executor());
      if (started == null) {
        throw new NullPointerException("the async loader of cache '" + name + "' returned a null future");
      }
    } catch (Throwable t) {
      instrumentation.recordLoadFailure(System.nanoTime() - start);
      return CompletableFuture.failedFuture(t);
    }
    return started.handle(
        (value, error) -> {
          if (error != null) {
            throw asyncLoadFailed(error, start);
          }
          instrumentation.recordLoadSuccess(System.nanoTime() - start);
          @SuppressWarnings("unchecked")
          V v = (V) value;
          return v;
        });
  }

  /**
   * The asynchronous load of {@code key} after a memory miss, as the single-flight winner; must not
   * block the calling thread. The default starts the loader and stores its value on the cache's
   * executor (a remote store may block there); the tiered cache looks in Redis first.
   */
  protected CompletableFuture<V> loadValueAsync(
      K key,
      java.util.function.BiFunction<? super K, ? super java.util.concurrent.Executor,
              ? extends CompletableFuture<? extends V>> loader,
      SingleFlight.Flight<V> flight) {
    return callAsyncLoader(key, loader)
        .thenApplyAsync(
            value -> {
              keepLoaded(key, value, flight);
              return value;
            },
            settings.executor());
  }

  /**
   * Calls {@code loader} once for the won keys (timed and counted) and returns the non-null values of
   * those keys; extra keys in the loader's answer are dropped. Stores nothing.
   */
  protected final Map<K, V> loadValuesWithoutStoring(
      Map<K, SingleFlight.Flight<V>> flights, BulkLoader<K, V> loader) {
    Set<K> keys = Collections.unmodifiableSet(new LinkedHashSet<>(flights.keySet()));
    long start = System.nanoTime();
    Map<? extends K, ? extends V> loaded;
    try {
      loaded = loader.loadAll(keys);
    } catch (RuntimeException | Error e) {
      instrumentation.recordLoadFailure(System.nanoTime() - start);
      throw e;
    } catch (Exception e) {
      instrumentation.recordLoadFailure(System.nanoTime() - start);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new CacheLoaderException(name, e);
    }
    instrumentation.recordLoadSuccess(System.nanoTime() - start);
    Map<K, V> result = new HashMap<>();
    if (loaded != null) {
      for (K key : keys) {
        V value = loaded.get(key);
        if (value != null) {
          result.put(key, value);
        }
      }
    }
    return result;
  }

  @SuppressWarnings("unchecked")
  protected static <V> V unwrap(Object stored) {
    return stored == ABSENT ? null : (V) stored;
  }

  // ---------------------------------------------------------------- Cache

  @Override
  public final String name() {
    return name;
  }

  @Override
  public V getIfPresent(K key) {
    Preconditions.requireNonNull(key, "key");
    checkOpen();
    Object stored = lookup(key);
    if (stored == null) {
      instrumentation.recordMisses(1);
      return null;
    }
    instrumentation.recordHits(1);
    return unwrap(stored);
  }

  @Override
  public V get(K key, CacheLoader<? super K, ? extends V> loader) {
    Preconditions.requireNonNull(key, "key");
    Preconditions.requireNonNull(loader, "loader");
    checkOpen();
    Object stored = lookup(key);
    if (stored != null) {
      instrumentation.recordHits(1);
      return unwrap(stored);
    }
    instrumentation.recordMisses(1);
    encodeKey(key);
    return singleFlight.load(key, flight -> loadValue(key, loader, flight));
  }

  @Override
  public V get(K key) {
    Preconditions.requireNonNull(key, "key");
    return get(key, buildLoader());
  }

  /** The build-time loader; throws when there is none. */
  protected final CacheLoader<? super K, ? extends V> buildLoader() {
    CacheLoader<? super K, ? extends V> loader = settings.loader();
    if (loader == null) {
      throw new IllegalStateException(
          "cache '" + name + "' was built without a loader: pass one to get(key, loader) or to the"
              + " builder's loader(...)");
    }
    return loader;
  }

  @Override
  public Map<K, V> getAllPresent(Iterable<? extends K> keys) {
    Set<K> distinct = SingleFlight.distinct(keys, "keys");
    checkOpen();
    Map<K, Object> found = lookupAll(distinct);
    Map<K, V> result = new LinkedHashMap<>();
    int hits = 0;
    for (K key : distinct) {
      Object stored = found.get(key);
      if (stored != null) {
        hits++;
        V value = unwrap(stored);
        if (value != null) {
          result.put(key, value);
        }
      }
    }
    instrumentation.recordHits(hits);
    instrumentation.recordMisses(distinct.size() - hits);
    return Collections.unmodifiableMap(result);
  }

  @Override
  public Map<K, V> getAll(Iterable<? extends K> keys, BulkLoader<K, V> loader) {
    Set<K> distinct = SingleFlight.distinct(keys, "keys");
    Preconditions.requireNonNull(loader, "loader");
    checkOpen();
    long stamp = singleFlight.stamp();
    Map<K, Object> found = lookupAll(distinct);
    awaitAfterLookupHook();
    Map<K, V> present = new HashMap<>();
    Set<K> missing = new LinkedHashSet<>();
    for (K key : distinct) {
      Object stored = found.get(key);
      if (stored == null) {
        missing.add(key);
      } else if (stored != ABSENT) {
        present.put(key, unwrap(stored));
      }
    }
    instrumentation.recordHits(distinct.size() - missing.size());
    instrumentation.recordMisses(missing.size());
    Map<K, V> loaded = Map.of();
    if (!missing.isEmpty()) {
      missing.forEach(this::encodeKey);
      loaded = singleFlight.loadAll(missing, flights -> readAgainThenLoad(flights, stamp, loader));
    }
    Map<K, V> result = new LinkedHashMap<>();
    for (K key : distinct) {
      V value = present.containsKey(key) ? present.get(key) : loaded.get(key);
      if (value != null) {
        result.put(key, value);
      }
    }
    return Collections.unmodifiableMap(result);
  }

  // ---------------------------------------------------------------- conditional operations (issue 19)

  /** The most compare-and-set attempts one {@link #compute} or {@link #putIfAbsent} makes. */
  public static final int MAX_UPDATE_ATTEMPTS = 16;

  /** The first back-off bound between attempts, in microseconds; doubles per attempt up to the cap. */
  static final long UPDATE_BACKOFF_BASE_MICROS = 200;

  /** The largest back-off bound between attempts, in microseconds. */
  static final long UPDATE_BACKOFF_CAP_MICROS = 20_000;

  /**
   * A value read for a conditional write, with the opaque token a later {@link #compareAndStore}
   * compares against (the exact stored bytes on Redis, the stored entry instance in memory).
   */
  protected static final class Versioned<V> {
    final V value;
    final Object token;

    /** A value and its token; {@code value} is never null. */
    public Versioned(V value, Object token) {
      this.value = Preconditions.requireNonNull(value, "value");
      this.token = token;
    }

    /** The value read. */
    public V value() {
      return value;
    }

    /** The token to compare against. */
    public Object token() {
      return token;
    }
  }

  /**
   * Reads {@code key} for a conditional write: its value and token, or null when absent. Remote
   * failures are thrown (a conditional write is never served degraded).
   */
  protected Versioned<V> readForUpdate(K key) {
    throw unsupportedConditionalWrites();
  }

  /**
   * One compare-and-set attempt: {@code expected == null} stores only if the key holds no entry;
   * otherwise only if it still holds exactly {@code expected}'s token. A null {@code value} removes the
   * entry instead (only with a non-null {@code expected}). Returns whether it applied. Implementations
   * route the change through their ordering owner and announce it as any other write.
   */
  protected boolean compareAndStore(K key, Versioned<V> expected, V value, Duration ttl) {
    throw unsupportedConditionalWrites();
  }

  private UnsupportedOperationException unsupportedConditionalWrites() {
    return new UnsupportedOperationException(
        "cache '" + name + "' (" + getClass().getSimpleName() + ") does not support conditional writes");
  }

  /** Whether {@code key} holds an entry; the default looks it up (a cached absence is not one). */
  protected boolean contains(K key) {
    Object stored = lookup(key);
    return stored != null && stored != ABSENT;
  }

  @Override
  public boolean containsKey(K key) {
    Preconditions.requireNonNull(key, "key");
    checkOpen();
    return contains(key);
  }

  @Override
  public V putIfAbsent(K key, V value) {
    Preconditions.requireNonNull(key, "key");
    Preconditions.requireNonNull(value, "value");
    checkOpen();
    encodeKey(key);
    for (int attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
      singleFlight.markStale(key);
      if (compareAndStore(key, null, value, defaultTtl())) {
        instrumentation.recordPuts(1);
        return null;
      }
      Versioned<V> current = readForUpdate(key);
      if (current != null) {
        return current.value;
      }
      backOff(attempt); // it vanished between the refused store and the read: try again
    }
    throw contention();
  }

  @Override
  public V compute(K key, java.util.function.BiFunction<? super K, ? super V, ? extends V> remapping) {
    Preconditions.requireNonNull(key, "key");
    Preconditions.requireNonNull(remapping, "remapping");
    checkOpen();
    encodeKey(key);
    for (int attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
      Versioned<V> current = readForUpdate(key);
      V next = remapping.apply(key, current == null ? null : current.value);
      if (next == null && current == null) {
        return null;
      }
      singleFlight.markStale(key);
      if (compareAndStore(key, current, next, defaultTtl())) {
        if (next != null) {
          instrumentation.recordPuts(1);
        }
        return next;
      }
      if (attempt < MAX_UPDATE_ATTEMPTS) {
        backOff(attempt);
      }
    }
    throw contention();
  }

  private dev.cachet.UpdateContentionException contention() {
    return new dev.cachet.UpdateContentionException(
        name, MAX_UPDATE_ATTEMPTS,
        "cache '" + name + "': a conditional write lost all " + MAX_UPDATE_ATTEMPTS + " compare-and-set"
            + " attempts to concurrent writers of the key; nothing was applied (retry later)");
  }

  /** Full-jitter exponential back-off between attempts; an interrupt ends the write. */
  private void backOff(int attempt) {
    long bound = Math.min(UPDATE_BACKOFF_CAP_MICROS, UPDATE_BACKOFF_BASE_MICROS << Math.min(attempt - 1, 20));
    long micros = java.util.concurrent.ThreadLocalRandom.current().nextLong(bound + 1);
    java.util.concurrent.locks.LockSupport.parkNanos(micros * 1_000);
    if (Thread.interrupted()) {
      Thread.currentThread().interrupt();
      throw new dev.cachet.CacheException(
          name, "cache '" + name + "': interrupted between attempts of a conditional write; nothing"
              + " was applied by the lost attempts", null);
    }
  }

  @Override
  public void put(K key, V value) {
    put(key, value, defaultTtl());
  }

  @Override
  public void put(K key, V value, Duration ttl) {
    Preconditions.requireNonNull(key, "key");
    Preconditions.requireNonNull(value, "value");
    Preconditions.requireTtl(ttl, "ttl");
    checkOpen();
    encodeKey(key);
    singleFlight.markStale(key);
    store(key, value, ttl);
    instrumentation.recordPuts(1);
  }

  @Override
  public void putAll(Map<? extends K, ? extends V> entries) {
    Preconditions.requireNonNull(entries, "entries");
    Map<K, V> copy = new LinkedHashMap<>();
    for (Map.Entry<? extends K, ? extends V> e : entries.entrySet()) {
      copy.put(
          Preconditions.requireNonNull(e.getKey(), "key in entries"),
          Preconditions.requireNonNull(e.getValue(), "value in entries"));
    }
    checkOpen();
    copy.keySet().forEach(this::encodeKey);
    copy.keySet().forEach(singleFlight::markStale);
    storeAll(copy, defaultTtl());
    instrumentation.recordPuts(copy.size());
  }

  @Override
  public void invalidate(K key) {
    Preconditions.requireNonNull(key, "key");
    checkOpen();
    singleFlight.markStale(key);
    remove(key);
  }

  @Override
  public void invalidateAll(Iterable<? extends K> keys) {
    Set<K> distinct = SingleFlight.distinct(keys, "keys");
    checkOpen();
    distinct.forEach(singleFlight::markStale);
    removeAll(distinct);
  }

  @Override
  public void invalidateAll() {
    checkOpen();
    singleFlight.markAllStale();
    clear();
  }

  @Override
  public CacheStats stats() {
    return instrumentation.snapshot(knowsEvictions());
  }

  @Override
  public final CacheHealth health() {
    if (closed) {
      return CacheHealth.newBuilder(CacheHealth.Status.DOWN).detail("closed", true).build();
    }
    return currentHealth();
  }

  @Override
  public CachePolicy policy() {
    checkOpen();
    return withTimeToLive(CachePolicy.none());
  }

  /**
   * The counters of this cache's remote tier, keyed like the cache; empty for a cache without one.
   * Checks that the cache is open.
   */
  @Override
  public final Optional<Counters<K>> counters() {
    checkOpen();
    Counters<K> view = countersView;
    if (view == null) {
      Optional<Counters<String>> remote = remoteCounters();
      if (remote.isEmpty()) {
        return Optional.empty();
      }
      view = new EncodedCounters(remote.get());
      countersView = view;
    }
    return Optional.of(view);
  }

  /** The remote tier's counters (encoded keys), when the cache has a remote tier that keeps them. */
  protected Optional<Counters<String>> remoteCounters() {
    return Optional.empty();
  }

  /**
   * {@link Counters} over encoded keys: checks the key and that the cache is open, encodes the key (and
   * its length) as every other call does, then lets the remote counters do the rest. Holds no state.
   */
  private final class EncodedCounters implements Counters<K> {
    private final Counters<String> remote;

    EncodedCounters(Counters<String> remote) {
      this.remote = remote;
    }

    private String encoded(K key) {
      Preconditions.requireNonNull(key, "key");
      checkOpen();
      String encoded = encodeKey(key);
      Preconditions.requireArgument(
          encoded != null,
          () -> "cache '" + name + "' has no KeyCodec for keys of type " + key.getClass().getName()
              + "; set keyCodec(...) on its builder");
      return encoded;
    }

    @Override
    public long get(K key) {
      return remote.get(encoded(key));
    }

    @Override
    public long incrementBy(K key, long delta) {
      return remote.incrementBy(encoded(key), delta);
    }

    @Override
    public boolean compareAndSet(K key, long expected, long update) {
      return remote.compareAndSet(encoded(key), expected, update);
    }

    @Override
    public void reset(K key, long value, Duration ttl) {
      Preconditions.requireTtl(ttl, "ttl");
      remote.reset(encoded(key), value, ttl);
    }

    @Override
    public String toString() {
      return "Counters{" + name + '}';
    }
  }

  @Override
  public AsyncCache<K, V> async() {
    AsyncCache<K, V> view = asyncView;
    if (view == null) {
      synchronized (this) {
        view = asyncView;
        if (view == null) {
          view = createAsyncView();
          asyncView = view;
        }
      }
    }
    return view;
  }

  /** Creates the async view; remote tiers override it with a natively asynchronous one. */
  protected AsyncCache<K, V> createAsyncView() {
    return new ExecutorAsyncView();
  }

  @Override
  public final void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    closed = true;
    try {
      onClose();
    } catch (RuntimeException e) {
      log.warn("closing cache '{}' failed: {}", name, e.toString());
    }
    for (Runnable hook : closeHooks) {
      runCloseHook(hook);
    }
    closeHooks.clear();
  }

  private void runCloseHook(Runnable hook) {
    try {
      hook.run();
    } catch (RuntimeException e) {
      log.warn("a close hook of cache '{}' failed: {}", name, e.toString());
    }
  }

  @Override
  public final void addCloseHook(Runnable hook) {
    Preconditions.requireNonNull(hook, "hook");
    closeHooks.add(hook);
    // close() sets closed before it runs the hooks: a hook added concurrently either runs there or here.
    if (closed && closeHooks.remove(hook)) {
      runCloseHook(hook);
    }
  }

  @Override
  public final void removeCloseHook(Runnable hook) {
    closeHooks.remove(hook);
  }

  /** Whether {@link #close()} was called. */
  protected final boolean isClosed() {
    return closed;
  }

  /** Throws {@code IllegalStateException} naming the cache when it is closed. */
  protected final void checkOpen() {
    if (closed) {
      throw new IllegalStateException("cache '" + name + "' is closed");
    }
  }

  /**
   * Encodes {@code key} and enforces the maximum length.
   *
   * @throws IllegalArgumentException if the encoded key is too long or the codec returned null
   */
  protected final String encodeKey(K key) {
    KeyCodec<? super K> codec = settings.keyCodec();
    if (codec == null) {
      if (key instanceof String) {
        checkKeyLength(((String) key).length());
        return (String) key;
      }
      return null;
    }
    String encoded = codec.encode(key);
    if (encoded == null) {
      throw new IllegalArgumentException(
          "the KeyCodec of cache '" + name + "' returned null for a key; it must return a string");
    }
    checkKeyLength(encoded.length());
    return encoded;
  }

  private void checkKeyLength(int length) {
    if (length > settings.maxKeyLength()) {
      throw new IllegalArgumentException(
          "key of cache '"
              + name
              + "' is "
              + length
              + " characters when encoded; the maximum is "
              + settings.maxKeyLength()
              + " (for long keys such as prompts use KeyCodec.sha256(codec), or hide key names with a"
              + " KeyNameHasher on the Redis tier; or raise maxKeyLength)");
    }
  }

  /** Internal seam for metrics and tests. */
  @Override
  public final CacheInstrumentation instrumentation() {
    return instrumentation;
  }

  /** The memory tier's size from {@link #policy()}'s size bound; empty when closed or unbounded. */
  @Override
  public OptionalLong memoryTierSize() {
    if (closed) {
      return OptionalLong.empty();
    }
    try {
      return policy().sizeBound().map(b -> OptionalLong.of(b.estimatedSize())).orElse(OptionalLong.empty());
    } catch (IllegalStateException closedMeanwhile) {
      return OptionalLong.empty();
    }
  }

  /** {@code [MEMORY]}; caches with a remote tier override it. */
  @Override
  public Set<Tier> tiers() {
    return Set.of(Tier.MEMORY);
  }

  /** None; the resilient cache overrides it. */
  @Override
  public Optional<Object> circuitBreaker() {
    return Optional.empty();
  }

  /** None; the resilient cache overrides it. */
  @Override
  public Optional<Object> retry() {
    return Optional.empty();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{name=" + name + (closed ? ", closed" : "") + '}';
  }

  /**
   * The stored value of {@code key} for an asynchronous caller ({@link #lookup}'s answer): the memory
   * tier answers on the caller's thread; caches whose lookup waits on a remote tier override it to run
   * there without blocking the caller.
   */
  protected CompletableFuture<Object> lookupAsync(K key) {
    try {
      return CompletableFuture.completedFuture(lookup(key));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** {@link #lookupAll} for an asynchronous caller; see {@link #lookupAsync}. */
  protected CompletableFuture<Map<K, Object>> lookupAllAsync(Set<K> keys) {
    try {
      return CompletableFuture.completedFuture(lookupAll(keys));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * {@link #loadValueAsync} for a key claimed after a read that began at {@code stamp}: when a load of
   * the key finished since then, the key is read again first (see {@link SingleFlight#finishedSince}).
   */
  private CompletableFuture<V> readAgainThenLoadAsync(
      K key,
      long stamp,
      java.util.function.BiFunction<? super K, ? super java.util.concurrent.Executor,
              ? extends CompletableFuture<? extends V>> loader,
      SingleFlight.Flight<V> flight) {
    if (!singleFlight.finishedSince(key, stamp)) {
      return loadValueAsync(key, loader, flight);
    }
    return lookupAsync(key)
        .thenCompose(
            stored -> {
              if (stored == null) {
                return loadValueAsync(key, loader, flight);
              }
              flight.markServedFromCache();
              return CompletableFuture.completedFuture(AbstractCache.<V>unwrap(stored));
            });
  }

  /** The asynchronous {@link #readAgainThenLoad}. */
  private CompletableFuture<Map<K, V>> readAgainThenLoadAsync(
      Map<K, SingleFlight.Flight<V>> flights,
      long stamp,
      java.util.function.BiFunction<? super Set<? extends K>, ? super java.util.concurrent.Executor,
              ? extends CompletableFuture<? extends Map<? extends K, ? extends V>>> loader) {
    Set<K> again = finishedSince(flights.keySet(), stamp);
    if (again.isEmpty()) {
      return loadValuesAsync(flights, loader);
    }
    return lookupAllAsync(again)
        .thenCompose(
            found -> {
              Map<K, V> result = new HashMap<>();
              Map<K, SingleFlight.Flight<V>> toLoad = withoutFound(flights, found, result);
              if (toLoad.isEmpty()) {
                return CompletableFuture.completedFuture(result);
              }
              return loadValuesAsync(toLoad, loader)
                  .thenApply(
                      loaded -> {
                        result.putAll(loaded);
                        return result;
                      });
            });
  }

  /**
   * The asynchronous bulk load of the won {@code flights}: one call of {@code loader}, whose values are
   * stored ({@link #storeLoadedValues}) on the cache's executor. Keys the loader did not ask for are
   * dropped from its answer.
   */
  private CompletableFuture<Map<K, V>> loadValuesAsync(
      Map<K, SingleFlight.Flight<V>> flights,
      java.util.function.BiFunction<? super Set<? extends K>, ? super java.util.concurrent.Executor,
              ? extends CompletableFuture<? extends Map<? extends K, ? extends V>>> loader) {
    Set<K> keys = Collections.unmodifiableSet(new LinkedHashSet<>(flights.keySet()));
    Object begun = beginBulkLoad();
    long start = System.nanoTime();
    CompletableFuture<? extends Map<? extends K, ? extends V>> started;
    try {
      started = loader.apply(keys, settings.executor());
      if (started == null) {
        throw new NullPointerException("the async bulk loader of cache '" + name + "' returned a null future");
      }
    } catch (Throwable t) {
      instrumentation.recordLoadFailure(System.nanoTime() - start);
      return CompletableFuture.failedFuture(t);
    }
    return started.handleAsync(
        (loaded, error) -> {
          if (error != null) {
            throw asyncLoadFailed(error, start);
          }
          instrumentation.recordLoadSuccess(System.nanoTime() - start);
          Map<K, V> result = new HashMap<>();
          if (loaded != null) {
            for (K key : keys) {
              V value = loaded.get(key);
              if (value != null) {
                result.put(key, value);
              }
            }
          }
          storeLoadedValues(flights, result, begun);
          return result;
        },
        settings.executor());
  }

  // ---------------------------------------------------------------- async view

  /**
   * The default async view: non-loading operations run on the caller (they do not block); loads run on
   * the cache's executor and share the single-flight map with synchronous callers.
   */
  protected class ExecutorAsyncView implements AsyncCache<K, V> {

    @Override
    public CompletableFuture<V> getIfPresent(K key) {
      Preconditions.requireNonNull(key, "key");
      checkOpen();
      return supply(() -> AbstractCache.this.getIfPresent(key));
    }

    @Override
    public CompletableFuture<V> get(K key, CacheLoader<? super K, ? extends V> loader) {
      Preconditions.requireNonNull(key, "key");
      Preconditions.requireNonNull(loader, "loader");
      checkOpen();
      Object stored = lookup(key);
      if (stored != null) {
        instrumentation.recordHits(1);
        return CompletableFuture.completedFuture(unwrap(stored));
      }
      instrumentation.recordMisses(1);
      encodeKey(key);
      return singleFlight.loadAsync(
          key,
          flight ->
              CompletableFuture.supplyAsync(
                  () -> loadValue(key, loader, flight), settings.executor()));
    }

    @Override
    public CompletableFuture<V> get(
        K key,
        java.util.function.BiFunction<? super K, ? super java.util.concurrent.Executor,
                ? extends CompletableFuture<? extends V>> loader) {
      Preconditions.requireNonNull(key, "key");
      Preconditions.requireNonNull(loader, "loader");
      checkOpen();
      encodeKey(key);
      long stamp = singleFlight.stamp();
      return afterLookup(lookupAsync(key))
          .thenCompose(
              stored -> {
                if (stored != null) {
                  instrumentation.recordHits(1);
                  return CompletableFuture.completedFuture(AbstractCache.<V>unwrap(stored));
                }
                SingleFlight.Flight<V> flight =
                    singleFlight.startAsync(key, f -> readAgainThenLoadAsync(key, stamp, loader, f));
                // a dependent future per caller: cancelling it never cancels the shared flight
                return flight.handle(
                    (value, error) -> {
                      if (error == null && flight.servedFromCache()) {
                        instrumentation.recordHits(1);
                      } else {
                        instrumentation.recordMisses(1);
                      }
                      if (error != null) {
                        throw error instanceof java.util.concurrent.CompletionException
                            ? (java.util.concurrent.CompletionException) error
                            : new java.util.concurrent.CompletionException(error);
                      }
                      return value;
                    });
              });
    }

    @Override
    public CompletableFuture<Map<K, V>> getAll(
        Iterable<? extends K> keys,
        java.util.function.BiFunction<? super Set<? extends K>, ? super java.util.concurrent.Executor,
                ? extends CompletableFuture<? extends Map<? extends K, ? extends V>>> loader) {
      Set<K> distinct = SingleFlight.distinct(keys, "keys");
      Preconditions.requireNonNull(loader, "loader");
      checkOpen();
      distinct.forEach(AbstractCache.this::encodeKey);
      long stamp = singleFlight.stamp();
      return afterLookup(lookupAllAsync(distinct))
          .thenCompose(
              found -> {
                Map<K, V> present = new HashMap<>();
                Set<K> missing = new LinkedHashSet<>();
                for (K key : distinct) {
                  Object stored = found.get(key);
                  if (stored == null) {
                    missing.add(key);
                  } else if (stored != ABSENT) {
                    present.put(key, unwrap(stored));
                  }
                }
                instrumentation.recordHits(distinct.size() - missing.size());
                instrumentation.recordMisses(missing.size());
                CompletableFuture<Map<K, V>> loaded =
                    missing.isEmpty()
                        ? CompletableFuture.completedFuture(Map.of())
                        : singleFlight.loadAllAsync(
                            missing, flights -> readAgainThenLoadAsync(flights, stamp, loader));
                return loaded.thenApply(
                    values -> {
                      Map<K, V> result = new LinkedHashMap<>();
                      for (K key : distinct) {
                        V value = present.containsKey(key) ? present.get(key) : values.get(key);
                        if (value != null) {
                          result.put(key, value);
                        }
                      }
                      return Collections.unmodifiableMap(result);
                    });
              });
    }

    @Override
    public CompletableFuture<Map<K, V>> getAllPresent(Iterable<? extends K> keys) {
      Preconditions.requireNonNull(keys, "keys");
      checkOpen();
      return supply(() -> AbstractCache.this.getAllPresent(keys));
    }

    @Override
    public CompletableFuture<Map<K, V>> getAll(
        Iterable<? extends K> keys, BulkLoader<K, V> loader) {
      Set<K> distinct = SingleFlight.distinct(keys, "keys");
      Preconditions.requireNonNull(loader, "loader");
      checkOpen();
      return CompletableFuture.supplyAsync(
          () -> AbstractCache.this.getAll(distinct, loader), settings.executor());
    }

    @Override
    public CompletableFuture<dev.cachet.WarmReport> warm(
        Iterable<? extends K> keys, BulkLoader<K, V> loader, int batchSize) {
      Set<K> distinct = SingleFlight.distinct(keys, "keys");
      Preconditions.requireNonNull(loader, "loader");
      Preconditions.requireArgument(
          batchSize >= 1 && batchSize <= MAX_WARM_BATCH_SIZE,
          () -> "batchSize must be between 1 and " + MAX_WARM_BATCH_SIZE + ": " + batchSize);
      checkOpen();
      return Warming.start(AbstractCache.this, distinct, loader, batchSize, settings.executor());
    }

    @Override
    public CompletableFuture<Void> put(K key, V value) {
      return put(key, value, defaultTtl());
    }

    @Override
    public CompletableFuture<Void> put(K key, V value, Duration ttl) {
      Preconditions.requireNonNull(key, "key");
      Preconditions.requireNonNull(value, "value");
      Preconditions.requireTtl(ttl, "ttl");
      checkOpen();
      return run(() -> AbstractCache.this.put(key, value, ttl));
    }

    @Override
    public CompletableFuture<Void> putAll(Map<? extends K, ? extends V> entries) {
      Preconditions.requireNonNull(entries, "entries");
      checkOpen();
      return run(() -> AbstractCache.this.putAll(entries));
    }

    @Override
    public CompletableFuture<Void> invalidate(K key) {
      Preconditions.requireNonNull(key, "key");
      checkOpen();
      return run(() -> AbstractCache.this.invalidate(key));
    }

    @Override
    public CompletableFuture<Void> invalidateAll(Iterable<? extends K> keys) {
      Preconditions.requireNonNull(keys, "keys");
      checkOpen();
      return run(() -> AbstractCache.this.invalidateAll(keys));
    }

    @Override
    public CompletableFuture<Void> invalidateAll() {
      checkOpen();
      return run(AbstractCache.this::invalidateAll);
    }

    @Override
    public Cache<K, V> sync() {
      return AbstractCache.this;
    }

    /**
     * Runs one non-loading operation whose arguments were already checked. The default runs it on the
     * caller's thread (it does not block for the memory tier); views of caches that block on a remote
     * tier override it to run on the cache's executor.
     */
    protected <T> CompletableFuture<T> supply(java.util.function.Supplier<T> action) {
      try {
        return CompletableFuture.completedFuture(action.get());
      } catch (IllegalArgumentException | NullPointerException | IllegalStateException e) {
        throw e;
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }

    private CompletableFuture<Void> run(Runnable action) {
      return supply(
          () -> {
            action.run();
            return null;
          });
    }
  }
}
