package dev.cachet.internal;

import dev.cachet.spi.RemoteTier;
import dev.cachet.spi.RemoteTierSpec;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds a {@link RemoteTierSpec} for a composing cache without the composing package depending on the
 * spec's package (the tiered cache knows no Redis): each spec class registers how it is built when it
 * is initialized, which happens before any instance of it can be passed around. Not supported API.
 */
public final class RemoteTierSpecs {

  /** Builds a remote tier from a spec for a composing cache. */
  @FunctionalInterface
  public interface Builder {
    /**
     * Builds the tier of {@code spec} for the cache described by {@code settings}, recording into
     * {@code instrumentation}.
     */
    RemoteTier<?> build(RemoteTierSpec<?> spec, CacheSettings<?, ?> settings, CacheInstrumentation instrumentation);
  }

  private static final Map<Class<?>, Builder> BUILDERS = new ConcurrentHashMap<>();

  private RemoteTierSpecs() {}

  /** Registers how specs of {@code type} are built. */
  public static void register(Class<?> type, Builder builder) {
    BUILDERS.put(type, builder);
  }

  /**
   * Builds {@code spec}'s tier for the composing cache.
   *
   * @throws IllegalArgumentException if {@code spec} is not one of Cachet's remote builders
   */
  @SuppressWarnings("unchecked")
  public static <V> RemoteTier<V> build(
      RemoteTierSpec<V> spec, CacheSettings<?, V> settings, CacheInstrumentation instrumentation) {
    Builder builder = BUILDERS.get(spec.getClass());
    if (builder == null) {
      throw new IllegalArgumentException(
          "unsupported RemoteTierSpec " + spec.getClass().getName()
              + ": pass a RedisCacheBuilder, or a ready-made RemoteTier to remoteTier(...)");
    }
    return (RemoteTier<V>) builder.build(spec, settings, instrumentation);
  }
}
