package dev.cachet.redis;

import java.util.HashMap;
import java.util.Map;

/**
 * Reference counts of the pub/sub channels subscribed on one {@link RedisConnections}'s shared pub/sub
 * connection. Every cache with the same name (and so the same channel) on the same connections holds a
 * reference; only the last one to let go unsubscribes, so closing one cache never silences another.
 * Thread-safe.
 */
final class ChannelSubscriptions {
  private final Map<String, Integer> holders = new HashMap<>();

  /** Takes a reference to {@code channel}; returns whether it is the first. */
  synchronized boolean acquire(String channel) {
    return holders.merge(channel, 1, Integer::sum) == 1;
  }

  /** Drops a reference to {@code channel}; returns whether it was the last (time to unsubscribe). */
  synchronized boolean release(String channel) {
    Integer count = holders.get(channel);
    if (count == null) {
      return false;
    }
    if (count <= 1) {
      holders.remove(channel);
      return true;
    }
    holders.put(channel, count - 1);
    return false;
  }

  /** References to {@code channel} (tests). */
  synchronized int holders(String channel) {
    return holders.getOrDefault(channel, 0);
  }
}
