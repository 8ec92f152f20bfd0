package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.InvalidValueException;
import dev.cachet.internal.AbstractCache;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.resilience.Resilience;
import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteTier;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Caller errors stay the caller's (a value too large or not serializable is refused before anything is
 * sent, never retried, never recorded by the breaker) and a value of another Redis type at an entry key
 * is a bad entry (a counted, cleaned-up miss), never a remote failure.
 */
class RedisCallerErrorIntegrationTests {

  static final int MAX_VALUE_SIZE = 64;
  static final String OVERSIZED = "x".repeat(MAX_VALUE_SIZE * 2);

  /** Jackson cannot serialize it: its getter throws. */
  public static final class Unwritable {
    public String getBoom() {
      throw new IllegalStateException("cannot be written");
    }
  }

  private static RedisCacheBuilder<String, Object> builder(RedisConnections c, String name) {
    return RedisCacheBuilder.<String, Object>newBuilder()
        .name(name)
        .connections(c)
        .keyCodec(dev.cachet.KeyCodec.forType(String.class))
        .serializer(ValueSerializers.json(Object.class))
        .keyRing(RedisTestSupport.RING)
        .maxValueSize(MAX_VALUE_SIZE);
  }

  private static long calls(RedisServer redis, String command) {
    for (String line : redis.command("INFO", "commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_" + command + ":")) {
        String calls = line.substring(line.indexOf("calls=") + 6);
        return Long.parseLong(calls.substring(0, calls.indexOf(',')));
      }
    }
    return 0;
  }

  private static CacheInstrumentation stats(Cache<?, ?> cache) {
    return ((AbstractCache<?, ?>) cache).instrumentation();
  }

  @Test
  void put_twentyOversizedAndTwentyUnserializable_throwToTheCaller_sendNothing_breakerStaysClosed(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, Object> cache = builder(c, "caller").build();
        RemoteTier<Object> decorated =
            Resilience.decorate(builder(c, "caller-tier").buildRemoteTier(), ResilienceSettings.production())) {
      cache.put("warm", "up"); // the generation is known: nothing below waits for Redis
      decorated.put("warm", "up", Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS);
      redis.command("CONFIG", "RESETSTAT");
      CircuitBreaker breaker = Resilience.circuitBreakerOf(decorated).orElseThrow();
      Retry retry = Resilience.retryOf(decorated).orElseThrow();
      int bufferedBefore = breaker.getMetrics().getNumberOfBufferedCalls(); // the warm-up put
      for (int i = 0; i < 20; i++) {
        String key = "k" + i;
        assertThatThrownBy(() -> cache.put(key, OVERSIZED))
            .isInstanceOfSatisfying(
                InvalidValueException.class,
                e -> assertThat(e.reason()).isEqualTo(InvalidValueException.Reason.TOO_LARGE))
            .hasMessageContaining("caller")
            .hasMessageNotContaining(key)
            .hasMessageNotContaining("xxxx");
        assertThatThrownBy(() -> decorated.put(key, OVERSIZED, Duration.ofMinutes(1)))
            .isInstanceOfSatisfying(
                InvalidValueException.class,
                e -> assertThat(e.reason()).isEqualTo(InvalidValueException.Reason.TOO_LARGE));
      }
      for (int i = 0; i < 20; i++) {
        String key = "u" + i;
        assertThatThrownBy(() -> cache.put(key, new Unwritable()))
            .isInstanceOfSatisfying(
                InvalidValueException.class,
                e -> assertThat(e.reason()).isEqualTo(InvalidValueException.Reason.NOT_SERIALIZABLE))
            .hasMessageNotContaining(key);
        assertThatThrownBy(() -> decorated.put(key, new Unwritable(), Duration.ofMinutes(1)))
            .isInstanceOfSatisfying(
                InvalidValueException.class,
                e -> assertThat(e.reason()).isEqualTo(InvalidValueException.Reason.NOT_SERIALIZABLE));
      }
      assertThatThrownBy(() -> cache.putAll(Map.of("a", "fine", "b", OVERSIZED)))
          .isInstanceOf(InvalidValueException.class);
      assertThatThrownBy(() -> decorated.putIfAbsent("p", OVERSIZED, Duration.ofMinutes(1)))
          .isInstanceOf(InvalidValueException.class);
      assertThatThrownBy(() -> decorated.replace("p", null, new Unwritable(), Duration.ofMinutes(1)))
          .isInstanceOf(InvalidValueException.class);

      assertThat(calls(redis, "set")).as("nothing was sent").isZero();
      assertThat(calls(redis, "eval")).isZero();
      assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
      assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
      assertThat(breaker.getMetrics().getNumberOfBufferedCalls())
          .as("ignored, not even counted as successes")
          .isEqualTo(bufferedBefore);
      assertThat(retry.getMetrics().getNumberOfFailedCallsWithRetryAttempt()).isZero();
      assertThat(retry.getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt()).isZero();
      assertThat(decorated.health().details()).doesNotContainKey("lastError.class");
      assertThat(cache.getIfPresent("k0")).isNull();
      assertThat(cache.getIfPresent("warm")).isEqualTo("up");
    }
  }

  @Test
  void getWithLoader_loadedValueTooLarge_throwsToTheCaller_andStoresNothing(
      @RedisStandaloneServer RedisServer redis) {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, Object> cache = builder(c, "caller-load").keyPrefix(prefix(redis)).build()) {
      assertThatThrownBy(() -> cache.get("k", k -> OVERSIZED))
          .isInstanceOfSatisfying(
              InvalidValueException.class,
              e -> assertThat(e.reason()).isEqualTo(InvalidValueException.Reason.TOO_LARGE));
      assertThatThrownBy(() -> cache.get("u", k -> new Unwritable()))
          .isInstanceOfSatisfying(
              InvalidValueException.class,
              e -> assertThat(e.reason()).isEqualTo(InvalidValueException.Reason.NOT_SERIALIZABLE));
      assertThat(cache.getIfPresent("k")).isNull();
      assertThat(cache.get("k", k -> "small")).isEqualTo("small"); // the key is not stuck
      assertThat(cache.getIfPresent("k")).isEqualTo("small");
    }
  }

  @Test
  void asyncPut_oversized_completesTheFutureWithInvalidValueException(
      @RedisStandaloneServer RedisServer redis) {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, Object> cache = builder(c, "caller-async").keyPrefix(prefix(redis)).build()) {
      var future = cache.async().put("k", OVERSIZED);
      assertThatThrownBy(() -> future.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(InvalidValueException.class);
    }
  }

  // ---------------------------------------------------------------- WRONGTYPE

  private static String prefix(RedisServer redis) {
    return RedisTestSupport.prefixFrom(redis.keyPrefix());
  }

  private static String entryKey(Cache<String, ?> cache, String key) throws Exception {
    LettuceRedisTier<?> tier = ((LettuceRedisCache<?, ?>) cache).tier();
    return tier.layout().entryKey(tier.shared().generations.current().get(5, TimeUnit.SECONDS), key);
  }

  @Test
  void get_listAtTheEntryKey_isAMissCountedAsFormat_notAFailure_andDeleted(
      @RedisStandaloneServer RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, Object> cache = builder(c, "wrongtype").keyPrefix(prefix(redis)).build();
        RemoteTier<Object> decorated =
            Resilience.decorate(
                builder(c, "wrongtype").keyPrefix(prefix(redis)).buildRemoteTier(),
                ResilienceSettings.production())) {
      String key = entryKey(cache, "k");
      redis.command("RPUSH", key, "a", "b");
      assertThat(cache.getIfPresent("k")).isNull();
      assertThat(stats(cache).decryptionFailureCount(DecryptionFailureReason.FORMAT)).isEqualTo(1);
      assertThat(cache.health().status()).isEqualTo(dev.cachet.CacheHealth.Status.UP);
      Eventually.await(Duration.ofSeconds(5), "the list was deleted",
          () -> "none".equals(redis.command("TYPE", key)));

      redis.command("HSET", key, "f", "v");
      RemoteEntry<Object> entry = decorated.get("k").get(5, TimeUnit.SECONDS);
      assertThat(entry).isNull();
      CircuitBreaker breaker = Resilience.circuitBreakerOf(decorated).orElseThrow();
      assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
      assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
      Eventually.await(Duration.ofSeconds(5), "the hash was deleted",
          () -> "none".equals(redis.command("TYPE", key)));
      cache.put("k", "healed");
      assertThat(cache.getIfPresent("k")).isEqualTo("healed");
    }
  }

  @Test
  void getAll_listAtOneEntryKey_otherKeysAreRead_theListIsCountedAndDeleted(
      @RedisStandaloneServer RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, Object> cache = builder(c, "wrongtype-all").keyPrefix(prefix(redis)).build()) {
      cache.put("a", "A");
      cache.put("b", "B");
      String key = entryKey(cache, "bad");
      redis.command("RPUSH", key, "x");
      assertThat(cache.getAllPresent(List.of("a", "bad", "b", "absent"))).isEqualTo(Map.of("a", "A", "b", "B"));
      Eventually.await(Duration.ofSeconds(5), "counted",
          () -> stats(cache).decryptionFailureCount(DecryptionFailureReason.FORMAT) == 1);
      Eventually.await(Duration.ofSeconds(5), "the list was deleted",
          () -> "none".equals(redis.command("TYPE", key)));
    }
  }

  @Test
  void get_listAtTheEntryKey_deletionOff_isCountedAndLeftAlone(
      @RedisStandaloneServer RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, Object> cache =
            builder(c, "wrongtype-keep").keyPrefix(prefix(redis)).deleteBadEntries(false).build()) {
      String key = entryKey(cache, "k");
      redis.command("RPUSH", key, "a");
      assertThat(cache.getIfPresent("k")).isNull();
      assertThat(cache.getIfPresent("k")).isNull();
      assertThat(stats(cache).decryptionFailureCount(DecryptionFailureReason.FORMAT)).isEqualTo(2);
      assertThat(redis.command("TYPE", key)).isEqualTo("list");
    }
  }

  @Test
  void replace_listAtTheEntryKey_storesNothing_andDoesNotFail(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, Object> cache = builder(c, "wrongtype-cas").keyPrefix(prefix(redis)).build()) {
      LettuceRedisTier<Object> tier = ((LettuceRedisCache<String, Object>) cache).tier();
      cache.put("k", "v");
      RemoteEntry<Object> read = tier.get("k").get(5, TimeUnit.SECONDS);
      String key = entryKey(cache, "k");
      redis.command("DEL", key);
      redis.command("RPUSH", key, "a");
      assertThat(tier.replace("k", read, "new", Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS)).isFalse();
      assertThat(tier.replace("k", null, "new", Duration.ofMinutes(1)).get(5, TimeUnit.SECONDS)).isFalse();
      assertThat(redis.command("TYPE", key)).isEqualTo("list");
    }
  }

  @Test
  void deleteIfNotString_sparesAStringWrittenMeanwhile(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri())) {
      String key = redis.key("dins");
      redis.command("SET", key, "a string");
      Object n =
          c.commands()
              .get(5, TimeUnit.SECONDS)
              .eval(LuaScripts.DELETE_IF_NOT_STRING, io.lettuce.core.ScriptOutputType.INTEGER,
                  new byte[][] {LettuceRedisTier.bytes(key)})
              .get(5, TimeUnit.SECONDS);
      assertThat(n).isEqualTo(0L);
      assertThat(redis.command("GET", key)).isEqualTo("a string");
    }
  }
}
