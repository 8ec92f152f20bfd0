package dev.cachet.tiered;

import dev.cachet.Cache;
import dev.cachet.memory.MemoryCacheBuilder;
import dev.cachet.redis.RedisConnections;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Run in a JVM started with {@code -Djava.util.concurrent.ForkJoinPool.common.parallelism=1} by {@link
 * AsyncLoaderCommonPoolIntegrationTests}: 1,000 concurrent async gets of 10 keys, each load a remote call
 * of 100 ms (a future completed by a delayed executor, blocking no thread), on a memory cache and on a
 * tiered cache over the Redis at {@code args[0]} with key prefix {@code args[1]}. Prints one line per
 * cache: {@code <kind> parallelism=<p> elapsedMillis=<ms> loaderCalls=<n> maxPerKey=<n> wrong=<n>}.
 */
public final class AsyncLoaderCommonPoolMain {

  private AsyncLoaderCommonPoolMain() {}

  public static void main(String[] args) throws Exception {
    try (Cache<String, String> memory =
        MemoryCacheBuilder.<String, String>newBuilder().name("async-memory").build()) {
      run("memory", memory);
    }
    try (RedisConnections connections = RedisConnections.create(args[0]);
        Cache<String, String> tiered =
            TieredTestSupport.cache("async-tiered", connections, args[1], b -> {})) {
      run("tiered", tiered);
    }
    System.exit(0);
  }

  private static void run(String kind, Cache<String, String> cache) throws Exception {
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    List<CompletableFuture<String>> futures = new ArrayList<>(1_000);
    long start = System.nanoTime();
    for (int i = 0; i < 1_000; i++) {
      String key = "key-" + (i % 10);
      futures.add(
          cache.async()
              .get(
                  key,
                  (k, executor) -> {
                    calls.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
                    return CompletableFuture.supplyAsync(
                        () -> "value-" + k, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));
                  }));
    }
    CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    int wrong = 0;
    for (int i = 0; i < futures.size(); i++) {
      if (!("value-key-" + (i % 10)).equals(futures.get(i).join())) {
        wrong++;
      }
    }
    int total = calls.values().stream().mapToInt(AtomicInteger::get).sum();
    int max = calls.values().stream().mapToInt(AtomicInteger::get).max().orElse(0);
    System.out.println(
        kind + " parallelism=" + ForkJoinPool.getCommonPoolParallelism() + " elapsedMillis=" + elapsed
            + " loaderCalls=" + total + " maxPerKey=" + max + " wrong=" + wrong);
  }
}
