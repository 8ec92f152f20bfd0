package dev.cachet.memory;

import dev.cachet.Cache;
import dev.cachet.CacheLoader;
import dev.cachet.KeyCodec;
import dev.cachet.Ticker;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.CacheSettings;
import dev.cachet.internal.Preconditions;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * Builds a memory-only {@link Cache} on Caffeine.
 *
 * <pre>{@code
 * Cache<String, User> users = MemoryCacheBuilder.<String, User>newBuilder()
 *     .name("users")
 *     .maximumSize(10_000)
 *     .defaultTtl(Duration.ofMinutes(5))
 *     .build();
 * }</pre>
 *
 * <p>The cache is bounded either by entry count ({@link #maximumSize}, default {@value
 * #DEFAULT_MAXIMUM_SIZE}) or by bytes ({@link #maximumBytes}); every entry expires (default TTL {@code
 * 10 minutes}). Each setter may be called once ({@code IllegalStateException} otherwise) and rejects
 * bad values with {@code IllegalArgumentException} naming the setting. A builder is not thread-safe;
 * {@link #build()} leaves it unchanged, so it can build several caches.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class MemoryCacheBuilder<K, V> {

  /** The entry bound when neither {@link #maximumSize} nor {@link #maximumBytes} is set. */
  public static final long DEFAULT_MAXIMUM_SIZE = 10_000;

  private final CacheSettings.Builder<K, V> settings = new CacheSettings.Builder<>();
  private Long maximumSize;
  private Long maximumBytes;
  private ValueWeigher<? super V> weigher;
  private Duration negativeTtl;
  private Ticker ticker;
  private dev.cachet.RemovalListener<? super K, ? super V> removalListener;

  private MemoryCacheBuilder() {}

  /**
   * Tells {@code listener} about every entry that leaves the cache, with the cause (explicit, replaced,
   * expired, evicted by size), on the cache's executor; see {@link dev.cachet.RemovalListener}.
   *
   * @throws NullPointerException if {@code listener} is null
   * @throws IllegalStateException if a listener was already set
   */
  public MemoryCacheBuilder<K, V> removalListener(dev.cachet.RemovalListener<? super K, ? super V> listener) {
    Preconditions.requireState(removalListener == null, "removalListener was already set");
    this.removalListener = Preconditions.requireNonNull(listener, "listener");
    return this;
  }

  /** A new builder. */
  public static <K, V> MemoryCacheBuilder<K, V> newBuilder() {
    return new MemoryCacheBuilder<>();
  }

  /** The cache name (required): {@code [a-z0-9][a-z0-9_-]{0,62}}. */
  public MemoryCacheBuilder<K, V> name(String name) {
    settings.name(name);
    return this;
  }

  /** The time to live of entries stored without one (default 10 minutes). */
  public MemoryCacheBuilder<K, V> defaultTtl(Duration ttl) {
    settings.defaultTtl(ttl);
    return this;
  }

  /** Bounds the cache to {@code maximumSize} entries. Exclusive with {@link #maximumBytes}. */
  public MemoryCacheBuilder<K, V> maximumSize(long maximumSize) {
    Preconditions.requireState(this.maximumSize == null, "maximumSize was already set");
    Preconditions.requireState(
        maximumBytes == null, "maximumBytes was already set; a cache has one kind of bound");
    this.maximumSize = Preconditions.requireAtLeast(maximumSize, 0, "maximumSize");
    return this;
  }

  /**
   * Bounds the cache to about {@code maximumBytes} of values, weighed by {@link #weigher} or, when none
   * is set, exactly for {@code byte[]} (its length) and {@code String} (its UTF-8 length); other value
   * types then need a weigher, and storing one without throws {@code IllegalArgumentException}.
   * Exclusive with {@link #maximumSize}.
   */
  public MemoryCacheBuilder<K, V> maximumBytes(long maximumBytes) {
    Preconditions.requireState(this.maximumBytes == null, "maximumBytes was already set");
    Preconditions.requireState(
        maximumSize == null, "maximumSize was already set; a cache has one kind of bound");
    this.maximumBytes = Preconditions.requireAtLeast(maximumBytes, 0, "maximumBytes");
    return this;
  }

  /** Weighs values for {@link #maximumBytes}. */
  public MemoryCacheBuilder<K, V> weigher(ValueWeigher<? super V> weigher) {
    Preconditions.requireState(this.weigher == null, "weigher was already set");
    this.weigher = Preconditions.requireNonNull(weigher, "weigher");
    return this;
  }

  /**
   * Caches a loader's {@code null} result (an absence) for {@code ttl}, so repeated lookups of a missing
   * key do not all reach the loader. Off by default. {@code getIfPresent} returns null for a cached
   * absence and counts a hit.
   */
  public MemoryCacheBuilder<K, V> cacheAbsencesFor(Duration ttl) {
    Preconditions.requireState(negativeTtl == null, "cacheAbsencesFor was already set");
    negativeTtl = Preconditions.requireTtl(ttl, "cacheAbsencesFor");
    return this;
  }

  /** The time source for expiry (default {@link Ticker#system()}); tests pass a fake one. */
  public MemoryCacheBuilder<K, V> ticker(Ticker ticker) {
    Preconditions.requireState(this.ticker == null, "ticker was already set");
    this.ticker = Preconditions.requireNonNull(ticker, "ticker");
    return this;
  }

  /** The loader used by {@link Cache#get(Object)}. */
  public MemoryCacheBuilder<K, V> loader(CacheLoader<? super K, ? extends V> loader) {
    settings.loader(loader);
    return this;
  }

  /** Runs asynchronous loads (default: the common fork-join pool). */
  public MemoryCacheBuilder<K, V> executor(Executor executor) {
    settings.executor(executor);
    return this;
  }

  /**
   * A codec for the key-length check. Memory-only caches key by the objects themselves and need none;
   * without one, only {@code String} keys are length-checked.
   */
  public MemoryCacheBuilder<K, V> keyCodec(KeyCodec<? super K> keyCodec) {
    settings.keyCodec(keyCodec);
    return this;
  }

  /**
   * The longest accepted key, in characters of its encoded form ({@code String} keys themselves when no
   * codec is set); default no limit, since a memory-only cache's keys never leave the process. A longer
   * key is refused with {@code IllegalArgumentException} on writes and loads.
   */
  public MemoryCacheBuilder<K, V> maxKeyLength(int maxKeyLength) {
    settings.maxKeyLength(maxKeyLength);
    return this;
  }

  /**
   * Builds the cache.
   *
   * @throws IllegalStateException if no name was set, or a weigher without {@link #maximumBytes}
   */
  public Cache<K, V> build() {
    return buildMemoryCache();
  }

  CaffeineMemoryCache<K, V> buildMemoryCache() {
    Preconditions.requireState(
        weigher == null || maximumBytes != null,
        "weigher was set without maximumBytes: a weigher only matters for a byte bound");
    CacheSettings<K, V> built = settings.build(false);
    if (!settings.hasMaxKeyLength()) {
      built = built.withMaxKeyLength(CacheSettings.UNLIMITED_KEY_LENGTH); // keys never leave the process
    }
    @SuppressWarnings("unchecked")
    ValueWeigher<Object> w =
        maximumBytes == null
            ? null
            : (ValueWeigher<Object>) (weigher != null ? weigher : new DefaultWeigher(built.name()));
    CaffeineMemoryCache<K, V> cache =
        new CaffeineMemoryCache<>(
            built,
            new CacheInstrumentation(),
            maximumBytes == null ? (maximumSize == null ? DEFAULT_MAXIMUM_SIZE : maximumSize) : maximumBytes,
            w,
            negativeTtl,
            ticker == null ? Ticker.system() : ticker);
    if (removalListener != null) {
      cache.removalListener(removalListener, k -> k);
    }
    return cache;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("MemoryCacheBuilder{").append(settings.describe());
    if (maximumSize != null) {
      sb.append(", maximumSize=").append(maximumSize);
    }
    if (maximumBytes != null) {
      sb.append(", maximumBytes=").append(maximumBytes);
    }
    if (weigher != null) {
      sb.append(", weigher");
    }
    if (negativeTtl != null) {
      sb.append(", cacheAbsencesFor=").append(negativeTtl);
    }
    return sb.append('}').toString();
  }

  /** Exact for {@code byte[]} and {@code String} (UTF-8 bytes); rejects other types. */
  static final class DefaultWeigher implements ValueWeigher<Object> {
    private final String cacheName;

    DefaultWeigher(String cacheName) {
      this.cacheName = cacheName;
    }

    @Override
    public int weigh(Object value) {
      if (value instanceof byte[]) {
        return ((byte[]) value).length;
      }
      if (value instanceof String) {
        return utf8Length((String) value);
      }
      throw new IllegalArgumentException(
          "cache '"
              + cacheName
              + "' is bounded by bytes but cannot weigh a "
              + value.getClass().getName()
              + ": set a weigher(...) on the builder (only byte[] and String are weighed by default)");
    }

    static int utf8Length(String s) {
      int n = s.length();
      int bytes = 0;
      for (int i = 0; i < n; i++) {
        char c = s.charAt(i);
        if (c < 0x80) {
          bytes++;
        } else if (c < 0x800) {
          bytes += 2;
        } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          bytes += 4;
          i++;
        } else {
          bytes += 3;
        }
      }
      return bytes;
    }
  }
}
