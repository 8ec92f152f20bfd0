package dev.cachet.tiered;

import dev.cachet.CacheHealth;
import dev.cachet.InvalidValueException;
import dev.cachet.spi.InvalidationBus;
import dev.cachet.spi.LeaseLock;
import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteTier;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A remote tier whose operations the test drives: operations of the held kinds wait in a queue until
 * the test {@linkplain Pending#apply() applies} them to the store and {@linkplain Pending#complete()
 * completes} their futures, in any order it chooses (applying and completing separately models a reply
 * that arrives late, or a retry that lands after a later command). Other operations apply and complete
 * at once. Values carry a version as their token, so compare-and-set works as on Redis.
 */
final class ScriptedRemoteTier<V> implements RemoteTier<V> {

  enum Op { GET, GET_ALL, PUT, PUT_IF_ABSENT, REPLACE, PUT_ALL, INVALIDATE, INVALIDATE_ALL }

  private record Stored<V>(V value, long version) {}

  /** One held operation. */
  final class Pending {
    final Op op;
    final String key;
    final V value;
    final CompletableFuture<Object> future = new CompletableFuture<>();
    private final java.util.function.Supplier<Object> action;
    private Object result;
    private boolean applied;

    Pending(Op op, String key, V value, java.util.function.Supplier<Object> action) {
      this.op = op;
      this.key = key;
      this.value = value;
      this.action = action;
    }

    /** Applies the operation to the store (what Redis would do when the command arrives). */
    Pending apply() {
      synchronized (ScriptedRemoteTier.this) {
        result = action.get();
        applied = true;
      }
      return this;
    }

    /** Completes the caller's future with the applied result (the reply arrives). */
    void complete() {
      if (!applied) {
        throw new IllegalStateException("apply before complete");
      }
      future.complete(result);
    }

    /** Fails the caller's future (a timeout: applied or not, the caller cannot know). */
    void fail(Throwable error) {
      future.completeExceptionally(error);
    }

    @Override
    public String toString() {
      return op + "(" + key + (value == null ? "" : "=" + value) + ")";
    }
  }

  private final String cacheName;
  private final Map<String, Stored<V>> store = new ConcurrentHashMap<>();
  private final AtomicLong versions = new AtomicLong();
  private final LinkedBlockingQueue<Pending> pending = new LinkedBlockingQueue<>();
  private final Set<Op> held = EnumSet.noneOf(Op.class);
  volatile Predicate<V> refuse = v -> false;
  volatile boolean down;

  ScriptedRemoteTier(String cacheName) {
    this.cacheName = cacheName;
  }

  /** Holds operations of these kinds until the test applies and completes them. */
  synchronized ScriptedRemoteTier<V> hold(Op... ops) {
    held.clear();
    held.addAll(Arrays.asList(ops));
    return this;
  }

  /** The next held operation, waiting up to 5 s for it. */
  Pending next() throws InterruptedException {
    Pending p = pending.poll(5, TimeUnit.SECONDS);
    if (p == null) {
      throw new AssertionError("no held remote operation arrived within 5 s");
    }
    return p;
  }

  /** The next held operation of {@code op} with {@code value} (others stay queued in order). */
  Pending next(Op op, V value) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      for (Pending p : pending) {
        if (p.op == op && java.util.Objects.equals(p.value, value) && pending.remove(p)) {
          return p;
        }
      }
      Thread.sleep(1);
    }
    throw new AssertionError("no held " + op + " of " + value + " arrived within 5 s; queued: " + pending);
  }

  int queued() {
    return pending.size();
  }

  /** What the store holds for {@code key}, or null. */
  V stored(String key) {
    Stored<V> s = store.get(key);
    return s == null ? null : s.value();
  }

  void storeDirectly(String key, V value) {
    store.put(key, new Stored<>(value, versions.incrementAndGet()));
  }

  @SuppressWarnings("unchecked")
  private <T> CompletableFuture<T> run(Op op, String key, V value, java.util.function.Supplier<Object> action) {
    if (down) {
      return CompletableFuture.failedFuture(new java.io.IOException("scripted outage"));
    }
    Pending p = new Pending(op, key, value, action);
    boolean hold;
    synchronized (this) {
      hold = held.contains(op);
    }
    if (hold) {
      pending.add(p);
    } else {
      p.apply().complete();
    }
    return (CompletableFuture<T>) p.future;
  }

  private void check(V value) {
    if (refuse.test(value)) {
      throw new InvalidValueException(cacheName, InvalidValueException.Reason.TOO_LARGE, "scripted: too large", null);
    }
  }

  private RemoteEntry<V> entry(Stored<V> s) {
    return s == null
        ? null
        : new RemoteEntry<>(s.value(), System.currentTimeMillis() + 600_000,
            ByteBuffer.allocate(8).putLong(s.version()).array());
  }

  @Override
  public String cacheName() {
    return cacheName;
  }

  @Override
  public CompletableFuture<RemoteEntry<V>> get(String key, java.util.concurrent.Executor decoder) {
    return run(Op.GET, key, null, () -> entry(store.get(key)));
  }

  @Override
  public CompletableFuture<Map<String, RemoteEntry<V>>> getAll(
      Collection<String> keys, java.util.concurrent.Executor decoder) {
    return run(Op.GET_ALL, null, null, () -> {
      Map<String, RemoteEntry<V>> found = new LinkedHashMap<>();
      for (String k : keys) {
        RemoteEntry<V> e = entry(store.get(k));
        if (e != null) {
          found.put(k, e);
        }
      }
      return found;
    });
  }

  @Override
  public CompletableFuture<Void> put(String key, V value, Duration ttl) {
    check(value);
    return run(Op.PUT, key, value, () -> {
      store.put(key, new Stored<>(value, versions.incrementAndGet()));
      return null;
    });
  }

  @Override
  public CompletableFuture<Boolean> putIfAbsent(String key, V value, Duration ttl) {
    check(value);
    return run(Op.PUT_IF_ABSENT, key, value,
        () -> store.putIfAbsent(key, new Stored<>(value, versions.incrementAndGet())) == null);
  }

  @Override
  public CompletableFuture<Boolean> replace(String key, RemoteEntry<V> expected, V value, Duration ttl) {
    check(value);
    return run(Op.REPLACE, key, value, () -> {
      Stored<V> current = store.get(key);
      if (expected == null) {
        return current == null && store.putIfAbsent(key, new Stored<>(value, versions.incrementAndGet())) == null;
      }
      if (current == null || current.version() != ByteBuffer.wrap(expected.token()).getLong()) {
        return false;
      }
      store.put(key, new Stored<>(value, versions.incrementAndGet()));
      return true;
    });
  }

  @Override
  public CompletableFuture<Void> putAll(Map<String, V> entries, Duration ttl) {
    entries.values().forEach(this::check);
    return run(Op.PUT_ALL, null, null, () -> {
      entries.forEach((k, v) -> store.put(k, new Stored<>(v, versions.incrementAndGet())));
      return null;
    });
  }

  @Override
  public CompletableFuture<Void> invalidate(Collection<String> keys) {
    String key = keys.size() == 1 ? keys.iterator().next() : null;
    return run(Op.INVALIDATE, key, null, () -> {
      keys.forEach(store::remove);
      return null;
    });
  }

  @Override
  public CompletableFuture<Void> invalidateAll() {
    return run(Op.INVALIDATE_ALL, null, null, () -> {
      store.clear();
      return null;
    });
  }

  @Override
  public CompletableFuture<Long> invalidateMatching(String glob) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("pattern invalidation"));
  }

  @Override
  public boolean supportsPatternInvalidation() {
    return false;
  }

  @Override
  public RemoteTier<V> forTenant(String tenantId) {
    throw new UnsupportedOperationException("tenants");
  }

  @Override
  public InvalidationBus invalidationBus() {
    throw new UnsupportedOperationException("build with coherence(false)");
  }

  @Override
  public LeaseLock leaseLock() {
    throw new UnsupportedOperationException("leases");
  }

  @Override
  public CacheHealth health() {
    return CacheHealth.newBuilder(CacheHealth.Status.UP).build();
  }

  @Override
  public void close() {}
}
