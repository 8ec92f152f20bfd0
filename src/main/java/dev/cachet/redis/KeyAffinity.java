package dev.cachet.redis;

import io.lettuce.core.RedisCommandExecutionException;
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
 * connection) may still be executed later, so its slot stays on its connection for good ("pinned"):
 * nothing can overtake it. Keys of one slot share the bookkeeping, which only makes it stricter.
 *
 * <p>Per slot one {@code long}: bit 62 pinned, bits 8..61 commands in flight, bits 0..7 the connection.
 * Lock-free; thread-safe.
 */
final class KeyAffinity {

  /** Redis Cluster's slot count: keys are tracked by their cluster slot. */
  static final int SLOTS = 16384;

  private static final long PINNED = 1L << 62;
  private static final long ONE = 1L << 8;
  private static final long CONNECTION = 0xff;

  private final AtomicLongArray slots = new AtomicLongArray(SLOTS);
  private final int connections;

  KeyAffinity(int connections) {
    if (connections < 1 || connections > 255) {
      throw new IllegalArgumentException("connections must be between 1 and 255: " + connections);
    }
    this.connections = connections;
  }

  /** The connection the calling thread uses when nothing decides otherwise. */
  int preferred() {
    return (int) (Thread.currentThread().getId() % connections);
  }

  /**
   * Registers a command on {@code slot} and returns its connection: the in-flight or pinned one, else
   * {@code preferred}. Every call must be followed by one {@link #release} once the command completed.
   */
  int acquire(int slot, int preferred) {
    while (true) {
      long current = slots.get(slot);
      boolean bound = (current & PINNED) != 0 || (current & ~PINNED) >= ONE;
      int connection = bound ? (int) (current & CONNECTION) : preferred;
      long next = (current & ~CONNECTION) + ONE | connection;
      if (slots.compareAndSet(slot, current, next)) {
        return connection;
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
      long next = (current - ONE) | (unanswered ? PINNED : 0);
      if (slots.compareAndSet(slot, current, next)) {
        return;
      }
    }
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

  /** Commands in flight on {@code slot}; for tests. */
  long inFlight(int slot) {
    return (slots.get(slot) & ~PINNED) >>> 8;
  }

  /** Whether {@code slot} is pinned; for tests. */
  boolean pinned(int slot) {
    return (slots.get(slot) & PINNED) != 0;
  }
}
