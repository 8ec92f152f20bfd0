package dev.cachet.redis;

import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generation number of one cache: part of every entry key, bumped by {@code invalidateAll()} so that
 * every older entry becomes unreachable at once. Known locally, re-read every refresh interval (which
 * also recreates a lost generation key above every generation seen), and updated at once by this
 * instance's own bumps. When a bump cannot be written, the cache is <em>suspended</em>: reads miss
 * without asking Redis and the bump is retried every refresh interval until it succeeds. Thread-safe.
 *
 * <p>Every generation reply also carries the server's {@code TIME}, from which the tracker keeps the
 * offset of this instance's clock to the Redis server's ({@link #serverTimeOffsetMillis()}): envelope
 * expiry is sealed and checked in server time, so a writer's skewed clock does not decide expiry for
 * every reader. The offset is learned by the first read of the generation (which every operation waits
 * for) and refreshed with it; no command is added to a read or a write. Until it is known it is 0 (the
 * local clock is trusted).
 *
 * <p>Each tenant has a generation of its own besides ({@link #tenants()}), re-read with the cache's on
 * every refresh, so a tenant's {@code invalidateAll()} leaves other tenants' entries reachable.
 *
 * <p>{@link #stop()} cancels the periodic refresh; afterwards the tracker sends nothing on its own.
 */
final class GenerationTracker {

  private static final Logger log = LoggerFactory.getLogger(GenerationTracker.class);

  private final RedisConnections connections;
  private final String cacheName;
  private final byte[] key;
  private final Clock clock;
  private final Duration refreshInterval;
  private volatile long current = -1;
  private volatile long highestSeen;
  private volatile boolean suspended;
  private volatile CompletableFuture<Long> pending;
  private volatile long offsetMillis;
  private volatile boolean offsetKnown;
  private volatile boolean stopped;
  private volatile ScheduledFuture<?> refresher;
  private final TenantGenerations tenants;

  GenerationTracker(
      RedisConnections connections, String cacheName, String generationKey, String tenantGenerationsKey,
      Clock clock, Duration refreshInterval) {
    this.tenants = new TenantGenerations(connections, cacheName, tenantGenerationsKey);
    this.connections = connections;
    this.cacheName = cacheName;
    this.key = generationKey.getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
    this.refreshInterval = refreshInterval;
  }

  synchronized void start() {
    if (stopped) {
      return;
    }
    refresher =
        connections
            .maintenance()
            .scheduleWithFixedDelay(
                this::refresh,
                refreshInterval.toMillis(),
                refreshInterval.toMillis(),
                TimeUnit.MILLISECONDS);
  }

  synchronized void stop() {
    stopped = true;
    ScheduledFuture<?> r = refresher;
    if (r != null) {
      r.cancel(false);
    }
  }

  /** Whether the periodic refresh is still scheduled (a seam for lifecycle tests). */
  boolean isRefreshScheduled() {
    ScheduledFuture<?> r = refresher;
    return r != null && !r.isDone();
  }

  /**
   * Milliseconds to add to this instance's clock to get the Redis server's: {@code serverTime - localTime}
   * as of the last generation reply, 0 before the first.
   */
  long serverTimeOffsetMillis() {
    return offsetMillis;
  }

  /** Whether a server {@code TIME} has been seen (the offset is not just the default 0). */
  boolean serverTimeOffsetKnown() {
    return offsetKnown;
  }

  boolean isSuspended() {
    return suspended;
  }

  /** The last known generation, or -1. */
  long known() {
    return current;
  }

  /** The current generation; reads (and if needed creates) it when not known yet. */
  CompletableFuture<Long> current() {
    long c = current;
    if (c >= 0) {
      return CompletableFuture.completedFuture(c);
    }
    CompletableFuture<Long> p = pending;
    if (p != null && !p.isDone()) {
      return p;
    }
    p = run("ensure");
    pending = p;
    return p;
  }

  /** Re-reads the stored generation now (another instance may have bumped it). */
  CompletableFuture<Long> refreshNow() {
    return suspended ? bump() : run("ensure");
  }

  /** The generations of this cache's tenants. */
  TenantGenerations tenants() {
    return tenants;
  }

  /** Re-reads the cache's generation and every tracked tenant's now. */
  CompletableFuture<Void> refreshAllNow() {
    return CompletableFuture.allOf(refreshNow(), tenants.refreshAll());
  }

  /** Bumps the generation; on failure the cache is suspended until a retried bump succeeds. */
  CompletableFuture<Long> bump() {
    return run("bump")
        .whenComplete(
            (g, error) -> {
              if (error != null) {
                if (!suspended) {
                  log.warn(
                      "cache '{}': invalidateAll could not write a new generation ({}); reads skip Redis"
                          + " until it can",
                      cacheName,
                      RedisErrors.classify(error).tagValue());
                }
                suspended = true;
              } else {
                suspended = false;
              }
            });
  }

  /**
   * Ends a suspension whose bump was replaced by deleting the cache's entries (Redis refused the bump
   * with {@code OOM}): nothing older is left to read, so reads may use Redis again. A retried bump that
   * fails afterwards suspends again (the safe side).
   */
  void resumeAfterEntriesDeleted() {
    suspended = false;
  }

  private void refresh() {
    if (stopped) {
      return;
    }
    try {
      if (suspended) {
        bump();
      } else {
        run("ensure");
      }
      tenants.refreshAll();
    } catch (RuntimeException e) {
      log.debug("cache '{}': generation refresh failed: {}", cacheName, e.toString());
    }
  }

  private CompletableFuture<Long> run(String mode) {
    byte[][] keys = {key};
    long sentAt = clock.millis();
    byte[] now = Long.toString(sentAt).getBytes(StandardCharsets.US_ASCII);
    byte[] seen = Long.toString(highestSeen).getBytes(StandardCharsets.US_ASCII);
    byte[] m = mode.getBytes(StandardCharsets.US_ASCII);
    return connections
        .onKey(key, c ->
                c.<List<Object>>eval(LuaScripts.GENERATION, ScriptOutputType.MULTI, keys, m, now, seen)
                    .toCompletableFuture())
        .whenComplete(
            (g, error) -> {
              if (error != null) {
                connections.onCommandFailure(error);
              }
            })
        .thenApply(
            reply -> {
              long generation = ((Number) reply.get(0)).longValue();
              long serverMillis =
                  ((Number) reply.get(1)).longValue() * 1000 + ((Number) reply.get(2)).longValue() / 1000;
              long receivedAt = clock.millis();
              // the reply was made somewhere between send and receipt: take the midpoint
              offsetMillis = serverMillis - (sentAt + (receivedAt - sentAt) / 2);
              offsetKnown = true;
              observe(generation);
              return generation;
            });
  }

  private synchronized void observe(long generation) {
    if (generation > highestSeen) {
      highestSeen = generation;
    }
    if (generation > current) {
      current = generation;
    }
  }
}
