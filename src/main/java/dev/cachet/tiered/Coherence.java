package dev.cachet.tiered;

import dev.cachet.spi.InvalidationBus;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one cache's memory tier coherent across instances over its {@link InvalidationBus}, and fails
 * safe when it cannot (the consistency model is in {@code docs/architecture.md}).
 *
 * <p><b>Sending.</b> One ordered publisher per cache: invalidations are queued, consecutive ones merged
 * into one message, and exactly one message is in flight at a time, so sequence numbers reach Redis in
 * the order they were assigned. A message Redis did not acknowledge is sent again, with the same
 * number, at the next tick. Heartbeats ({@code H}) and the goodbye on close ({@code B}) carry the last
 * number Redis acknowledged, never one not yet sent. A queue that overflows ({@value #MAX_QUEUED_KEYS}
 * keys, Redis unreachable for long) collapses into one {@code C}.
 *
 * <p><b>Receiving.</b> Per peer, the highest contiguous sequence received and the numbers received
 * ahead of it (a reorder window). A heartbeat or goodbye naming a number not received means messages
 * were lost (for a previous-version peer, whose heartbeats may name unsent numbers, only if still
 * missing at its next heartbeat). A loss never clears memory: reads that began before it may not store,
 * and memory entries stored before it are served only while younger than the bound ({@link FailSafe}).
 * While this instance cannot be sure it hears every message (not subscribed, subscription lost or being
 * confirmed after a resubscription, own messages not heard for {@code missedHeartbeats} intervals, a
 * peer silent as long), the fail-safe serves no entry older than the bound. A peer silent for twice
 * that is forgotten (which counts as a loss); a peer that said goodbye is forgotten at once.
 *
 * <p>Thread-safe. Callbacks run on the transport's thread; periodic work on the shared scheduler.
 */
final class Coherence implements InvalidationBus.Listener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Coherence.class);

  /** Keys queued for publication beyond which the queue collapses into one CLEAR. */
  static final int MAX_QUEUED_KEYS = 10_000;
  /** At most this many keys, and about this many characters, per message. */
  static final int MAX_KEYS_PER_MESSAGE = 500;
  static final int MAX_CHARS_PER_MESSAGE = 32_000;
  /** Numbers received ahead of a gap remembered per peer before the gap counts as a loss. */
  static final int MAX_AHEAD = 4_096;

  /** What coherence does to the local memory tier. */
  interface Target {
    /** Another instance changed these memory keys. */
    void invalidateLocal(List<String> memoryKeys);

    /** Drops the whole memory tier; {@code reason} is for logs and health. */
    void clearLocal(String reason);

    /**
     * Drops one tenant's memory; {@code announcedTenant} as {@link dev.cachet.spi.RemoteTier#announcedTenantId}.
     * Returns false when this instance cannot tell which tenant that is (coherence then clears all).
     */
    boolean clearTenantLocal(String announcedTenant);

    /** Messages were lost: reads that began before now must not store what they read. */
    void overtakeReads();
  }

  private static final class Peer {
    final int version;
    long contiguous;
    final TreeSet<Long> ahead = new TreeSet<>();
    volatile long lastSeenNanos;
    long v1GapUpTo = -1;
    volatile boolean confirmed = true;

    Peer(int version, long contiguous, long now) {
      this.version = version;
      this.contiguous = contiguous;
      this.lastSeenNanos = now;
    }
  }

  /**
   * A queued publication: an invalidation of keys, or when {@code memoryKeys} is null a clear of one
   * tenant ({@code tenantClear}, as announced) or of the whole cache.
   */
  private record Queued(List<String> memoryKeys, List<String> items, String tenantClear) {}

  private final String cacheName;
  private final InvalidationBus bus;
  private final Target target;
  private final CoherenceKeys keys;
  private final FailSafe failSafe;
  private final long heartbeatNanos;
  private final long silenceNanos;
  private final Runnable onTick;
  private final String origin = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  private final Map<String, Peer> peers = new ConcurrentHashMap<>();
  private final LongAdder clears = new LongAdder();
  private final LongAdder tenantClears = new LongAdder();
  private final LongAdder losses = new LongAdder();
  private final LongAdder malformed = new LongAdder();
  private final LongAdder peerInvalidationsApplied = new LongAdder();
  private final LongAdder publishFailures = new LongAdder();
  private final LongAdder resubscriptions = new LongAdder();
  private volatile InvalidationBus.Subscription subscription;
  private volatile ScheduledFuture<?> heartbeat;
  private volatile String lastClearReason = "none";
  private volatile String lastLossReason = "none";

  // receiving state (guarded by `this` for transitions; read without it)
  private volatile long ownHeardNanos;
  private volatile boolean everHeardOwn;
  private volatile boolean deaf;
  private volatile boolean subscriptionLost;
  private volatile boolean confirming;
  private volatile long confirmNotBefore;
  private volatile boolean ownHeardWhileConfirming;
  private long confirmations; // guarded by this: confirmations started so far
  private volatile boolean lossWhileUnsure;
  private volatile boolean anyPeerSilent;
  private volatile long legacyHeardNanos;
  private volatile boolean legacyHeard;

  // sending state (guarded by `sendLock`)
  private final Object sendLock = new Object();
  private final ArrayDeque<Queued> queue = new ArrayDeque<>();
  private final java.util.Set<String> pendingKeys = new java.util.HashSet<>();
  private int queuedKeys;
  private String inFlight;
  private long inFlightSequence;
  private boolean sending;
  private boolean retryDue;
  private boolean heartbeatDue;
  private boolean lastWasHeartbeat;
  private long assigned;
  private volatile long acknowledged;
  private CompletableFuture<Void> drained;
  private volatile boolean closing;
  /** Tests: runs when a confirmation is about to end, to race a new loss against it. */
  volatile Runnable beforeConfirmationEnds = () -> { };

  Coherence(
      String cacheName,
      InvalidationBus bus,
      Target target,
      CoherenceKeys keys,
      FailSafe failSafe,
      Duration heartbeatInterval,
      int missedHeartbeats,
      Runnable onTick) {
    this.cacheName = cacheName;
    this.bus = bus;
    this.target = target;
    this.keys = keys;
    this.failSafe = failSafe;
    this.heartbeatNanos = heartbeatInterval.toNanos();
    this.silenceNanos = heartbeatNanos * missedHeartbeats;
    this.onTick = onTick;
  }

  /**
   * Subscribes and starts heartbeats. Waits up to {@code subscribeWait} for the subscription, so a new
   * cache does not miss invalidations while it fills memory; if it comes later, the fail-safe holds
   * until this instance hears its own messages, and entries stored meanwhile count as suspect.
   */
  void start(ScheduledExecutorService scheduler, Duration subscribeWait) {
    ownHeardNanos = System.nanoTime();
    subscription = bus.subscribe(this);
    long deadline = System.nanoTime() + subscribeWait.toNanos();
    while (!subscription.isActive() && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    if (!subscription.isActive()) {
      lossWhileUnsure = true;
      startConfirming(System.nanoTime());
    }
    updateFailSafe();
    heartbeat =
        scheduler.scheduleWithFixedDelay(this::tick, heartbeatNanos, heartbeatNanos, TimeUnit.NANOSECONDS);
  }

  String origin() {
    return origin;
  }

  // ------------------------------------------------------------------ sending

  /**
   * Announces that these memory keys changed here. A key already queued and not yet sent is not queued
   * again: the queued invalidation goes out after this change reached Redis, so it covers both.
   */
  void publishInvalidation(List<String> memoryKeys) {
    List<String> fresh = new ArrayList<>(memoryKeys.size());
    synchronized (sendLock) {
      for (String key : memoryKeys) {
        if (pendingKeys.add(key)) {
          fresh.add(key);
        }
      }
    }
    if (fresh.isEmpty()) {
      return;
    }
    List<String> items = new ArrayList<>(fresh.size());
    for (String key : fresh) {
      items.add(keys.itemOf(key));
    }
    enqueue(new Queued(fresh, items, null), fresh.size());
  }

  /** Announces that one tenant ({@code announcedTenant}, as the remote tier announces it) was invalidated here. */
  void publishTenantClear(String announcedTenant) {
    enqueue(new Queued(null, null, announcedTenant), 1);
  }

  /** Announces that the whole cache was invalidated here. */
  void publishClear() {
    enqueue(new Queued(null, null, null), 1);
  }

  private void enqueue(Queued q, int size) {
    synchronized (sendLock) {
      if (queuedKeys + size > MAX_QUEUED_KEYS) {
        log.warn("cache '{}': {} invalidations could not be published in time; publishing one CLEAR instead",
            cacheName, queuedKeys + size);
        queue.clear();
        pendingKeys.clear();
        queue.add(new Queued(null, null, null));
        queuedKeys = 1;
      } else {
        queue.add(q);
        queuedKeys += size;
      }
    }
    drain();
  }

  /** Sends the next message unless one is in flight; called again when it completes. */
  private void drain() {
    String text;
    boolean isHeartbeat = false;
    synchronized (sendLock) {
      if (sending) {
        return;
      }
      boolean messageWaiting = (inFlight != null && retryDue) || (inFlight == null && !queue.isEmpty());
      if (heartbeatDue && !(lastWasHeartbeat && messageWaiting)) {
        // heartbeats and messages alternate when both wait: neither starves the other
        heartbeatDue = false;
        isHeartbeat = true;
        text = encodeControl(CoherenceMessage.HEARTBEAT, acknowledged);
      } else if (inFlight != null) {
        if (!retryDue) {
          return;
        }
        retryDue = false;
        text = inFlight;
      } else if (queue.isEmpty()) {
        if (drained != null) {
          drained.complete(null);
          drained = null;
        }
        return;
      } else {
        inFlightSequence = ++assigned;
        inFlight = nextMessage(inFlightSequence);
        text = inFlight;
      }
      sending = true;
      lastWasHeartbeat = isHeartbeat;
    }
    send(text, isHeartbeat);
  }

  private void send(String text, boolean isHeartbeat) {
    CompletableFuture<Void> f;
    try {
      f = bus.publish(text);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete(
        (ok, error) -> {
          synchronized (sendLock) {
            sending = false;
            if (error != null) {
              publishFailures.increment();
            } else if (!isHeartbeat) {
              acknowledged = inFlightSequence;
              inFlight = null;
            }
          }
          if (error != null) {
            log.debug("cache '{}': publishing a coherence message failed (sent again at the next tick): {}",
                cacheName, error.toString());
          } else {
            drain();
          }
        });
  }

  /** Builds the next sequenced message from the head of the queue (holding {@code sendLock}). */
  private String nextMessage(long sequence) {
    Queued head = queue.poll();
    if (head.tenantClear() != null) {
      queuedKeys -= 1;
      return legacyMode() // version-1 peers know no tenant clear: clear everything
          ? new CoherenceMessage(1, origin, sequence, CoherenceMessage.CLEAR, "", List.of()).encode()
          : new CoherenceMessage(2, origin, sequence, CoherenceMessage.TENANT_CLEAR, "",
              List.of(head.tenantClear())).encode();
    }
    if (head.memoryKeys() == null) {
      queuedKeys -= 1;
      return legacyMode()
          ? new CoherenceMessage(1, origin, sequence, CoherenceMessage.CLEAR, "", List.of()).encode()
          : CoherenceMessage.of(origin, sequence, CoherenceMessage.CLEAR).encode();
    }
    boolean legacy = legacyMode();
    List<String> out = new ArrayList<>();
    int chars = 0;
    Queued q = head;
    while (true) {
      queuedKeys -= q.memoryKeys().size();
      pendingKeys.removeAll(q.memoryKeys());
      List<String> source = legacy ? q.memoryKeys() : q.items();
      for (String s : source) {
        out.add(s);
        chars += s.length() + 8;
      }
      Queued next = queue.peek();
      if (next == null || next.memoryKeys() == null
          || out.size() + next.memoryKeys().size() > MAX_KEYS_PER_MESSAGE || chars > MAX_CHARS_PER_MESSAGE) {
        break;
      }
      q = queue.poll();
    }
    return legacy
        ? new CoherenceMessage(1, origin, sequence, CoherenceMessage.INVALIDATE, "", out).encode()
        : CoherenceMessage.invalidate(origin, sequence, keys.hiding(), out).encode();
  }

  private String encodeControl(char kind, long sequence) {
    if (legacyMode() && kind == CoherenceMessage.HEARTBEAT) {
      return new CoherenceMessage(1, origin, sequence, kind, "", List.of()).encode();
    }
    return CoherenceMessage.of(origin, sequence, kind).encode();
  }

  /**
   * Whether to speak the previous version: a previous-version peer was heard lately and key names are
   * not hidden (the previous version carries keys in clear, so a hiding cache never sends it).
   */
  private boolean legacyMode() {
    return legacyHeard && !keys.hiding() && System.nanoTime() - legacyHeardNanos < 2 * silenceNanos;
  }

  private void tick() {
    try {
      long now = System.nanoTime();
      synchronized (sendLock) {
        heartbeatDue = true;
        if (inFlight != null && !sending) {
          retryDue = true;
        }
      }
      drain();
      checkLiveness(now);
      failSafe.tick();
      onTick.run();
    } catch (RuntimeException e) {
      log.warn("cache '{}': coherence tick failed: {}", cacheName, e.toString());
    }
  }

  // ------------------------------------------------------------------ receiving

  @Override
  public void onMessage(String text) {
    CoherenceMessage message = CoherenceMessage.decode(text);
    if (message == null) {
      malformed.increment();
      return;
    }
    long now = System.nanoTime();
    if (message.version() == 1) {
      legacyHeardNanos = now;
      legacyHeard = true;
    }
    if (message.origin().equals(origin)) {
      heardOwn(now);
      return;
    }
    if (message.kind() == CoherenceMessage.GOODBYE) {
      Peer gone = peers.remove(message.origin());
      if (gone != null) {
        synchronized (gone) {
          if (gone.contiguous < message.sequence()) {
            lost("instance " + message.origin() + " closed before its last messages arrived");
          }
        }
      }
      updateFailSafe();
      return;
    }
    Peer peer = peers.get(message.origin());
    if (peer == null) {
      long baseline = message.isSequenced() ? message.sequence() - 1 : message.sequence();
      Peer fresh = new Peer(message.version(), baseline, now);
      Peer raced = peers.putIfAbsent(message.origin(), fresh);
      peer = raced == null ? fresh : raced;
      if (raced == null && confirming && baseline > 0) {
        lost("instance " + message.origin() + " appeared while this instance could not hear everything");
      }
    }
    boolean apply;
    synchronized (peer) {
      peer.lastSeenNanos = now;
      if (message.isSequenced()) {
        apply = accept(peer, message.sequence());
      } else {
        apply = false;
        heartbeat(peer, message);
      }
    }
    if (!apply) {
      return;
    }
    if (!message.understood()) {
      clear("instance " + message.origin() + " sent a message kind this version does not know ('"
          + message.kind() + "', flags '" + message.flags() + "'): treated as a clear");
      return;
    }
    switch (message.kind()) {
      case CoherenceMessage.INVALIDATE -> {
        List<String> memoryKeys = new ArrayList<>(message.items().size());
        for (String item : message.items()) {
          String memoryKey;
          if (message.version() == 1) {
            memoryKey = item;
          } else if (message.hidden()) {
            memoryKey = keys.changedHidden(item);
          } else {
            memoryKey = CoherenceKeys.memoryKeyOfClearItem(item);
          }
          if (memoryKey != null) {
            memoryKeys.add(memoryKey);
          }
        }
        target.invalidateLocal(memoryKeys);
        peerInvalidationsApplied.increment();
      }
      case CoherenceMessage.CLEAR -> clear("instance " + message.origin() + " invalidated the whole cache");
      case CoherenceMessage.TENANT_CLEAR -> {
        if (!target.clearTenantLocal(message.items().get(0))) {
          clear("instance " + message.origin() + " cleared a tenant this instance cannot name");
        }
        tenantClears.increment(); // after the clear: tests wait on it
      }
      default -> { }
    }
  }

  /** Records a sequenced message; returns whether it is new (duplicates of a resend are not applied). */
  private boolean accept(Peer peer, long sequence) {
    if (sequence <= peer.contiguous || peer.ahead.contains(sequence)) {
      return false;
    }
    if (sequence == peer.contiguous + 1) {
      peer.contiguous = sequence;
      while (!peer.ahead.isEmpty() && peer.ahead.first() == peer.contiguous + 1) {
        peer.contiguous = peer.ahead.pollFirst();
      }
    } else {
      peer.ahead.add(sequence);
      if (peer.ahead.size() > MAX_AHEAD) {
        skipTo(peer, peer.ahead.last());
        lost("too many messages from one instance arrived ahead of a missing one");
      }
    }
    return true;
  }

  private void heartbeat(Peer peer, CoherenceMessage message) {
    long named = message.sequence();
    if (peer.version == 1 || message.version() == 1) {
      // previous version: heartbeats may name numbers not yet sent; missing only if still missing at the next
      if (peer.v1GapUpTo >= 0 && peer.contiguous < peer.v1GapUpTo) {
        skipTo(peer, peer.v1GapUpTo);
        lost("sequence gap from instance " + message.origin());
      }
      peer.v1GapUpTo = peer.contiguous < named ? named : -1;
      if (peer.v1GapUpTo < 0 && confirming) {
        peer.confirmed = true;
      }
      return;
    }
    if (peer.contiguous < named) {
      skipTo(peer, named);
      lost("sequence gap from instance " + message.origin() + ": messages up to " + named + " were not received");
    }
    if (confirming) {
      peer.confirmed = true;
    }
  }

  private static void skipTo(Peer peer, long sequence) {
    peer.contiguous = Math.max(peer.contiguous, sequence);
    peer.ahead.headSet(peer.contiguous, true).clear();
    while (!peer.ahead.isEmpty() && peer.ahead.first() == peer.contiguous + 1) {
      peer.contiguous = peer.ahead.pollFirst();
    }
  }

  private void heardOwn(long now) {
    ownHeardNanos = now;
    everHeardOwn = true;
    if (deaf) {
      deaf = false;
      startConfirming(now);
    }
    if (confirming) {
      ownHeardWhileConfirming = true;
    }
    updateFailSafe();
  }

  @Override
  public void onResubscribed() {
    subscriptionLost = false;
    startConfirming(System.nanoTime());
    updateFailSafe();
    resubscriptions.increment(); // after the state change: tests wait on it
  }

  @Override
  public void onSubscriptionLost(Throwable cause) {
    log.debug("cache '{}': invalidation subscription lost: {}", cacheName, String.valueOf(cause));
    subscriptionLost = true;
    updateFailSafe();
  }

  /** After a window in which messages may have been lost: hold the fail-safe until every peer confirms. */
  private synchronized void startConfirming(long now) {
    confirmations++;
    confirming = true;
    ownHeardWhileConfirming = false;
    confirmNotBefore = now + 2 * heartbeatNanos;
    for (Peer p : peers.values()) {
      p.confirmed = false;
    }
  }

  /** Liveness of this instance's subscription and of every peer; ends confirmation. */
  void checkLiveness(long now) {
    if (everHeardOwn && now - ownHeardNanos > silenceNanos && !deaf) {
      deaf = true;
      log.info("cache '{}': own coherence messages not heard for {} ms: memory serves only entries younger "
          + "than the bound until they are", cacheName, TimeUnit.NANOSECONDS.toMillis(silenceNanos));
    } else if (!everHeardOwn && now - ownHeardNanos > silenceNanos) {
      deaf = true;
    }
    boolean silent = false;
    for (Map.Entry<String, Peer> e : peers.entrySet()) {
      long quiet = now - e.getValue().lastSeenNanos;
      if (quiet > 2 * silenceNanos) {
        if (peers.remove(e.getKey(), e.getValue())) {
          lost("instance " + e.getKey() + " went silent and was forgotten");
        }
      } else if (quiet > silenceNanos) {
        silent = true;
      }
    }
    anyPeerSilent = silent;
    endConfirmationIfDone(now);
    updateFailSafe();
  }

  /**
   * Ends the confirmation once every peer and this instance's own messages were heard in it. Holds the
   * lock {@link #startConfirming} takes, and ends only the confirmation it checked: a loss that starts a
   * new one meanwhile (a resubscription on the transport's thread) is never ended by the old one's check.
   */
  private synchronized void endConfirmationIfDone(long now) {
    if (!confirming || now - confirmNotBefore < 0 || !ownHeardWhileConfirming) {
      return;
    }
    long checked = confirmations;
    for (Peer p : peers.values()) {
      if (!p.confirmed) {
        return;
      }
    }
    beforeConfirmationEnds.run();
    if (checked == confirmations) {
      confirming = false;
    }
  }

  private synchronized void updateFailSafe() {
    InvalidationBus.Subscription s = subscription;
    boolean unsure =
        s == null || subscriptionLost || !s.isActive() || deaf || confirming || anyPeerSilent;
    boolean was = failSafe.isUnsure();
    if (!unsure && lossWhileUnsure) {
      lossWhileUnsure = false;
      suspect();
    }
    if (unsure != was) {
      log.debug("cache '{}': coherence {}", cacheName, unsure ? "unsure: fail-safe on" : "in sync again");
    }
    failSafe.setUnsure(unsure);
  }

  /** Messages were (or may have been) lost. */
  private void lost(String reason) {
    lastLossReason = reason;
    log.info("cache '{}': coherence messages lost ({}); memory entries stored before now are served only "
        + "while younger than the staleness bound", cacheName, reason);
    target.overtakeReads();
    if (failSafe.isUnsure()) {
      lossWhileUnsure = true;
    }
    suspect();
    losses.increment(); // after the fail-safe took it into account: tests wait on it
  }

  private void suspect() {
    target.overtakeReads();
    failSafe.suspectOlderEntries();
  }

  private void clear(String reason) {
    lastClearReason = reason;
    log.info("cache '{}': clearing the memory tier: {}", cacheName, reason);
    target.clearLocal(reason);
    clears.increment(); // after the clear: tests wait on it
  }

  // ------------------------------------------------------------------ state for health and tests

  /** Whether this instance is subscribed and hears its own messages. */
  boolean isSubscribed() {
    InvalidationBus.Subscription s = subscription;
    return s != null && s.isActive() && !deaf && !subscriptionLost;
  }

  String state() {
    return failSafe.state();
  }

  /** Tenant clears received from peers (tests wait on it). */
  long tenantClearsReceived() {
    return tenantClears.sum();
  }

  long clearCount() {
    return clears.sum();
  }

  long lossCount() {
    return losses.sum();
  }

  String lastLossReason() {
    return lastLossReason;
  }

  /** Memory hits not served by the fail-safe. */
  long failSafeBypasses() {
    return failSafe.bypassed();
  }

  /** Subscriptions re-established after a loss so far (tests wait on it). */
  long resubscriptions() {
    return resubscriptions.sum();
  }

  long publishFailures() {
    return publishFailures.sum();
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

  /** The last sequence number Redis acknowledged (tests). */
  long acknowledged() {
    return acknowledged;
  }

  /**
   * Stops heartbeats, sends what is queued (waiting at most {@code flushWait}), says goodbye and
   * unsubscribes. A goodbye names one number more than was sent when messages are left unsent, so peers
   * count the loss instead of missing it.
   */
  void close(Duration flushWait) {
    if (closing) {
      return;
    }
    closing = true;
    ScheduledFuture<?> h = heartbeat;
    if (h != null) {
      h.cancel(false);
    }
    CompletableFuture<Void> done;
    synchronized (sendLock) {
      done = drained = new CompletableFuture<>();
      retryDue = true;
    }
    drain();
    boolean flushed;
    try {
      done.get(flushWait.toNanos(), TimeUnit.NANOSECONDS);
      flushed = true;
    } catch (Exception e) {
      flushed = false;
    }
    long last;
    synchronized (sendLock) {
      last = flushed && inFlight == null ? acknowledged : assigned + 1;
    }
    try {
      bus.publish(CoherenceMessage.of(origin, last, CoherenceMessage.GOODBYE).encode())
          .get(flushWait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (Exception e) {
      log.debug("cache '{}': the goodbye message was not sent: {}", cacheName, e.toString());
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

  @Override
  public void close() {
    close(Duration.ofMillis(500));
  }
}
