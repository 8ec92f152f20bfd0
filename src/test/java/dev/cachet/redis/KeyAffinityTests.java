package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Routing of a key's commands over several connections: the caller's own unless one is in flight. */
class KeyAffinityTests {

  private final KeyAffinity affinity = new KeyAffinity(4);

  @Test
  void withNothingInFlight_eachCallerUsesItsOwnConnection() {
    assertThat(affinity.acquire(7, 2)).isEqualTo(2);
    affinity.release(7, false);
    assertThat(affinity.acquire(7, 3)).isEqualTo(3);
    affinity.release(7, false);
    assertThat(affinity.inFlight(7)).isZero();
  }

  @Test
  void whileACommandIsInFlight_everyCommandOnItsSlotGoesBehindIt_untilAllCompleted() {
    assertThat(affinity.acquire(7, 1)).isEqualTo(1);
    assertThat(affinity.acquire(7, 3)).isEqualTo(1); // queued behind the first, on its connection
    affinity.release(7, false);
    assertThat(affinity.acquire(7, 0)).as("the second is still in flight").isEqualTo(1);
    affinity.release(7, false);
    affinity.release(7, false);
    assertThat(affinity.inFlight(7)).isZero();
    assertThat(affinity.acquire(7, 0)).as("none in flight: the caller's own").isEqualTo(0);
    affinity.release(7, false);
    assertThat(affinity.acquire(8, 2)).as("another slot is independent").isEqualTo(2);
  }

  @Test
  void anUnansweredCommandPinsItsSlotToItsConnection_andAcquireReportsThePin() {
    assertThat(affinity.acquire(9, 3)).isEqualTo(3);
    affinity.release(9, true); // timed out: Redis may still execute it later
    assertThat(affinity.pinned(9)).isTrue();
    for (int preferred = 0; preferred < 4; preferred++) {
      assertThat(affinity.acquire(9, preferred)).isEqualTo(3 | KeyAffinity.PINNED_SLOT);
      affinity.release(9, false); // an answered command on a pinned slot proves nothing of the earlier one
    }
    assertThat(affinity.pinned(9)).isTrue();
    assertThat(affinity.acquire(10, 1)).as("other slots are not pinned").isEqualTo(1);
  }

  @Test
  void anAnsweredBarrier_unpinsTheSlotsPinnedOnItsConnectionBeforeItWasSent_only() {
    pin(9, 3);
    pin(11, 1);
    int epoch = affinity.startBarrier(3);
    assertThat(epoch).isNotNegative();
    assertThat(affinity.startBarrier(3)).as("one barrier in flight per connection").isEqualTo(-1);
    pin(10, 3); // pinned after the barrier was sent: its answer says nothing of this one
    assertThat(affinity.acquire(9, 3)).isEqualTo(3 | KeyAffinity.PINNED_SLOT); // in flight across the barrier
    affinity.endBarrier(3, epoch, true);
    assertThat(affinity.pinned(9)).isFalse();
    assertThat(affinity.inFlight(9)).as("in-flight count kept").isEqualTo(1);
    assertThat(affinity.acquire(9, 0)).as("still held behind the command in flight").isEqualTo(3);
    affinity.release(9, false);
    affinity.release(9, false);
    assertThat(affinity.acquire(9, 0)).as("nothing in flight, not pinned: the caller's own").isEqualTo(0);
    affinity.release(9, false);
    assertThat(affinity.pinned(10)).as("pinned after the barrier was sent").isTrue();
    assertThat(affinity.pinned(11)).as("another connection's pin").isTrue();
    int next = affinity.startBarrier(3);
    assertThat(next).as("the barrier ended: another may be sent").isNotNegative();
    affinity.endBarrier(3, next, true);
    assertThat(affinity.pinned(10)).isFalse();
    assertThat(affinity.pinned(11)).isTrue();
  }

  @Test
  void aBarrierWithoutAnAnswer_unpinsNothing_andAnotherMayBeSent() {
    pin(9, 2);
    int epoch = affinity.startBarrier(2);
    affinity.endBarrier(2, epoch, false); // timed out or never sent
    assertThat(affinity.pinned(9)).isTrue();
    int again = affinity.startBarrier(2);
    assertThat(again).isNotNegative();
    affinity.endBarrier(2, again, true);
    assertThat(affinity.pinned(9)).isFalse();
  }

  @Test
  void aSlotPinnedAgainAfterABarrierWasSent_staysPinnedWhenItIsAnswered() {
    pin(9, 2);
    int epoch = affinity.startBarrier(2);
    pin(9, 2); // a second unanswered command on the slot, sent after the barrier
    affinity.endBarrier(2, epoch, true);
    assertThat(affinity.pinned(9)).isTrue();
  }

  @Test
  void barrierEpochs_wrapAround() {
    KeyAffinity wrapping = new KeyAffinity(2, (1 << 30) - 2);
    for (int round = 0; round < 4; round++) { // epochs 2^30-2, 2^30-1, 0, 1
      wrapping.acquire(5, 1);
      wrapping.release(5, true);
      int epoch = wrapping.startBarrier(1);
      wrapping.acquire(6, 1);
      wrapping.release(6, true); // pinned after this barrier was sent
      wrapping.endBarrier(1, epoch, true);
      assertThat(wrapping.pinned(5)).as("round %d", round).isFalse();
      assertThat(wrapping.pinned(6)).as("round %d", round).isTrue();
      int clear = wrapping.startBarrier(1);
      wrapping.endBarrier(1, clear, true);
      assertThat(wrapping.pinned(6)).as("round %d", round).isFalse();
    }
  }

  @Test
  void answered_isASuccessOrAnErrorReply() {
    assertThat(KeyAffinity.answered(null)).isTrue();
    assertThat(KeyAffinity.answered(new CompletionException(new RedisCommandExecutionException("LOADING"))))
        .isTrue();
    assertThat(KeyAffinity.answered(new RedisCommandTimeoutException("timed out"))).isFalse();
    assertThat(KeyAffinity.answered(new RedisErrors.NotConnectedException("redis://127.0.0.1:1"))).isFalse();
  }

  private void pin(int slot, int connection) {
    assertThat(affinity.acquire(slot, connection) & 0xff).isEqualTo(connection);
    affinity.release(slot, true);
  }

  @Test
  void unanswered_isOnlyAFailureRedisMayStillExecute() {
    assertThat(KeyAffinity.unanswered(null)).isFalse();
    assertThat(KeyAffinity.unanswered(new RedisCommandTimeoutException("timed out"))).isTrue();
    assertThat(KeyAffinity.unanswered(new CompletionException(new RedisConnectionException("closed"))))
        .isTrue();
    assertThat(KeyAffinity.unanswered(new RedisException("Connection closed"))).isTrue();
    // an error reply: Redis executed (or refused) it
    assertThat(KeyAffinity.unanswered(new RedisCommandExecutionException("WRONGTYPE Operation"))).isFalse();
    // never sent
    assertThat(KeyAffinity.unanswered(new RedisErrors.NotConnectedException("redis://127.0.0.1:1"))).isFalse();
    assertThat(KeyAffinity.unanswered(new RedisException("Currently not connected. Commands are rejected.")))
        .isFalse();
    assertThat(KeyAffinity.unanswered(new RedisException("Request queue size exceeded: 10000"))).isFalse();
  }

  @Test
  void preferred_isTheThreadIdModuloTheCount() throws Exception {
    int[] seen = new int[1];
    Thread t = new Thread(() -> seen[0] = affinity.preferred());
    t.start();
    t.join();
    assertThat(seen[0]).isEqualTo((int) (t.getId() % 4));
  }

  @Test
  void connectionCountOutOfRange_isRejected() {
    assertThatThrownBy(() -> new KeyAffinity(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new KeyAffinity(256)).isInstanceOf(IllegalArgumentException.class);
  }
}
