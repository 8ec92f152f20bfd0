package dev.cachet.tiered;

import dev.cachet.internal.LocalTier;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Model checking of {@link KeyOrder} with Lincheck: every interleaving Lincheck explores of put,
 * invalidate, load, refresh, a peer's invalidation and clear on two keys, over a map as the memory tier
 * and a synchronous map as the remote tier (Lincheck follows only threads it starts). After each
 * scenario, {@link #memoryAgreesWithRemote()} checks the guarantee: memory holds nothing for a key or
 * exactly what the remote tier holds. The operations mirror {@code TieredCache}'s paths step by step.
 */
@Param(name = "key", gen = IntGen.class, conf = "0:1")
@Param(name = "value", gen = IntGen.class, conf = "1:3")
public class KeyOrderLincheckTests {

  private static final Duration TTL = Duration.ofMinutes(1);

  /** The memory tier: a map whose store handles are the stored boxes themselves. */
  static final class MapTier implements LocalTier<String, String> {
    final Map<String, Object[]> map = new ConcurrentHashMap<>();

    @Override
    public String peek(String key) {
      Object[] box = map.get(key);
      return box == null ? null : (String) box[0];
    }

    @Override
    public long writtenAtNanos(String key) {
      return map.containsKey(key) ? 0 : -1;
    }

    @Override
    public long nowNanos() {
      return 0;
    }

    @Override
    public Object storeWithHandle(String key, String value, Duration ttl) {
      Object[] box = {value};
      map.put(key, box);
      return box;
    }

    @Override
    public void removeIfSame(String key, Object handle) {
      map.remove(key, handle);
    }

    @Override
    public void discard(String key) {
      map.remove(key);
    }

    @Override
    public void discardAll() {
      map.clear();
    }

    @Override
    public void discardPrefix(String prefix) {
      map.keySet().removeIf(k -> k.startsWith(prefix));
    }
  }

  /** The remote tier: values with versions, so refreshes can compare-and-set on what they read. */
  private record Versioned(String value, long version) {}

  private final MapTier memory = new MapTier();
  private final KeyOrder<String> order = new KeyOrder<>(memory);
  private final Map<String, Versioned> remote = new ConcurrentHashMap<>();
  private final AtomicLong versions = new AtomicLong();

  private static String key(int k) {
    return "k" + k;
  }

  @Operation
  public void put(@Param(name = "key") int k, @Param(name = "value") int v) {
    KeyOrder.Write write = order.beginWrite(key(k));
    String value = "v" + v;
    remote.put(key(k), new Versioned(value, versions.incrementAndGet()));
    order.endWrite(write, value, TTL);
  }

  @Operation
  public void invalidate(@Param(name = "key") int k) {
    KeyOrder.Write write = order.beginWrite(key(k));
    remote.remove(key(k));
    order.endWrite(write, null, null);
  }

  /** A read through: memory, else remote (refill), else load and SET NX. */
  @Operation
  public void load(@Param(name = "key") int k, @Param(name = "value") int v) {
    String key = key(k);
    if (memory.peek(key) != null) {
      return;
    }
    long stamp = order.readStamp();
    Versioned current = remote.get(key);
    if (current != null) {
      order.storeIfUnchanged(key, stamp, current.value(), TTL);
      return;
    }
    String loaded = "l" + v;
    if (remote.putIfAbsent(key, new Versioned(loaded, versions.incrementAndGet())) == null) {
      order.storeIfUnchanged(key, stamp, loaded, TTL);
    }
  }

  /** Refresh-ahead: read, reload, compare-and-set on the version read, then memory. */
  @Operation
  public void refresh(@Param(name = "key") int k, @Param(name = "value") int v) {
    String key = key(k);
    long stamp = order.readStamp();
    Versioned read = remote.get(key);
    if (read == null) {
      return;
    }
    String fresh = "r" + v;
    if (remote.replace(key, read, new Versioned(fresh, versions.incrementAndGet()))) {
      order.storeIfUnchanged(key, stamp, fresh, TTL);
    }
  }

  /** Another instance wrote the key (its Redis write, then its message). */
  @Operation
  public void peerWrite(@Param(name = "key") int k, @Param(name = "value") int v) {
    remote.put(key(k), new Versioned("p" + v, versions.incrementAndGet()));
    order.changedElsewhere(key(k));
  }

  @Operation
  public void invalidateAll() {
    order.beginClear();
    remote.clear();
    order.endClear();
  }

  /** A tenant's invalidateAll: a scoped clear whose scope (the key's own prefix) covers one key. */
  @Operation
  public void invalidateTenant(@Param(name = "key") int k) {
    order.beginClear(key(k));
    remote.remove(key(k));
    order.endClear(key(k));
  }

  @Operation
  public void prune() {
    order.prune();
  }

  @Validate
  public void memoryAgreesWithRemote() {
    for (int k = 0; k <= 1; k++) {
      String inMemory = memory.peek(key(k));
      Versioned inRemote = remote.get(key(k));
      if (inMemory != null && (inRemote == null || !Objects.equals(inMemory, inRemote.value()))) {
        throw new IllegalStateException(
            "memory holds " + inMemory + " for " + key(k) + " but the remote tier holds "
                + (inRemote == null ? "nothing" : inRemote.value()));
      }
    }
  }

  @Test
  void modelCheck_memoryNeverDisagreesWithRemoteOnceSettled() {
    new ModelCheckingOptions()
        .iterations(20)
        .invocationsPerIteration(200)
        .threads(3)
        .actorsPerThread(3)
        .check(KeyOrderLincheckTests.class);
  }
}
