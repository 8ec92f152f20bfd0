package dev.cachet.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds a remote tier from a {@code dev.cachet.spi.RemoteTierSpec} for a composing cache without the
 * composing package depending on the spec's package (the tiered cache knows no Redis): each spec class
 * registers how it is built when it is initialized, which happens before any instance of it can be
 * passed around. Typed {@code Object} so that this package depends on nothing above it. Not API.
 */
public final class RemoteTierSpecs {

  /** Builds a remote tier from a spec for a composing cache. */
  @FunctionalInterface
  public interface Builder {
    /**
     * Builds the tier ({@code dev.cachet.spi.RemoteTier}) of {@code spec} for the cache described by
     * {@code settings}, recording into {@code instrumentation}.
     */
    Object build(Object spec, CacheSettings<?, ?> settings, CacheInstrumentation instrumentation);
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
  public static Object build(Object spec, CacheSettings<?, ?> settings, CacheInstrumentation instrumentation) {
    Builder builder = BUILDERS.get(spec.getClass());
    if (builder == null) {
      throw new IllegalArgumentException(
          "unsupported RemoteTierSpec " + spec.getClass().getName()
              + ": pass a RedisCacheBuilder, or a ready-made RemoteTier to remoteTier(...)");
    }
    return builder.build(spec, settings, instrumentation);
  }
}
