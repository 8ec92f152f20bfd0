package dev.cachet.spi;

import dev.cachet.CacheHealth;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A shared remote tier of one cache, keyed by <em>encoded</em> keys (the output of the cache's {@code
 * KeyCodec}). Implemented by the Redis tier, decorated by the resilience layer, composed by the tiered
 * cache; implement it to put a tiered cache in front of another store (see the package
 * documentation).
 *
 * <p>All operations are asynchronous and never block the caller; they complete exceptionally on remote
 * failures (the resilience decorator classifies and retries them). A value the caller gave that cannot
 * be stored (too large once serialized, or not serializable) is refused by {@code put}, {@code putAll},
 * {@code putIfAbsent} and {@code replace} <em>synchronously</em>, before anything is sent, by throwing
 * {@link dev.cachet.InvalidValueException}; decorators let it through untouched (never retried, never
 * recorded by a breaker), and the tiered cache rethrows it to the caller. An entry that cannot be opened
 * (tampered, foreign key, expired envelope, undeserializable) is reported as absent, counted, never
 * thrown. Values are sealed before they leave the process. Thread-safe.
 *
 * <p><b>Where reads decode.</b> A read's decoding (decryption, decompression, deserialization) runs on
 * the {@link Executor} the caller passes to {@link #get(String, Executor)} and {@link
 * #getAll(Collection, Executor)}, never on the client's I/O threads, which only move bytes. A
 * synchronous caller passes an executor that runs the step on its own thread once the bytes have
 * arrived ({@code dev.cachet.internal.CallerRunsExecutor}); the one-argument forms use {@link
 * #decodeExecutor()}. Decorators pass the caller's executor through.
 *
 * @param <V> the value type
 */
public interface RemoteTier<V> extends AutoCloseable {

  /** The name of the cache this tier serves. */
  String cacheName();

  /**
   * Completes with the entry of {@code key}, or null when absent (or unreadable); the value is decoded
   * on {@code decoder} (see the class documentation), which the returned future may complete on.
   */
  CompletableFuture<RemoteEntry<V>> get(String key, Executor decoder);

  /**
   * Completes with the readable entries of {@code keys}, absent keys missing; decoded on {@code
   * decoder}.
   */
  CompletableFuture<Map<String, RemoteEntry<V>>> getAll(Collection<String> keys, Executor decoder);

  /** {@link #get(String, Executor)} decoding on {@link #decodeExecutor()}. */
  default CompletableFuture<RemoteEntry<V>> get(String key) {
    return get(key, decodeExecutor());
  }

  /** {@link #getAll(Collection, Executor)} decoding on {@link #decodeExecutor()}. */
  default CompletableFuture<Map<String, RemoteEntry<V>>> getAll(Collection<String> keys) {
    return getAll(keys, decodeExecutor());
  }

  /**
   * Where reads decode when the caller names no executor (asynchronous callers): the Redis tier's is
   * configurable and by default a small pool of daemon threads, never {@code
   * ForkJoinPool.commonPool()}. The default runs the step on the thread that completes the read, for
   * tiers with nothing expensive to decode.
   */
  default Executor decodeExecutor() {
    return Runnable::run;
  }

  /** Stores {@code value} for {@code ttl}. */
  CompletableFuture<Void> put(String key, V value, Duration ttl);

  /**
   * Stores {@code value} only if {@code key} holds no entry ({@code SET NX}), so a loaded value never
   * overwrites a newer one written meanwhile. Completes with whether it was stored. The default falls
   * back to {@link #put} for tiers that cannot do better.
   */
  default CompletableFuture<Boolean> putIfAbsent(String key, V value, Duration ttl) {
    return put(key, value, ttl).thenApply(ignored -> Boolean.TRUE);
  }

  /**
   * Compare-and-set on one key: stores {@code value} for {@code ttl} only if {@code key} still holds
   * exactly the bytes {@code expected} was read from ({@link RemoteEntry#token()}), or, when {@code
   * expected} is null, only if {@code key} holds no entry. One single-key atomic command (a Lua script
   * on Redis), so it works on a cluster. Completes with whether it stored. Refresh-ahead uses it so that
   * a reload never overwrites a write or an invalidation that happened after its read.
   *
   * <p>The default supports only {@code expected == null} (through {@link #putIfAbsent}) and completes
   * with {@code false} otherwise, which is safe (the refresh is dropped) but never refreshes.
   */
  default CompletableFuture<Boolean> replace(String key, RemoteEntry<V> expected, V value, Duration ttl) {
    if (expected == null) {
      return putIfAbsent(key, value, ttl);
    }
    return CompletableFuture.completedFuture(Boolean.FALSE);
  }

  /** Stores every entry for {@code ttl}, as commands pipelined together. */
  CompletableFuture<Void> putAll(Map<String, V> entries, Duration ttl);

  /** Removes {@code keys}. */
  CompletableFuture<Void> invalidate(Collection<String> keys);

  /**
   * Removes every entry of the cache: nothing written before the returned future completes is readable
   * after it. Must not walk the keyspace on the caller's path.
   */
  CompletableFuture<Void> invalidateAll();

  /**
   * Removes every entry whose encoded key matches {@code glob} ({@code *} and {@code ?} only; other
   * characters literal). Completes with the number removed.
   *
   * @throws UnsupportedOperationException never: tiers without the capability complete exceptionally
   *     with it, and the cache's {@code policy()} hides it
   */
  CompletableFuture<Long> invalidateMatching(String glob);

  /** Whether {@link #invalidateMatching(String)} is available (e.g. not with hidden key names). */
  boolean supportsPatternInvalidation();

  /** The same cache scoped to {@code tenantId}: a validated key segment, sharing connections. */
  RemoteTier<V> forTenant(String tenantId);

  /**
   * How {@code tenantId} may be named on this cache's invalidation channel, which anyone allowed to
   * subscribe can read: {@code "t." + tenantId} by default; a tier that hides key names returns {@code
   * "h."} and a keyed hash instead. The same on every instance of the cache; called when a tenant view
   * is made, never on a hit.
   */
  default String announcedTenantId(String tenantId) {
    return "t." + tenantId;
  }

  /** The invalidation channel of this cache (shared by its tenant views). */
  InvalidationBus invalidationBus();

  /** Leases for cross-instance single-flight. */
  LeaseLock leaseLock();

  /**
   * Re-reads state that other instances may have changed behind this tier's back (the Redis tier's
   * {@code invalidateAll} generation, which it otherwise refreshes periodically). The tiered cache
   * calls it when coherence tells it another instance invalidated the whole cache, or that messages
   * may have been lost. Completes when done; the default has nothing to re-read.
   */
  default CompletableFuture<Void> resynchronize() {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * The tier's atomic counters, keyed by <em>encoded</em> keys (sealed, compare-and-set, at most once
   * under retries; see {@link dev.cachet.Counters}), when it has them; the caches check and encode their
   * keys and delegate. The default has none.
   */
  default java.util.Optional<dev.cachet.Counters<String>> counters() {
    return java.util.Optional.empty();
  }

  /**
   * Whether this tier hides key names (stores them as keyed hashes); invalidation messages then carry
   * {@link #hiddenName} instead of keys. The default does not hide them.
   */
  default boolean hidesKeyNames() {
    return false;
  }

  /**
   * The hidden name of {@code key} in tenant {@code tenantId} (null: no tenant), as this tier's own
   * storage names it (the Redis tier: the key-name HMAC), or null when names are not hidden. Called on
   * the cache's root tier for writes, never on a memory hit. Must not throw for a valid encoded key.
   */
  default String hiddenName(String tenantId, String key) {
    return null;
  }

  /** The timeout of one remote command, when the tier has one. */
  default java.util.Optional<java.time.Duration> commandTimeout() {
    return java.util.Optional.empty();
  }

  /**
   * The longest one operation can take, retries included (a decorator's figure); empty when unknown.
   * The tiered cache waits at least this long before giving up on a call.
   */
  default java.util.Optional<java.time.Duration> worstCaseLatency() {
    return commandTimeout();
  }

  /** The tier's own health (connection state, key id in use, ...). */
  CacheHealth health();

  /** Releases what the tier created; borrowed connections stay open. Idempotent. */
  @Override
  void close();

  // ---------------------------------------------------------------- issue 19: conditional operations

  /**
   * Completes with whether {@code key} holds a readable entry, verifying it as {@link #get} would
   * (authentication, key binding, expiry) but without decoding its payload. The default reads the entry
   * with {@link #get}; tiers that can check without deserializing override it.
   */
  default CompletableFuture<Boolean> contains(String key) {
    return get(key).thenApply(java.util.Objects::nonNull);
  }

  /**
   * Compare-and-delete on one key: removes {@code key} only if it still holds exactly the bytes {@code
   * expected} was read from ({@link RemoteEntry#token()}). Completes with whether it removed. One
   * single-key atomic command; {@link dev.cachet.Cache#compute} uses it when the function returns null.
   * The default completes exceptionally with {@link UnsupportedOperationException}.
   */
  default CompletableFuture<Boolean> removeIfSame(String key, RemoteEntry<V> expected) {
    return CompletableFuture.failedFuture(
        new UnsupportedOperationException(
            "remote tier of cache '" + cacheName() + "' cannot compare-and-delete"));
  }
}
