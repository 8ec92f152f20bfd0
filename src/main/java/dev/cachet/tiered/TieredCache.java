package dev.cachet.tiered;

import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.AsyncCache;
import dev.cachet.BulkLoader;
import dev.cachet.Cache;
import dev.cachet.CacheHealth;
import dev.cachet.CacheLoader;
import dev.cachet.CachePolicy;
import dev.cachet.CacheUnavailableException;
import dev.cachet.MultiTenantCache;
import dev.cachet.Tier;
import dev.cachet.internal.AbstractCache;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.CacheSettings;
import dev.cachet.internal.LocalTier;
import dev.cachet.internal.Preconditions;
import dev.cachet.internal.SingleFlight;
import dev.cachet.internal.StatsRecorder;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.spi.LeaseLock;
import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteTier;
import dev.cachet.spi.RemoteTierException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory in front of a remote tier. Reads go memory, remote, loader; a remote hit refills memory until
 * the entry's sealed expiry at most (and never longer than the memory TTL); a loaded value is written to
 * both tiers ({@code SET NX} in the remote tier, so it never overwrites a newer value). Writes go to the
 * remote tier, then memory, then an invalidation is published for other instances. All of one cache's
 * tenant views share the memory tier, coherence and stamps; each view has its own single-flight map.
 *
 * <p>Remote failures follow the {@link FailurePolicy}. Synchronous calls wait for the remote tier at most
 * {@code remoteTimeout} per call.
 */
final class TieredCache<K, V> extends AbstractCache<K, V> implements MultiTenantCache<K, V> {

  private static final Logger log = LoggerFactory.getLogger(TieredCache.class);

  /** Points of the read path where tests may pause (the refill-race test). */
  enum Phase {
    AFTER_REMOTE_READ
  }

  /** State shared by a cache and its tenant views. */
  static final class Shared<V> {
    final Cache<String, V> memoryCache;
    final LocalTier<String, V> memory;
    final RemoteTier<V> rootRemote;
    final InvalidationStamps stamps = new InvalidationStamps();
    final TieredCacheBuilder.Options options;
    final Clock clock;
    final ScheduledExecutorService scheduler;
    final Executor refreshExecutor;
    final AtomicBoolean degraded = new AtomicBoolean();
    final Set<String> dirtyDuringOutage = ConcurrentHashMap.newKeySet();
    volatile boolean dirtyOverflow;
    volatile String lastError = "none";
    volatile Instant lastErrorTime;
    volatile Coherence coherence;
    volatile BiConsumer<String, Phase> testHook;
    final Map<String, Boolean> refreshing = new ConcurrentHashMap<>();
    final CacheInstrumentation instrumentation;

    Shared(
        Cache<String, V> memoryCache,
        RemoteTier<V> rootRemote,
        TieredCacheBuilder.Options options,
        Clock clock,
        ScheduledExecutorService scheduler,
        Executor refreshExecutor,
        CacheInstrumentation instrumentation) {
      this.memoryCache = memoryCache;
      @SuppressWarnings("unchecked")
      LocalTier<String, V> local = (LocalTier<String, V>) memoryCache;
      this.memory = local;
      this.rootRemote = rootRemote;
      this.options = options;
      this.clock = clock;
      this.scheduler = scheduler;
      this.refreshExecutor = refreshExecutor;
      this.instrumentation = instrumentation;
    }
  }

  private final Shared<V> shared;
  private final RemoteTier<V> remote;
  private final String tenant;
  private final boolean root;
  private final Map<String, TieredCache<K, V>> tenants;

  TieredCache(CacheSettings<K, V> settings, Shared<V> shared, RemoteTier<V> remote, String tenant) {
    super(settings, shared.instrumentation);
    this.shared = shared;
    this.remote = remote;
    this.tenant = tenant;
    this.root = tenant == null;
    this.tenants = root ? new ConcurrentHashMap<>() : Map.of();
  }

  /** Starts coherence; called once on the root cache after construction. */
  void start() {
    if (shared.options.coherence) {
      Coherence coherence =
          new Coherence(
              name,
              remote.invalidationBus(),
              new Coherence.Target() {
                @Override
                public void invalidateLocal(List<String> memoryKeys) {
                  for (String key : memoryKeys) {
                    shared.stamps.invalidated(key);
                    shared.memory.discard(key);
                  }
                }

                @Override
                public void clearLocal(String reason) {
                  clearMemory();
                  // another instance may have bumped the Redis generation: re-read it, then drop
                  // whatever was refilled from the old generation meanwhile
                  try {
                    remote.resynchronize().whenComplete((ok, error) -> clearMemory());
                  } catch (RuntimeException e) {
                    log.debug("cache '{}': resynchronizing the remote tier failed: {}", name, e.toString());
                  }
                }
              },
              shared.options.heartbeatInterval,
              shared.options.missedHeartbeats,
              this::onTick);
      shared.coherence = coherence;
      coherence.start(shared.scheduler, min(shared.options.remoteTimeout, Duration.ofSeconds(2)));
    } else {
      shared.scheduler.scheduleWithFixedDelay(
          this::onTick,
          shared.options.heartbeatInterval.toNanos(),
          shared.options.heartbeatInterval.toNanos(),
          TimeUnit.NANOSECONDS);
    }
  }

  private void onTick() {
    shared.stamps.prune();
    if (shared.degraded.get()) {
      probeRemote();
    }
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
    return "\0" + tenant + "\0" + encoded;
  }

  private String encode(K key) {
    String encoded = settings.keyCodec().encode(key);
    if (encoded == null) {
      throw new IllegalArgumentException(
          "the KeyCodec of cache '" + name + "' returned null for a key; it must return a string");
    }
    return encoded;
  }

  // ------------------------------------------------------------------ remote calls

  /**
   * Waits for a remote call at most {@code remoteTimeout}. The remote tier records its own timings,
   * tier gets and classified errors; this cache records only failures that happen above it (a join
   * timeout, an open circuit).
   */
  private <T> T await(CompletableFuture<T> future, RemoteOperation operation) throws RemoteFailure {
    try {
      T result = future.get(shared.options.remoteTimeout.toNanos(), TimeUnit.NANOSECONDS);
      onRemoteSuccess();
      return result;
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new RemoteFailure(operation, e);
    } catch (ExecutionException e) {
      throw new RemoteFailure(operation, e.getCause() == null ? e : e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(false);
      throw new RemoteFailure(operation, e);
    }
  }

  /** A remote call failed; handled by {@link #onRemoteFailure}. */
  static final class RemoteFailure extends Exception {
    private static final long serialVersionUID = 1L;
    final RemoteOperation operation;

    RemoteFailure(RemoteOperation operation, Throwable cause) {
      super(cause);
      this.operation = operation;
    }
  }

  /**
   * Applies the failure policy: counts and logs (once per state change) under {@code SERVE_DEGRADED};
   * throws {@link CacheUnavailableException} under {@code STRICT}.
   */
  private void onRemoteFailure(RemoteFailure failure) {
    Throwable cause = failure.getCause();
    if (!(cause instanceof RemoteTierException)
        || ((RemoteTierException) cause).reason() == RemoteErrorReason.CIRCUIT_OPEN) {
      instrumentation.recordRemoteError(failure.operation, RemoteErrors.classify(cause));
    }
    Throwable reported =
        cause instanceof RemoteTierException && cause.getCause() != null ? cause.getCause() : cause;
    shared.lastError = reported.getClass().getName();
    shared.lastErrorTime = shared.clock.instant();
    if (shared.degraded.compareAndSet(false, true)) {
      instrumentation.recordDegraded(true);
      log.warn(
          "cache '{}': the remote tier failed ({}: {}); {}",
          name, cause.getClass().getSimpleName(), cause.getMessage(),
          shared.options.failurePolicy == FailurePolicy.STRICT
              ? "calls throw CacheUnavailableException until it is back (STRICT)"
              : "serving from memory and loaders until it is back");
    }
    if (shared.options.failurePolicy == FailurePolicy.STRICT) {
      throw new CacheUnavailableException(
          name, Tier.REDIS,
          "cache '" + name + "': the Redis tier is unavailable (" + failure.operation.tagValue() + "): "
              + cause.getClass().getSimpleName(),
          cause);
    }
  }

  private void onRemoteSuccess() {
    if (shared.degraded.get()) {
      recover();
    }
  }

  private void probeRemote() {
    try {
      shared.rootRemote.get("\0cachet-probe").get(shared.options.remoteTimeout.toMillis(), TimeUnit.MILLISECONDS);
      recover();
    } catch (Exception e) {
      // still down; the next tick probes again
    }
  }

  /** Redis answers again: invalidate what was written to memory only during the outage. */
  private synchronized void recover() {
    if (!shared.degraded.get()) {
      return;
    }
    List<String> dirty = new ArrayList<>(shared.dirtyDuringOutage);
    boolean overflow = shared.dirtyOverflow;
    try {
      if (overflow) {
        shared.rootRemote.invalidateAll().get(shared.options.remoteTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } else if (!dirty.isEmpty()) {
        // dirty entries hold the tenant-qualified remote key; group by view
        Map<String, List<String>> byTenant = new HashMap<>();
        for (String entry : dirty) {
          int sep = entry.indexOf('\0');
          byTenant.computeIfAbsent(entry.substring(0, sep), t -> new ArrayList<>()).add(entry.substring(sep + 1));
        }
        for (Map.Entry<String, List<String>> e : byTenant.entrySet()) {
          RemoteTier<V> target = e.getKey().isEmpty() ? shared.rootRemote : shared.rootRemote.forTenant(e.getKey());
          target.invalidate(e.getValue()).get(shared.options.remoteTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
    } catch (Exception e) {
      return; // not back yet
    }
    dirty.forEach(shared.dirtyDuringOutage::remove);
    shared.dirtyOverflow = false;
    Coherence coherence = shared.coherence;
    if (coherence != null) {
      coherence.publishClear();
    }
    shared.degraded.set(false);
    instrumentation.recordDegraded(false);
    log.info("cache '{}': the remote tier is back; {} keys written during the outage were invalidated",
        name, overflow ? "all" : Integer.toString(dirty.size()));
  }

  /**
   * Whether {@code encoded} was written to memory only during an outage and is not yet invalidated in
   * Redis: Redis's copy may be older than that write, so it must not be read back (resilience, issue 6).
   */
  private boolean writtenDuringOutage(String encoded) {
    return shared.dirtyOverflow
        || (!shared.dirtyDuringOutage.isEmpty()
            && shared.dirtyDuringOutage.contains((tenant == null ? "" : tenant) + "\0" + encoded));
  }

  private void markDirty(String encoded) {
    if (shared.dirtyDuringOutage.size() >= shared.options.maxDirtyKeys) {
      shared.dirtyOverflow = true;
      return;
    }
    shared.dirtyDuringOutage.add((tenant == null ? "" : tenant) + "\0" + encoded);
  }

  // ------------------------------------------------------------------ reads

  @Override
  protected Object lookup(K key) {
    String encoded = encode(key);
    String memoryKey = memoryKey(encoded);
    V value = shared.memory.peek(memoryKey);
    if (value != null) {
      // a memory hit: counted once, as a whole-cache hit (memory hits are derived from it)
      if (shared.options.refreshAfterWrite != null) {
        maybeRefreshAhead(key, memoryKey, value);
      }
      return value;
    }
    instrumentation.recordTierGet(Tier.MEMORY, false, 1);
    return readRemote(encoded, memoryKey, null);
  }

  /** Reads the remote tier and refills memory; null on a miss or (degraded) failure. */
  private V readRemote(String encoded, String memoryKey, SingleFlight.Flight<V> flight) {
    if (writtenDuringOutage(encoded)) {
      return null; // Redis may still hold the value this memory-only write replaced
    }
    long readStamp = shared.stamps.now();
    RemoteEntry<V> entry;
    try {
      entry = await(remote.get(encoded), RemoteOperation.GET);
    } catch (RemoteFailure failure) {
      onRemoteFailure(failure);
      return null;
    }
    if (entry == null) {
      return null;
    }
    pause(memoryKey, Phase.AFTER_REMOTE_READ);
    refill(memoryKey, entry, readStamp, flight);
    return entry.value();
  }

  private void pause(String memoryKey, Phase phase) {
    BiConsumer<String, Phase> hook = shared.testHook;
    if (hook != null) {
      hook.accept(memoryKey, phase);
    }
  }

  /** Stores a remote hit in memory unless an invalidation arrived after the read began. */
  private void refill(String memoryKey, RemoteEntry<V> entry, long readStamp, SingleFlight.Flight<V> flight) {
    long remaining = entry.remainingMillis(shared.clock.millis());
    if (remaining <= 0) {
      return;
    }
    Duration ttl = Duration.ofMillis(Math.min(remaining, shared.options.memoryTtl.toMillis()));
    storeGuarded(memoryKey, entry.value(), ttl, readStamp, flight);
  }

  private boolean storeGuarded(String memoryKey, V value, Duration ttl, long readStamp, SingleFlight.Flight<V> flight) {
    if (shared.stamps.invalidatedSince(memoryKey, readStamp) || (flight != null && flight.isStale())) {
      return false;
    }
    Object handle = shared.memory.storeWithHandle(memoryKey, value, ttl);
    if (shared.stamps.invalidatedSince(memoryKey, readStamp) || (flight != null && flight.isStale())) {
      shared.memory.removeIfSame(memoryKey, handle);
      return false;
    }
    return true;
  }

  @Override
  protected Map<K, Object> lookupAll(Set<K> keys) {
    Map<K, Object> found = new HashMap<>();
    Map<String, K> missingByEncoded = new LinkedHashMap<>();
    for (K key : keys) {
      String encoded = encode(key);
      V value = shared.memory.peek(memoryKey(encoded));
      if (value != null) {
        found.put(key, value);
      } else {
        missingByEncoded.put(encoded, key);
      }
    }
    instrumentation.recordTierGet(Tier.MEMORY, false, missingByEncoded.size());
    missingByEncoded.keySet().removeIf(this::writtenDuringOutage);
    if (missingByEncoded.isEmpty()) {
      return found;
    }
    long readStamp = shared.stamps.now();
    Map<String, RemoteEntry<V>> entries;
    try {
      entries = await(remote.getAll(missingByEncoded.keySet()), RemoteOperation.GET_ALL);
    } catch (RemoteFailure failure) {
      onRemoteFailure(failure);
      return found;
    }
    for (Map.Entry<String, RemoteEntry<V>> e : entries.entrySet()) {
      K key = missingByEncoded.get(e.getKey());
      if (key != null) {
        found.put(key, e.getValue().value());
        refill(memoryKey(e.getKey()), e.getValue(), readStamp, null);
      }
    }
    return found;
  }

  // ------------------------------------------------------------------ loads

  /**
   * Memory first; on a memory miss the Redis read and, on a Redis miss, the loader run inside the key's
   * single flight, so concurrent callers on this instance make one Redis read and at most one load. A
   * caller counts a hit when the value came from memory or Redis, a miss when it was loaded.
   */
  @Override
  public V get(K key, CacheLoader<? super K, ? extends V> loader) {
    Preconditions.requireNonNull(key, "key");
    Preconditions.requireNonNull(loader, "loader");
    checkOpen();
    String memoryKey = memoryKey(encode(key));
    V value = shared.memory.peek(memoryKey);
    if (value != null) {
      instrumentation.recordHits(1);
      if (shared.options.refreshAfterWrite != null) {
        maybeRefreshAhead(key, memoryKey, value);
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
    V inMemory = shared.memory.peek(memoryKey);
    if (inMemory != null) {
      return inMemory;
    }
    long readStamp = shared.stamps.now();
    V fromRemote = readRemote(encoded, memoryKey, flight);
    if (fromRemote != null) {
      flight.markServedFromCache();
      return fromRemote;
    }
    Optional<LeaseLock.Lease> lease = Optional.empty();
    if (shared.options.leaseTime != null && !shared.degraded.get()) {
      LeaseOutcome<V> outcome = acquireOrWait(encoded, memoryKey, flight);
      if (outcome.value != null) {
        flight.markServedFromCache();
        return outcome.value;
      }
      lease = outcome.lease;
    }
    try {
      V loaded = callLoader(key, loader);
      if (loaded != null && !flight.isStale()) {
        writeLoaded(encoded, memoryKey, loaded, readStamp, flight);
      }
      return loaded;
    } finally {
      lease.ifPresent(this::release);
    }
  }

  /** Writes a loaded value: remote {@code SET NX}, then memory, guarded against invalidations. */
  private void writeLoaded(String encoded, String memoryKey, V loaded, long readStamp, SingleFlight.Flight<V> flight) {
    Duration ttl = settings.defaultTtl();
    boolean stored;
    try {
      stored = await(remote.putIfAbsent(encoded, loaded, ttl), RemoteOperation.PUT);
    } catch (RemoteFailure failure) {
      onRemoteFailure(failure);
      if (storeGuarded(memoryKey, loaded, min(ttl, shared.options.degradedTtl), readStamp, flight)) {
        markDirty(encoded);
        instrumentation.recordPuts(1);
      }
      return;
    }
    if (stored && storeGuarded(memoryKey, loaded, min(ttl, shared.options.memoryTtl), readStamp, flight)) {
      instrumentation.recordPuts(1);
    }
  }

  @Override
  protected Map<K, V> loadValues(Map<K, SingleFlight.Flight<V>> flights, BulkLoader<K, V> loader) {
    long readStamp = shared.stamps.now();
    Map<K, V> loaded = super.loadValuesWithoutStoring(flights, loader);
    Map<String, V> toRemote = new LinkedHashMap<>();
    Map<String, K> keysByEncoded = new HashMap<>();
    for (Map.Entry<K, V> e : loaded.entrySet()) {
      if (!flights.get(e.getKey()).isStale()) {
        String encoded = encode(e.getKey());
        toRemote.put(encoded, e.getValue());
        keysByEncoded.put(encoded, e.getKey());
      }
    }
    if (toRemote.isEmpty()) {
      return loaded;
    }
    Duration ttl = settings.defaultTtl();
    Duration memoryTtl = min(ttl, shared.options.memoryTtl);
    try {
      await(remote.putAll(toRemote, ttl), RemoteOperation.PUT_ALL);
    } catch (RemoteFailure failure) {
      onRemoteFailure(failure);
      memoryTtl = min(ttl, shared.options.degradedTtl);
      toRemote.keySet().forEach(this::markDirty);
    }
    int puts = 0;
    for (Map.Entry<String, V> e : toRemote.entrySet()) {
      if (storeGuarded(memoryKey(e.getKey()), e.getValue(), memoryTtl, readStamp,
          flights.get(keysByEncoded.get(e.getKey())))) {
        puts++;
      }
    }
    instrumentation.recordPuts(puts);
    return loaded;
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
  private LeaseOutcome<V> acquireOrWait(String encoded, String memoryKey, SingleFlight.Flight<V> flight) {
    LeaseLock lock = remote.leaseLock();
    long deadline = System.nanoTime() + shared.options.leaseWait.toNanos();
    try {
      while (true) {
        Optional<LeaseLock.Lease> lease = await(lock.tryAcquire(encoded, shared.options.leaseTime), RemoteOperation.LEASE);
        if (lease.isPresent()) {
          // the holder may have written the value just before we acquired
          V written = readRemote(encoded, memoryKey, flight);
          if (written != null) {
            release(lease.get());
            return new LeaseOutcome<>(written, Optional.empty());
          }
          return new LeaseOutcome<>(null, startRenewing(lease.get()));
        }
        V written = readRemote(encoded, memoryKey, flight);
        if (written != null) {
          return new LeaseOutcome<>(written, Optional.empty());
        }
        if (System.nanoTime() >= deadline) {
          return new LeaseOutcome<>(null, Optional.empty());
        }
        TimeUnit.MILLISECONDS.sleep(shared.options.leasePollInterval.toMillis());
      }
    } catch (RemoteFailure failure) {
      onRemoteFailure(failure);
      return new LeaseOutcome<>(null, Optional.empty());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new LeaseOutcome<>(null, Optional.empty());
    }
  }

  /** Renews the lease at a third of its lifetime while the load runs. */
  private Optional<LeaseLock.Lease> startRenewing(LeaseLock.Lease lease) {
    long period = Math.max(1, shared.options.leaseTime.toMillis() / 3);
    java.util.concurrent.ScheduledFuture<?> renewal =
        shared.scheduler.scheduleWithFixedDelay(
            () -> lease.renew(shared.options.leaseTime), period, period, TimeUnit.MILLISECONDS);
    return Optional.of(
        new LeaseLock.Lease() {
          @Override
          public String key() {
            return lease.key();
          }

          @Override
          public CompletableFuture<Boolean> renew(Duration leaseTime) {
            return lease.renew(leaseTime);
          }

          @Override
          public CompletableFuture<Boolean> release() {
            renewal.cancel(false);
            return lease.release();
          }
        });
  }

  private void release(LeaseLock.Lease lease) {
    try {
      lease.release().get(shared.options.remoteTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.debug("cache '{}': releasing a lease failed (it expires by itself): {}", name, e.toString());
    }
  }

  // ------------------------------------------------------------------ refresh ahead

  private void maybeRefreshAhead(K key, String memoryKey, V current) {
    Duration refreshAfter = shared.options.refreshAfterWrite;
    if (refreshAfter == null || settings.loader() == null) {
      return;
    }
    long writtenAt = shared.memory.writtenAtNanos(memoryKey);
    if (writtenAt < 0 || shared.memory.nowNanos() - writtenAt < refreshAfter.toNanos()) {
      return;
    }
    if (shared.refreshing.putIfAbsent(memoryKey, Boolean.TRUE) != null) {
      return;
    }
    try {
      shared.refreshExecutor.execute(() -> refresh(key, memoryKey, current));
    } catch (RuntimeException rejected) {
      shared.refreshing.remove(memoryKey);
    }
  }

  @SuppressWarnings("unchecked")
  private void refresh(K key, String memoryKey, V current) {
    try {
      long readStamp = shared.stamps.now();
      CacheLoader<K, V> loader = (CacheLoader<K, V>) settings.loader();
      long start = System.nanoTime();
      V fresh;
      try {
        fresh = loader.reload(key, current);
        instrumentation.recordLoadSuccess(System.nanoTime() - start);
      } catch (Exception e) {
        instrumentation.recordLoadFailure(System.nanoTime() - start);
        log.debug("cache '{}': refresh-ahead failed; the current value stays until it expires: {}", name, e.toString());
        return;
      }
      String encoded = encode(key);
      if (fresh == null) {
        return;
      }
      try {
        await(remote.put(encoded, fresh, settings.defaultTtl()), RemoteOperation.PUT);
      } catch (RemoteFailure failure) {
        onRemoteFailure(failure);
        return;
      }
      if (storeGuarded(memoryKey, fresh, min(settings.defaultTtl(), shared.options.memoryTtl), readStamp, null)) {
        instrumentation.recordPuts(1);
      }
    } catch (RuntimeException e) {
      log.debug("cache '{}': refresh-ahead failed: {}", name, e.toString());
    } finally {
      shared.refreshing.remove(memoryKey);
    }
  }

  // ------------------------------------------------------------------ writes

  @Override
  protected void store(K key, V value, Duration ttl) {
    String encoded = encode(key);
    String memoryKey = memoryKey(encoded);
    shared.stamps.invalidated(memoryKey);
    shared.memory.discard(memoryKey);
    try {
      await(remote.put(encoded, value, ttl), RemoteOperation.PUT);
    } catch (RemoteFailure failure) {
      onRemoteFailure(failure); // throws under STRICT, leaving memory without the key
      shared.memory.storeWithHandle(memoryKey, value, min(ttl, shared.options.degradedTtl));
      markDirty(encoded);
      return;
    }
    shared.stamps.invalidated(memoryKey);
    shared.memory.storeWithHandle(memoryKey, value, min(ttl, shared.options.memoryTtl));
    publish(memoryKey);
  }

  @Override
  protected void storeAll(Map<K, V> entries, Duration ttl) {
    Map<String, V> byEncoded = new LinkedHashMap<>();
    for (Map.Entry<K, V> e : entries.entrySet()) {
      String encoded = encode(e.getKey());
      byEncoded.put(encoded, e.getValue());
      String memoryKey = memoryKey(encoded);
      shared.stamps.invalidated(memoryKey);
      shared.memory.discard(memoryKey);
    }
    Duration memoryTtl = min(ttl, shared.options.memoryTtl);
    try {
      await(remote.putAll(byEncoded, ttl), RemoteOperation.PUT_ALL);
    } catch (RemoteFailure failure) {
      onRemoteFailure(failure);
      memoryTtl = min(ttl, shared.options.degradedTtl);
      byEncoded.keySet().forEach(this::markDirty);
    }
    List<String> memoryKeys = new ArrayList<>(byEncoded.size());
    for (Map.Entry<String, V> e : byEncoded.entrySet()) {
      String memoryKey = memoryKey(e.getKey());
      shared.stamps.invalidated(memoryKey);
      shared.memory.storeWithHandle(memoryKey, e.getValue(), memoryTtl);
      memoryKeys.add(memoryKey);
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
    List<String> memoryKeys = new ArrayList<>(keys.size());
    for (K key : keys) {
      String encoded = encode(key);
      encodedKeys.add(encoded);
      memoryKeys.add(memoryKey(encoded));
    }
    discardLocally(memoryKeys);
    try {
      await(remote.invalidate(encodedKeys), RemoteOperation.INVALIDATE);
    } catch (RemoteFailure failure) {
      onRemoteFailure(failure);
      encodedKeys.forEach(this::markDirty);
    }
    discardLocally(memoryKeys);
    publish(memoryKeys);
  }

  private void discardLocally(Collection<String> memoryKeys) {
    for (String memoryKey : memoryKeys) {
      shared.stamps.invalidated(memoryKey);
      shared.memory.discard(memoryKey);
    }
  }

  @Override
  protected void clear() {
    clearMemory();
    try {
      await(remote.invalidateAll(), RemoteOperation.INVALIDATE_ALL);
    } catch (RemoteFailure failure) {
      onRemoteFailure(failure);
      shared.dirtyOverflow = true;
    }
    clearMemory();
    Coherence coherence = shared.coherence;
    if (coherence != null) {
      coherence.publishClear();
    }
  }

  private void clearMemory() {
    shared.stamps.invalidatedAll();
    singleFlight.markAllStale();
    shared.memory.discardAll();
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

  @Override
  public Cache<K, V> forTenant(String tenantId) {
    Preconditions.requireNonNull(tenantId, "tenantId");
    checkOpen();
    Preconditions.requireState(root, "cache '" + name + "' is already a tenant view");
    try {
      Preconditions.requireCacheName(tenantId);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "tenantId must match [a-z0-9][a-z0-9_-]{0,62}: '" + Preconditions.printable(tenantId) + "'");
    }
    return tenants.computeIfAbsent(
        tenantId, id -> new TieredCache<>(settings, shared, remote.forTenant(id), id));
  }

  @Override
  public CachePolicy policy() {
    checkOpen();
    CachePolicy memoryPolicy = shared.memoryCache.policy();
    return new CachePolicy() {
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
              clearMemory();
              try {
                long removed = await(remote.invalidateMatching(glob), RemoteOperation.INVALIDATE);
                Coherence coherence = shared.coherence;
                if (coherence != null) {
                  coherence.publishClear();
                }
                return removed;
              } catch (RemoteFailure failure) {
                onRemoteFailure(failure);
                return 0L;
              }
            });
      }
    };
  }

  @Override
  protected boolean knowsEvictions() {
    return true;
  }

  /** The breaker of the remote tier, when it is decorated with one. */
  @Override
  public Optional<Object> circuitBreaker() {
    return remote.circuitBreaker();
  }

  /** The retry of the remote tier, when it is decorated with one. */
  @Override
  public Optional<Object> retry() {
    return remote.retry();
  }

  /** Memory and Redis: the metrics binder registers per-tier, Redis and crypto meters. */
  @Override
  public Set<Tier> tiers() {
    return Set.of(Tier.MEMORY, Tier.REDIS);
  }

  @Override
  protected CacheHealth currentHealth() {
    CacheHealth remoteHealth = remote.health();
    CacheHealth.Status remoteStatus =
        shared.degraded.get() ? CacheHealth.Status.DOWN : remoteHealth.status();
    CacheHealth.Status overall =
        remoteStatus == CacheHealth.Status.UP ? CacheHealth.Status.UP : CacheHealth.Status.DEGRADED;
    CacheHealth.Builder b =
        CacheHealth.newBuilder(overall)
            .tier(Tier.MEMORY, CacheHealth.Status.UP)
            .tier(Tier.REDIS, remoteStatus)
            .detail("failurePolicy", shared.options.failurePolicy)
            .detail("degraded", shared.degraded.get())
            .detail("lastError", shared.lastError)
            .detail("lastErrorTime", shared.lastErrorTime == null ? "never" : shared.lastErrorTime)
            .detail("dirtyKeysDuringOutage", shared.dirtyDuringOutage.size());
    Coherence coherence = shared.coherence;
    if (coherence != null) {
      b.detail("coherence.subscribed", coherence.isSubscribed())
          .detail("coherence.peers", coherence.peerCount())
          .detail("coherence.memoryClears", coherence.clearCount())
          .detail("coherence.malformedMessages", coherence.malformedCount())
          .detail("coherence.lastClearReason", coherence.lastClearReason());
    }
    remoteHealth.details().forEach((k, v) -> b.detail("redis." + k, v));
    for (Map.Entry<Tier, CacheHealth.Status> e : remoteHealth.tiers().entrySet()) {
      if (e.getKey() != Tier.REDIS && e.getKey() != Tier.MEMORY) {
        b.tier(e.getKey(), e.getValue());
      }
    }
    return b.build();
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
      V value = shared.memory.peek(memoryKey(encode(key)));
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
      return;
    }
    tenants.values().forEach(TieredCache::close);
    Coherence coherence = shared.coherence;
    if (coherence != null) {
      coherence.close();
    }
    shared.memoryCache.close();
    shared.rootRemote.close();
  }

  // ------------------------------------------------------------------ test seams

  void setTestHook(BiConsumer<String, Phase> hook) {
    shared.testHook = hook;
  }

  Coherence coherence() {
    return shared.coherence;
  }

  boolean isDegraded() {
    return shared.degraded.get();
  }
}
