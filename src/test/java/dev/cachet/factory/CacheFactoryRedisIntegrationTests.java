package dev.cachet.factory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.CacheConfigurationException;
import dev.cachet.KeyCodec;
import dev.cachet.CacheHealth;
import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.serialization.ValueSerializer;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.metrics.CacheMetricNames;
import dev.cachet.redis.RedisConnections;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Presets configured by the environment over real Redis: key-name hiding, sharing, health, ownership. */
class CacheFactoryRedisIntegrationTests {

  @RedisStandaloneServer static RedisServer redis;

  private static final String KEY = FernetKey.generate().revealBase64();
  private static final String NAMING_SECRET = FernetKey.generate().revealBase64();

  private static Map<String, String> env(boolean namingSecret, String... more) {
    Map<String, String> env = new HashMap<>();
    env.put(CachetEnvironment.REDIS_URL, redis.uri());
    env.put(CachetEnvironment.ENCRYPTION_KEYS, KEY);
    if (namingSecret) {
      env.put(CachetEnvironment.KEY_NAMING_SECRET, NAMING_SECRET);
    }
    for (int i = 0; i < more.length; i += 2) {
      env.put(more[i], more[i + 1]);
    }
    return env;
  }

  private static CacheFactory factory(CacheFactory.Preset preset, Map<String, String> env) {
    return CacheFactory.newBuilder()
        .preset(preset)
        .environment(CachetEnvironment.of(env))
        .keyPrefix(FactoryRedisContractBase.prefix(redis))
        .build();
  }

  private static List<String> redisKeysContaining(String text) {
    List<String> found = new ArrayList<>();
    for (Object key : (List<?>) redis.call("KEYS", FactoryRedisContractBase.prefix(redis) + ":*")) {
      String k = key instanceof byte[] ? new String((byte[]) key, java.nio.charset.StandardCharsets.UTF_8) : String.valueOf(key);
      if (k.contains(text)) {
        found.add(k);
      }
    }
    return found;
  }

  @Test
  void webApp_withANamingSecret_hidesKeyNames() {
    try (CacheFactory caches = factory(CacheFactory.Preset.WEB_APP, env(true))) {
      assertThat(caches.hasRedis()).isTrue();
      assertThat(caches.keyNameHasher()).isNotNull();
      caches.cache("hidden-users", String.class).put("user-4711", "ada");
      assertThat(redisKeysContaining("user-4711")).isEmpty();
    }
  }

  @Test
  void payloadFormatVariable_cborWritesCbor_aJsonFactoryReadsIt_aCustomSerializerIsRefused() {
    try (CacheFactory cbor =
            factory(CacheFactory.Preset.WEB_APP, env(false, CachetEnvironment.PAYLOAD_FORMAT, "cbor"));
        CacheFactory json = factory(CacheFactory.Preset.WEB_APP, env(false))) {
      cbor.cache("formats", String.class).put("user-cbor-1", "ada");
      List<String> keys = redisKeysContaining("user-cbor-1");
      assertThat(keys).hasSize(1);
      Object reply = redis.call("GET", keys.get(0));
      byte[] token = reply instanceof byte[] ? (byte[]) reply : String.valueOf(reply).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      int flags = FernetKeyRing.parse(KEY).decrypt(token)[1] & 0xff;
      assertThat(flags & 0b110).as("payload format id in the envelope's flags").isEqualTo(0b010);
      assertThat(json.cache("formats", String.class).getIfPresent("user-cbor-1")).isEqualTo("ada");

      ValueSerializer<String> own = ValueSerializers.utf8Strings();
      assertThatThrownBy(() -> cbor.cache("own-serializer", KeyCodec.strings(), own))
          .isInstanceOf(CacheConfigurationException.class)
          .hasMessageContaining("payloadFormat(CBOR)");
    }
    assertThatThrownBy(
            () -> factory(CacheFactory.Preset.WEB_APP, env(false, CachetEnvironment.PAYLOAD_FORMAT, "protobuf")))
        .isInstanceOf(CacheConfigurationException.class)
        .hasMessageContaining(CachetEnvironment.PAYLOAD_FORMAT)
        .hasMessageContaining("cbor");
  }

  @Test
  void webApp_withoutANamingSecret_keepsNamesReadable() {
    try (CacheFactory caches = factory(CacheFactory.Preset.WEB_APP, env(false))) {
      assertThat(caches.keyNameHasher()).isNull();
      caches.cache("plain-users", String.class).put("user-4712", "ada");
      assertThat(redisKeysContaining("user-4712")).hasSize(1);
    }
  }

  @Test
  void aiApp_twoInstances_shareAnswersThroughRedis_oneModelCall() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicInteger modelCalls = new AtomicInteger();
    PromptKey prompt = PromptKey.of("gpt-4o", List.of(Map.of("role", "user", "content", "2+2?")), Map.of("seed", 7));
    try (CacheFactory a = factory(CacheFactory.Preset.AI_APP, env(true));
        CacheFactory b =
            CacheFactory.newBuilder()
                .preset(CacheFactory.Preset.AI_APP)
                .environment(CachetEnvironment.of(env(true)))
                .keyPrefix(FactoryRedisContractBase.prefix(redis))
                .meterRegistry(registry)
                .build()) {
      Cache<PromptKey, String> answersA = a.promptCache("answers", String.class);
      Cache<PromptKey, String> answersB = b.promptCache("answers", String.class);
      assertThat(answersA.get(prompt, k -> "4 (call " + modelCalls.incrementAndGet() + ")")).isEqualTo("4 (call 1)");
      assertThat(answersB.get(prompt, k -> "4 (call " + modelCalls.incrementAndGet() + ")")).isEqualTo("4 (call 1)");
      assertThat(modelCalls).hasValue(1);
      assertThat(redisKeysContaining(prompt.digest())).as("prompt digests are hidden too").isEmpty();
      assertThat(registry.get(CacheMetricNames.DUPLICATE_LOADS).tag("cache", "answers").functionCounter().count())
          .isZero();
    }
  }

  @Test
  void aiApp_concurrentMissOnTwoInstances_oneModelCall_theOtherWaitsForItsAnswer() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    PromptKey prompt = PromptKey.of("gpt-4o", List.of(Map.of("role", "user", "content", "slow one")), Map.of());
    AtomicInteger modelCalls = new AtomicInteger();
    CountDownLatch aIsLoading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (CacheFactory a = factory(CacheFactory.Preset.AI_APP, env(true));
        CacheFactory b =
            CacheFactory.newBuilder()
                .preset(CacheFactory.Preset.AI_APP)
                .environment(CachetEnvironment.of(env(true)))
                .keyPrefix(FactoryRedisContractBase.prefix(redis))
                .meterRegistry(registry)
                .build()) {
      Cache<PromptKey, String> answersA = a.promptCache("slow-answers", String.class);
      Cache<PromptKey, String> answersB = b.promptCache("slow-answers", String.class);
      Future<String> fromA =
          pool.submit(
              () ->
                  answersA.get(prompt, k -> {
                    modelCalls.incrementAndGet();
                    aIsLoading.countDown();
                    release.await(); // A holds the prompt's lease until released
                    return "answer from A";
                  }));
      assertThat(aIsLoading.await(30, TimeUnit.SECONDS)).isTrue();
      // B misses both tiers while A loads: it cannot take the lease, so it waits for A's answer
      Future<String> fromB =
          pool.submit(() -> answersB.get(prompt, k -> "answer from B (call " + modelCalls.incrementAndGet() + ")"));
      release.countDown();
      assertThat(fromA.get(30, TimeUnit.SECONDS)).isEqualTo("answer from A");
      assertThat(fromB.get(30, TimeUnit.SECONDS)).isEqualTo("answer from A");
      assertThat(modelCalls).hasValue(1);
      assertThat(registry.get(CacheMetricNames.DUPLICATE_LOADS).tag("cache", "slow-answers").functionCounter().count())
          .isZero();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void health_coversEveryCacheAndRedis_closeReleasesOwnedConnections() {
    CacheFactory caches = factory(CacheFactory.Preset.WEB_APP, env(false));
    Cache<String, String> users = caches.cache("health-users", String.class);
    caches.cache("health-orders", Integer.class);
    users.put("1", "ada");
    CacheHealth health = caches.health();
    assertThat(health.status()).isEqualTo(CacheHealth.Status.UP);
    assertThat(health.details())
        .containsEntry("cache.health-users", "UP")
        .containsEntry("cache.health-orders", "UP")
        .containsEntry("redis.connected", "true");
    RedisConnections owned = caches.connections();
    caches.close();
    assertThat(owned.isClosed()).as("the factory closes the connections it created").isTrue();
    assertThat(health.tiers()).containsKeys(dev.cachet.Tier.MEMORY, dev.cachet.Tier.REDIS);
    assertThat(caches.health().status()).isEqualTo(CacheHealth.Status.DOWN);
  }

  @Test
  void borrowedConnections_areNotClosed() {
    try (RedisConnections shared = RedisConnections.create(redis.uri())) {
      CacheFactory caches =
          CacheFactory.newBuilder()
              .preset(CacheFactory.Preset.WEB_APP)
              .environment(CachetEnvironment.of(Map.of(CachetEnvironment.ENCRYPTION_KEYS, KEY)))
              .connections(shared)
              .keyPrefix(FactoryRedisContractBase.prefix(redis))
              .build();
      caches.cache("borrowed", String.class).put("k", "v");
      caches.close();
      assertThat(shared.isClosed()).isFalse();
      try (CacheFactory testing = CacheFactory.forTesting(shared)) {
        Cache<String, String> c = testing.cache("borrowed", String.class);
        assertThat(c.getIfPresent("k")).as("a testing factory has its own prefix and key").isNull();
        assertThat(testing.keyPrefix()).startsWith("cachet-test-");
      }
      assertThat(shared.isClosed()).isFalse();
    }
  }
}
