package dev.cachet.factory;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;

/** The cache contract against a preset without Redis; subclasses name the preset. */
abstract class FactoryMemoryContractBase extends CacheContractTests {

  private final List<CacheFactory> factories = FactoryContractSupport.newList();

  abstract CacheFactory.Preset preset();

  @AfterEach
  void closeFactories() {
    factories.forEach(CacheFactory::close);
  }

  @Override
  protected <K> Cache<K, String> newCache(Spec<K> spec) {
    return FactoryContractSupport.build(CacheFactory.newBuilder().preset(preset()), spec, factories);
  }

  @Override
  protected Set<Capability> capabilities() {
    return allCapabilities();
  }
}
