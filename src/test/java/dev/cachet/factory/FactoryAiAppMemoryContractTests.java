package dev.cachet.factory;

/** The cache contract against the AI_APP preset without Redis. */
class FactoryAiAppMemoryContractTests extends FactoryMemoryContractBase {
  @Override
  CacheFactory.Preset preset() {
    return CacheFactory.Preset.AI_APP;
  }
}
