package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.MultiTenantCache;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Async loads take the cross-instance lease as synchronous ones do: an instance whose async get misses
 * while another instance holds the key's lease waits for the holder's value instead of calling its own
 * loader, and holds no thread while it waits (its cache executor has one thread, which stays free).
 */
class TieredAsyncLeaseIntegrationTests {

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private MultiTenantCache<String, String> instance(RedisServer redis, String name, ExecutorService executor) {
    RedisConnections connections = RedisConnections.create(redis.uri());
    resources.add(connections);
    resources.add(executor::shutdownNow);
    MultiTenantCache<String, String> cache =
        TieredTestSupport.cache(
            name, connections, TieredTestSupport.prefixFrom(redis.keyPrefix()),
            b -> b.crossInstanceLoading(Duration.ofSeconds(30), Duration.ofSeconds(30)).executor(executor));
    resources.add(cache);
    return cache;
  }

  @Test
  void asyncLoad_waitsForTheLeaseHoldersValue_withoutHoldingAThread(
      @RedisStandaloneServer(owned = true) RedisServer redis)
      throws Exception {
    String name = "async-lease-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    MultiTenantCache<String, String> holder = instance(redis, name, Executors.newFixedThreadPool(2));
    MultiTenantCache<String, String> waiter = instance(redis, name, Executors.newSingleThreadExecutor());

    CompletableFuture<String> source = new CompletableFuture<>();
    CountDownLatch holding = new CountDownLatch(1);
    CompletableFuture<String> first =
        holder.async().get("k", (k, e) -> {
          holding.countDown(); // called after the lease was taken
          return source;
        });
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();

    long setsBefore = setCalls(redis);
    AtomicInteger waiterLoads = new AtomicInteger();
    CompletableFuture<String> second =
        waiter.async().get("k", (k, e) -> {
          waiterLoads.incrementAndGet();
          return CompletableFuture.completedFuture("duplicate");
        });
    // the waiter polls the lease (one SET NX per poll); its only executor thread must stay free meanwhile
    Eventually.await(Duration.ofSeconds(10), "the waiter polled the lease three times",
        () -> setCalls(redis) >= setsBefore + 3);
    CompletableFuture<String> other =
        waiter.async().get("other", (k, e) -> CompletableFuture.completedFuture("o"));
    assertThat(other.get(10, TimeUnit.SECONDS)).isEqualTo("o");
    assertThat(second).isNotDone();

    source.complete("v");
    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("v");
    assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("v");
    assertThat(waiterLoads).hasValue(0);
  }

  /** {@code SET} calls so far ({@code INFO commandstats}): each lease attempt is one {@code SET NX PX}. */
  private static long setCalls(RedisServer redis) {
    for (String line : redis.command("INFO", "commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_set:")) {
        String rest = line.substring(line.indexOf("calls=") + 6);
        return Long.parseLong(rest.substring(0, rest.indexOf(',')));
      }
    }
    return 0;
  }
}
