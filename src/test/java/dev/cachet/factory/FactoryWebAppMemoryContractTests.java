package dev.cachet.factory;

/** The cache contract against the WEB_APP preset without Redis. */
class FactoryWebAppMemoryContractTests extends FactoryMemoryContractBase {
  @Override
  CacheFactory.Preset preset() {
    return CacheFactory.Preset.WEB_APP;
  }
}
