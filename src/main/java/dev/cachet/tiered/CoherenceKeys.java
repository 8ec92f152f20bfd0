package dev.cachet.tiered;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * How coherence messages name keys, and back. A memory key is {@code key} (escaped {@code "\0\1" key}
 * when it starts with {@code \0}) or {@code "\0" tenant "\0" key}; its message item is {@code "-:" key}
 * or {@code "t." tenant ":" key}. With key names hidden, the item carries the hidden name (the HMAC the
 * Redis key names use) instead of the key, and receivers map it back through an index filled when an
 * entry enters memory ({@link KeyOrder.StoreGuard}), never on a memory hit.
 *
 * <p>Index invariant: every key in memory whose entry was stored since the cache started is in the
 * index (entries are added inside the key's {@link KeyOrder} bin before the store and pruned under the
 * same bin when memory no longer holds them). A hidden item that is not in the index therefore has no
 * memory entry; it is still remembered for a while so that a read of that key in flight does not store
 * a value older than the change ({@link #mayStore}). Thread-safe.
 */
final class CoherenceKeys implements KeyOrder.StoreGuard {

  private final BiFunction<String, String, String> hiddenName;
  private final ConcurrentHashMap<String, String> index = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> recentlyChanged = new ConcurrentHashMap<>();
  private volatile KeyOrder<?> order;

  /**
   * @param hiddenName (tenant or null, encoded key) to the hidden name, or null when names are not
   *     hidden; null for a cache that never hides names
   */
  CoherenceKeys(BiFunction<String, String, String> hiddenName) {
    this.hiddenName = hiddenName;
  }

  void attach(KeyOrder<?> order) {
    this.order = order;
  }

  boolean hiding() {
    return hiddenName != null;
  }

  /** The message item of a memory key: the key in clear, or its hidden name when hiding. */
  String itemOf(String memoryKey) {
    String tenant = null;
    String encoded;
    if (memoryKey.isEmpty() || memoryKey.charAt(0) != '\0') {
      encoded = memoryKey;
    } else if (memoryKey.length() >= 2 && memoryKey.charAt(1) == '\1') {
      encoded = memoryKey.substring(2);
    } else {
      int end = memoryKey.indexOf('\0', 1);
      tenant = memoryKey.substring(1, end);
      encoded = memoryKey.substring(end + 1);
    }
    String name = hiddenName == null ? encoded : hiddenName.apply(tenant, encoded);
    return (tenant == null ? "-:" : "t." + tenant + ":") + name;
  }

  /** The memory key of an item in clear, or null when the item is malformed. */
  static String memoryKeyOfClearItem(String item) {
    if (item.startsWith("-:")) {
      String encoded = item.substring(2);
      return encoded.isEmpty() || encoded.charAt(0) != '\0' ? encoded : "\0\1" + encoded;
    }
    int colon = item.indexOf(':');
    if (!item.startsWith("t.") || colon < 3) {
      return null;
    }
    return "\0" + item.substring(2, colon) + "\0" + item.substring(colon + 1);
  }

  /**
   * Another instance changed the key named by a hidden item: remembered first (a read in flight will not
   * store), then the memory key, if memory may hold it, is returned for the key order to drop.
   */
  String changedHidden(String item) {
    KeyOrder<?> o = order;
    recentlyChanged.put(item, o == null ? Long.MAX_VALUE : o.stamp());
    return index.get(item);
  }

  @Override
  public boolean mayStore(String memoryKey, long sinceStamp) {
    if (hiddenName == null) {
      return true;
    }
    String item = itemOf(memoryKey);
    index.put(item, memoryKey);
    Long changed = recentlyChanged.get(item);
    return changed == null || changed <= sinceStamp;
  }

  /**
   * Once per tick: forgets index entries whose key left memory (checked under the key's bin, so a
   * concurrent store cannot be missed) and changes older than {@code floor} (reads that began before it
   * are refused by the key order anyway).
   */
  void prune(long floor, java.util.function.Predicate<String> inMemory) {
    KeyOrder<?> o = order;
    if (hiddenName == null || o == null) {
      return;
    }
    recentlyChanged.values().removeIf(stamp -> stamp < floor);
    for (Iterator<Map.Entry<String, String>> it = index.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, String> e = it.next();
      String item = e.getKey();
      String memoryKey = e.getValue();
      o.underKey(memoryKey, () -> {
        if (!inMemory.test(memoryKey)) {
          index.remove(item, memoryKey);
        }
      });
    }
  }

  /** Hidden names indexed (tests). */
  int indexed() {
    return index.size();
  }
}
