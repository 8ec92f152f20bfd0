package dev.cachet.tiered;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Guards memory refills against the refill race: instance B reads v1 from Redis, A's invalidation
 * arrives, then B stores v1 in memory. Every invalidation (local or from another instance) stamps its
 * memory key with a logical clock; a refill whose Redis read began before that stamp is dropped (or
 * undone, if it was stored in between). Stamps are pruned once per coherence tick; a read that began
 * before the last prune is treated as invalidated, which only costs a refill, never correctness.
 */
final class InvalidationStamps {
  private final AtomicLong clock = new AtomicLong();
  private final ConcurrentHashMap<String, Long> lastInvalidated = new ConcurrentHashMap<>();
  private volatile long lastClear;
  private volatile long pruneFloor;
  private volatile long nextFloor;

  /** The stamp to take before a remote read begins. */
  long now() {
    return clock.get();
  }

  /** Records an invalidation of {@code memoryKey}. */
  void invalidated(String memoryKey) {
    lastInvalidated.put(memoryKey, clock.incrementAndGet());
  }

  /** Records that the whole memory tier was invalidated. */
  void invalidatedAll() {
    lastClear = clock.incrementAndGet();
  }

  /** Whether {@code memoryKey} may have been invalidated after a read that began at {@code readStamp}. */
  boolean invalidatedSince(String memoryKey, long readStamp) {
    if (readStamp < pruneFloor || lastClear > readStamp) {
      return true;
    }
    Long stamp = lastInvalidated.get(memoryKey);
    return stamp != null && stamp > readStamp;
  }

  /** Forgets stamps older than the previous prune; reads older than that count as invalidated. */
  void prune() {
    long floor = nextFloor;
    nextFloor = clock.get();
    if (floor > pruneFloor) {
      lastInvalidated.values().removeIf(stamp -> stamp <= floor);
      pruneFloor = floor;
    }
  }

  int size() {
    return lastInvalidated.size();
  }
}
