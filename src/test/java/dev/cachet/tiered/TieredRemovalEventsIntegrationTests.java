package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.MultiTenantCache;
import dev.cachet.RemovalCause;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Removal events of a tiered cache for the causes other instances bring: a peer's put or invalidate
 * drops this instance's copy ({@code PEER_INVALIDATED}), a peer's {@code invalidateAll} clears its memory
 * ({@code COHERENCE_CLEARED}); and the local ones (own put: {@code REPLACED}, own invalidate: {@code
 * EXPLICIT}), with encoded keys.
 */
class TieredRemovalEventsIntegrationTests {

  @RedisStandaloneServer static RedisServer redis;

  private static final Duration DEADLINE = Duration.ofSeconds(10);

  record Event(String key, String value, RemovalCause cause) {}

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private TieredCache<String, String> instance(String name, List<Event> events) {
    RedisConnections connections = RedisConnections.create(redis.uri());
    resources.add(connections);
    MultiTenantCache<String, String> cache =
        TieredTestSupport.cache(name, connections, TieredTestSupport.prefixFrom(redis.keyPrefix()),
            b -> b.removalListener((k, v, cause) -> events.add(new Event(k, v, cause))));
    resources.add(cache);
    return (TieredCache<String, String>) cache;
  }

  private static boolean has(List<Event> events, String key, String value, RemovalCause cause) {
    return events.contains(new Event(key, value, cause));
  }

  private static void holds(TieredCache<String, String> cache, String key, String value) {
    Eventually.await(DEADLINE, "memory holds " + key, () -> {
      assertThat(cache.getIfPresent(key)).isEqualTo(value);
      return value.equals(cache.peekMemory(key));
    });
  }

  @Test
  void everyCause_localAndFromPeers() {
    String name = "rm-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    List<Event> aEvents = new CopyOnWriteArrayList<>();
    List<Event> bEvents = new CopyOnWriteArrayList<>();
    TieredCache<String, String> a = instance(name, aEvents);
    TieredCache<String, String> b = instance(name, bEvents);
    Eventually.await(DEADLINE, "both subscribed",
        () -> a.coherence().isSubscribed() && b.coherence().isSubscribed());

    a.put("k", "v1");
    holds(b, "k", "v1"); // B's memory holds v1 (A's own message may drop B's first refill: read again)
    a.put("k", "v2"); // A replaces its own copy; B drops v1 on A's message
    Eventually.await(DEADLINE, "A: REPLACED", () -> has(aEvents, "k", "v1", RemovalCause.REPLACED));
    Eventually.await(DEADLINE, "B: PEER_INVALIDATED", () -> { assertThat(bEvents).contains(new Event("k", "v1", RemovalCause.PEER_INVALIDATED)); });

    holds(b, "k", "v2");
    a.invalidate("k");
    Eventually.await(DEADLINE, "A: EXPLICIT", () -> has(aEvents, "k", "v2", RemovalCause.EXPLICIT));
    Eventually.await(DEADLINE, "B: PEER_INVALIDATED v2", () -> has(bEvents, "k", "v2", RemovalCause.PEER_INVALIDATED));

    // B writes "c" itself: a copy B refilled from A's write could still be dropped by A's late put
    // message (PEER_INVALIDATED) after the check, leaving nothing for the clear to report
    b.put("c", "v3");
    assertThat(b.peekMemory("c")).isEqualTo("v3");
    a.invalidateAll();
    Eventually.await(DEADLINE, "B: COHERENCE_CLEARED", () -> has(bEvents, "c", "v3", RemovalCause.COHERENCE_CLEARED));
  }
}
