package dev.cachet.tiered;

import dev.cachet.spi.InvalidationBus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one cache's memory tiers coherent across instances over its {@link InvalidationBus}. Publishes
 * an invalidation on every put and invalidate (never on a refill or a load), with this instance's
 * origin id and a per-origin sequence number, and a heartbeat every interval. Clears the memory tier on
 * a sequence gap from any peer, on a peer's missed heartbeats, when this instance stops hearing its own
 * heartbeat (its subscription silently broke), and on every resubscription.
 */
final class Coherence implements InvalidationBus.Listener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Coherence.class);

  /** What coherence does to the local memory tier. */
  interface Target {
    /** Drops these memory keys (another instance changed them). */
    void invalidateLocal(List<String> memoryKeys);

    /** Drops the whole memory tier; {@code reason} is for logs and health. */
    void clearLocal(String reason);

    /** Drops one tenant's memory; {@code announcedTenant} as {@link dev.cachet.spi.RemoteTier#announcedTenantId}. */
    void clearTenantLocal(String announcedTenant);
  }

  private static final class Peer {
    volatile long lastSequence;
    volatile long lastSeenNanos;

    Peer(long lastSequence, long now) {
      this.lastSequence = lastSequence;
      this.lastSeenNanos = now;
    }
  }

  private final String cacheName;
  private final InvalidationBus bus;
  private final Target target;
  private final long heartbeatNanos;
  private final int missedHeartbeats;
  private final String origin = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  private final AtomicLong sequence = new AtomicLong();
  private final Map<String, Peer> peers = new ConcurrentHashMap<>();
  private final LongAdder clears = new LongAdder();
  private final LongAdder tenantClears = new LongAdder();
  private final LongAdder malformed = new LongAdder();
  private final LongAdder peerInvalidationsApplied = new LongAdder();
  private final Runnable onTick;
  private volatile InvalidationBus.Subscription subscription;
  private volatile ScheduledFuture<?> heartbeat;
  private volatile long ownHeartbeatSeenNanos;
  private volatile boolean ownHeartbeatMissing;
  private volatile boolean unconfirmedAtStart;
  private volatile String lastClearReason = "none";

  Coherence(
      String cacheName,
      InvalidationBus bus,
      Target target,
      Duration heartbeatInterval,
      int missedHeartbeats,
      Runnable onTick) {
    this.cacheName = cacheName;
    this.bus = bus;
    this.target = target;
    this.heartbeatNanos = heartbeatInterval.toNanos();
    this.missedHeartbeats = missedHeartbeats;
    this.onTick = onTick;
  }

  /**
   * Subscribes and starts heartbeats. Waits up to {@code subscribeWait} for the subscription, so a new
   * cache does not miss invalidations while it fills memory; if the subscription comes later, memory is
   * cleared when this instance first hears its own heartbeat.
   */
  void start(ScheduledExecutorService scheduler, Duration subscribeWait) {
    ownHeartbeatSeenNanos = System.nanoTime();
    subscription = bus.subscribe(this);
    long deadline = System.nanoTime() + subscribeWait.toNanos();
    while (!subscription.isActive() && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    unconfirmedAtStart = !subscription.isActive();
    heartbeat =
        scheduler.scheduleWithFixedDelay(
            this::tick, heartbeatNanos, heartbeatNanos, TimeUnit.NANOSECONDS);
  }

  String origin() {
    return origin;
  }

  /** Announces that these memory keys changed here. */
  void publishInvalidation(List<String> memoryKeys) {
    publish(new CoherenceMessage(origin, sequence.incrementAndGet(), CoherenceMessage.Kind.INVALIDATE, memoryKeys));
  }

  /** Announces that one tenant ({@code announcedTenant}, as the remote tier announces it) was invalidated here. */
  void publishTenantClear(String announcedTenant) {
    publish(
        new CoherenceMessage(
            origin, sequence.incrementAndGet(), CoherenceMessage.Kind.TENANT_CLEAR, List.of(announcedTenant)));
  }

  /** Announces that the whole cache was invalidated here. */
  void publishClear() {
    publish(new CoherenceMessage(origin, sequence.incrementAndGet(), CoherenceMessage.Kind.CLEAR, List.of()));
  }

  private void publish(CoherenceMessage message) {
    try {
      bus.publish(message.encode())
          .whenComplete(
              (ok, error) -> {
                if (error != null) {
                  log.debug("cache '{}': publishing an invalidation failed: {}", cacheName, error.toString());
                }
              });
    } catch (RuntimeException e) {
      log.debug("cache '{}': publishing an invalidation failed: {}", cacheName, e.toString());
    }
  }

  private void tick() {
    try {
      long now = System.nanoTime();
      publish(new CoherenceMessage(origin, sequence.get(), CoherenceMessage.Kind.HEARTBEAT, List.of()));
      long silence = heartbeatNanos * missedHeartbeats;
      if (now - ownHeartbeatSeenNanos > silence && !ownHeartbeatMissing) {
        ownHeartbeatMissing = true;
        clear("own heartbeat not received: the subscription may be broken");
      }
      for (Map.Entry<String, Peer> e : peers.entrySet()) {
        if (now - e.getValue().lastSeenNanos > silence) {
          peers.remove(e.getKey(), e.getValue());
          clear("heartbeats of instance " + e.getKey() + " stopped");
        }
      }
      onTick.run();
    } catch (RuntimeException e) {
      log.warn("cache '{}': coherence tick failed: {}", cacheName, e.toString());
    }
  }

  @Override
  public void onMessage(String text) {
    CoherenceMessage message = CoherenceMessage.decode(text);
    if (message == null) {
      malformed.increment();
      return;
    }
    long now = System.nanoTime();
    if (message.origin().equals(origin)) {
      if (message.kind() == CoherenceMessage.Kind.HEARTBEAT) {
        ownHeartbeatSeenNanos = now;
        ownHeartbeatMissing = false;
        if (unconfirmedAtStart) {
          unconfirmedAtStart = false;
          clear("subscribed only after start: invalidations may have been missed meanwhile");
        }
      }
      return;
    }
    Peer peer = peers.get(message.origin());
    if (peer == null) {
      long baseline =
          message.kind() == CoherenceMessage.Kind.HEARTBEAT ? message.sequence() : message.sequence() - 1;
      peer = new Peer(baseline, now);
      Peer raced = peers.putIfAbsent(message.origin(), peer);
      if (raced != null) {
        peer = raced;
      }
    }
    synchronized (peer) {
      peer.lastSeenNanos = now;
      long expected = peer.lastSequence + (message.kind() == CoherenceMessage.Kind.HEARTBEAT ? 0 : 1);
      if (message.sequence() > expected) {
        clear("sequence gap from instance " + message.origin() + ": expected " + expected
            + ", got " + message.sequence());
      }
      if (message.sequence() > peer.lastSequence) {
        peer.lastSequence = message.sequence();
      }
    }
    switch (message.kind()) {
      case INVALIDATE:
        target.invalidateLocal(message.keys());
        peerInvalidationsApplied.increment();
        break;
      case CLEAR:
        clear("instance " + message.origin() + " invalidated the whole cache");
        break;
      case TENANT_CLEAR:
        tenantClears.increment();
        target.clearTenantLocal(message.keys().get(0));
        break;
      default:
        break;
    }
  }

  @Override
  public void onResubscribed() {
    peers.clear();
    clear("resubscribed after a disconnect: messages may have been lost");
  }

  @Override
  public void onSubscriptionLost(Throwable cause) {
    log.debug("cache '{}': invalidation subscription lost: {}", cacheName, String.valueOf(cause));
  }

  private void clear(String reason) {
    clears.increment();
    lastClearReason = reason;
    log.info("cache '{}': clearing the memory tier: {}", cacheName, reason);
    target.clearLocal(reason);
  }

  boolean isSubscribed() {
    InvalidationBus.Subscription s = subscription;
    return s != null && s.isActive() && !ownHeartbeatMissing;
  }

  long clearCount() {
    return clears.sum();
  }

  /** Tenant clears received from peers (tests wait on it). */
  long tenantClearsReceived() {
    return tenantClears.sum();
  }

  /** Invalidation messages from peers applied to the memory tier so far (tests wait on it). */
  long peerInvalidationsApplied() {
    return peerInvalidationsApplied.sum();
  }

  long malformedCount() {
    return malformed.sum();
  }

  String lastClearReason() {
    return lastClearReason;
  }

  int peerCount() {
    return peers.size();
  }

  @Override
  public void close() {
    ScheduledFuture<?> h = heartbeat;
    if (h != null) {
      h.cancel(false);
    }
    InvalidationBus.Subscription s = subscription;
    if (s != null) {
      try {
        s.close();
      } catch (RuntimeException e) {
        log.debug("cache '{}': closing the subscription failed: {}", cacheName, e.toString());
      }
    }
  }
}
