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
  void anUnansweredCommandPinsItsSlotToItsConnectionForGood() {
    assertThat(affinity.acquire(9, 3)).isEqualTo(3);
    affinity.release(9, true); // timed out: Redis may still execute it later
    assertThat(affinity.pinned(9)).isTrue();
    for (int preferred = 0; preferred < 4; preferred++) {
      assertThat(affinity.acquire(9, preferred)).isEqualTo(3);
      affinity.release(9, false);
    }
    assertThat(affinity.pinned(9)).isTrue();
    assertThat(affinity.acquire(10, 1)).as("other slots are not pinned").isEqualTo(1);
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
