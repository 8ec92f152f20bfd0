package dev.cachet.tiered;

import dev.cachet.CacheUnavailableException;
import dev.cachet.Tier;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.spi.RemoteTier;
import dev.cachet.spi.RemoteTierException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outage tracking and recovery of one tiered cache (shared by its tenant views): whether it is degraded,
 * which keys were written to memory only while the remote tier failed, and getting back.
 *
 * <p>Under {@link FailurePolicy#SERVE_DEGRADED} a failed remote call degrades the cache; writes made
 * meanwhile live in memory only (for {@code degradedTtl}) and their keys are <em>dirty</em>: their
 * remote copy may be older, so it is not read back. Recovery starts when a remote call succeeds again
 * or a probe (at most one per tick, asynchronous) answers. It invalidates the dirty keys remotely,
 * publishes an invalidation for exactly those keys to other instances (a CLEAR only when more keys
 * were dirty than {@code maxDirtyKeys}), and repeats until no key is dirty; only then is the cache no
 * longer degraded. Nothing here blocks a scheduler thread: probes and recovery are chains of futures.
 *
 * <p>Thread-safe; one recovery runs at a time.
 */
final class Outage {

  private static final Logger log = LoggerFactory.getLogger(Outage.class);
  static final String PROBE_KEY = "\0cachet-probe";

  /** A key written to memory only during an outage. */
  record DirtyKey(String tenant, String encoded, String memoryKey) {}

  /** Announces recovered keys to other instances. */
  interface Announcer {
    void invalidated(List<String> memoryKeys);

    void cleared();

    /** The whole of one tenant was invalidated remotely; {@code tenant} is the tenant id. */
    void tenantCleared(String tenant);
  }

  private final String name;
  private final RemoteTier<?> rootRemote;
  private final TieredCacheBuilder.Options options;
  private final Clock clock;
  private final CacheInstrumentation instrumentation;
  private final Announcer announcer;
  private final AtomicBoolean degraded = new AtomicBoolean();
  private final AtomicBoolean recovering = new AtomicBoolean();
  private final AtomicBoolean probing = new AtomicBoolean();
  private final Map<String, DirtyKey> dirty = new ConcurrentHashMap<>();
  private volatile boolean dirtyOverflow;
  /** Tenants whose whole remote data may be older than memory (a tenant clear failed): id -> memory prefix. */
  private final Map<String, String> dirtyTenants = new ConcurrentHashMap<>();
  private volatile String lastError = "none";
  private volatile Instant lastErrorTime;
  private volatile boolean closed;

  Outage(
      String name,
      RemoteTier<?> rootRemote,
      TieredCacheBuilder.Options options,
      Clock clock,
      CacheInstrumentation instrumentation,
      Announcer announcer) {
    this.name = name;
    this.rootRemote = rootRemote;
    this.options = options;
    this.clock = clock;
    this.instrumentation = instrumentation;
    this.announcer = announcer;
  }

  boolean isDegraded() {
    return degraded.get();
  }

  String lastError() {
    return lastError;
  }

  Instant lastErrorTime() {
    return lastErrorTime;
  }

  int dirtyCount() {
    return dirty.size();
  }

  /**
   * Applies the failure policy to a failed remote call: counts and logs (once per state change) and
   * degrades under {@code SERVE_DEGRADED}; throws {@link CacheUnavailableException} under {@code
   * STRICT} (the cache is marked degraded too, so it recovers the same way).
   */
  void onFailure(RemoteOperation operation, Throwable cause) {
    if (!(cause instanceof RemoteTierException)
        || ((RemoteTierException) cause).reason() == RemoteErrorReason.CIRCUIT_OPEN) {
      instrumentation.recordRemoteError(operation, RemoteErrors.classify(cause));
    }
    Throwable reported =
        cause instanceof RemoteTierException && cause.getCause() != null ? cause.getCause() : cause;
    lastError = reported.getClass().getName();
    lastErrorTime = clock.instant();
    if (degraded.compareAndSet(false, true)) {
      instrumentation.recordDegraded(true);
      log.warn(
          "cache '{}': the remote tier failed ({}: {}); {}",
          name, cause.getClass().getSimpleName(), cause.getMessage(),
          options.failurePolicy == FailurePolicy.STRICT
              ? "calls throw CacheUnavailableException until it is back (STRICT)"
              : "serving from memory and loaders until it is back");
    }
    if (options.failurePolicy == FailurePolicy.STRICT) {
      throw new CacheUnavailableException(
          name, Tier.REDIS,
          "cache '" + name + "': the Redis tier is unavailable (" + operation.tagValue() + "): "
              + cause.getClass().getSimpleName(),
          cause);
    }
  }

  /** A remote call succeeded: if degraded, recovery starts (asynchronously). */
  void onSuccess() {
    if (degraded.get()) {
      startRecovery();
    }
  }

  /** Marks a key written to memory only; beyond {@code maxDirtyKeys}, recovery clears everything. */
  void markDirty(String tenant, String encoded, String memoryKey) {
    if (dirty.size() >= options.maxDirtyKeys) {
      dirtyOverflow = true;
      return;
    }
    dirty.put(memoryKey, new DirtyKey(tenant, encoded, memoryKey));
  }

  /** Marks every key dirty (an {@code invalidateAll} that failed remotely). */
  void markAllDirty() {
    dirtyOverflow = true;
  }

  /**
   * Marks one tenant wholly dirty (its {@code invalidateAll} or pattern invalidation failed remotely):
   * its keys are not read from the remote tier until recovery has invalidated the whole tenant there.
   * Other tenants are not affected.
   */
  void markTenantDirty(String tenant, String memoryPrefix) {
    dirtyTenants.put(tenant, memoryPrefix);
  }

  /** Whether the remote copy of {@code memoryKey} may be older than a memory-only write. */
  boolean isDirty(String memoryKey) {
    return dirtyOverflow
        || (!dirty.isEmpty() && dirty.containsKey(memoryKey))
        || (!dirtyTenants.isEmpty() && inDirtyTenant(memoryKey));
  }

  private boolean inDirtyTenant(String memoryKey) {
    for (String prefix : dirtyTenants.values()) {
      if (memoryKey.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** Called once per tick: probes the remote tier while degraded, at most one probe at a time. */
  void tick() {
    if (!degraded.get() || closed || recovering.get() || !probing.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<?> probe;
    try {
      probe = rootRemote.get(PROBE_KEY);
    } catch (RuntimeException e) {
      probing.set(false);
      return;
    }
    probe
        .orTimeout(options.remoteTimeout.toNanos(), TimeUnit.NANOSECONDS)
        .whenComplete(
            (ok, error) -> {
              probing.set(false);
              if (error == null) {
                startRecovery();
              }
            });
  }

  /** Starts a recovery pass unless one runs; never blocks. */
  void startRecovery() {
    if (closed || !degraded.get() || !recovering.compareAndSet(false, true)) {
      return;
    }
    recoverPass(0);
  }

  private void recoverPass(int pass) {
    boolean overflow = dirtyOverflow;
    List<DirtyKey> snapshot = new ArrayList<>(dirty.values());
    Map<String, String> tenants = new HashMap<>(dirtyTenants);
    CompletableFuture<Void> work;
    try {
      work = overflow ? rootRemote.invalidateAll() : invalidateRemotely(snapshot, tenants.keySet());
    } catch (RuntimeException e) {
      work = CompletableFuture.failedFuture(e);
    }
    work.orTimeout(options.remoteTimeout.toNanos(), TimeUnit.NANOSECONDS)
        .whenComplete(
            (ok, error) -> {
              if (error != null || closed) {
                recovering.set(false); // not back yet: the next tick probes again
                return;
              }
              for (DirtyKey key : snapshot) {
                dirty.remove(key.memoryKey(), key);
              }
              tenants.forEach(dirtyTenants::remove);
              if (!overflow) {
                tenants.keySet().forEach(announcer::tenantCleared);
              }
              if (overflow) {
                dirtyOverflow = false;
                announcer.cleared();
              } else if (!snapshot.isEmpty()) {
                List<String> memoryKeys = new ArrayList<>(snapshot.size());
                snapshot.forEach(k -> memoryKeys.add(k.memoryKey()));
                announcer.invalidated(memoryKeys);
              }
              if ((dirty.isEmpty() && dirtyTenants.isEmpty() && !dirtyOverflow) || pass >= 100) {
                finishRecovery(overflow, snapshot.size(), pass);
              } else {
                recoverPass(pass + 1); // keys dirtied while this pass ran
              }
            });
  }

  private void finishRecovery(boolean overflow, int count, int pass) {
    if (degraded.compareAndSet(true, false)) {
      instrumentation.recordDegraded(false);
      log.info(
          "cache '{}': the remote tier is back; {} keys written during the outage were invalidated{}",
          name, overflow ? "all" : Integer.toString(count),
          pass > 0 ? " (" + (pass + 1) + " passes)" : "");
    }
    recovering.set(false);
    if ((!dirty.isEmpty() || !dirtyTenants.isEmpty() || dirtyOverflow) && degraded.compareAndSet(false, true)) {
      instrumentation.recordDegraded(true); // dirtied during the last pass: recover those too
      startRecovery();
    }
  }

  private CompletableFuture<Void> invalidateRemotely(List<DirtyKey> keys, java.util.Set<String> wholeTenants) {
    if (keys.isEmpty() && wholeTenants.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    Map<String, List<String>> byTenant = new HashMap<>();
    for (DirtyKey key : keys) {
      byTenant.computeIfAbsent(key.tenant(), t -> new ArrayList<>()).add(key.encoded());
    }
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (String tenant : wholeTenants) {
      all.add(rootRemote.forTenant(tenant).invalidateAll());
    }
    for (Map.Entry<String, List<String>> e : byTenant.entrySet()) {
      RemoteTier<?> target = e.getKey().isEmpty() ? rootRemote : rootRemote.forTenant(e.getKey());
      all.add(target.invalidate(e.getValue()));
    }
    return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
  }

  /** Stops probing and recovering. */
  void close() {
    closed = true;
  }
}
