package dev.cachet.factory;

/** The cache contract against the AI-app preset over real Redis (leases, compression, hidden names). */
class FactoryAiAppRedisContractIntegrationTests extends FactoryRedisContractBase {
  @Override
  CacheFactory.Builder builder() {
    return CacheFactory.newBuilder()
        .preset(CacheFactory.Preset.AI_APP)
        .keyRing(RING)
        .keyNameHasher(HASHER)
        .keyPrefix(prefix(redis));
  }
}
