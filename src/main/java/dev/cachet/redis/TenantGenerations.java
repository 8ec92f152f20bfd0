package dev.cachet.redis;

import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generation of each tenant of one cache: part of every entry key of that tenant (next to the
 * cache's generation), bumped by the tenant's {@code invalidateAll()} so that the tenant's older entries
 * become unreachable at once while other tenants keep theirs. All tenants' generations live in one Redis
 * hash ({@code {prefix}:{cache}:gen:tenants}, field = the tenant's key segment, {@code t.<id>} or
 * under naming scheme 2 {@code h.<hmac>}; "tenant" below means that segment), so one script call re-reads every
 * tracked tenant. The same rules as the cache's {@link GenerationTracker}: a missing field is created
 * above the Redis server's clock in microseconds and above every generation this instance saw, and a
 * failed bump suspends the tenant (its reads miss without asking Redis) until a retried bump succeeds.
 *
 * <p>At most {@value #MAX_TRACKED} tenants are tracked per cache on one instance; beyond, an idle one is
 * forgotten and re-read on its next use (one round trip), so memory stays bounded however many tenant
 * ids a process sees. Thread-safe.
 */
final class TenantGenerations {

  private static final Logger log = LoggerFactory.getLogger(TenantGenerations.class);

  /** Tenants tracked per cache and instance. */
  static final int MAX_TRACKED = 4_096;

  /** Tenants re-read per script call by {@link #refreshAll()}. */
  private static final int BATCH = 512;

  private static final class State {
    volatile long current = -1;
    volatile long highestSeen;
    volatile boolean suspended;
    volatile CompletableFuture<Long> pending;
  }

  private final RedisConnections connections;
  private final String cacheName;
  private final byte[] key;
  private final ConcurrentHashMap<String, State> states = new ConcurrentHashMap<>();

  TenantGenerations(RedisConnections connections, String cacheName, String hashKey) {
    this.connections = connections;
    this.cacheName = cacheName;
    this.key = hashKey.getBytes(StandardCharsets.UTF_8);
  }

  private State state(String tenant) {
    State s = states.get(tenant);
    if (s != null) {
      return s;
    }
    if (states.size() >= MAX_TRACKED) {
      forgetOneIdle();
    }
    return states.computeIfAbsent(tenant, t -> new State());
  }

  private void forgetOneIdle() {
    for (Map.Entry<String, State> e : states.entrySet()) {
      State s = e.getValue();
      CompletableFuture<Long> p = s.pending;
      if (!s.suspended && (p == null || p.isDone()) && states.remove(e.getKey(), s)) {
        return;
      }
    }
  }

  /** The known generation of {@code tenant}, or -1 (not read yet, or being re-read). */
  long known(String tenant) {
    State s = states.get(tenant);
    return s == null ? -1 : s.current;
  }

  /** The current generation of {@code tenant}; reads (and if needed creates) it when not known. */
  CompletableFuture<Long> current(String tenant) {
    State s = state(tenant);
    long c = s.current;
    if (c >= 0) {
      return CompletableFuture.completedFuture(c);
    }
    CompletableFuture<Long> p = s.pending;
    if (p != null && !p.isDone()) {
      return p;
    }
    p = run("ensure", List.of(tenant)).thenApply(m -> m.get(tenant));
    s.pending = p;
    return p;
  }

  /**
   * Forgets the known generation of {@code tenant} and re-reads it: until the reply, operations of the
   * tenant wait for it instead of using the old one (another instance bumped it).
   */
  CompletableFuture<Long> reread(String tenant) {
    State s = state(tenant);
    if (s.suspended) {
      return bump(tenant);
    }
    s.current = -1;
    CompletableFuture<Long> p = run("ensure", List.of(tenant)).thenApply(m -> m.get(tenant));
    s.pending = p;
    return p;
  }

  boolean isSuspended(String tenant) {
    State s = states.get(tenant);
    return s != null && s.suspended;
  }

  /** As {@link GenerationTracker#resumeAfterEntriesDeleted}, for one tenant whose entries were deleted. */
  void resumeAfterEntriesDeleted(String tenant) {
    State s = states.get(tenant);
    if (s != null) {
      s.suspended = false;
    }
  }

  /** Bumps the generation of {@code tenant}; on failure the tenant is suspended until a retried bump. */
  CompletableFuture<Long> bump(String tenant) {
    State s = state(tenant);
    return run("bump", List.of(tenant))
        .thenApply(m -> m.get(tenant))
        .whenComplete(
            (g, error) -> {
              if (error != null) {
                if (!s.suspended) {
                  log.warn(
                      "cache '{}': invalidateAll of a tenant could not write a new generation ({}); that"
                          + " tenant's reads skip Redis until it can",
                      cacheName,
                      RedisErrors.classify(error).tagValue());
                }
                s.suspended = true;
                states.putIfAbsent(tenant, s); // never forget a suspended tenant
              } else {
                s.suspended = false;
              }
            });
  }

  /**
   * Re-reads every tracked tenant's generation (retrying the bump of suspended ones); called with the
   * cache's periodic generation refresh and when coherence says another instance cleared something.
   */
  CompletableFuture<Void> refreshAll() {
    List<String> ensure = new ArrayList<>();
    List<CompletableFuture<?>> calls = new ArrayList<>();
    for (Map.Entry<String, State> e : states.entrySet()) {
      if (e.getValue().suspended) {
        calls.add(bump(e.getKey()));
      } else {
        ensure.add(e.getKey());
        if (ensure.size() == BATCH) {
          calls.add(run("ensure", ensure));
          ensure = new ArrayList<>();
        }
      }
    }
    if (!ensure.isEmpty()) {
      calls.add(run("ensure", ensure));
    }
    return CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0]));
  }

  /** Tenants tracked (tests). */
  int tracked() {
    return states.size();
  }

  private CompletableFuture<Map<String, Long>> run(String mode, List<String> tenants) {
    byte[][] keys = {key};
    byte[][] args = new byte[1 + 2 * tenants.size()][];
    args[0] = mode.getBytes(StandardCharsets.US_ASCII);
    List<State> tracked = new ArrayList<>(tenants.size());
    for (int i = 0; i < tenants.size(); i++) {
      State s = state(tenants.get(i));
      tracked.add(s);
      args[1 + 2 * i] = tenants.get(i).getBytes(StandardCharsets.UTF_8);
      args[2 + 2 * i] = Long.toString(s.highestSeen).getBytes(StandardCharsets.US_ASCII);
    }
    return connections
        .onKey(keys[0], c ->
                c.<List<Object>>eval(LuaScripts.TENANT_GENERATIONS, ScriptOutputType.MULTI, keys, args)
                    .toCompletableFuture())
        .whenComplete(
            (g, error) -> {
              if (error != null) {
                connections.onCommandFailure(error);
              }
            })
        .thenApply(
            reply -> {
              Map<String, Long> result = new HashMap<>();
              for (int i = 0; i < tenants.size(); i++) {
                long generation = ((Number) reply.get(i)).longValue();
                observe(tracked.get(i), generation);
                result.put(tenants.get(i), generation);
              }
              return result;
            });
  }

  private static void observe(State s, long generation) {
    synchronized (s) {
      if (generation > s.highestSeen) {
        s.highestSeen = generation;
      }
      if (generation > s.current) {
        s.current = generation;
      }
    }
  }
}
