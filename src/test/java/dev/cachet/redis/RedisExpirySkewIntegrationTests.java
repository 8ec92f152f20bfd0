package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteTier;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Expiry is sealed and checked in the Redis server's time: writers whose clocks are a minute off seal the
 * same expiry as a correct one, and a reader keeps their entries for the TTL plus at most {@link
 * RedisCacheBuilder#EXPIRY_SKEW_ALLOWANCE_MILLIS}, then treats them as expired. Deterministic: the
 * generation refresh (which re-learns the clock offset) is set to an hour, so each instance learns its
 * offset from the server's real {@code TIME} once, and the reader's fake clock is then moved.
 */
class RedisExpirySkewIntegrationTests {

  static final Duration TTL = Duration.ofSeconds(30);
  static final Duration NO_REFRESH = Duration.ofHours(1);

  @RedisStandaloneServer static RedisServer redis;
  static RedisConnections connections;

  @BeforeAll
  static void connect() {
    connections = RedisConnections.create(redis.uri());
  }

  @AfterAll
  static void disconnect() {
    connections.close();
  }

  private final String prefix =
      "skew" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);

  private LettuceRedisTier<String> tier(
      Clock clock, CacheInstrumentation instrumentation, RedisValueFormat format) {
    return (LettuceRedisTier<String>)
        RedisCacheBuilder.newBuilder(String.class, String.class)
            .name("skew")
            .connections(connections)
            .keyRing(RedisTestSupport.RING)
            .keyPrefix(prefix)
            .format(format)
            .clock(clock)
            .generationRefreshInterval(NO_REFRESH)
            .deleteBadEntries(false)
            .buildRemoteTier(instrumentation);
  }

  private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  @Test
  void writersSixtySecondsAheadAndBehind_readerKeepsTheirEntriesForTheTtlPlusTheAllowance_thenExpired()
      throws Exception {
    Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(60));
    Clock behind = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(-60));
    try (LettuceRedisTier<String> aheadWriter = tier(ahead, new CacheInstrumentation(), RedisValueFormat.SEALED);
        LettuceRedisTier<String> behindWriter = tier(behind, new CacheInstrumentation(), RedisValueFormat.SEALED)) {
      await(aheadWriter.put("ahead", "from the future", TTL));
      await(behindWriter.put("behind", "from the past", TTL));
      assertThat(aheadWriter.shared().generations.serverTimeOffsetMillis())
          .isBetween(-61_000L, -59_000L);
      assertThat(behindWriter.shared().generations.serverTimeOffsetMillis())
          .isBetween(59_000L, 61_000L);

      RedisSecurityIntegrationTests.MutableClock readerClock = new RedisSecurityIntegrationTests.MutableClock();
      long start = readerClock.millis();
      CacheInstrumentation readerStats = new CacheInstrumentation();
      try (LettuceRedisTier<String> reader = tier(readerClock, readerStats, RedisValueFormat.SEALED)) {
        for (String key : new String[] {"ahead", "behind"}) {
          RemoteEntry<String> entry = await(reader.get(key));
          assertThat(entry).as(key).isNotNull();
          assertThat(entry.expiresAtEpochMillis() - start)
              .as("%s: the expiry in the reader's clock is the TTL after the write", key)
              .isBetween(TTL.toMillis() - 1_000, TTL.toMillis() + 100);
        }
        assertThat(reader.shared().generations.serverTimeOffsetKnown()).isTrue();

        readerClock.millis.set(start + 29_000);
        assertThat(await(reader.get("ahead"))).isNotNull();
        assertThat(await(reader.get("behind"))).isNotNull();

        // a PERSISTed entry still dies by its sealed expiry
        assertThat(redis.command("PERSIST", reader.layout().entryKey(reader.shared().generations.known(), "ahead")))
            .isEqualTo("1");

        readerClock.millis.set(start + TTL.toMillis() + RedisCacheBuilder.EXPIRY_SKEW_ALLOWANCE_MILLIS / 2);
        assertThat(await(reader.get("ahead"))).as("within the allowance").isNotNull();
        assertThat(await(reader.get("behind"))).as("within the allowance").isNotNull();
        assertThat(readerStats.decryptionFailureCount(DecryptionFailureReason.EXPIRED)).isZero();

        readerClock.millis.set(start + TTL.toMillis() + 2 * RedisCacheBuilder.EXPIRY_SKEW_ALLOWANCE_MILLIS);
        assertThat(await(reader.get("ahead"))).isNull();
        assertThat(await(reader.get("behind"))).isNull();
        assertThat(readerStats.decryptionFailureCount(DecryptionFailureReason.EXPIRED)).isEqualTo(2);
      }
    }
  }

  @Test
  void readerClockSixtySecondsBehind_correctWritersEntries_stillLiveForTheTtlInTheReadersClock()
      throws Exception {
    try (LettuceRedisTier<String> writer =
        tier(Clock.systemUTC(), new CacheInstrumentation(), RedisValueFormat.SEALED)) {
      await(writer.put("k", "v", TTL));
      RedisSecurityIntegrationTests.MutableClock readerClock = new RedisSecurityIntegrationTests.MutableClock();
      readerClock.millis.addAndGet(-60_000);
      long start = readerClock.millis();
      CacheInstrumentation readerStats = new CacheInstrumentation();
      try (LettuceRedisTier<String> reader = tier(readerClock, readerStats, RedisValueFormat.SEALED)) {
        RemoteEntry<String> entry = await(reader.get("k"));
        assertThat(entry.expiresAtEpochMillis() - start).isBetween(TTL.toMillis() - 1_000, TTL.toMillis() + 100);
        readerClock.millis.set(start + TTL.toMillis() + 2 * RedisCacheBuilder.EXPIRY_SKEW_ALLOWANCE_MILLIS);
        assertThat(await(reader.get("k"))).isNull();
        assertThat(readerStats.decryptionFailureCount(DecryptionFailureReason.EXPIRED)).isEqualTo(1);
      }
    }
  }

  @Test
  void plainJson_expiryComesFromPttl_notFromAnyClock() throws Exception {
    Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(60));
    try (LettuceRedisTier<String> writer = tier(ahead, new CacheInstrumentation(), RedisValueFormat.PLAIN_JSON)) {
      await(writer.put("k", "v", TTL));
      RedisSecurityIntegrationTests.MutableClock readerClock = new RedisSecurityIntegrationTests.MutableClock();
      readerClock.millis.addAndGet(-45_000);
      long start = readerClock.millis();
      try (RemoteTier<String> reader = tier(readerClock, new CacheInstrumentation(), RedisValueFormat.PLAIN_JSON)) {
        RemoteEntry<String> entry = await(reader.get("k"));
        assertThat(entry.expiresAtEpochMillis() - start).isBetween(TTL.toMillis() - 1_000, TTL.toMillis());
      }
    }
  }
}
