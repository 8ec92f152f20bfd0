package dev.cachet.internal;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * A small lock-free pool of reusable, non-thread-safe objects (JCE {@code Cipher}/{@code Mac} sets,
 * decryption buffers, {@code Inflater}s). Thread-safe.
 *
 * <p>{@link #acquire()} takes an idle object or creates a new one on a miss; {@link #release(Object)}
 * puts it back if a slot is free and otherwise drops it for the garbage collector. The pool therefore
 * never blocks and never holds more than {@link #capacity()} idle objects, however many threads pass
 * through. This is why it is used instead of a {@code ThreadLocal}: a million virtual threads would
 * each build (and keep alive while they live) their own {@code Cipher} and {@code Mac}, while here they
 * share the few that are idle.
 *
 * <p>Each thread starts probing at a slot derived from its identity, so a platform thread usually gets
 * back the object it released last (warm caches) and threads rarely contend for the same slot.
 */
public final class BoundedPool<T> {
  private final AtomicReferenceArray<T> slots;
  private final int mask;
  private final Supplier<T> factory;

  /** A pool keeping at most {@code capacity} (rounded up to a power of two) idle objects made by {@code factory}. */
  public BoundedPool(int capacity, Supplier<T> factory) {
    int size = capacity <= 1 ? 1 : Integer.highestOneBit(capacity - 1) << 1;
    this.slots = new AtomicReferenceArray<>(size);
    this.mask = size - 1;
    this.factory = factory;
  }

  /** A capacity suited to this machine: twice the processors, 8..64 (then rounded up to a power of two). */
  public static int defaultCapacity() {
    int wanted = 2 * Runtime.getRuntime().availableProcessors();
    return Math.min(64, Math.max(8, wanted));
  }

  /** An idle object, or a new one from the factory when none is idle; never blocks. */
  public T acquire() {
    int start = probe();
    for (int i = 0; i <= mask; i++) {
      int index = (start + i) & mask;
      T item = slots.get(index);
      if (item != null && slots.compareAndSet(index, item, null)) {
        return item;
      }
    }
    return factory.get();
  }

  /** Returns {@code item} to the pool, or drops it when every slot is taken; never blocks. */
  public void release(T item) {
    offer(item);
  }

  /**
   * Returns {@code item} to the pool and answers true, or answers false when every slot is taken: the
   * caller then owns {@code item} and frees what it holds outside the heap (an {@code end()}ed {@code
   * Deflater}). Never blocks.
   */
  public boolean offer(T item) {
    int start = probe();
    for (int i = 0; i <= mask; i++) {
      int index = (start + i) & mask;
      if (slots.get(index) == null && slots.compareAndSet(index, null, item)) {
        return true;
      }
    }
    return false; // pool full: the caller drops the object
  }

  /** How many idle objects the pool may hold. */
  public int capacity() {
    return mask + 1;
  }

  /** Idle objects right now; for tests and diagnostics. */
  public int idleCount() {
    int count = 0;
    for (int i = 0; i <= mask; i++) {
      if (slots.get(i) != null) {
        count++;
      }
    }
    return count;
  }

  private static int probe() {
    int h = System.identityHashCode(Thread.currentThread()) * 0x9E3779B9;
    return h ^ (h >>> 16);
  }
}
