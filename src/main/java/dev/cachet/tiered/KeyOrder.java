package dev.cachet.tiered;

import dev.cachet.internal.LocalTier;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one owner of per-key order between a tiered cache's memory tier and its remote tier. Every path
 * that changes what memory may hold goes through it: writes (put, invalidate, a degraded write),
 * invalidations from other instances, refills after a remote read, loads, refreshes and clears.
 *
 * <p><b>The guarantee</b> (checked by {@code KeyOrderLincheckTests} and {@code KeyOrderInterleavingTests}):
 * once the calls on one instance have settled, the memory entry of a key is either absent or the value
 * of the last write this instance applied to the remote tier, and a value read or loaded before a
 * write or invalidation began is never stored after it. The rules:
 *
 * <ul>
 *   <li>A write takes a stamp from a logical clock when it begins and drops the memory copy at once;
 *       while any write of the key is in flight, nothing is stored for it.
 *   <li>When a write ends, it stores its value only if it is the last write that began, no other write
 *       (or invalidation from another instance) overlapped it, and no clear overlapped it. Overlapping
 *       writes may reach the remote tier in either order (a retry can reorder them), so when they
 *       overlap the last one to end leaves memory empty instead of guessing: the next read goes to the
 *       remote tier.
 *   <li>Refills, loads and refreshes take a read stamp before their remote read and store only if no
 *       write of the key began <em>or ended</em> since, none is in flight and no clear happened since
 *       ({@link #storeIfUnchanged}). A write that began before the read but reached the remote tier
 *       after it ends after the read began, so its end stamp refuses the read's store.
 *   <li>A clear drops everything when it begins and again when it ends; writes and refills that
 *       overlap it store nothing.
 * </ul>
 *
 * <p>Stamps are local logical numbers; nothing is sent anywhere. Per-key state is kept only while it
 * matters: {@link #prune()} (once per coherence tick) raises a floor first, then forgets stamps at or
 * below it; a read that began before the floor is treated as overtaken, which costs a refill, never
 * correctness. The memory hit path does not touch this class.
 *
 * <p>Thread-safe. Decisions and memory stores for one key happen inside one {@link
 * ConcurrentHashMap#compute} of that key, so they cannot interleave with another decision on it.
 */
final class KeyOrder<V> {

  /** Per-key state; guarded by the key's bin in {@link #states}. */
  private static final class KeyState {
    long lastChange;
    int inFlight;
    boolean contended;
  }

  /** A write in progress; ended exactly once by {@link #endWrite}. */
  static final class Write {
    final String key;
    final long stamp;
    private boolean ended;

    Write(String key, long stamp) {
      this.key = key;
      this.stamp = stamp;
    }
  }

  /**
   * Asked inside a key's bin just before a value enters memory (coherence's hidden-name index, which
   * must see every stored key); refuses the store when a change of the key that this order could not
   * see by its memory key arrived after {@code sinceStamp}.
   */
  interface StoreGuard {
    boolean mayStore(String key, long sinceStamp);
  }

  private final LocalTier<String, V> memory;
  private volatile StoreGuard guard = (key, since) -> true;
  private final AtomicLong clock = new AtomicLong();
  private final ConcurrentHashMap<String, KeyState> states = new ConcurrentHashMap<>();
  private final AtomicLong clearsInFlight = new AtomicLong();
  private volatile long lastClear;
  private volatile long pruneFloor;
  private volatile long nextFloor;
  /** Test switch: when set, refills ignore the read-stamp guard (the refill-race test proves it matters). */
  volatile boolean refillGuardDisabledForTesting;

  KeyOrder(LocalTier<String, V> memory) {
    this.memory = memory;
  }

  void setStoreGuard(StoreGuard guard) {
    this.guard = guard;
  }

  /** A fresh stamp of the logical clock (a change that readers which began before it must not miss). */
  long stamp() {
    return clock.incrementAndGet();
  }

  /** The floor below which reads count as overtaken. */
  long pruneFloor() {
    return pruneFloor;
  }

  /** Runs {@code action} inside the bin of {@code key}, excluding any store of that key meanwhile. */
  void underKey(String key, Runnable action) {
    states.compute(
        key,
        (k, s) -> {
          action.run();
          return s;
        });
  }

  /**
   * Coherence lost messages: reads that began before now must not store what they read (memory itself
   * is left as it is; what it may serve is the fail-safe's business).
   */
  void overtakeReads() {
    lastClear = clock.incrementAndGet();
  }

  /** The stamp to take before a remote read whose result may be stored. */
  long readStamp() {
    return clock.get();
  }

  /** A write of {@code key} begins: memory's copy is dropped and refills of older reads are refused. */
  Write beginWrite(String key) {
    long[] stamp = new long[1];
    states.compute(
        key,
        (k, s) -> {
          if (s == null) {
            s = new KeyState();
          }
          stamp[0] = clock.incrementAndGet();
          s.lastChange = stamp[0];
          if (s.inFlight > 0) {
            s.contended = true;
          }
          s.inFlight++;
          memory.discard(k);
          return s;
        });
    return new Write(key, stamp[0]);
  }

  /**
   * Ends {@code write}. When {@code value} is non-null it is what the write applied remotely (or, for
   * a degraded write, kept in memory only) and is stored for {@code ttl} if the rules allow; otherwise
   * memory is left without the key. Returns whether the value was stored. Idempotent per write.
   */
  boolean endWrite(Write write, V value, Duration ttl) {
    boolean[] stored = new boolean[1];
    states.compute(
        write.key,
        (k, s) -> {
          if (write.ended || s == null) {
            return s;
          }
          write.ended = true;
          s.inFlight--;
          // the write's remote effect happened before now: reads that began before now may have
          // missed it, even if they began after the write did (found by KeyOrderLincheckTests)
          long ended = clock.incrementAndGet();
          boolean lastToBegin = s.lastChange == write.stamp;
          s.lastChange = ended;
          boolean mayStore =
              value != null
                  && !s.contended
                  && s.inFlight == 0
                  && lastToBegin
                  && clearsInFlight.get() == 0
                  && lastClear < write.stamp;
          if (mayStore && !guard.mayStore(k, write.stamp)) {
            mayStore = false;
          }
          if (mayStore) {
            Object handle = memory.storeWithHandle(k, value, ttl);
            if (clearsInFlight.get() != 0 || lastClear > write.stamp) {
              memory.removeIfSame(k, handle); // a clear began while we stored
            } else {
              stored[0] = true;
            }
          } else {
            memory.discard(k);
          }
          if (s.inFlight == 0) {
            s.contended = false;
          }
          return s;
        });
    return stored[0];
  }

  /**
   * Another instance changed {@code key}: memory's copy is dropped, older reads may not refill, and a
   * write of this instance still in flight will not store (the two may reach Redis in either order).
   */
  void changedElsewhere(String key) {
    states.compute(
        key,
        (k, s) -> {
          if (s == null) {
            s = new KeyState();
          }
          s.lastChange = clock.incrementAndGet();
          if (s.inFlight > 0) {
            s.contended = true;
          }
          memory.discard(k);
          return s;
        });
  }

  /**
   * Stores a value read or loaded by an operation that took {@code readStamp} before its remote read,
   * unless the key was written or invalidated since, a write of it is in flight, or the memory tier was
   * cleared since. Returns whether it stored.
   */
  boolean storeIfUnchanged(String key, long readStamp, V value, Duration ttl) {
    if (refillGuardDisabledForTesting) {
      memory.storeWithHandle(key, value, ttl);
      return true;
    }
    if (overtaken(readStamp)) {
      return false;
    }
    boolean[] stored = new boolean[1];
    states.compute(
        key,
        (k, s) -> {
          if (s != null && (s.inFlight > 0 || s.lastChange > readStamp)) {
            return s;
          }
          if (overtaken(readStamp) || !guard.mayStore(k, readStamp)) {
            return s;
          }
          Object handle = memory.storeWithHandle(k, value, ttl);
          if (overtaken(readStamp)) {
            memory.removeIfSame(k, handle);
          } else {
            stored[0] = true;
          }
          return s;
        });
    return stored[0];
  }

  private boolean overtaken(long readStamp) {
    return readStamp < pruneFloor || lastClear > readStamp || clearsInFlight.get() != 0;
  }

  /** A clear of the whole memory tier begins: everything is dropped and overlapping stores refused. */
  void beginClear() {
    clearsInFlight.incrementAndGet();
    lastClear = clock.incrementAndGet();
    memory.discardAll();
  }

  /** The clear begun by {@link #beginClear()} ended: drops whatever was stored meanwhile. */
  void endClear() {
    lastClear = clock.incrementAndGet();
    memory.discardAll();
    clearsInFlight.decrementAndGet();
  }

  /** A clear with nothing remote to wait for (coherence lost, a peer cleared). */
  void clear() {
    beginClear();
    endClear();
  }

  /**
   * Forgets settled stamps older than the previous call's clock: raises the floor first (reads older
   * than it count as overtaken), then drops state at or below it. Call about once a second.
   */
  void prune() {
    long floor = nextFloor;
    nextFloor = clock.get();
    if (floor > pruneFloor) {
      pruneFloor = floor;
      for (String key : states.keySet()) {
        states.computeIfPresent(key, (k, s) -> s.inFlight == 0 && s.lastChange <= floor ? null : s);
      }
    }
  }

  /** Keys with state (tests). */
  int trackedKeys() {
    return states.size();
  }

  /** Writes of {@code key} in flight (tests). */
  int inFlight(String key) {
    int[] count = new int[1];
    states.computeIfPresent(
        key,
        (k, s) -> {
          count[0] = s.inFlight;
          return s;
        });
    return count[0];
  }
}
