package dev.cachet.factory;

import dev.cachet.Cache;
import dev.cachet.CacheContractTests;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;

/** The cache contract against the WEB_APP preset without Redis. */
class FactoryWebAppMemoryContractTests extends CacheContractTests {

  private final List<CacheFactory> factories = FactoryContractSupport.newList();

  @AfterEach
  void closeFactories() {
    factories.forEach(CacheFactory::close);
  }

  @Override
  protected <K> Cache<K, String> newCache(Spec<K> spec) {
    return FactoryContractSupport.build(
        CacheFactory.newBuilder().preset(CacheFactory.Preset.WEB_APP), spec, factories);
  }

  @Override
  protected Set<Capability> capabilities() {
    return allCapabilities();
  }
}
