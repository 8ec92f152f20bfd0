package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteTier;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RemoteTier#replace}: a single-key compare-and-set on the exact token bytes last read, and
 * {@link RemoteEntry#token()} on every read; also {@code getAll}'s detection of a value of another Redis
 * type (its background {@code EXISTS} spans slots on a cluster). Run on a standalone server and on a
 * 6-node cluster.
 */
abstract class RedisReplaceContract {

  static final Duration TTL = Duration.ofMinutes(5);

  /** The connections of the deployment under test. */
  abstract RedisConnections connections();

  RemoteTier<String> tier;
  final dev.cachet.internal.CacheInstrumentation stats = new dev.cachet.internal.CacheInstrumentation();

  @BeforeEach
  void buildTier() {
    String prefix = "cas" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    tier =
        RedisCacheBuilder.newBuilder(String.class, String.class)
            .name("replace")
            .connections(connections())
            .keyRing(RedisTestSupport.RING)
            .keyPrefix(prefix)
            .buildRemoteTier(stats);
  }

  @AfterEach
  void closeTier() {
    tier.close();
  }

  static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(10, TimeUnit.SECONDS);
  }

  @Test
  void get_readEntry_carriesTheExactStoredToken() throws Exception {
    await(tier.put("k", "v1", TTL));
    RemoteEntry<String> first = await(tier.get("k"));
    RemoteEntry<String> again = await(tier.get("k"));
    assertThat(first.token()).isNotNull().isEqualTo(again.token());
    await(tier.put("k", "v1", TTL));
    assertThat(await(tier.get("k")).token()).as("a rewrite is new bytes (fresh IV)").isNotEqualTo(first.token());
  }

  @Test
  void getAll_everyEntry_carriesItsToken() throws Exception {
    List<String> keys = List.of("a", "b", "c", "d", "e", "f", "g", "h");
    for (String k : keys) {
      await(tier.put(k, "value-" + k, TTL));
    }
    Map<String, RemoteEntry<String>> all = await(tier.getAll(keys));
    assertThat(all).hasSize(keys.size());
    for (String k : keys) {
      assertThat(all.get(k).token()).isEqualTo(await(tier.get(k)).token());
      assertThat(await(tier.replace(k, all.get(k), "new-" + k, TTL))).isTrue();
    }
    for (String k : keys) {
      assertThat(await(tier.get(k)).value()).isEqualTo("new-" + k);
    }
  }

  @Test
  void replace_sameToken_storesTheNewValue() throws Exception {
    await(tier.put("k", "v1", TTL));
    RemoteEntry<String> read = await(tier.get("k"));
    assertThat(await(tier.replace("k", read, "v2", TTL))).isTrue();
    RemoteEntry<String> now = await(tier.get("k"));
    assertThat(now.value()).isEqualTo("v2");
    assertThat(await(tier.replace("k", read, "v3", TTL))).as("the old token no longer matches").isFalse();
    assertThat(await(tier.get("k")).value()).isEqualTo("v2");
    assertThat(await(tier.replace("k", now, "v3", TTL))).isTrue();
  }

  @Test
  void replace_afterAConcurrentPut_failsAndKeepsThePut() throws Exception {
    await(tier.put("k", "v1", TTL));
    RemoteEntry<String> read = await(tier.get("k"));
    await(tier.put("k", "newer", TTL));
    assertThat(await(tier.replace("k", read, "refreshed", TTL))).isFalse();
    assertThat(await(tier.get("k")).value()).isEqualTo("newer");
  }

  @Test
  void replace_afterTheSameValueWasPutAgain_fails() throws Exception {
    await(tier.put("k", "v1", TTL));
    RemoteEntry<String> read = await(tier.get("k"));
    await(tier.put("k", "v1", TTL)); // same value, new bytes: still a write after the read
    assertThat(await(tier.replace("k", read, "refreshed", TTL))).isFalse();
    assertThat(await(tier.get("k")).value()).isEqualTo("v1");
  }

  @Test
  void replace_afterADelete_failsAndStoresNothing() throws Exception {
    await(tier.put("k", "v1", TTL));
    RemoteEntry<String> read = await(tier.get("k"));
    await(tier.invalidate(List.of("k")));
    assertThat(await(tier.replace("k", read, "refreshed", TTL))).isFalse();
    assertThat(await(tier.get("k"))).isNull();
  }

  @Test
  void replace_afterInvalidateAll_fails() throws Exception {
    await(tier.put("k", "v1", TTL));
    RemoteEntry<String> read = await(tier.get("k"));
    await(tier.invalidateAll());
    assertThat(await(tier.replace("k", read, "refreshed", TTL))).isFalse();
    assertThat(await(tier.get("k"))).isNull();
  }

  @Test
  void replace_nullExpected_isSetNx() throws Exception {
    assertThat(await(tier.replace("k", null, "first", TTL))).isTrue();
    assertThat(await(tier.replace("k", null, "second", TTL))).isFalse();
    assertThat(await(tier.get("k")).value()).isEqualTo("first");
    assertThat(await(tier.putIfAbsent("k", "third", TTL))).isFalse();
    await(tier.invalidate(List.of("k")));
    assertThat(await(tier.putIfAbsent("k", "fourth", TTL))).isTrue();
    assertThat(await(tier.get("k")).value()).isEqualTo("fourth");
  }

  @Test
  void replace_entryWithoutToken_storesNothing() throws Exception {
    await(tier.put("k", "v1", TTL));
    RemoteEntry<String> read = await(tier.get("k"));
    RemoteEntry<String> tokenless = new RemoteEntry<>(read.value(), read.expiresAtEpochMillis());
    assertThat(await(tier.replace("k", tokenless, "refreshed", TTL))).isFalse();
    assertThat(await(tier.get("k")).value()).isEqualTo("v1");
  }

  @Test
  void replace_setsTheNewTtl() throws Exception {
    await(tier.put("k", "v1", Duration.ofSeconds(30)));
    RemoteEntry<String> read = await(tier.get("k"));
    assertThat(await(tier.replace("k", read, "v2", Duration.ofHours(1)))).isTrue();
    RemoteEntry<String> now = await(tier.get("k"));
    assertThat(now.remainingMillis(System.currentTimeMillis()))
        .isGreaterThan(Duration.ofMinutes(59).toMillis());
  }

  @Test
  void replace_throughTheResilienceDecorator_compareAndSets() throws Exception {
    RemoteTier<String> decorated =
        dev.cachet.resilience.Resilience.decorate(
            RedisCacheBuilder.newBuilder(String.class, String.class)
                .name("replace-decorated")
                .connections(connections())
                .keyRing(RedisTestSupport.RING)
                .keyPrefix("casd" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36))
                .buildRemoteTier(),
            dev.cachet.resilience.ResilienceSettings.production());
    try (decorated) {
      await(decorated.put("k", "v1", TTL));
      RemoteEntry<String> read = await(decorated.get("k"));
      assertThat(await(decorated.replace("k", read, "v2", TTL))).isTrue();
      assertThat(await(decorated.replace("k", read, "v3", TTL))).isFalse();
      assertThat(await(decorated.get("k")).value()).isEqualTo("v2");
    }
  }

  @Test
  void getAll_listAtOneEntryKey_otherKeysRead_theListIsCountedAndDeleted() throws Exception {
    List<String> keys = List.of("a", "b", "c", "d", "e", "f");
    for (String k : keys) {
      await(tier.put(k, "value-" + k, TTL));
    }
    LettuceRedisTier<String> lettuce = (LettuceRedisTier<String>) tier;
    byte[] listKey =
        LettuceRedisTier.bytes(lettuce.layout().entryKey(lettuce.shared().generations.known(), "bad"));
    var commands = await(connections().commands());
    await(commands.rpush(listKey, LettuceRedisTier.bytes("x")).toCompletableFuture());
    List<String> asked = new java.util.ArrayList<>(keys);
    asked.add("bad");
    asked.add("absent");
    assertThat(await(tier.getAll(asked))).containsOnlyKeys(keys);
    dev.cachet.testing.Eventually.await(Duration.ofSeconds(10), "counted as format",
        () -> stats.decryptionFailureCount(
            dev.cachet.internal.StatsRecorder.DecryptionFailureReason.FORMAT) == 1);
    dev.cachet.testing.Eventually.await(Duration.ofSeconds(10), "the list was deleted",
        () -> assertThat(await(commands.exists(listKey).toCompletableFuture())).isZero());
  }
}
