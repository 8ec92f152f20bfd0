package dev.cachet.tiered;

import dev.cachet.MultiTenantCache;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.redis.RedisServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Instances of one tiered cache for the multi-instance integration tests: each with its own {@link
 * RedisConnections} (as separate processes would have), everything closed after each test in reverse
 * order. Register as {@code @RegisterExtension final TieredInstances instances = new TieredInstances();}.
 */
final class TieredInstances implements AfterEachCallback {

  private final List<AutoCloseable> resources = new ArrayList<>();

  /** A cache name no other test uses: {@code prefix-<random>}. */
  static String uniqueName(String prefix) {
    return prefix + "-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
  }

  /** Closes {@code resource} after the test, before everything added earlier. */
  synchronized <T extends AutoCloseable> T add(T resource) {
    resources.add(resource);
    return resource;
  }

  /** A new instance of cache {@code name} on {@code redis}, heartbeats every 200 ms. */
  TieredCache<String, String> on(RedisServer redis, String name) {
    return on(redis, name, b -> {});
  }

  /** {@link #on(RedisServer, String)}, with {@code customizer} applied to the builder. */
  TieredCache<String, String> on(
      RedisServer redis, String name, Consumer<TieredCacheBuilder<String, String>> customizer) {
    return on(add(RedisConnections.create(redis.uri())), TieredTestSupport.prefixFrom(redis.keyPrefix()), name,
        customizer);
  }

  /** A new instance of cache {@code name} on {@code connections} (closed by the caller or added here). */
  TieredCache<String, String> on(
      RedisConnections connections, String prefix, String name,
      Consumer<TieredCacheBuilder<String, String>> customizer) {
    MultiTenantCache<String, String> cache = TieredTestSupport.cache(name, connections, prefix, customizer);
    return (TieredCache<String, String>) add(cache);
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    List<AutoCloseable> all;
    synchronized (this) {
      all = new ArrayList<>(resources);
      resources.clear();
    }
    Exception first = null;
    for (int i = all.size() - 1; i >= 0; i--) {
      try {
        all.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
