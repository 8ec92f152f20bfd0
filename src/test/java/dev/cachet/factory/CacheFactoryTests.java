package dev.cachet.factory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.CacheHealth;
import dev.cachet.CachetEnvironment;
import dev.cachet.metrics.CacheMetricNames;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The presets without Redis: values, ticker, metrics, health, lifecycle. */
class CacheFactoryTests {

  private static CacheFactory.Builder builder(CacheFactory.Preset preset, Map<String, String> env) {
    return CacheFactory.newBuilder().preset(preset).environment(CachetEnvironment.of(env));
  }

  record Answer(String text, int tokens) {}

  @Test
  void forTesting_memoryOnly_manualTickerExpiresEntries() {
    try (CacheFactory caches = CacheFactory.forTesting()) {
      Cache<String, String> sessions = caches.cache("sessions", String.class);
      ManualTicker ticker = caches.ticker().orElseThrow();
      sessions.put("s1", "alice");
      ticker.advance(Duration.ofSeconds(59));
      assertThat(sessions.getIfPresent("s1")).isEqualTo("alice");
      ticker.advance(Duration.ofSeconds(2)); // the preset's TTL is 1 min
      assertThat(sessions.getIfPresent("s1")).isNull();
      assertThat(caches.hasRedis()).isFalse();
      assertThat(caches.preset()).isEqualTo(CacheFactory.Preset.TESTING);
      assertThat(caches.resilience().maxAttempts()).as("no retries").isEqualTo(1);
    }
  }

  @Test
  void webApp_memoryBoundByCount_aiApp_byBytes() {
    try (CacheFactory web = builder(CacheFactory.Preset.WEB_APP, Map.of()).build();
        CacheFactory ai = builder(CacheFactory.Preset.AI_APP, Map.of()).build()) {
      var webBound = web.cache("pages", String.class).policy().sizeBound().orElseThrow();
      assertThat(webBound.isWeighted()).isFalse();
      assertThat(webBound.maximum()).isEqualTo(Presets.WEB_APP.memoryMaximumSize());
      Cache<PromptKey, Answer> answers = ai.promptCache("answers", Answer.class);
      var aiBound = answers.policy().sizeBound().orElseThrow();
      assertThat(aiBound.isWeighted()).isTrue();
      assertThat(aiBound.maximum()).isEqualTo(256L << 20);
      PromptKey key = PromptKey.of("m", java.util.List.of(Map.of("role", "user", "content", "hi")), Map.of());
      AtomicInteger calls = new AtomicInteger();
      assertThat(answers.get(key, k -> new Answer("hello", calls.incrementAndGet()))).isEqualTo(new Answer("hello", 1));
      assertThat(answers.get(key, k -> new Answer("again", calls.incrementAndGet()))).isEqualTo(new Answer("hello", 1));
    }
  }

  @Test
  void perCacheVariables_overrideTtlAndBound_withDashesAsUnderscores() {
    ManualTicker ticker = new ManualTicker();
    Map<String, String> env =
        Map.of("CACHET_CACHE_USER_PROFILES_TTL", "10s", "CACHET_CACHE_USER_PROFILES_MAX_SIZE", "123");
    try (CacheFactory caches = builder(CacheFactory.Preset.AI_APP, env).ticker(ticker).build()) {
      Cache<String, String> profiles = caches.cache("user-profiles", String.class);
      assertThat(profiles.policy().sizeBound().orElseThrow().maximum()).isEqualTo(123);
      assertThat(profiles.policy().sizeBound().orElseThrow().isWeighted()).isFalse();
      profiles.put("u1", "ada");
      ticker.advance(Duration.ofSeconds(9));
      assertThat(profiles.getIfPresent("u1")).isEqualTo("ada");
      ticker.advance(Duration.ofSeconds(2));
      assertThat(profiles.getIfPresent("u1")).isNull();
    }
  }

  @Test
  void meterRegistry_bindsEachCacheOnce_closingTheCacheRemovesItsMeters() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (CacheFactory caches = builder(CacheFactory.Preset.WEB_APP, Map.of()).meterRegistry(registry).build()) {
      Cache<String, String> users = caches.cache("users", String.class);
      users.get("1", k -> "ada");
      users.get("1", k -> "ada");
      assertThat(registry.get(CacheMetricNames.GETS).tag("cache", "users").tag("result", "hit").functionCounter().count())
          .isEqualTo(1.0);
      assertThat(registry.find(CacheMetricNames.GETS).tag("cache", "users").tag("result", "hit").meters()).hasSize(1);
      users.close();
      assertThat(registry.find(CacheMetricNames.GETS).tag("cache", "users").meters()).isEmpty();
      // a closed cache is forgotten: its name can be used again, and is bound again
      Cache<String, String> again = caches.cache("users", String.class);
      again.put("2", "grace");
      assertThat(registry.find(CacheMetricNames.PUTS).tag("cache", "users").meters()).hasSize(1);
    }
  }

  @Test
  void sameNameTwice_isRefusedWhileTheFirstIsOpen() {
    try (CacheFactory caches = CacheFactory.forTesting()) {
      caches.cache("users", String.class);
      assertThatThrownBy(() -> caches.cache("users", Integer.class))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("'users'");
    }
  }

  @Test
  void health_summarizesEveryCache_closeClosesThemAll() {
    CacheFactory caches = CacheFactory.forTesting();
    Cache<String, String> a = caches.cache("a", String.class);
    caches.cache("b", String.class);
    CacheHealth health = caches.health();
    assertThat(health.status()).isEqualTo(CacheHealth.Status.UP);
    assertThat(health.details()).containsEntry("cache.a", "UP").containsEntry("cache.b", "UP");
    caches.close();
    assertThat(caches.health().status()).isEqualTo(CacheHealth.Status.DOWN);
    assertThatThrownBy(() -> a.put("k", "v")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> caches.cache("c", String.class)).isInstanceOf(IllegalStateException.class);
    caches.close(); // idempotent
    assertThat(caches.toString()).contains("closed");
  }

  @Test
  void presetTable_listsThePresetValues() {
    String table = Presets.markdownTable();
    assertThat(table)
        .contains("| default TTL (`defaultTtl`; `CACHET_CACHE_<NAME>_TTL`) | 5 min | 24 h | 1 min |")
        .contains("256 MiB")
        .contains("values over 4 KiB are compressed")
        .contains("lease 30 s");
  }
}
