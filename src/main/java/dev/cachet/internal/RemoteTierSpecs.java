package dev.cachet.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

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
  private static final Map<Class<?>, Predicate<Object>> HIDES_KEY_NAMES = new ConcurrentHashMap<>();

  private RemoteTierSpecs() {}

  /** Registers how specs of {@code type} are built. */
  public static void register(Class<?> type, Builder builder) {
    BUILDERS.put(type, builder);
  }

  /**
   * Registers how specs of {@code type} are built, and whether a spec's tier stores key names hidden
   * (a fixed-length HMAC instead of the encoded key): then the composing cache lifts its default key
   * length limit, which exists only for names stored as they are.
   */
  public static void register(Class<?> type, Builder builder, Predicate<Object> hidesKeyNames) {
    BUILDERS.put(type, builder);
    HIDES_KEY_NAMES.put(type, hidesKeyNames);
  }

  /** Whether {@code spec}'s tier hides key names; false for specs that did not say. */
  public static boolean hidesKeyNames(Object spec) {
    Predicate<Object> hides = HIDES_KEY_NAMES.get(spec.getClass());
    return hides != null && hides.test(spec);
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
