package dev.cachet.internal;

import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.CacheStats;
import dev.cachet.Tier;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The recorder each cache owns: counts everything in {@link LongAdder}s (the source of {@link
 * CacheStats} and of the pull-style Micrometer meters, so the two always agree) and forwards every call
 * to one attachable listener, guarded, for push-style meters such as timers. Thread-safe; no allocation
 * per call.
 */
public final class CacheInstrumentation implements StatsRecorder {

  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder loadSuccesses = new LongAdder();
  private final LongAdder loadFailures = new LongAdder();
  private final LongAdder totalLoadTime = new LongAdder();
  private final LongAdder puts = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder evictionWeight = new LongAdder();
  private final LongAdder removals = new LongAdder();
  private final LongAdder counterAttempts = new LongAdder();
  private final LongAdder counterConflicts = new LongAdder();
  private final LongAdder counterUnknownOutcomes = new LongAdder();
  private final LongAdder duplicateLoads = new LongAdder();
  private final LongAdder[] tierHits = adders(Tier.values().length);
  private final LongAdder[] tierMisses = adders(Tier.values().length);
  private final LongAdder[] decryptionFailures = adders(DecryptionFailureReason.values().length);
  private final LongAdder[][] remoteErrors =
      new LongAdder[RemoteOperation.values().length][];
  private volatile boolean degraded;
  private volatile java.time.Duration defaultTtl;
  private final java.util.concurrent.atomic.LongAdder removalListenerFailures =
      new java.util.concurrent.atomic.LongAdder();

  /** Counts a removal listener call that threw (contained). */
  public void recordRemovalListenerFailure() {
    removalListenerFailures.increment();
  }

  /** Removal listener calls that threw. */
  public long removalListenerFailureCount() {
    return removalListenerFailures.sum();
  }
  private volatile boolean memoryHitsDerived;
  private volatile StatsRecorder listener = StatsRecorder.noop();

  public CacheInstrumentation() {
    for (int i = 0; i < remoteErrors.length; i++) {
      remoteErrors[i] = adders(RemoteErrorReason.values().length);
    }
  }

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  /** Attaches the listener every call is forwarded to (replacing any previous one), guarded. */
  public void attach(StatsRecorder recorder) {
    this.listener = StatsRecorder.guarded(Preconditions.requireNonNull(recorder, "recorder"));
  }

  /** Detaches the listener. */
  public void detach() {
    this.listener = StatsRecorder.noop();
  }

  @Override
  public void recordHits(int count) {
    hits.add(count);
    listener.recordHits(count);
  }

  @Override
  public void recordMisses(int count) {
    misses.add(count);
    listener.recordMisses(count);
  }

  @Override
  public void recordTierGet(Tier tier, boolean hit, int count) {
    (hit ? tierHits : tierMisses)[tier.ordinal()].add(count);
    listener.recordTierGet(tier, hit, count);
  }

  @Override
  public void recordLoadSuccess(long loadTimeNanos) {
    loadSuccesses.increment();
    totalLoadTime.add(loadTimeNanos);
    listener.recordLoadSuccess(loadTimeNanos);
  }

  @Override
  public void recordLoadFailure(long loadTimeNanos) {
    loadFailures.increment();
    totalLoadTime.add(loadTimeNanos);
    listener.recordLoadFailure(loadTimeNanos);
  }

  @Override
  public void recordPuts(int count) {
    puts.add(count);
    listener.recordPuts(count);
  }

  @Override
  public void recordEviction(int weight) {
    evictions.increment();
    evictionWeight.add(weight);
    listener.recordEviction(weight);
  }

  @Override
  public void recordRemovals(int count) {
    removals.add(count);
    listener.recordRemovals(count);
  }

  @Override
  public void recordRemoteOperation(RemoteOperation operation, long nanos, boolean success) {
    listener.recordRemoteOperation(operation, nanos, success);
  }

  @Override
  public void recordRemoteError(RemoteOperation operation, RemoteErrorReason reason) {
    remoteErrors[operation.ordinal()][reason.ordinal()].increment();
    listener.recordRemoteError(operation, reason);
  }

  @Override
  public void recordEncryption(long nanos, int plaintextBytes) {
    listener.recordEncryption(nanos, plaintextBytes);
  }

  @Override
  public void recordDecryption(long nanos, int plaintextBytes) {
    listener.recordDecryption(nanos, plaintextBytes);
  }

  @Override
  public void recordDecryptionFailure(DecryptionFailureReason reason) {
    decryptionFailures[reason.ordinal()].increment();
    listener.recordDecryptionFailure(reason);
  }

  /** A counter compare-and-set sent to the remote tier (a change, or the creation of a zero counter). */
  public void recordCounterAttempt() {
    counterAttempts.increment();
  }

  /** A counter compare-and-set that found the counter changed by another writer. */
  public void recordCounterConflict() {
    counterConflicts.increment();
  }

  /** A counter change that ended in {@code CounterOutcomeUnknownException}. */
  public void recordCounterUnknownOutcome() {
    counterUnknownOutcomes.increment();
  }

  public long counterAttemptCount() {
    return counterAttempts.sum();
  }

  public long counterConflictCount() {
    return counterConflicts.sum();
  }

  public long counterUnknownOutcomeCount() {
    return counterUnknownOutcomes.sum();
  }

  @Override
  public void recordDegraded(boolean degraded) {
    this.degraded = degraded;
    listener.recordDegraded(degraded);
  }

  public long hitCount() {
    return hits.sum();
  }

  public long missCount() {
    return misses.sum();
  }

  public long loadSuccessCount() {
    return loadSuccesses.sum();
  }

  public long loadFailureCount() {
    return loadFailures.sum();
  }

  public long totalLoadTimeNanos() {
    return totalLoadTime.sum();
  }

  public long putCount() {
    return puts.sum();
  }

  public long evictionCount() {
    return evictions.sum();
  }

  public long evictionWeight() {
    return evictionWeight.sum();
  }

  public long removalCount() {
    return removals.sum();
  }

  public long tierGetCount(Tier tier, boolean hit) {
    if (memoryHitsDerived && hit && tier == Tier.MEMORY) {
      return Math.max(0, hits.sum() - tierHits[Tier.REDIS.ordinal()].sum());
    }
    return (hit ? tierHits : tierMisses)[tier.ordinal()].sum();
  }

  /**
   * For a tiered cache, whose every hit is a memory hit or a Redis hit: memory hits are then derived as
   * hits minus Redis hits, so the memory-hit path increments one counter instead of two. Exact for
   * sequential use; under concurrency it is approximate in two rare cases: callers that waited for
   * another caller's Redis read count as hits without a Redis hit of their own (the figure runs
   * slightly high), and Redis reads made while waiting for another instance's load count as Redis hits
   * without being whole-cache hits (slightly low).
   */
  public void deriveMemoryHits() {
    memoryHitsDerived = true;
  }

  public long decryptionFailureCount(DecryptionFailureReason reason) {
    return decryptionFailures[reason.ordinal()].sum();
  }

  public long remoteErrorCount(RemoteOperation operation, RemoteErrorReason reason) {
    return remoteErrors[operation.ordinal()][reason.ordinal()].sum();
  }

  /** Decryption failures by reason, only reasons seen. */
  public Map<DecryptionFailureReason, Long> decryptionFailures() {
    Map<DecryptionFailureReason, Long> map = new EnumMap<>(DecryptionFailureReason.class);
    for (DecryptionFailureReason r : DecryptionFailureReason.values()) {
      long n = decryptionFailures[r.ordinal()].sum();
      if (n > 0) {
        map.put(r, n);
      }
    }
    return map;
  }

  /**
   * Counts a load this instance runs without the cross-instance lease although another instance may be
   * loading the same key (the wait for the holder's value ran out, or the lease could not be taken).
   */
  public void recordDuplicateLoad() {
    duplicateLoads.increment();
  }

  /** Loads run without the cross-instance lease; see {@link #recordDuplicateLoad()}. */
  public long duplicateLoadCount() {
    return duplicateLoads.sum();
  }

  /** The cache's current default time to live (set by the cache, read by stats and meters); may be null. */
  public java.time.Duration defaultTtl() {
    return defaultTtl;
  }

  /** Records the cache's current default time to live. */
  public void recordDefaultTtl(java.time.Duration ttl) {
    this.defaultTtl = ttl;
  }

  public boolean isDegraded() {
    return degraded;
  }

  /**
   * A snapshot with every count this recorder keeps; callers drop the figures their cache cannot know
   * with {@link #snapshot(boolean)}.
   */
  public CacheStats snapshot() {
    return snapshot(true);
  }

  /** A snapshot; {@code knowsEvictions} false leaves the eviction count absent (remote-only caches). */
  public CacheStats snapshot(boolean knowsEvictions) {
    CacheStats.Builder b =
        CacheStats.newBuilder()
            .hitCount(hitCount())
            .missCount(missCount())
            .loadSuccessCount(loadSuccessCount())
            .loadFailureCount(loadFailureCount())
            .totalLoadTimeNanos(totalLoadTimeNanos())
            .putCount(putCount())
            .removalCount(removalCount());
    if (knowsEvictions) {
      b.evictionCount(evictionCount());
    }
    java.time.Duration ttl = defaultTtl;
    if (ttl != null) {
      b.defaultTtl(ttl);
    }
    return b.build();
  }
}
