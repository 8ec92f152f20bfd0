package dev.cachet.redis;

import io.lettuce.core.RedisCommandExecutionException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Which of several command connections carries a command on a key, so that the key's commands keep the
 * order they were issued in while callers mostly stay on their own connection.
 *
 * <p>A caller thread uses its own connection (thread id modulo the count), so one caller's request and
 * reply go through one Lettuce event-loop thread. But while a command on a key's cluster slot is in
 * flight, every new command on that slot goes over the same connection, behind it (a connection
 * delivers its commands in order); once none is in flight, the last one was executed by Redis, so a new
 * one may go anywhere. A command that failed without an answer from Redis (a timeout, a lost
 * connection) may still be executed later, so its slot is "pinned" to its connection: nothing can
 * overtake it. The pin holds until a barrier (a {@code PING}) sent on that connection after the pin was
 * answered: Redis answers a connection's commands in order, so by then the unanswered command was
 * executed or will never be (Lettuce does not resend a command that already failed). A command on a
 * pinned slot asks for the barrier ({@link #acquire} reports the pin); one barrier per connection is in
 * flight at a time, and one that fails unpins nothing. Keys of one slot share the bookkeeping, which only
 * makes it stricter.
 *
 * <p>Per slot one {@code long}: bit 62 pinned, bits 32..61 the connection's barrier epoch when it was
 * pinned, bits 8..31 commands in flight, bits 0..7 the connection. Lock-free; thread-safe.
 */
final class KeyAffinity {

  /** Redis Cluster's slot count: keys are tracked by their cluster slot. */
  static final int SLOTS = 16384;

  /** Set in what {@link #acquire} returns when the slot is pinned: the caller should send a barrier. */
  static final int PINNED_SLOT = 1 << 8;

  private static final long PINNED = 1L << 62;
  private static final long ONE = 1L << 8;
  private static final long IN_FLIGHT = 0xffffffL << 8;
  private static final long CONNECTION = 0xff;
  private static final int EPOCH_SHIFT = 32;
  private static final int EPOCH_MASK = (1 << 30) - 1;

  private final AtomicLongArray slots = new AtomicLongArray(SLOTS);
  private final int connections;
  /** Per connection: the epoch a pin records; a barrier advances it before it is sent. */
  private final AtomicIntegerArray epochs;
  /** Per connection: 1 while a barrier is in flight. */
  private final AtomicIntegerArray barriers;

  KeyAffinity(int connections) {
    this(connections, 0);
  }

  /** With every connection's epoch starting at {@code firstEpoch}; for tests of its wrap-around. */
  KeyAffinity(int connections, int firstEpoch) {
    if (connections < 1 || connections > 255) {
      throw new IllegalArgumentException("connections must be between 1 and 255: " + connections);
    }
    this.connections = connections;
    this.epochs = new AtomicIntegerArray(connections);
    this.barriers = new AtomicIntegerArray(connections);
    for (int c = 0; c < connections; c++) {
      epochs.set(c, firstEpoch & EPOCH_MASK);
    }
  }

  /** The connection the calling thread uses when nothing decides otherwise. */
  int preferred() {
    return (int) (Thread.currentThread().getId() % connections);
  }

  /**
   * Registers a command on {@code slot} and returns its connection (the in-flight or pinned one, else
   * {@code preferred}), with {@link #PINNED_SLOT} set when the slot is pinned: {@code & 0xff} is the
   * connection. Every call must be followed by one {@link #release} once the command completed.
   */
  int acquire(int slot, int preferred) {
    while (true) {
      long current = slots.get(slot);
      boolean pinned = (current & PINNED) != 0;
      boolean bound = pinned || (current & IN_FLIGHT) != 0;
      int connection = bound ? (int) (current & CONNECTION) : preferred;
      long next = (current & ~CONNECTION) + ONE | connection;
      if (slots.compareAndSet(slot, current, next)) {
        return pinned ? connection | PINNED_SLOT : connection;
      }
    }
  }

  /**
   * Unregisters a completed command on {@code slot}; {@code unanswered} pins the slot to its connection
   * (see the class comment).
   */
  void release(int slot, boolean unanswered) {
    while (true) {
      long current = slots.get(slot);
      long next = current - ONE;
      if (unanswered) {
        long epoch = epochs.get((int) (current & CONNECTION));
        next = (next & ~(PINNED | (long) EPOCH_MASK << EPOCH_SHIFT)) | PINNED | epoch << EPOCH_SHIFT;
      }
      if (slots.compareAndSet(slot, current, next)) {
        return;
      }
    }
  }

  /**
   * Starts a barrier on {@code connection}: returns its epoch, to pass to {@link #endBarrier} once the
   * barrier command completed, or -1 when one is already in flight there. The caller sends the barrier
   * after this returns.
   */
  int startBarrier(int connection) {
    if (!barriers.compareAndSet(connection, 0, 1)) {
      return -1;
    }
    return epochs.getAndUpdate(connection, e -> (e + 1) & EPOCH_MASK);
  }

  /**
   * Ends the barrier of {@code epoch} on {@code connection}: when Redis {@code answered} it, unpins that
   * connection's slots pinned before the barrier started (not those pinned since).
   */
  void endBarrier(int connection, int epoch, boolean answered) {
    if (answered) {
      for (int slot = 0; slot < SLOTS; slot++) {
        while (true) {
          long current = slots.get(slot);
          if ((current & PINNED) == 0 || (int) (current & CONNECTION) != connection) {
            break;
          }
          int pinnedAt = (int) (current >>> EPOCH_SHIFT) & EPOCH_MASK;
          if (((epoch - pinnedAt) & EPOCH_MASK) >= (1 << 29)) {
            break; // pinned after the barrier was sent: the barrier's answer says nothing of it
          }
          long next = current & ~(PINNED | (long) EPOCH_MASK << EPOCH_SHIFT);
          if (slots.compareAndSet(slot, current, next)) {
            break;
          }
        }
      }
    }
    barriers.set(connection, 0);
  }

  /**
   * Whether a command that completed with {@code error} (null: success) may still be executed later: not
   * when Redis answered (an error reply), nor when it was never sent (not connected, queue full).
   */
  static boolean unanswered(Throwable error) {
    if (error == null) {
      return false;
    }
    Throwable cause = RedisErrors.unwrap(error);
    return !(cause instanceof RedisCommandExecutionException)
        && !(cause instanceof RedisErrors.NotConnectedException)
        && RedisErrors.classify(cause) != dev.cachet.spi.RemoteErrorReason.REJECTED;
  }

  /** Whether Redis answered a command that completed with {@code error} (null: success): a barrier's test. */
  static boolean answered(Throwable error) {
    return error == null || RedisErrors.unwrap(error) instanceof RedisCommandExecutionException;
  }

  /** Commands in flight on {@code slot}; for tests. */
  long inFlight(int slot) {
    return (slots.get(slot) & IN_FLIGHT) >>> 8;
  }

  /** Whether {@code slot} is pinned; for tests. */
  boolean pinned(int slot) {
    return (slots.get(slot) & PINNED) != 0;
  }
}
