package dev.cachet.memory;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import java.util.Set;

/** The contract suite against the Caffeine memory tier, with fake time. */
class MemoryCacheContractTests extends CacheContractTests {

  @Override
  protected <K> Cache<K, String> newCache(Spec<K> spec) {
    MemoryCacheBuilder<K, String> builder =
        MemoryCacheBuilder.<K, String>newBuilder()
            .name(spec.name())
            .defaultTtl(spec.defaultTtl())
            .keyCodec(spec.keyCodec())
            .maxKeyLength(spec.maxKeyLength());
    if (spec.maximumSize() > 0) {
      builder.maximumSize(spec.maximumSize());
    }
    if (spec.ticker() != null) {
      builder.ticker(spec.ticker());
    }
    if (spec.loader() != null) {
      builder.loader(spec.loader());
    }
    return builder.build();
  }

  @Override
  protected Set<Capability> capabilities() {
    return allCapabilities();
  }
}
