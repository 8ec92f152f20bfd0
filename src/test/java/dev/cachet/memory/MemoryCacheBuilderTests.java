package dev.cachet.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.CacheHealth;
import dev.cachet.CachePolicy;
import dev.cachet.testing.FakeTicker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MemoryCacheBuilderTests {

  @Test
  void build_withoutName_throwsIllegalState() {
    assertThatThrownBy(() -> MemoryCacheBuilder.newBuilder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("name");
  }

  @Test
  void name_invalid_throwsNamingTheRuleAndValue() {
    for (String bad : new String[] {"", "Users", "-users", "a b", "x".repeat(64), "ümlaut"}) {
      assertThatThrownBy(() -> MemoryCacheBuilder.newBuilder().name(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[a-z0-9][a-z0-9_-]{0,62}")
          .hasMessageContaining("'" + bad);
    }
    assertThat(MemoryCacheBuilder.newBuilder().name("x".repeat(63)).build().name()).hasSize(63);
  }

  @Test
  void settings_setTwice_throwIllegalState() {
    assertThatThrownBy(() -> MemoryCacheBuilder.newBuilder().name("a").name("b"))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> MemoryCacheBuilder.newBuilder().maximumSize(1).maximumBytes(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("one kind of bound");
  }

  @Test
  void invalidValues_throwNamingTheSettingAndValue() {
    assertThatThrownBy(() -> MemoryCacheBuilder.newBuilder().maximumSize(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maximumSize")
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> MemoryCacheBuilder.newBuilder().defaultTtl(Duration.ofSeconds(-5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("defaultTtl")
        .hasMessageContaining("-5000 ms");
    assertThatThrownBy(() -> MemoryCacheBuilder.newBuilder().defaultTtl(Duration.ofDays(365 * 200)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("defaultTtl");
    assertThatThrownBy(() -> MemoryCacheBuilder.newBuilder().maxKeyLength(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxKeyLength");
  }

  @Test
  void weigherWithoutByteBound_isRejectedAtBuild() {
    assertThatThrownBy(
            () -> MemoryCacheBuilder.<String, String>newBuilder().name("a").weigher(String::length).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("maximumBytes");
  }

  @Test
  void maximumBytes_weighsStringsByUtf8AndBytesByLength() {
    Cache<String, Object> cache =
        MemoryCacheBuilder.<String, Object>newBuilder().name("bytes").maximumBytes(1_000).build();
    String text = "grüße 🌍";
    cache.put("s", text);
    cache.put("b", new byte[100]);
    CachePolicy.SizeBound bound = cache.policy().sizeBound().orElseThrow();
    assertThat(bound.isWeighted()).isTrue();
    assertThat(bound.weightedSize())
        .hasValue(text.getBytes(StandardCharsets.UTF_8).length + 100L);
  }

  @Test
  void maximumBytes_evictsToStayUnderTheBound() {
    Cache<String, byte[]> cache =
        MemoryCacheBuilder.<String, byte[]>newBuilder().name("bytes").maximumBytes(10_000).build();
    for (int i = 0; i < 100; i++) {
      cache.put("k" + i, new byte[1_000]);
    }
    CachePolicy.SizeBound bound = cache.policy().sizeBound().orElseThrow();
    assertThat(bound.weightedSize().getAsLong()).isLessThanOrEqualTo(10_000);
    assertThat(cache.stats().evictionCount().getAsLong()).isEqualTo(100 - bound.estimatedSize());
  }

  @Test
  void maximumBytes_unknownValueType_withoutWeigher_throwsNamingTheFix() {
    Cache<String, Object> cache =
        MemoryCacheBuilder.<String, Object>newBuilder().name("bytes").maximumBytes(1_000).build();
    assertThatThrownBy(() -> cache.put("k", 42))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("java.lang.Integer")
        .hasMessageContaining("weigher");
    assertThat(cache.getIfPresent("k")).isNull();
  }

  @Test
  void maximumBytes_customWeigher_isUsed() {
    Cache<String, int[]> cache =
        MemoryCacheBuilder.<String, int[]>newBuilder()
            .name("ints")
            .maximumBytes(1_000)
            .weigher(v -> v.length * 4)
            .build();
    cache.put("k", new int[10]);
    assertThat(cache.policy().sizeBound().orElseThrow().weightedSize()).hasValue(40);
  }

  @Test
  void cacheAbsencesFor_cachesNullResultsForTheirOwnTtl() {
    FakeTicker ticker = new FakeTicker();
    Cache<String, String> cache =
        MemoryCacheBuilder.<String, String>newBuilder()
            .name("neg")
            .ticker(ticker)
            .cacheAbsencesFor(Duration.ofSeconds(5))
            .build();
    AtomicInteger calls = new AtomicInteger();
    assertThat(cache.get("missing", k -> { calls.incrementAndGet(); return null; })).isNull();
    assertThat(cache.get("missing", k -> { calls.incrementAndGet(); return null; })).isNull();
    assertThat(calls).hasValue(1);
    assertThat(cache.getIfPresent("missing")).isNull();
    ticker.advance(Duration.ofSeconds(5));
    assertThat(cache.get("missing", k -> "found")).isEqualTo("found");
    assertThat(cache.getAllPresent(java.util.List.of("missing"))).containsEntry("missing", "found");
  }

  @Test
  void health_isUpWithMemoryTier() {
    Cache<String, String> cache = MemoryCacheBuilder.<String, String>newBuilder().name("h").build();
    CacheHealth health = cache.health();
    assertThat(health.status()).isEqualTo(CacheHealth.Status.UP);
    assertThat(health.tiers()).containsEntry(dev.cachet.Tier.MEMORY, CacheHealth.Status.UP);
  }

  @Test
  void toString_listsOnlyTheSettingsMade() {
    MemoryCacheBuilder<String, String> b =
        MemoryCacheBuilder.<String, String>newBuilder().name("users").maximumSize(5);
    assertThat(b.toString()).isEqualTo("MemoryCacheBuilder{name=users, maximumSize=5}");
  }

  @Test
  void builder_buildsIndependentCaches() {
    MemoryCacheBuilder<String, String> b = MemoryCacheBuilder.<String, String>newBuilder().name("twice");
    Cache<String, String> one = b.build();
    Cache<String, String> two = b.build();
    one.put("k", "v");
    assertThat(two.getIfPresent("k")).isNull();
  }

  @Test
  void memoryTier_returnsTheStoredInstance() {
    Cache<String, StringBuilder> cache =
        MemoryCacheBuilder.<String, StringBuilder>newBuilder().name("identity").build();
    StringBuilder value = new StringBuilder("v");
    cache.put("k", value);
    assertThat(cache.getIfPresent("k")).isSameAs(value);
  }

  @Test
  void keyLength_unlimitedByDefault_limitedWhenSet() {
    String prompt = "p".repeat(10_000);
    try (Cache<String, String> unlimited = MemoryCacheBuilder.<String, String>newBuilder().name("m").build();
        Cache<String, String> limited =
            MemoryCacheBuilder.<String, String>newBuilder().name("m").maxKeyLength(1_024).build()) {
      assertThat(unlimited.get(prompt, k -> "answer")).isEqualTo("answer");
      assertThat(unlimited.getIfPresent(prompt)).isEqualTo("answer");
      assertThatThrownBy(() -> limited.put(prompt, "answer"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("10000 characters");
    }
  }
}
