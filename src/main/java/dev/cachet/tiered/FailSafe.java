package dev.cachet.tiered;

import dev.cachet.internal.LocalTier;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * What a memory hit may serve while coherence is not assured. Two conditions, set by {@link Coherence}:
 *
 * <ul>
 *   <li><b>Unsure</b>: this instance cannot be sure it receives every invalidation (not subscribed yet,
 *       subscription lost or being confirmed, own heartbeat not heard, a peer silent). A memory entry is
 *       served only while younger than the bound; an older one is read again from the remote tier.
 *   <li><b>Suspect</b>: a message was lost (or may have been). Entries stored before that moment are
 *       served only while younger than the bound, until the memory TTL has passed and none can remain.
 * </ul>
 *
 * <p>The bound is {@code missedHeartbeats x heartbeatInterval}, or {@code degradedTtl} while the cache is
 * degraded (Redis is down: reading it again would only fail, so memory serves longer, as documented).
 * The memory hit path reads one volatile flag when neither condition holds. Thread-safe.
 */
final class FailSafe {

  private final LocalTier<String, ?> memory;
  private final long boundNanos;
  private final long degradedBoundNanos;
  private final long memoryTtlNanos;
  private final BooleanSupplier degraded;
  private final LongAdder bypassed = new LongAdder();
  private volatile boolean active;
  private volatile boolean unsure;
  private volatile boolean suspecting;
  private volatile long suspectBefore;
  private volatile long suspectUntil;

  FailSafe(
      LocalTier<String, ?> memory, long boundNanos, long degradedBoundNanos, long memoryTtlNanos,
      BooleanSupplier degraded) {
    this.memory = memory;
    this.boundNanos = boundNanos;
    this.degradedBoundNanos = degradedBoundNanos;
    this.memoryTtlNanos = memoryTtlNanos;
    this.degraded = degraded;
  }

  /** Whether hits must be checked with {@link #mayServe}: one volatile read. */
  boolean active() {
    return active;
  }

  /** Whether the memory entry of {@code key} may be served now (call only when {@link #active()}). */
  boolean mayServe(String key) {
    long written = memory.writtenAtNanos(key);
    if (written == -1) {
      return true;
    }
    long now = memory.nowNanos();
    boolean trusted = !unsure && !(suspecting && written - suspectBefore <= 0);
    if (trusted) {
      return true;
    }
    long bound = degraded.getAsBoolean() ? Math.max(boundNanos, degradedBoundNanos) : boundNanos;
    if (now - written <= bound) {
      return true;
    }
    bypassed.increment();
    return false;
  }

  void setUnsure(boolean value) {
    unsure = value;
    refresh();
  }

  boolean isUnsure() {
    return unsure;
  }

  /** Entries stored before now are suspect until the memory TTL has passed. */
  void suspectOlderEntries() {
    long now = memory.nowNanos();
    suspectBefore = now;
    suspectUntil = now + memoryTtlNanos;
    suspecting = true;
    refresh();
  }

  /** Once per tick: ends the suspect window when no entry stored before it can remain. */
  void tick() {
    if (suspecting && memory.nowNanos() - suspectUntil > 0) {
      suspecting = false;
    }
    refresh();
  }

  private void refresh() {
    active = unsure || suspecting;
  }

  /** Memory hits not served because the entry was older than the bound. */
  long bypassed() {
    return bypassed.sum();
  }

  String state() {
    return unsure ? "unsure" : suspecting ? "suspect-older-entries" : "in-sync";
  }
}
