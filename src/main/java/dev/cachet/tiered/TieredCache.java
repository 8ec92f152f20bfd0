package dev.cachet.tiered;

import dev.cachet.AsyncCache;
import dev.cachet.BulkLoader;
import dev.cachet.Cache;
import dev.cachet.CacheHealth;
import dev.cachet.CacheLoader;
import dev.cachet.CachePolicy;
import dev.cachet.InvalidValueException;
import dev.cachet.MultiTenantCache;
import dev.cachet.CacheUnavailableException;
import dev.cachet.Tier;
import dev.cachet.internal.AbstractCache;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.CacheSettings;
import dev.cachet.internal.LocalTier;
import dev.cachet.internal.Preconditions;
import dev.cachet.internal.SingleFlight;
import dev.cachet.resilience.Resilience;
import dev.cachet.spi.LeaseLock;
import dev.cachet.internal.CallerRunsExecutor;
import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.spi.RemoteTier;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory in front of a remote tier. Reads go memory, remote, loader; a remote hit refills memory until
 * the entry's sealed expiry at most (and never longer than the memory TTL); a loaded value is written to
 * the remote tier with {@code SET NX}, so it never overwrites a newer value. Writes go to the remote
 * tier, then memory, then an invalidation is published for other instances.
 *
 * <p>Every path that changes what memory may hold goes through one {@link KeyOrder}; outages and
 * recovery are {@link Outage}'s, refresh scheduling {@link RefreshAhead}'s, cross-instance coherence
 * {@link Coherence}'s. All of one cache's tenant views share the memory tier and those components;
 * each view has its own single-flight map.
 *
 * <p>A caller's own mistake ({@link InvalidValueException}: a value too large or not serializable) is
 * thrown to the caller before anything is sent and never counts as a remote failure. Remote failures
 * follow the {@link FailurePolicy}. Synchronous calls wait for the remote tier at most {@code
 * remoteTimeout} per call. Nothing this cache schedules blocks a shared thread, and {@link #close()}
 * cancels everything it scheduled.
 */
final class TieredCache<K, V> extends AbstractCache<K, V> implements MultiTenantCache<K, V> {

  private static final Logger log = LoggerFactory.getLogger(TieredCache.class);

  /** At most this many tenant views are remembered; beyond, {@code forTenant} returns new views. */
  static final int MAX_CACHED_TENANT_VIEWS = 1_000;

  /**
   * At most this many hidden tenant names ({@link RemoteTier#announcedTenantId}) are mapped back to
   * tenant ids for peers' tenant clears; when full the map starts over, and a clear naming a tenant no
   * longer mapped clears the whole memory tier instead.
   */
  static final int MAX_ANNOUNCED_TENANTS = 10_000;

  /** Points of the read path where tests may pause (the refill-race test). */
  enum Phase {
    AFTER_REMOTE_READ
  }

  /** State shared by a cache and its tenant views. */
  static final class Shared<V> {
    final Cache<String, V> memoryCache;
    final LocalTier<String, V> memory;
    final RemoteTier<V> rootRemote;
    final KeyOrder<V> order;
    final TieredCacheBuilder.Options options;
    final Clock clock;
    final SharedThreads.Lease threads;
    final RefreshAhead refreshAhead;
    final Outage outage;
    final FailSafe failSafe;
    final CoherenceKeys coherenceKeys;
    final CacheInstrumentation instrumentation;
    final Set<ScheduledFuture<?>> scheduled = ConcurrentHashMap.newKeySet();
    /** Hidden tenant name -> tenant id, filled when a tenant view is made (never on a hit). */
    final ConcurrentHashMap<String, String> tenantsByAnnouncedId = new ConcurrentHashMap<>();
    volatile Coherence coherence;
    volatile BiConsumer<String, Phase> testHook;

    Shared(
        Cache<String, V> memoryCache,
        RemoteTier<V> rootRemote,
        TieredCacheBuilder.Options options,
        Clock clock,
        SharedThreads.Lease threads,
        Executor refreshExecutor,
        CacheInstrumentation instrumentation,
        String name) {
      this.memoryCache = memoryCache;
      @SuppressWarnings("unchecked")
      LocalTier<String, V> local = (LocalTier<String, V>) memoryCache;
      this.memory = local;
      this.order = new KeyOrder<>(local);
      this.rootRemote = rootRemote;
      this.options = options;
      this.clock = clock;
      this.threads = threads;
      this.instrumentation = instrumentation;
      Duration markerLifetime =
          options.remoteTimeout.multipliedBy(3).plus(
              options.refreshAfterWrite == null ? Duration.ZERO : options.refreshAfterWrite);
      this.refreshAhead = new RefreshAhead(refreshExecutor, markerLifetime, 10_000, local::nowNanos);
      this.outage =
          new Outage(
              name, rootRemote, options, clock, instrumentation,
              new Outage.Announcer() {
                @Override
                public void invalidated(List<String> memoryKeys) {
                  Coherence c = coherence;
                  if (c != null) {
                    c.publishInvalidation(memoryKeys);
                  }
                }

                @Override
                public void cleared() {
                  Coherence c = coherence;
                  if (c != null) {
                    c.publishClear();
                  }
                }

                @Override
                public void tenantCleared(String tenant) {
                  Coherence c = coherence;
                  if (c != null) {
                    c.publishTenantClear(rootRemote.announcedTenantId(tenant));
                  }
                }
              });
      this.failSafe =
          new FailSafe(
              local,
              options.heartbeatInterval.multipliedBy(options.missedHeartbeats).toNanos(),
              options.degradedTtl.toNanos(),
              options.memoryTtl.toNanos(),
              outage::isDegraded);
      this.coherenceKeys =
          new CoherenceKeys(
              rootRemote.hidesKeyNames() ? rootRemote::hiddenName : null, rootRemote::announcedTenantId);
      coherenceKeys.attach(order);
      if (coherenceKeys.hiding()) {
        order.setStoreGuard(coherenceKeys);
      }
    }

    /** The memory value of {@code memoryKey} if the fail-safe lets it be served, else null. */
    V servable(String memoryKey) {
      V value = memory.peek(memoryKey);
      if (value != null && failSafe.active() && !failSafe.mayServe(memoryKey)) {
        return null;
      }
      return value;
    }
  }

  private final Shared<V> shared;
  private final RemoteTier<V> remote;
  private final String tenant;
  private final boolean root;
  private final TieredCache<K, V> parent;
  private final ConcurrentHashMap<String, TieredCache<K, V>> tenants;
  /** The memory-key prefix of this tenant view's entries; null for the root. */
  private final String scope;
  /** How this tenant is named in coherence messages; null for the root. */
  private final String announcedTenant;

  TieredCache(
      CacheSettings<K, V> settings, Shared<V> shared, RemoteTier<V> remote, String tenant,
      TieredCache<K, V> parent) {
    super(settings, shared.instrumentation);
    this.shared = shared;
    this.remote = remote;
    this.tenant = tenant;
    this.root = tenant == null;
    this.parent = parent;
    this.tenants = root ? new ConcurrentHashMap<>() : null;
    this.scope = root ? null : scopeOf(tenant);
    this.announcedTenant = root ? null : remote.announcedTenantId(tenant);
    if (announcedTenant != null && announcedTenant.startsWith("h.")) {
      if (shared.tenantsByAnnouncedId.size() >= MAX_ANNOUNCED_TENANTS) {
        shared.tenantsByAnnouncedId.clear();
      }
      shared.tenantsByAnnouncedId.put(announcedTenant, tenant);
    }
  }

  /** The memory-key prefix of {@code tenant}'s entries (see {@link #memoryKey}). */
  static String scopeOf(String tenant) {
    return "\0" + tenant + "\0";
  }

  /** The tenant id named by a peer's tenant clear, or null when this instance cannot tell. */
  private String tenantOfAnnounced(String announced) {
    if (announced.startsWith("t.")) {
      String id = announced.substring(2);
      try {
        return Preconditions.requireTenantId(id);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return announced.startsWith("h.") ? shared.tenantsByAnnouncedId.get(announced) : null;
  }

  /** Starts coherence (or the plain tick without it); called once on the root cache after construction. */
  void start() {
    if (shared.options.coherence) {
      Coherence coherence =
          new Coherence(
              name,
              remote.invalidationBus(),
              new Coherence.Target() {
                @Override
                public void invalidateLocal(List<String> memoryKeys) {
                  dev.cachet.internal.RemovalCauses.run(
                      dev.cachet.RemovalCause.PEER_INVALIDATED,
                      () -> {
                        for (String key : memoryKeys) {
                          shared.order.changedElsewhere(key);
                        }
                      });
                }

                @Override
                public boolean clearTenantLocal(String announced) {
                  String id = tenantOfAnnounced(announced);
                  if (id == null) {
                    return false; // coherence clears the whole memory instead
                  }
                  String tenantScope = scopeOf(id);
                  // the peer bumped the tenant's Redis generation: forget it and re-read it (the tenant's
                  // operations wait for the reply), clear the tenant's memory, and clear it again once
                  // the new generation is known, dropping whatever was refilled from the old one
                  CompletableFuture<Void> reread;
                  try {
                    reread = remote.forTenant(id).resynchronize();
                  } catch (RuntimeException e) {
                    log.debug("cache '{}': resynchronizing the remote tier failed: {}", name, e.toString());
                    reread = CompletableFuture.completedFuture(null);
                  }
                  clearedByCoherence(() -> shared.order.clear(tenantScope));
                  reread.whenComplete((ok, error) -> clearedByCoherence(() -> shared.order.clear(tenantScope)));
                  return true;
                }

                @Override
                public void overtakeReads() {
                  shared.order.overtakeReads();
                }

                @Override
                public void clearLocal(String reason) {
                  clearedByCoherence(shared.order::clear);
                  // another instance may have bumped the Redis generation: re-read it, then drop
                  // whatever was refilled from the old generation meanwhile
                  try {
                    remote.resynchronize().whenComplete((ok, error) -> clearedByCoherence(shared.order::clear));
                  } catch (RuntimeException e) {
                    log.debug("cache '{}': resynchronizing the remote tier failed: {}", name, e.toString());
                  }
                }
              },
              shared.coherenceKeys,
              shared.failSafe,
              shared.options.heartbeatInterval,
              shared.options.missedHeartbeats,
              this::onTick);
      shared.coherence = coherence;
      coherence.start(shared.threads.scheduler(), min(shared.options.remoteTimeout, Duration.ofSeconds(2)));
    } else {
      shared.scheduled.add(
          shared.threads.scheduler().scheduleWithFixedDelay(
              this::onTick,
              shared.options.heartbeatInterval.toNanos(),
              shared.options.heartbeatInterval.toNanos(),
              TimeUnit.NANOSECONDS));
    }
  }

  /** Runs a memory clear that coherence asked for; removal listeners see {@code COHERENCE_CLEARED}. */
  private static void clearedByCoherence(Runnable clear) {
    dev.cachet.internal.RemovalCauses.run(dev.cachet.RemovalCause.COHERENCE_CLEARED, clear);
  }

  /**
   * The encoded key of a memory key, as removal listeners see it: the tenant scope (or the root's escape)
   * removed.
   */
  static String encodedKeyOf(String memoryKey) {
    if (memoryKey.startsWith("\0\1")) {
      return memoryKey.substring(2);
    }
    if (memoryKey.startsWith("\0")) {
      int end = memoryKey.indexOf('\0', 1);
      return end < 0 ? memoryKey : memoryKey.substring(end + 1);
    }
    return memoryKey;
  }

  /** Once per heartbeat interval on the shared scheduler; never blocks. */
  private void onTick() {
    shared.order.prune();
    shared.coherenceKeys.prune(shared.order.pruneFloor(), k -> shared.memory.peek(k) != null);
    shared.outage.tick();
  }

  // ------------------------------------------------------------------ keys

  /**
   * The memory key of an encoded key: the key itself for the root cache (no allocation for String
   * keys), {@code "\0" tenant "\0" key} for tenant views; root keys starting with {@code \0} are escaped
   * with {@code "\0\1"} so the two spaces never meet (tenant ids never start with {@code \1}).
   */
  private String memoryKey(String encoded) {
    if (root) {
      return encoded.isEmpty() || encoded.charAt(0) != '\0' ? encoded : "\0\1" + encoded;
    }
    return scope + encoded;
  }

  private String encode(K key) {
    String encoded = settings.keyCodec().encode(key);
    if (encoded == null) {
      throw new IllegalArgumentException(
          "the KeyCodec of cache '" + name + "' returned null for a key; it must return a string");
    }
    return encoded;
  }

  private String tenantId() {
    return tenant == null ? "" : tenant;
  }

  // ------------------------------------------------------------------ remote calls

  /**
   * Waits for a remote call at most {@code remoteTimeout}. The remote tier records its own timings,
   * tier gets and classified errors; this cache records only failures that happen above it (a join
   * timeout, an open circuit). A caller error the tier reports through the future is rethrown as is.
   */
  private <T> T await(CompletableFuture<T> future, RemoteOperation operation) throws RemoteFailure {
    return await(future, operation, null);
  }

  /**
   * {@link #await(CompletableFuture, RemoteOperation)} running {@code decoder}'s tasks (the read's
   * decoding) on this thread while waiting; {@code decoder} null: a plain wait.
   */
  private <T> T await(CompletableFuture<T> future, RemoteOperation operation, CallerRunsExecutor decoder)
      throws RemoteFailure {
    try {
      long timeout = shared.options.remoteTimeout.toNanos();
      T result =
          decoder == null
              ? future.get(timeout, TimeUnit.NANOSECONDS)
              : decoder.await(future, timeout);
      shared.outage.onSuccess();
      return result;
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new RemoteFailure(operation, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof InvalidValueException) {
        throw (InvalidValueException) cause;
      }
      throw new RemoteFailure(operation, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(false);
      throw new RemoteFailure(operation, e);
    }
  }

  /** Reads {@code encoded} remotely, decoding the reply on this thread (never Lettuce's event loop). */
  private RemoteEntry<V> remoteGet(String encoded) throws RemoteFailure {
    CallerRunsExecutor decoder = new CallerRunsExecutor();
    return await(call(() -> remote.get(encoded, decoder)), RemoteOperation.GET, decoder);
  }

  /**
   * Starts a remote call: a caller error thrown before anything was sent passes through as is; any
   * other synchronous failure becomes a failed future.
   */
  private static <T> CompletableFuture<T> call(java.util.function.Supplier<CompletableFuture<T>> call) {
    try {
      return call.get();
    } catch (InvalidValueException e) {
      throw e;
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** A remote call failed; handled by {@link Outage#onFailure}. */
  static final class RemoteFailure extends Exception {
    private static final long serialVersionUID = 1L;
    final RemoteOperation operation;

    RemoteFailure(RemoteOperation operation, Throwable cause) {
      super(cause);
      this.operation = operation;
    }
  }

  private void onRemoteFailure(RemoteFailure failure) {
    shared.outage.onFailure(failure.operation, failure.getCause());
  }

  /**
   * Whether a write failed because Redis is out of memory ({@code OOM} under {@code noeviction}): a
   * write-only failure under every policy (reads keep working). It degrades nothing and marks nothing
   * dirty; under {@code STRICT} the caller's own write is refused with {@link #outOfMemory}.
   */
  private static boolean isOutOfMemory(RemoteFailure failure) {
    Throwable cause = failure.getCause();
    return cause instanceof dev.cachet.spi.RemoteTierException
        && ((dev.cachet.spi.RemoteTierException) cause).reason() == dev.cachet.spi.RemoteErrorReason.OOM;
  }

  /**
   * The exception a caller's write gets under {@code STRICT} when Redis refused it for lack of memory.
   * The cache is not degraded (reads keep using Redis); the failure was already counted as {@code oom}.
   */
  private CacheUnavailableException outOfMemory(RemoteFailure failure) {
    return new CacheUnavailableException(
        name, Tier.REDIS,
        "cache '" + name + "': Redis refused the write (" + failure.operation.tagValue() + ") because it is out"
            + " of memory (OOM under maxmemory-policy noeviction); reads still use Redis. Raise maxmemory or"
            + " use allkeys-lru (STRICT)",
        failure.getCause());
  }

  private volatile long lastOutOfMemoryWarning;

  private void warnOutOfMemory() {
    long now = System.nanoTime();
    long last = lastOutOfMemoryWarning;
    if (last == 0 || now - last > TimeUnit.MINUTES.toNanos(1)) {
      lastOutOfMemoryWarning = now;
      log.warn("cache '{}': Redis is out of memory (OOM, maxmemory-policy noeviction?): {}; the cache is not"
          + " degraded and reads still use Redis. Raise maxmemory or use allkeys-lru (logged at most once a"
          + " minute)", name,
          shared.options.failurePolicy == FailurePolicy.STRICT
              ? "writes are refused with CacheUnavailableException (failure policy STRICT)"
              : "writes are kept in memory only and their older Redis copies deleted (failure policy "
                  + shared.options.failurePolicy + ")");
    }
  }

  // ------------------------------------------------------------------ reads

  @Override
  protected Object lookup(K key) {
    String encoded = encode(key);
    String memoryKey = memoryKey(encoded);
    V value = shared.servable(memoryKey);
    if (value != null) {
      // a memory hit: counted once, as a whole-cache hit (memory hits are derived from it)
      if (shared.options.refreshAfterWrite != null) {
        maybeRefreshAhead(key, memoryKey);
      }
      return value;
    }
    instrumentation.recordTierGet(Tier.MEMORY, false, 1);
    return readRemote(encoded, memoryKey);
  }

  /** Reads the remote tier and refills memory; null on a miss or (degraded) failure. */
  private V readRemote(String encoded, String memoryKey) {
    if (shared.outage.isDirty(memoryKey)) {
      return null; // Redis may still hold the value a memory-only write replaced
    }
    long readStamp = shared.order.readStamp();
    RemoteEntry<V> entry;
    try {
      entry = remoteGet(encoded);
    } catch (RemoteFailure failure) {
      onRemoteFailure(failure);
      return null;
    }
    if (entry == null) {
      return null;
    }
    pause(memoryKey, Phase.AFTER_REMOTE_READ);
    refill(memoryKey, entry, readStamp);
    return entry.value();
  }

  private void pause(String memoryKey, Phase phase) {
    BiConsumer<String, Phase> hook = shared.testHook;
    if (hook != null) {
      hook.accept(memoryKey, phase);
    }
  }

  /** Stores a remote hit in memory unless the key changed after the read began. */
  private void refill(String memoryKey, RemoteEntry<V> entry, long readStamp) {
    long remaining = entry.remainingMillis(shared.clock.millis());
    if (remaining <= 0) {
      return;
    }
    Duration ttl = Duration.ofMillis(Math.min(remaining, shared.options.memoryTtl.toMillis()));
    shared.order.storeIfUnchanged(memoryKey, readStamp, entry.value(), ttl);
  }

  @Override
  protected Map<K, Object> lookupAll(Set<K> keys) {
    Map<K, Object> found = new HashMap<>();
    Map<String, K> missingByEncoded = new LinkedHashMap<>();
    for (K key : keys) {
      String encoded = encode(key);
      V value = shared.servable(memoryKey(encoded));
      if (value != null) {
        found.put(key, value);
      } else {
        missingByEncoded.put(encoded, key);
      }
    }
    instrumentation.recordTierGet(Tier.MEMORY, false, missingByEncoded.size());
    missingByEncoded.keySet().removeIf(encoded -> shared.outage.isDirty(memoryKey(encoded)));
    if (missingByEncoded.isEmpty()) {
      return found;
    }
    long readStamp = shared.order.readStamp();
    Map<String, RemoteEntry<V>> entries;
    try {
      CallerRunsExecutor decoder = new CallerRunsExecutor();
      entries =
          await(
              call(() -> remote.getAll(missingByEncoded.keySet(), decoder)), RemoteOperation.GET_ALL, decoder);
    } catch (RemoteFailure failure) {
      onRemoteFailure(failure);
      return found;
    }
    for (Map.Entry<String, RemoteEntry<V>> e : entries.entrySet()) {
      K key = missingByEncoded.get(e.getKey());
      if (key != null) {
        found.put(key, e.getValue().value());
        refill(memoryKey(e.getKey()), e.getValue(), readStamp);
      }
    }
    return found;
  }

  // ------------------------------------------------------------------ loads

  /**
   * Memory first; on a memory miss the Redis read and, on a Redis miss, the loader run inside the key's
   * single flight, so concurrent callers on this instance make one Redis read and at most one load. A
   * caller counts a hit when the value came from memory or Redis, a miss when it was loaded.
   *
   * @throws IllegalStateException if the loader calls {@code get} for the key it is loading
   */
  @Override
  public V get(K key, CacheLoader<? super K, ? extends V> loader) {
    Preconditions.requireNonNull(key, "key");
    Preconditions.requireNonNull(loader, "loader");
    checkOpen();
    String memoryKey = memoryKey(encode(key));
    V value = shared.servable(memoryKey);
    if (value != null) {
      instrumentation.recordHits(1);
      if (shared.options.refreshAfterWrite != null) {
        maybeRefreshAhead(key, memoryKey);
      }
      return value;
    }
    instrumentation.recordTierGet(Tier.MEMORY, false, 1);
    encodeKey(key);
    SingleFlight.Flight<V> flight;
    try {
      flight = singleFlight.loadFlight(key, f -> loadValue(key, loader, f));
    } catch (RuntimeException | Error e) {
      instrumentation.recordMisses(1);
      throw e;
    }
    if (flight.servedFromCache()) {
      instrumentation.recordHits(1);
    } else {
      instrumentation.recordMisses(1);
    }
    return flight.getNow(null);
  }

  @Override
  protected V loadValue(K key, CacheLoader<? super K, ? extends V> loader, SingleFlight.Flight<V> flight) {
    String encoded = encode(key);
    String memoryKey = memoryKey(encoded);
    V inMemory = shared.servable(memoryKey);
    if (inMemory != null) {
      return inMemory;
    }
    long readStamp = shared.order.readStamp();
    V fromRemote = readRemote(encoded, memoryKey);
    if (fromRemote != null) {
      flight.markServedFromCache();
      return fromRemote;
    }
    Optional<LeaseLock.Lease> lease = Optional.empty();
    if (shared.options.leaseTime != null && !shared.outage.isDegraded()) {
      LeaseOutcome<V> outcome = acquireOrWait(encoded, memoryKey);
      if (outcome.value != null) {
        flight.markServedFromCache();
        return outcome.value;
      }
      lease = outcome.lease;
    }
    try {
      V loaded = callLoader(key, loader);
      if (loaded != null && !flight.isStale()) {
        writeLoaded(encoded, memoryKey, loaded, readStamp);
      }
      return loaded;
    } finally {
      lease.ifPresent(this::release);
    }
  }

  /**
   * Writes a loaded value: remote {@code SET NX}, then memory unless the key changed since the load's
   * read began. A value that cannot be stored (too large, not serializable) is thrown to the caller.
   */
  private void writeLoaded(String encoded, String memoryKey, V loaded, long readStamp) {
    Duration ttl = defaultTtl();
    boolean stored;
    try {
      stored = await(call(() -> remote.putIfAbsent(encoded, loaded, ttl)), RemoteOperation.PUT);
    } catch (RemoteFailure failure) {
      if (isOutOfMemory(failure)) {
        // SET NX refused: Redis keeps what it had (nothing, or a newer value), so memory is not dirty
        warnOutOfMemory();
        if (shared.order.storeIfUnchanged(memoryKey, readStamp, loaded, min(ttl, shared.options.degradedTtl))) {
          instrumentation.recordPuts(1);
        }
        return;
      }
      onRemoteFailure(failure);
      if (shared.order.storeIfUnchanged(memoryKey, readStamp, loaded, min(ttl, shared.options.degradedTtl))) {
        shared.outage.markDirty(tenantId(), encoded, memoryKey);
        instrumentation.recordPuts(1);
      }
      return;
    }
    if (stored && shared.order.storeIfUnchanged(memoryKey, readStamp, loaded, min(ttl, shared.options.memoryTtl))) {
      instrumentation.recordPuts(1);
    }
  }

  /** The key order's read stamp, taken before the bulk loader runs. */
  @Override
  protected Object beginBulkLoad() {
    return shared.order.readStamp();
  }

  /**
   * Writes a bulk load's values: {@code SET NX} per key (pipelined by the client), then memory unless the
   * key changed since the load began; a remote failure keeps them in memory only, for the degraded TTL.
   */
  @Override
  protected void storeLoadedValues(Map<K, SingleFlight.Flight<V>> flights, Map<K, V> loaded, Object begun) {
    long readStamp = (Long) begun;
    Map<String, V> toRemote = new LinkedHashMap<>();
    for (Map.Entry<K, V> e : loaded.entrySet()) {
      if (!flights.get(e.getKey()).isStale()) {
        toRemote.put(encode(e.getKey()), e.getValue());
      }
    }
    if (toRemote.isEmpty()) {
      return;
    }
    Duration ttl = defaultTtl();
    // SET NX per key (pipelined by the client): a bulk load never overwrites a newer value either
    Map<String, CompletableFuture<Boolean>> writes = new LinkedHashMap<>();
    for (Map.Entry<String, V> e : toRemote.entrySet()) {
      writes.put(e.getKey(), call(() -> remote.putIfAbsent(e.getKey(), e.getValue(), ttl)));
    }
    boolean failed = false;
    int puts = 0;
    for (Map.Entry<String, CompletableFuture<Boolean>> e : writes.entrySet()) {
      String memoryKey = memoryKey(e.getKey());
      V value = toRemote.get(e.getKey());
      boolean stored;
      try {
        stored = failed ? false : await(e.getValue(), RemoteOperation.PUT_ALL);
      } catch (RemoteFailure failure) {
        if (isOutOfMemory(failure)) {
          // SET NX refused: Redis keeps what it had, so memory is not dirty (as in writeLoaded)
          warnOutOfMemory();
          if (shared.order.storeIfUnchanged(memoryKey, readStamp, value, min(ttl, shared.options.degradedTtl))) {
            puts++;
          }
          continue;
        }
        onRemoteFailure(failure);
        failed = true;
        stored = false;
      }
      if (failed) {
        if (shared.order.storeIfUnchanged(memoryKey, readStamp, value, min(ttl, shared.options.degradedTtl))) {
          shared.outage.markDirty(tenantId(), e.getKey(), memoryKey);
          puts++;
        }
      } else if (stored
          && shared.order.storeIfUnchanged(memoryKey, readStamp, value, min(ttl, shared.options.memoryTtl))) {
        puts++;
      }
    }
    instrumentation.recordPuts(puts);
  }

  private static final class LeaseOutcome<V> {
    final V value;
    final Optional<LeaseLock.Lease> lease;

    LeaseOutcome(V value, Optional<LeaseLock.Lease> lease) {
      this.value = value;
      this.lease = lease;
    }
  }

  /**
   * Cross-instance single-flight: take the key's lease and load, or wait a bounded time for the
   * holder's value to appear in Redis. Best effort: any failure or timeout means "load it yourself".
   */
  private LeaseOutcome<V> acquireOrWait(String encoded, String memoryKey) {
    LeaseLock lock = remote.leaseLock();
    long deadline = System.nanoTime() + shared.options.leaseWait.toNanos();
    try {
      while (true) {
        Optional<LeaseLock.Lease> lease =
            await(call(() -> lock.tryAcquire(encoded, shared.options.leaseTime)), RemoteOperation.LEASE);
        if (lease.isPresent()) {
          // the holder may have written the value just before we acquired
          V written = readRemote(encoded, memoryKey);
          if (written != null) {
            release(lease.get());
            return new LeaseOutcome<>(written, Optional.empty());
          }
          return new LeaseOutcome<>(null, startRenewing(lease.get()));
        }
        V written = readRemote(encoded, memoryKey);
        if (written != null) {
          return new LeaseOutcome<>(written, Optional.empty());
        }
        if (System.nanoTime() >= deadline) {
          instrumentation.recordDuplicateLoad(); // the holder is still loading: we load too
          return new LeaseOutcome<>(null, Optional.empty());
        }
        TimeUnit.MILLISECONDS.sleep(shared.options.leasePollInterval.toMillis());
      }
    } catch (RemoteFailure failure) {
      if (isOutOfMemory(failure)) {
        warnOutOfMemory(); // the lease's SET NX was refused: a write-only failure, the load goes on
      } else {
        onRemoteFailure(failure);
      }
      instrumentation.recordDuplicateLoad(); // no lease to coordinate with: another instance may load too
      return new LeaseOutcome<>(null, Optional.empty());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      instrumentation.recordDuplicateLoad();
      return new LeaseOutcome<>(null, Optional.empty());
    }
  }

  /** Renews the lease at a third of its lifetime while the load runs (non-blocking renewals). */
  private Optional<LeaseLock.Lease> startRenewing(LeaseLock.Lease lease) {
    return Optional.of(
        RenewedLease.start(lease, shared.options.leaseTime, shared.threads.scheduler(), shared.scheduled, name));
  }

  private void release(LeaseLock.Lease lease) {
    try {
      lease.release().get(shared.options.remoteTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.debug("cache '{}': releasing a lease failed (it expires by itself): {}", name, e.toString());
    }
  }

  // ------------------------------------------------------------------ warming (issue 19)

  /** How long a warm batch's lease lives without {@code crossInstanceLoading} (renewed while it loads). */
  static final Duration WARM_LEASE_TIME = Duration.ofSeconds(30);

  /**
   * How long a warm waits for a batch lease another instance holds, without {@code crossInstanceLoading}:
   * twice the lease time, so a holder that died (its lease expires unrenewed) is always outwaited and only
   * a live holder still loading after that long costs duplicates.
   */
  static final Duration WARM_LEASE_WAIT = WARM_LEASE_TIME.multipliedBy(2);

  /**
   * One lease per warm batch, named after a digest of the batch's encoded keys (every instance forms the
   * same batches from the same keys): taken with one {@code SET NX PX} (never waited for here), renewed
   * while the batch loads. With {@code crossInstanceLoading} its lease time and wait bound apply, else
   * {@link #WARM_LEASE_TIME} and {@link #WARM_LEASE_WAIT}. Degraded, or when Redis fails: unavailable.
   */
  @Override
  protected dev.cachet.internal.WarmLease acquireWarmLease(List<K> batch) {
    if (shared.outage.isDegraded()) {
      return dev.cachet.internal.WarmLease.UNAVAILABLE;
    }
    Duration leaseTime = shared.options.leaseTime != null ? shared.options.leaseTime : WARM_LEASE_TIME;
    Duration maxWait = shared.options.leaseWait != null ? shared.options.leaseWait : WARM_LEASE_WAIT;
    String leaseName = warmLeaseName(batch);
    Optional<LeaseLock.Lease> lease;
    try {
      lease = await(call(() -> remote.leaseLock().tryAcquire(leaseName, leaseTime)), RemoteOperation.LEASE);
    } catch (RemoteFailure failure) {
      if (isOutOfMemory(failure)) {
        warnOutOfMemory();
      } else {
        recordFailure(failure);
      }
      return dev.cachet.internal.WarmLease.UNAVAILABLE;
    }
    if (lease.isEmpty()) {
      return dev.cachet.internal.WarmLease.busy(shared.options.leasePollInterval, maxWait);
    }
    RenewedLease renewed =
        RenewedLease.start(lease.get(), leaseTime, shared.threads.scheduler(), shared.scheduled, name);
    return dev.cachet.internal.WarmLease.held(
        () -> {
          try {
            return Boolean.TRUE.equals(
                renewed.release().get(shared.options.remoteTimeout.toMillis(), TimeUnit.MILLISECONDS));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          } catch (ExecutionException | TimeoutException e) {
            log.debug("cache '{}': releasing a warm lease failed (it expires by itself): {}", name, e.toString());
            return false;
          }
        });
  }

  /** {@code warm.<base64url(SHA-256 of the batch's encoded keys, newline-separated)>}. */
  private String warmLeaseName(List<K> batch) {
    java.security.MessageDigest sha256;
    try {
      sha256 = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    for (K key : batch) {
      sha256.update(encode(key).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      sha256.update((byte) '\n');
    }
    return "warm." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(sha256.digest());
  }

  // ------------------------------------------------------------------ refresh ahead

  private void maybeRefreshAhead(K key, String memoryKey) {
    Duration refreshAfter = shared.options.refreshAfterWrite;
    if (refreshAfter == null || settings.loader() == null) {
      return;
    }
    long writtenAt = shared.memory.writtenAtNanos(memoryKey);
    if (writtenAt < 0 || shared.memory.nowNanos() - writtenAt < refreshAfter.toNanos()) {
      return;
    }
    shared.refreshAhead.trySchedule(memoryKey, () -> refresh(key, memoryKey));
  }

  /**
   * Reloads an entry in the background: reads the remote entry, reloads from it, and writes the fresh
   * value with a compare-and-set on the exact token read, so a put or invalidate that happened since
   * wins; an entry no longer in Redis is not refreshed (a refresh never resurrects an invalidated key).
   * A successful refresh publishes an invalidation like any write; memory follows the key order.
   */
  @SuppressWarnings("unchecked")
  private void refresh(K key, String memoryKey) {
    if (isClosed()) {
      return;
    }
    try {
      String encoded = encode(key);
      long readStamp = shared.order.readStamp();
      RemoteEntry<V> entry;
      try {
        entry = remoteGet(encoded);
      } catch (RemoteFailure failure) {
        log.debug("cache '{}': refresh-ahead skipped, the remote read failed: {}", name, failure.getCause().toString());
        return;
      }
      if (entry == null) {
        return;
      }
      CacheLoader<K, V> loader = (CacheLoader<K, V>) settings.loader();
      long start = System.nanoTime();
      V fresh;
      try {
        fresh = loader.reload(key, entry.value());
        instrumentation.recordLoadSuccess(System.nanoTime() - start);
      } catch (Exception e) {
        instrumentation.recordLoadFailure(System.nanoTime() - start);
        log.debug("cache '{}': refresh-ahead failed; the current value stays until it expires: {}", name, e.toString());
        return;
      }
      if (fresh == null) {
        return;
      }
      Duration ttl = defaultTtl();
      boolean replaced;
      try {
        replaced = await(call(() -> remote.replace(encoded, entry, fresh, ttl)), RemoteOperation.PUT);
      } catch (RemoteFailure failure) {
        log.debug("cache '{}': refresh-ahead write failed: {}", name, failure.getCause().toString());
        return;
      }
      if (!replaced) {
        return; // written or invalidated since the read: the newer state wins
      }
      publish(memoryKey);
      if (shared.order.storeIfUnchanged(memoryKey, readStamp, fresh, min(ttl, shared.options.memoryTtl))) {
        instrumentation.recordPuts(1);
      }
    } catch (InvalidValueException e) {
      log.warn("cache '{}': refresh-ahead produced a value that cannot be stored: {}", name, e.getMessage());
    } catch (RuntimeException e) {
      log.debug("cache '{}': refresh-ahead failed: {}", name, e.toString());
    }
  }

  // ------------------------------------------------------------------ asynchronous loaders (issue 19)

  /** Memory only: on a memory miss the asynchronous load reads Redis first, inside the single flight. */
  @Override
  protected CompletableFuture<Object> lookupAsync(K key) {
    return CompletableFuture.completedFuture(shared.servable(memoryKey(encode(key))));
  }

  /** Memory, then one remote {@code MGET} for the misses, on the cache's executor. */
  @Override
  protected CompletableFuture<Map<K, Object>> lookupAllAsync(Set<K> keys) {
    return CompletableFuture.supplyAsync(() -> lookupAll(keys), settings.executor());
  }

  /**
   * The asynchronous load after a memory miss: the remote read on the cache's executor (a hit is
   * served from Redis and refills memory), then, on a remote miss, the caller's loader, whose value is
   * written with {@code SET NX} and kept in memory unless the key changed since the read began (as
   * {@link #loadValue}). No thread waits while the loader's future runs. With cross-instance loading,
   * a remote miss takes the key's lease first, as {@link #loadValue} does, but asynchronously ({@link
   * #acquireOrWaitAsync}): no thread waits for the lease or for its holder's value.
   */
  @Override
  protected CompletableFuture<V> loadValueAsync(
      K key,
      java.util.function.BiFunction<? super K, ? super Executor, ? extends CompletableFuture<? extends V>> loader,
      SingleFlight.Flight<V> flight) {
    String encoded = encode(key);
    String memoryKey = memoryKey(encoded);
    long readStamp = shared.order.readStamp();
    return CompletableFuture.supplyAsync(
            () -> {
              V inMemory = shared.servable(memoryKey);
              return inMemory != null ? inMemory : readRemote(encoded, memoryKey);
            },
            settings.executor())
        .thenCompose(
            found -> {
              if (found != null) {
                flight.markServedFromCache();
                return CompletableFuture.completedFuture(found);
              }
              if (shared.options.leaseTime == null || shared.outage.isDegraded()) {
                return loadAndWriteAsync(key, loader, flight, encoded, memoryKey, readStamp, Optional.empty());
              }
              long deadline = System.nanoTime() + shared.options.leaseWait.toNanos();
              return acquireOrWaitAsync(encoded, memoryKey, deadline)
                  .thenCompose(
                      outcome -> {
                        if (outcome.value != null) {
                          flight.markServedFromCache();
                          return CompletableFuture.completedFuture(outcome.value);
                        }
                        return loadAndWriteAsync(
                            key, loader, flight, encoded, memoryKey, readStamp, outcome.lease);
                      });
            });
  }

  /** The async loader's call, then the write of its value; {@code lease} is released afterwards. */
  private CompletableFuture<V> loadAndWriteAsync(
      K key,
      java.util.function.BiFunction<? super K, ? super Executor, ? extends CompletableFuture<? extends V>> loader,
      SingleFlight.Flight<V> flight,
      String encoded,
      String memoryKey,
      long readStamp,
      Optional<LeaseLock.Lease> lease) {
    CompletableFuture<V> loadedAndWritten =
        callAsyncLoader(key, loader)
            .thenApplyAsync(
                loaded -> {
                  if (loaded != null && !flight.isStale()) {
                    writeLoaded(encoded, memoryKey, loaded, readStamp);
                  }
                  return loaded;
                },
                settings.executor());
    if (lease.isEmpty()) {
      return loadedAndWritten;
    }
    return loadedAndWritten.whenComplete((value, error) -> releaseAsync(lease.get()));
  }

  /**
   * {@link #acquireOrWait} without a waiting thread: the lease attempt is asynchronous, the remote
   * re-reads run on the cache's executor (as the async load's first read does), and the pause between
   * polls is a task scheduled on the cache's scheduler, so a caller waiting for another instance's load
   * holds no thread. Best effort, like the synchronous form: any failure or the deadline means "load it
   * yourself" (a duplicate load, counted).
   */
  private CompletableFuture<LeaseOutcome<V>> acquireOrWaitAsync(String encoded, String memoryKey, long deadline) {
    LeaseLock lock = remote.leaseLock();
    CompletableFuture<Optional<LeaseLock.Lease>> attempt;
    try {
      attempt =
          call(() -> lock.tryAcquire(encoded, shared.options.leaseTime))
              .orTimeout(shared.options.remoteTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InvalidValueException e) {
      attempt = CompletableFuture.failedFuture(e);
    }
    return attempt
        .handleAsync(
            (lease, error) -> {
              if (error != null) {
                RemoteFailure failure = new RemoteFailure(RemoteOperation.LEASE, error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error);
                if (isOutOfMemory(failure)) {
                  warnOutOfMemory(); // the lease's SET NX was refused: a write-only failure, the load goes on
                } else {
                  onRemoteFailure(failure);
                }
                instrumentation.recordDuplicateLoad(); // no lease to coordinate with
                return CompletableFuture.completedFuture(new LeaseOutcome<V>(null, Optional.empty()));
              }
              shared.outage.onSuccess();
              if (lease.isPresent()) {
                // the holder may have written the value just before we acquired
                V written = readRemote(encoded, memoryKey);
                if (written != null) {
                  releaseAsync(lease.get());
                  return CompletableFuture.completedFuture(new LeaseOutcome<>(written, Optional.<LeaseLock.Lease>empty()));
                }
                return CompletableFuture.completedFuture(new LeaseOutcome<V>(null, startRenewing(lease.get())));
              }
              V written = readRemote(encoded, memoryKey);
              if (written != null) {
                return CompletableFuture.completedFuture(new LeaseOutcome<>(written, Optional.<LeaseLock.Lease>empty()));
              }
              if (System.nanoTime() >= deadline || isClosed()) {
                instrumentation.recordDuplicateLoad(); // the holder is still loading: we load too
                return CompletableFuture.completedFuture(new LeaseOutcome<V>(null, Optional.empty()));
              }
              CompletableFuture<Void> pause = new CompletableFuture<>();
              try {
                shared.threads.scheduler().schedule(
                    () -> pause.complete(null), shared.options.leasePollInterval.toMillis(), TimeUnit.MILLISECONDS);
              } catch (RuntimeException closing) {
                pause.complete(null);
              }
              return pause.thenComposeAsync(
                  ignored -> acquireOrWaitAsync(encoded, memoryKey, deadline), settings.executor());
            },
            settings.executor())
        .thenCompose(outcome -> outcome);
  }

  /** Releases {@code lease} without waiting; a failed release only lets the lease expire by itself. */
  private void releaseAsync(LeaseLock.Lease lease) {
    try {
      lease.release().whenComplete((released, error) -> {
        if (error != null) {
          log.debug("cache '{}': releasing a lease failed (it expires by itself): {}", name, error.toString());
        }
      });
    } catch (RuntimeException e) {
      log.debug("cache '{}': releasing a lease failed (it expires by itself): {}", name, e.toString());
    }
  }

  // ------------------------------------------------------------------ conditional operations (issue 19)

  /**
   * Memory first (an entry there is one this instance may serve); otherwise the remote tier verifies
   * the entry without decoding it. A dirty key (written in memory only during an outage) reads as
   * absent, as {@link #lookup} does; a remote failure follows the failure policy and reads as absent.
   */
  @Override
  protected boolean contains(K key) {
    String encoded = encode(key);
    String memoryKey = memoryKey(encoded);
    if (shared.servable(memoryKey) != null) {
      return true;
    }
    if (shared.outage.isDirty(memoryKey)) {
      return false;
    }
    try {
      return Boolean.TRUE.equals(await(call(() -> remote.contains(encoded)), RemoteOperation.GET));
    } catch (RemoteFailure failure) {
      onRemoteFailure(failure);
      return false;
    }
  }

  /**
   * The remote entry is the truth a conditional write compares against (memory may lag behind a peer's
   * write). Never degraded: a dirty key or a remote failure throws {@link CacheUnavailableException}.
   */
  @Override
  protected Versioned<V> readForUpdate(K key) {
    String encoded = encode(key);
    String memoryKey = memoryKey(encoded);
    if (shared.outage.isDirty(memoryKey)) {
      throw unavailableForUpdate("the key was written in memory only during an outage", null);
    }
    RemoteEntry<V> entry;
    try {
      entry = await(call(() -> remote.get(encoded)), RemoteOperation.GET);
    } catch (RemoteFailure failure) {
      recordFailure(failure);
      throw unavailableForUpdate("the remote read failed", failure.getCause());
    }
    return entry == null ? null : new Versioned<>(entry.value(), entry);
  }

  /**
   * One compare-and-set on the remote tier, as a write of the key order: memory drops its copy when the
   * write begins and keeps the new value only if no other change of the key overlapped; an applied
   * change is announced to other instances like any write. A remote failure leaves the outcome unknown:
   * memory keeps nothing, the invalidation is published anyway, and the failure is thrown.
   */
  @Override
  protected boolean compareAndStore(K key, Versioned<V> expected, V value, Duration ttl) {
    return dev.cachet.internal.RemovalCauses.get(
        value == null ? dev.cachet.RemovalCause.EXPLICIT : dev.cachet.RemovalCause.REPLACED,
        () -> compareAndStoreOnce(key, expected, value, ttl));
  }

  @SuppressWarnings("unchecked")
  private boolean compareAndStoreOnce(K key, Versioned<V> expected, V value, Duration ttl) {
    String encoded = encode(key);
    String memoryKey = memoryKey(encoded);
    RemoteEntry<V> entry = expected == null ? null : (RemoteEntry<V>) expected.token();
    if (value == null && entry == null) {
      return true;
    }
    KeyOrder.Write write = shared.order.beginWrite(memoryKey);
    boolean applied;
    try {
      applied =
          value == null
              ? Boolean.TRUE.equals(await(call(() -> remote.removeIfSame(encoded, entry)), RemoteOperation.INVALIDATE))
              : Boolean.TRUE.equals(await(call(() -> remote.replace(encoded, entry, value, ttl)), RemoteOperation.PUT));
    } catch (RemoteFailure failure) {
      shared.order.endWrite(write, null, null);
      publish(memoryKey);
      recordFailure(failure);
      throw unavailableForUpdate("the compare-and-set failed; whether it was applied is unknown", failure.getCause());
    } catch (RuntimeException | Error e) {
      shared.order.endWrite(write, null, null);
      throw e;
    }
    if (!applied) {
      shared.order.endWrite(write, null, null);
      return false;
    }
    shared.order.endWrite(write, value, value == null ? null : min(ttl, shared.options.memoryTtl));
    publish(memoryKey);
    return true;
  }

  /** Lets the outage tracker see a failure without its policy deciding the outcome of a conditional write. */
  private void recordFailure(RemoteFailure failure) {
    try {
      onRemoteFailure(failure);
    } catch (RuntimeException strict) {
      // STRICT throws here; a conditional write throws under every policy, below
    }
  }

  private dev.cachet.CacheUnavailableException unavailableForUpdate(String why, Throwable cause) {
    return new dev.cachet.CacheUnavailableException(
        name, Tier.REDIS,
        "cache '" + name + "': a conditional write needs the remote tier and " + why
            + " (conditional writes are never served degraded)",
        cause);
  }

  // ------------------------------------------------------------------ writes

  /** A write: memory copies it replaces are reported as {@link dev.cachet.RemovalCause#REPLACED}. */
  @Override
  protected void store(K key, V value, Duration ttl) {
    dev.cachet.internal.RemovalCauses.run(dev.cachet.RemovalCause.REPLACED, () -> storeOne(key, value, ttl));
  }

  private void storeOne(K key, V value, Duration ttl) {
    String encoded = encode(key);
    String memoryKey = memoryKey(encoded);
    KeyOrder.Write write = shared.order.beginWrite(memoryKey);
    try {
      await(call(() -> remote.put(encoded, value, ttl)), RemoteOperation.PUT);
    } catch (InvalidValueException e) {
      shared.order.endWrite(write, null, null);
      throw e;
    } catch (RemoteFailure failure) {
      failedWrites(List.of(write), List.of(encoded), failure, List.of(value), ttl);
      return;
    } catch (RuntimeException | Error e) {
      shared.order.endWrite(write, null, null);
      throw e;
    }
    shared.order.endWrite(write, value, min(ttl, shared.options.memoryTtl));
    publish(memoryKey);
  }

  /**
   * A write whose remote outcome is unknown: the invalidation is published under every policy (it may
   * have been applied); under {@code STRICT} memory keeps nothing and the failure is thrown; otherwise
   * the value (or the absence) lives in memory only, for {@code degradedTtl}, and the key is dirty.
   */
  private void failedWrites(
      List<KeyOrder.Write> writes, List<String> encodedKeys, RemoteFailure failure, List<V> values, Duration ttl) {
    List<String> memoryKeys = new ArrayList<>(writes.size());
    writes.forEach(w -> memoryKeys.add(w.key));
    if (values != null && isOutOfMemory(failure) && shared.options.failurePolicy == FailurePolicy.STRICT) {
      // refused for lack of memory: Redis keeps its older copy (a pipelined write may have stored some
      // keys), so memory keeps nothing and the keys' invalidation (no CLEAR) makes every instance re-read
      // Redis; the caller learns that its write failed; nothing is dirty and the cache is not degraded
      warnOutOfMemory();
      writes.forEach(w -> shared.order.endWrite(w, null, null));
      publish(memoryKeys);
      throw outOfMemory(failure);
    }
    if (values != null && isOutOfMemory(failure) && deleteOlderCopies(encodedKeys)) {
      // Redis refused the write for lack of memory but deleted its older copies (DEL frees memory):
      // nothing stale can be read back, so nothing is dirty and the cache is not degraded
      warnOutOfMemory();
      for (int i = 0; i < writes.size(); i++) {
        shared.order.endWrite(writes.get(i), values.get(i), min(ttl, shared.options.degradedTtl));
      }
      publish(memoryKeys);
      return;
    }
    try {
      onRemoteFailure(failure);
    } catch (RuntimeException strict) {
      writes.forEach(w -> shared.order.endWrite(w, null, null));
      publish(memoryKeys);
      throw strict;
    }
    for (int i = 0; i < writes.size(); i++) {
      shared.outage.markDirty(tenantId(), encodedKeys.get(i), memoryKeys.get(i));
      V value = values == null ? null : values.get(i);
      shared.order.endWrite(writes.get(i), value, value == null ? null : min(ttl, shared.options.degradedTtl));
    }
    publish(memoryKeys);
  }

  /** Deletes the Redis copies of {@code encodedKeys} after an {@code OOM} write; false if that failed too. */
  private boolean deleteOlderCopies(List<String> encodedKeys) {
    try {
      await(call(() -> remote.invalidate(encodedKeys)), RemoteOperation.INVALIDATE);
      return true;
    } catch (RemoteFailure | RuntimeException e) {
      return false;
    }
  }

  @Override
  protected void storeAll(Map<K, V> entries, Duration ttl) {
    dev.cachet.internal.RemovalCauses.run(dev.cachet.RemovalCause.REPLACED, () -> storeEntries(entries, ttl));
  }

  private void storeEntries(Map<K, V> entries, Duration ttl) {
    Map<String, V> byEncoded = new LinkedHashMap<>();
    for (Map.Entry<K, V> e : entries.entrySet()) {
      byEncoded.put(encode(e.getKey()), e.getValue());
    }
    List<KeyOrder.Write> writes = new ArrayList<>(byEncoded.size());
    for (String encoded : byEncoded.keySet()) {
      writes.add(shared.order.beginWrite(memoryKey(encoded)));
    }
    try {
      await(call(() -> remote.putAll(byEncoded, ttl)), RemoteOperation.PUT_ALL);
    } catch (InvalidValueException e) {
      writes.forEach(w -> shared.order.endWrite(w, null, null));
      throw e;
    } catch (RemoteFailure failure) {
      failedWrites(writes, new ArrayList<>(byEncoded.keySet()), failure, new ArrayList<>(byEncoded.values()), ttl);
      return;
    } catch (RuntimeException | Error e) {
      writes.forEach(w -> shared.order.endWrite(w, null, null));
      throw e;
    }
    Duration memoryTtl = min(ttl, shared.options.memoryTtl);
    List<String> memoryKeys = new ArrayList<>(writes.size());
    int i = 0;
    for (V value : byEncoded.values()) {
      KeyOrder.Write write = writes.get(i++);
      shared.order.endWrite(write, value, memoryTtl);
      memoryKeys.add(write.key);
    }
    publish(memoryKeys);
  }

  @Override
  protected void remove(K key) {
    removeAll(Set.of(key));
  }

  @Override
  protected void removeAll(Set<K> keys) {
    List<String> encodedKeys = new ArrayList<>(keys.size());
    List<KeyOrder.Write> writes = new ArrayList<>(keys.size());
    for (K key : keys) {
      String encoded = encode(key);
      encodedKeys.add(encoded);
      writes.add(shared.order.beginWrite(memoryKey(encoded)));
    }
    try {
      await(call(() -> remote.invalidate(encodedKeys)), RemoteOperation.INVALIDATE);
    } catch (RemoteFailure failure) {
      failedWrites(writes, encodedKeys, failure, null, null);
      return;
    } catch (RuntimeException | Error e) {
      writes.forEach(w -> shared.order.endWrite(w, null, null));
      throw e;
    }
    List<String> memoryKeys = new ArrayList<>(writes.size());
    for (KeyOrder.Write write : writes) {
      shared.order.endWrite(write, null, null);
      memoryKeys.add(write.key);
    }
    publish(memoryKeys);
  }

  /**
   * The root: a new cache generation in Redis (every tenant included), all memory cleared, a CLEAR
   * message. A tenant view: a new generation of this tenant alone, this tenant's memory cleared here
   * and, through a tenant-clear message, on every instance; other tenants keep their entries.
   */
  @Override
  protected void clear() {
    beginScopedClear();
    try {
      await(call(remote::invalidateAll), RemoteOperation.INVALIDATE_ALL);
    } catch (RemoteFailure failure) {
      try {
        onRemoteFailure(failure);
      } catch (RuntimeException strict) {
        publishClear();
        throw strict;
      }
      markScopeDirty();
    } finally {
      endScopedClear();
    }
    publishClear();
  }

  /**
   * A clear of this view failed remotely: the root's makes every key dirty, a tenant view's that
   * tenant's keys alone (recovery then invalidates that tenant, not the whole cache).
   */
  private void markScopeDirty() {
    if (root) {
      shared.outage.markAllDirty();
    } else {
      shared.outage.markTenantDirty(tenant, scope);
    }
  }

  /** Begins a clear of this view's memory: everything for the root, this tenant's entries for a view. */
  private void beginScopedClear() {
    if (root) {
      shared.order.beginClear();
    } else {
      shared.order.beginClear(scope);
    }
  }

  private void endScopedClear() {
    if (root) {
      shared.order.endClear();
    } else {
      shared.order.endClear(scope);
    }
  }

  /** Announces a clear of this view: the whole cache for the root, this tenant for a view. */
  private void publishClear() {
    Coherence coherence = shared.coherence;
    if (coherence != null) {
      if (root) {
        coherence.publishClear();
      } else {
        coherence.publishTenantClear(announcedTenant);
      }
    }
  }

  private void publish(String memoryKey) {
    publish(List.of(memoryKey));
  }

  private void publish(List<String> memoryKeys) {
    Coherence coherence = shared.coherence;
    if (coherence != null && !memoryKeys.isEmpty()) {
      coherence.publishInvalidation(memoryKeys);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  // ------------------------------------------------------------------ tenants, policy, health

  /**
   * The view of {@code tenantId}: one per tenant while open (at most {@value #MAX_CACHED_TENANT_VIEWS}
   * are remembered; beyond that each call returns a new view sharing the same state). A closed view is
   * never returned again.
   */
  /**
   * The remote tier's counters, as they are: counters never live in the memory tier, so nothing in
   * memory is read, filled or invalidated, and they are never served degraded (a Redis failure or an
   * open breaker throws under every {@link FailurePolicy}).
   */
  @Override
  protected java.util.Optional<dev.cachet.Counters<String>> remoteCounters() {
    return remote.counters();
  }

  @Override
  public Cache<K, V> forTenant(String tenantId) {
    Preconditions.requireNonNull(tenantId, "tenantId");
    checkOpen();
    Preconditions.requireState(root, "cache '" + name + "' is already a tenant view");
    Preconditions.requireTenantId(tenantId);
    TieredCache<K, V> view = tenants.get(tenantId);
    if (view != null && !view.isClosed()) {
      return view;
    }
    TieredCache<K, V> fresh = new TieredCache<>(settings, shared, remote.forTenant(tenantId), tenantId, this);
    if (tenants.size() >= MAX_CACHED_TENANT_VIEWS && view == null) {
      return fresh;
    }
    TieredCache<K, V> raced =
        tenants.compute(tenantId, (id, current) -> current == null || current.isClosed() ? fresh : current);
    return raced;
  }

  /** Tenant views remembered (tests). */
  int cachedTenantViews() {
    return tenants == null ? 0 : tenants.size();
  }

  /** Hidden tenant names mapped back to tenant ids (tests). */
  int announcedTenantsMapped() {
    return shared.tenantsByAnnouncedId.size();
  }

  @Override
  public CachePolicy policy() {
    checkOpen();
    CachePolicy memoryPolicy = shared.memoryCache.policy();
    return withTimeToLive(new CachePolicy() {
      @Override
      public Optional<SizeBound> sizeBound() {
        return memoryPolicy.sizeBound();
      }

      @Override
      public Optional<PatternInvalidation> patternInvalidation() {
        if (!remote.supportsPatternInvalidation()) {
          return Optional.empty();
        }
        return Optional.of(
            glob -> {
              Preconditions.requireNonNull(glob, "glob");
              checkOpen();
              singleFlight.markAllStale();
              beginScopedClear(); // a tenant view's pattern touches only that tenant's entries
              try {
                return await(call(() -> remote.invalidateMatching(glob)), RemoteOperation.INVALIDATE);
              } catch (RemoteFailure failure) {
                onRemoteFailure(failure);
                markScopeDirty();
                return 0L;
              } finally {
                endScopedClear();
                publishClear();
              }
            });
      }
    });
  }

  @Override
  protected boolean knowsEvictions() {
    return true;
  }

  /** The breaker of the remote tier, when it is decorated with one. */
  @Override
  public Optional<Object> circuitBreaker() {
    return Resilience.circuitBreakerOf(remote).map(Object.class::cast);
  }

  /** The retry of the remote tier, when it is decorated with one. */
  @Override
  public Optional<Object> retry() {
    return Resilience.retryOf(remote).map(Object.class::cast);
  }

  /** Memory and Redis: the metrics binder registers per-tier, Redis and crypto meters. */
  @Override
  public Set<Tier> tiers() {
    return Set.of(Tier.MEMORY, Tier.REDIS);
  }

  @Override
  protected CacheHealth currentHealth() {
    return TieredHealth.of(remote.health(), shared.options.failurePolicy, shared.outage, shared.refreshAhead,
        shared.coherence);
  }

  @Override
  protected AsyncCache<K, V> createAsyncView() {
    return new OffloadingAsyncView();
  }

  /**
   * Async view that never blocks the caller: a memory hit completes at once, everything else (which
   * may wait on Redis) runs on the cache's executor. Argument checks stay on the caller's thread.
   */
  private final class OffloadingAsyncView extends ExecutorAsyncView {
    @Override
    protected <T> CompletableFuture<T> supply(java.util.function.Supplier<T> action) {
      return CompletableFuture.supplyAsync(action, settings.executor());
    }

    @Override
    public CompletableFuture<V> get(K key, CacheLoader<? super K, ? extends V> loader) {
      Preconditions.requireNonNull(key, "key");
      Preconditions.requireNonNull(loader, "loader");
      checkOpen();
      V value = shared.servable(memoryKey(encode(key)));
      if (value != null) {
        instrumentation.recordHits(1);
        return CompletableFuture.completedFuture(value);
      }
      return supply(() -> TieredCache.this.get(key, loader));
    }
  }

  @Override
  protected void onClose() {
    if (!root) {
      parent.tenants.remove(tenant, this);
      remote.close();
      return;
    }
    tenants.values().forEach(TieredCache::close);
    tenants.clear();
    shared.outage.close();
    Coherence coherence = shared.coherence;
    if (coherence != null) {
      coherence.close(min(shared.options.remoteTimeout, Duration.ofMillis(500)));
    }
    for (ScheduledFuture<?> task : shared.scheduled) {
      task.cancel(false);
    }
    shared.scheduled.clear();
    shared.memoryCache.close();
    shared.rootRemote.close();
    shared.threads.release();
  }

  // ------------------------------------------------------------------ test seams

  void setTestHook(BiConsumer<String, Phase> hook) {
    shared.testHook = hook;
  }

  Coherence coherence() {
    return shared.coherence;
  }

  CoherenceKeys coherenceKeys() {
    return shared.coherenceKeys;
  }

  boolean isDegraded() {
    return shared.outage.isDegraded();
  }

  /** What memory holds for {@code key}, without counting or reading Redis (tests). */
  V peekMemory(K key) {
    return shared.memory.peek(memoryKey(encode(key)));
  }

  RemoteTier<V> remote() {
    return remote;
  }

  Outage outage() {
    return shared.outage;
  }

  KeyOrder<V> keyOrder() {
    return shared.order;
  }

  RefreshAhead refreshAhead() {
    return shared.refreshAhead;
  }
}
