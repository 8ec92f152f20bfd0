package dev.cachet.factory;

/** The cache contract against the web-app preset over real Redis. */
class FactoryWebAppRedisContractIntegrationTests extends FactoryRedisContractBase {
  @Override
  CacheFactory.Builder builder() {
    return CacheFactory.newBuilder().preset(CacheFactory.Preset.WEB_APP).keyRing(RING).keyPrefix(prefix(redis));
  }
}
