package dev.cachet.redis;

import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
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
  private ScheduledFuture<?> refresher;

  GenerationTracker(
      RedisConnections connections, String cacheName, String generationKey, Clock clock,
      Duration refreshInterval) {
    this.connections = connections;
    this.cacheName = cacheName;
    this.key = generationKey.getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
    this.refreshInterval = refreshInterval;
  }

  void start() {
    refresher =
        connections
            .maintenance()
            .scheduleWithFixedDelay(
                this::refresh,
                refreshInterval.toMillis(),
                refreshInterval.toMillis(),
                TimeUnit.MILLISECONDS);
  }

  void stop() {
    ScheduledFuture<?> r = refresher;
    if (r != null) {
      r.cancel(false);
    }
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

  private void refresh() {
    try {
      if (suspended) {
        bump();
      } else {
        run("ensure");
      }
    } catch (RuntimeException e) {
      log.debug("cache '{}': generation refresh failed: {}", cacheName, e.toString());
    }
  }

  private CompletableFuture<Long> run(String mode) {
    byte[][] keys = {key};
    byte[] now = Long.toString(clock.millis()).getBytes(StandardCharsets.US_ASCII);
    byte[] seen = Long.toString(highestSeen).getBytes(StandardCharsets.US_ASCII);
    byte[] m = mode.getBytes(StandardCharsets.US_ASCII);
    return connections
        .commands()
        .thenCompose(
            c ->
                c.<Long>eval(LuaScripts.GENERATION, ScriptOutputType.INTEGER, keys, m, now, seen)
                    .toCompletableFuture())
        .whenComplete(
            (g, error) -> {
              if (error != null) {
                connections.onCommandFailure(error);
              }
            })
        .thenApply(
            g -> {
              observe(g);
              return g;
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
