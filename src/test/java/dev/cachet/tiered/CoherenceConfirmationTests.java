package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.internal.LocalTier;
import dev.cachet.spi.InvalidationBus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The end of a confirmation (every peer and this instance's own heartbeat heard after a resubscription)
 * against a new loss of the subscription arriving at that moment: the new loss must start a new
 * confirmation, never be ended by the old one. Driven by hand: the heartbeat interval is an hour, so
 * the scheduler never ticks; the test calls the liveness check with a chosen time.
 */
class CoherenceConfirmationTests {

  private static final Duration HEARTBEAT = Duration.ofHours(1);

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private Coherence coherence;

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  private Coherence start() {
    FailSafe failSafe = new FailSafe(new NoMemory(), HEARTBEAT.toNanos(), HEARTBEAT.toNanos(),
        Duration.ofDays(1).toNanos(), () -> false);
    coherence = new Coherence("confirm", new LoopbackFreeBus(), new NoTarget(),
        new CoherenceKeys(null, tenant -> tenant), failSafe, HEARTBEAT, 3, () -> { });
    coherence.start(scheduler, Duration.ZERO);
    return coherence;
  }

  private void heartbeatFrom(String origin) {
    coherence.onMessage(CoherenceMessage.of(origin, 0, CoherenceMessage.HEARTBEAT).encode());
  }

  /** Past the 2-interval confirmation minimum, before anything counts as silent (3 intervals). */
  private static long confirmable() {
    return System.nanoTime() + HEARTBEAT.multipliedBy(5).dividedBy(2).toNanos();
  }

  @Test
  void confirmation_endsWhenEveryoneWasHeard() {
    Coherence c = start();
    heartbeatFrom("peer");
    c.onResubscribed();
    assertThat(c.state()).isEqualTo("unsure");
    heartbeatFrom(c.origin());
    heartbeatFrom("peer");
    c.checkLiveness(confirmable());
    assertThat(c.state()).isNotEqualTo("unsure");
  }

  @Test
  void aResubscriptionAsTheConfirmationEnds_startsANewConfirmation() {
    Coherence c = start();
    heartbeatFrom("peer");
    c.onResubscribed();
    heartbeatFrom(c.origin());
    heartbeatFrom("peer");
    AtomicBoolean raced = new AtomicBoolean();
    c.beforeConfirmationEnds = () -> {
      if (raced.compareAndSet(false, true)) {
        c.onResubscribed(); // the subscription dropped and came back again: messages may be lost anew
      }
    };
    c.checkLiveness(confirmable());
    assertThat(raced).isTrue();
    assertThat(c.state()).as("the new confirmation holds until everyone is heard again").isEqualTo("unsure");
  }

  private static final class NoMemory implements LocalTier<String, Object> {
    @Override public Object peek(String key) { return null; }
    @Override public long writtenAtNanos(String key) { return -1; }
    @Override public long nowNanos() { return System.nanoTime(); }
    @Override public Object storeWithHandle(String key, Object value, Duration ttl) { return null; }
    @Override public void removeIfSame(String key, Object handle) { }
    @Override public void discard(String key) { }
    @Override public void discardAll() { }
    @Override public void discardPrefix(String prefix) { }
  }

  private static final class NoTarget implements Coherence.Target {
    @Override public void invalidateLocal(List<String> memoryKeys) { }
    @Override public void clearLocal(String reason) { }
    @Override public boolean clearTenantLocal(String announcedTenant) { return true; }
    @Override public void overtakeReads() { }
  }

  /** Publishes nowhere; the subscription is always active. The test delivers messages itself. */
  private static final class LoopbackFreeBus implements InvalidationBus {
    @Override
    public CompletableFuture<Void> publish(String message) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public Subscription subscribe(Listener listener) {
      return new Subscription() {
        @Override public boolean isActive() { return true; }
        @Override public void close() { }
      };
    }
  }
}
