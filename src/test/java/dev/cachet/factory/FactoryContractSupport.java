package dev.cachet.factory;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests.Spec;
import dev.cachet.CachetEnvironment;
import dev.cachet.serialization.ValueSerializers;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Builds contract-suite caches through a preset: one factory per cache, so the spec's bound applies. */
final class FactoryContractSupport {

  private FactoryContractSupport() {}

  static <K> Cache<K, String> build(
      CacheFactory.Builder builder, Spec<K> spec, List<CacheFactory> factories) {
    Map<String, String> env = new HashMap<>();
    if (spec.maximumSize() > 0) {
      env.put(
          CachetEnvironment.cacheVariable(spec.name(), CachetEnvironment.MAX_SIZE_SUFFIX),
          Long.toString(spec.maximumSize()));
    }
    builder.environment(CachetEnvironment.of(env)).defaultTtl(spec.defaultTtl());
    if (spec.ticker() != null) {
      builder.ticker(spec.ticker());
    }
    CacheFactory factory = builder.build();
    factories.add(factory);
    return factory.cache(
        spec.name(), spec.keyCodec(), ValueSerializers.json(String.class),
        memory -> {
          memory.maxKeyLength(spec.maxKeyLength());
          if (spec.loader() != null) {
            memory.loader(spec.loader());
          }
        },
        tiered -> {
          tiered.maxKeyLength(spec.maxKeyLength());
          if (spec.loader() != null) {
            tiered.loader(spec.loader());
          }
        });
  }

  static List<CacheFactory> newList() {
    return new CopyOnWriteArrayList<>();
  }
}
