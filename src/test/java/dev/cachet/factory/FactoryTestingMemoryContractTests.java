package dev.cachet.factory;

/** The cache contract against the TESTING preset without Redis. */
class FactoryTestingMemoryContractTests extends FactoryMemoryContractBase {
  @Override
  CacheFactory.Preset preset() {
    return CacheFactory.Preset.TESTING;
  }
}
