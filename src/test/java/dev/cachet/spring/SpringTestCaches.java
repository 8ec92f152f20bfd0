package dev.cachet.spring;

import dev.cachet.Cache;
import dev.cachet.memory.MemoryCacheBuilder;
import java.time.Duration;
import java.util.function.Function;

/** Cache functions for the Spring tests. */
final class SpringTestCaches {

  private SpringTestCaches() {}

  /** Memory-only caches named and keyed as the manager asks. */
  static Function<SpringCacheSpec, Cache<Object, Object>> memory() {
    return spec ->
        MemoryCacheBuilder.<Object, Object>newBuilder()
            .name(spec.name())
            .keyCodec(spec.keyCodec())
            .defaultTtl(Duration.ofMinutes(5))
            .build();
  }

  static CachetCacheManager memoryManager(boolean allowNullValues) {
    return CachetCacheManager.newBuilder(memory()).allowNullValues(allowNullValues).build();
  }
}
