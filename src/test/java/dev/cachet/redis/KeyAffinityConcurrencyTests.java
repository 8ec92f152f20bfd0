package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

/**
 * {@link KeyAffinity}'s lock-free bookkeeping under contention: callers with different own connections
 * hammer a few slots, some commands end unanswered (pinning), and a barrier thread releases pins
 * meanwhile. While any command on a slot is in flight, every command on it goes to the same connection;
 * no count is lost; once everything completed and a barrier answered, nothing stays pinned.
 */
class KeyAffinityConcurrencyTests {

  private static final int SLOTS = 4;
  private static final int CONNECTIONS = 3;
  private static final int CALLERS = 4;
  private static final int COMMANDS_PER_CALLER = 200_000;

  @Test
  void commandsInFlightOnASlot_allUseOneConnection_andNothingIsLostOrLeftPinned() throws Exception {
    KeyAffinity affinity = new KeyAffinity(CONNECTIONS);
    // per slot, as the callers see it: commands between their acquire and release (bits 8+) and the
    // connection the first of them got (bits 0..7)
    AtomicLongArray holders = new AtomicLongArray(SLOTS);
    AtomicLong violations = new AtomicLong();
    AtomicLong pinnedSeen = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> callers = new ArrayList<>();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int t = 0; t < CALLERS; t++) {
      int own = t % CONNECTIONS;
      Thread caller = new Thread(() -> {
        try {
          start.await();
          ThreadLocalRandom random = ThreadLocalRandom.current();
          int[] open = new int[3]; // up to 3 commands of this caller in flight at once, like pipelining
          int opened = 0;
          for (int i = 0; i < COMMANDS_PER_CALLER; i++) {
            if (opened == open.length || (opened > 0 && random.nextBoolean())) {
              int k = random.nextInt(opened);
              int slot = open[k];
              leave(holders, slot);
              affinity.release(slot, random.nextInt(500) == 0); // a few end unanswered: slots are mostly unpinned
              open[k] = open[opened - 1];
              opened--;
            } else {
              int slot = random.nextInt(SLOTS);
              int acquired = affinity.acquire(slot, own);
              int connection = acquired & 0xff;
              if ((acquired & KeyAffinity.PINNED_SLOT) != 0) {
                pinnedSeen.incrementAndGet();
              }
              if (connection >= CONNECTIONS || !enter(holders, slot, connection)) {
                violations.incrementAndGet();
              }
              open[opened] = slot;
              opened++;
            }
          }
          for (int k = 0; k < opened; k++) {
            leave(holders, open[k]);
            affinity.release(open[k], false);
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      callers.add(caller);
      caller.start();
    }
    Thread barriers = new Thread(() -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      while (!stop.get()) {
        int connection = random.nextInt(CONNECTIONS);
        int epoch = affinity.startBarrier(connection);
        if (epoch >= 0) {
          Thread.yield();
          affinity.endBarrier(connection, epoch, random.nextInt(4) != 0); // some barriers go unanswered
        }
      }
    });
    barriers.start();
    start.countDown();
    for (Thread caller : callers) {
      caller.join(60_000);
    }
    stop.set(true);
    barriers.join(60_000);

    assertThat(failures).isEmpty();
    assertThat(violations.get()).as("commands sent to another connection while one on the slot was in flight")
        .isZero();
    assertThat(pinnedSeen.get()).as("the run exercised pinned slots").isPositive();
    for (int slot = 0; slot < SLOTS; slot++) {
      assertThat(affinity.inFlight(slot)).as("in flight on slot %d after everything completed", slot).isZero();
    }
    for (int connection = 0; connection < CONNECTIONS; connection++) {
      int epoch = affinity.startBarrier(connection);
      assertThat(epoch).as("no barrier left in flight on %d", connection).isNotNegative();
      affinity.endBarrier(connection, epoch, true);
    }
    for (int slot = 0; slot < SLOTS; slot++) {
      assertThat(affinity.pinned(slot)).as("slot %d pinned after an answered barrier on every connection", slot)
          .isFalse();
      assertThat(affinity.acquire(slot, 1) & 0xff).as("slot %d free again", slot).isEqualTo(1);
      affinity.release(slot, false);
    }
  }

  /** Counts a command in; false when the slot already has commands in flight on another connection. */
  private static boolean enter(AtomicLongArray holders, int slot, int connection) {
    while (true) {
      long current = holders.get(slot);
      long count = current >>> 8;
      boolean same = count == 0 || (int) (current & 0xff) == connection;
      long next = ((count + 1) << 8) | (count == 0 ? connection : current & 0xff);
      if (holders.compareAndSet(slot, current, next)) {
        return same;
      }
    }
  }

  private static void leave(AtomicLongArray holders, int slot) {
    holders.addAndGet(slot, -(1L << 8));
  }
}
