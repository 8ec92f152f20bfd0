package dev.cachet.docs;

import dev.cachet.Cache;
import dev.cachet.Counters;
import java.time.Duration;

/**
 * The snippet of {@code docs/counters.md}, compiled here; it needs Redis to run, and {@code
 * dev.cachet.redis.RedisCountersIntegrationTests} runs the same calls.
 */
final class CounterSnippets {

  private CounterSnippets() {}

  static long rateLimit(Cache<String, String> cache, String user) {
    // snippet:start
    Counters<String> counters = cache.counters().orElseThrow(); // empty for a memory-only cache
    counters.reset("api:" + user, 0, Duration.ofMinutes(1));     // a new one-minute window
    long used = counters.incrementBy("api:" + user, 1);         // keeps the window's expiry
    // snippet:end
    return used;
  }
}
