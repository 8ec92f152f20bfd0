package dev.cachet.factory;

import dev.cachet.Ticker;

/**
 * The cache contract against the testing preset over real Redis (ephemeral key, no retries). The
 * suite's TTL tests run on real time here (Redis's clock), so the memory tier gets the system ticker
 * instead of the preset's {@link ManualTicker}, which would keep memory entries until advanced.
 */
class FactoryTestingRedisContractIntegrationTests extends FactoryRedisContractBase {
  @Override
  CacheFactory.Builder builder() {
    return CacheFactory.newBuilder()
        .preset(CacheFactory.Preset.TESTING)
        .keyPrefix(prefix(redis))
        .ticker(Ticker.system());
  }
}
