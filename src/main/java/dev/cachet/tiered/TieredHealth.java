package dev.cachet.tiered;

import dev.cachet.CacheHealth;
import dev.cachet.Tier;
import java.util.Map;

/**
 * The health of a tiered cache: UP while the remote tier is up and the cache is not degraded, DEGRADED
 * otherwise (memory always answers); details from the outage tracker, refresh-ahead, coherence and the
 * remote tier (prefixed {@code redis.}). Never contains keys, values or secrets.
 */
final class TieredHealth {
  private TieredHealth() {}

  static CacheHealth of(
      CacheHealth remoteHealth, FailurePolicy policy, Outage outage, RefreshAhead refreshAhead,
      Coherence coherence) {
    CacheHealth.Status remoteStatus = outage.isDegraded() ? CacheHealth.Status.DOWN : remoteHealth.status();
    CacheHealth.Status overall =
        remoteStatus == CacheHealth.Status.UP ? CacheHealth.Status.UP : CacheHealth.Status.DEGRADED;
    CacheHealth.Builder b =
        CacheHealth.newBuilder(overall)
            .tier(Tier.MEMORY, CacheHealth.Status.UP)
            .tier(Tier.REDIS, remoteStatus)
            .detail("failurePolicy", policy)
            .detail("degraded", outage.isDegraded())
            .detail("lastError", outage.lastError())
            .detail("lastErrorTime", outage.lastErrorTime() == null ? "never" : outage.lastErrorTime())
            .detail("dirtyKeysDuringOutage", outage.dirtyCount())
            .detail("refreshesSkipped", refreshAhead.skipped());
    if (coherence != null) {
      b.detail("coherence.subscribed", coherence.isSubscribed())
          .detail("coherence.peers", coherence.peerCount())
          .detail("coherence.state", coherence.state())
          .detail("coherence.lostMessages", coherence.lossCount())
          .detail("coherence.failSafeBypasses", coherence.failSafeBypasses())
          .detail("coherence.publishFailures", coherence.publishFailures())
          .detail("coherence.memoryClears", coherence.clearCount())
          .detail("coherence.malformedMessages", coherence.malformedCount())
          .detail("coherence.lastClearReason", coherence.lastClearReason());
    }
    remoteHealth.details().forEach((k, v) -> b.detail("redis." + k, v));
    for (Map.Entry<Tier, CacheHealth.Status> e : remoteHealth.tiers().entrySet()) {
      if (e.getKey() != Tier.REDIS && e.getKey() != Tier.MEMORY) {
        b.tier(e.getKey(), e.getValue());
      }
    }
    return b.build();
  }
}
