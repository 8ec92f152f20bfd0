package dev.cachet.internal;

import dev.cachet.CacheLoader;
import dev.cachet.KeyCodec;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * The settings every cache shares, validated once by its builder.
 *
 * @param name the validated cache name
 * @param keyCodec maps keys one-to-one to strings; null for memory-only caches, which key by the
 *     objects themselves (then only {@code String} keys are length-checked)
 * @param maxKeyLength the longest encoded key accepted on writes and loads
 * @param defaultTtl the time to live of entries stored without one
 * @param loader the build-time loader, or {@code null}
 * @param executor runs asynchronous loads
 */
public record CacheSettings<K, V>(
    String name,
    KeyCodec<? super K> keyCodec,
    int maxKeyLength,
    Duration defaultTtl,
    CacheLoader<? super K, ? extends V> loader,
    Executor executor) {

  /** Default {@link #maxKeyLength()}: long enough for any sane key, short enough for Redis. */
  public static final int DEFAULT_MAX_KEY_LENGTH = 1024;

  /** Default time to live when a builder is given none. */
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(10);

  public CacheSettings {
    Preconditions.requireCacheName(name);
    Preconditions.requireArgument(
        maxKeyLength >= 1, () -> "maxKeyLength must be at least 1: " + maxKeyLength);
    Preconditions.requireTtl(defaultTtl, "defaultTtl");
    if (executor == null) {
      executor = ForkJoinPool.commonPool();
    }
  }

  /**
   * The key length limit when key names never reach the remote store as they are (hidden by an HMAC):
   * none.
   */
  public static final int UNLIMITED_KEY_LENGTH = Integer.MAX_VALUE;

  /** The same settings with another key length limit. */
  public CacheSettings<K, V> withMaxKeyLength(int newMaxKeyLength) {
    return new CacheSettings<>(name, keyCodec, newMaxKeyLength, defaultTtl, loader, executor);
  }

  /** The same settings under another name (tenant views, tiers of one composition). */
  public CacheSettings<K, V> withName(String newName) {
    return new CacheSettings<>(newName, keyCodec, maxKeyLength, defaultTtl, loader, executor);
  }

  /** Settings for a builder: the mutable side, checked by {@link Builder#build(boolean)}. Not thread-safe. */
  public static final class Builder<K, V> {
    private String name;
    private KeyCodec<? super K> keyCodec;
    private Integer maxKeyLength;
    private Duration defaultTtl;
    private CacheLoader<? super K, ? extends V> loader;
    private Executor executor;

    public void name(String value) {
      Preconditions.requireState(name == null, "name was already set to '" + name + "'");
      name = Preconditions.requireCacheName(value);
    }

    public void keyCodec(KeyCodec<? super K> value) {
      Preconditions.requireState(keyCodec == null, "keyCodec was already set");
      keyCodec = Preconditions.requireNonNull(value, "keyCodec");
    }

    public void maxKeyLength(int value) {
      Preconditions.requireState(maxKeyLength == null, "maxKeyLength was already set");
      Preconditions.requireArgument(value >= 1, () -> "maxKeyLength must be at least 1: " + value);
      maxKeyLength = value;
    }

    public void defaultTtl(Duration value) {
      Preconditions.requireState(defaultTtl == null, "defaultTtl was already set");
      defaultTtl = Preconditions.requireTtl(value, "defaultTtl");
    }

    public void loader(CacheLoader<? super K, ? extends V> value) {
      Preconditions.requireState(loader == null, "loader was already set");
      loader = Preconditions.requireNonNull(value, "loader");
    }

    public void executor(Executor value) {
      Preconditions.requireState(executor == null, "executor was already set");
      executor = Preconditions.requireNonNull(value, "executor");
    }

    public String name() {
      return name;
    }

    /** The key codec set, or null. */
    public KeyCodec<? super K> keyCodecOrNull() {
      return keyCodec;
    }

    /** Whether {@link #defaultTtl(Duration)} was called. */
    public boolean hasDefaultTtl() {
      return defaultTtl != null;
    }

    /** Whether {@link #maxKeyLength(int)} was called. */
    public boolean hasMaxKeyLength() {
      return maxKeyLength != null;
    }

    /** Whether {@link #loader} was called. */
    public boolean hasLoader() {
      return loader != null;
    }

    /** Whether {@link #executor(Executor)} was called. */
    public boolean hasExecutor() {
      return executor != null;
    }

    public Duration defaultTtl() {
      return defaultTtl == null ? DEFAULT_TTL : defaultTtl;
    }

    /**
     * Builds the settings.
     *
     * @param codecRequired whether the cache needs a codec (remote tiers) or may key by objects
     * @throws IllegalStateException if the name (or a required codec) was not set
     */
    public CacheSettings<K, V> build(boolean codecRequired) {
      Preconditions.requireState(name != null, "a cache name is required: call name(...)");
      KeyCodec<? super K> codec = keyCodec;
      Preconditions.requireState(
          codec != null || !codecRequired,
          "cache '" + name + "' needs a KeyCodec: call keyCodec(...) (built-ins: KeyCodec.strings(),"
              + " uuids(), longs(), integers())");
      return new CacheSettings<>(
          name,
          codec,
          maxKeyLength == null ? DEFAULT_MAX_KEY_LENGTH : maxKeyLength,
          defaultTtl(),
          loader,
          executor);
    }

    /** The options that were set, never their values where those could be sensitive. */
    public String describe() {
      StringBuilder sb = new StringBuilder();
      if (name != null) {
        sb.append("name=").append(name).append(", ");
      }
      if (defaultTtl != null) {
        sb.append("defaultTtl=").append(defaultTtl).append(", ");
      }
      if (maxKeyLength != null) {
        sb.append("maxKeyLength=").append(maxKeyLength).append(", ");
      }
      if (keyCodec != null) {
        sb.append("keyCodec, ");
      }
      if (loader != null) {
        sb.append("loader, ");
      }
      if (executor != null) {
        sb.append("executor, ");
      }
      return sb.length() == 0 ? "" : sb.substring(0, sb.length() - 2);
    }
  }
}
