/**
 * The service-provider seam between the tiered cache and a remote tier, for those who write their own
 * remote tier: implement {@link dev.cachet.spi.RemoteTier} (with {@link dev.cachet.spi.InvalidationBus}
 * and, optionally, {@link dev.cachet.spi.LeaseLock}), give it to {@code
 * TieredCacheBuilder.remoteTier(tier)}, and put it behind retries and a breaker with {@code
 * Resilience.decorate} or the builder's {@code resilience(...)}. Cachet's Redis tier is not built here:
 * applications pass a {@code RedisCacheBuilder} to {@code TieredCacheBuilder.remote(...)} (a {@link
 * dev.cachet.spi.RemoteTierSpec}).
 *
 * <p>Applications that only use Cachet's caches need just {@link
 * dev.cachet.spi.RemoteTierException}'s {@link dev.cachet.spi.RemoteOperation} and {@link
 * dev.cachet.spi.RemoteErrorReason}, to handle a failure under the {@code STRICT} failure policy.
 *
 * <p>Stability: until 1.0 the SPI may change in a minor release (each change is in {@code
 * CHANGELOG.md}); the application-facing types above change only as the rest of the API does. Every
 * implementation must be thread-safe; parameters and results are non-null unless documented otherwise.
 */
package dev.cachet.spi;
