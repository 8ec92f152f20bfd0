package dev.cachet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheConfigurationException.Reason;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The variables the factory reads: deployment, per-cache settings, Redis URIs, unknown names. */
class CachetEnvironmentCheckTests {

  private static CachetEnvironment env(Map<String, String> variables) {
    return CachetEnvironment.of(variables);
  }

  @Test
  void deployment_unsetMeansProduction_badValueNamesVariable() {
    assertThat(env(Map.of()).deployment()).isEqualTo(CachetEnvironment.Deployment.PRODUCTION);
    assertThat(env(Map.of("CACHET_ENV", "Development")).deployment())
        .isEqualTo(CachetEnvironment.Deployment.DEVELOPMENT);
    assertThatThrownBy(() -> env(Map.of("CACHET_ENV", "prod")).deployment())
        .isInstanceOf(CacheConfigurationException.class)
        .hasMessageContaining("CACHET_ENV")
        .hasMessageContaining("[development, production, testing]");
  }

  @Test
  void cacheVariable_mapsDashAndDotToUnderscore() {
    assertThat(CachetEnvironment.cacheVariable("user-profiles", CachetEnvironment.TTL_SUFFIX))
        .isEqualTo("CACHET_CACHE_USER_PROFILES_TTL");
    assertThat(CachetEnvironment.cacheVariable("llm.answers", CachetEnvironment.MAX_SIZE_SUFFIX))
        .isEqualTo("CACHET_CACHE_LLM_ANSWERS_MAX_SIZE");
    assertThatThrownBy(() -> CachetEnvironment.cacheVariable("no spaces", "_TTL"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void cacheTtlAndMaximumSize_readAndCheckedNamingTheVariable() {
    CachetEnvironment e =
        env(Map.of("CACHET_CACHE_USER_PROFILES_TTL", "10m", "CACHET_CACHE_USER_PROFILES_MAX_SIZE", "500"));
    assertThat(e.cacheTtl("user-profiles")).hasValue(Duration.ofMinutes(10));
    assertThat(e.cacheMaximumSize("user-profiles")).hasValue(500);
    assertThat(e.cacheTtl("other")).isEmpty();
    assertThatThrownBy(() -> env(Map.of("CACHET_CACHE_USERS_MAX_SIZE", "0")).cacheMaximumSize("users"))
        .hasMessageContaining("CACHET_CACHE_USERS_MAX_SIZE");
  }

  @Test
  void redisUrl_validForms_areAccepted() {
    for (String ok :
        List.of(
            "redis://localhost", "redis://localhost:6379/2", "rediss://user:p%40ss@cache.example:6380",
            "redis://:secret@10.0.0.1:6379", "redis://[::1]:6379",
            "redis-sentinel://pw@s1:26379,s2:26379#mymaster")) {
      assertThat(env(Map.of("CACHET_REDIS_URL", ok)).redisUrl()).as(ok).hasValue(ok);
    }
  }

  @Test
  void redisUrl_malformed_namesTheVariableAndTheForm_neverThePassword() {
    for (String bad :
        List.of(
            "localhost:6379", "http://hunter2@localhost", "redis://hunter2@", "redis://h:hunter2x@host:port",
            "redis://hunter2@host:99999", "redis-sentinel://hunter2@s1:26379", "redis://a:1,b:2",
            "redis://hunter2@ho st")) {
      assertThatThrownBy(() -> env(Map.of("CACHET_REDIS_URL", bad)).redisUrl())
          .as(bad)
          .isInstanceOf(CacheConfigurationException.class)
          .hasMessageContaining("environment variable CACHET_REDIS_URL")
          .hasMessageContaining("redis://[user:password@]host[:port][/db]")
          .satisfies(
              t -> {
                assertThat(t.getMessage()).doesNotContain("hunter2");
                assertThat(((CacheConfigurationException) t).reason()).isEqualTo(Reason.INVALID_REDIS_URI);
              });
    }
  }

  @Test
  void redisClusterNodes_malformedItem_namesVariableAndItem() {
    assertThat(env(Map.of("CACHET_REDIS_CLUSTER_NODES", "a:7000, redis://b:7001")).redisClusterNodes())
        .containsExactly("a:7000", "redis://b:7001");
    assertThatThrownBy(
            () -> env(Map.of("CACHET_REDIS_CLUSTER_NODES", "a:7000,b:x")).redisClusterNodes())
        .hasMessageContaining("CACHET_REDIS_CLUSTER_NODES (item 2 of 2)");
  }

  @Test
  void checkVariables_unknownName_warnsWithTheClosestKnownOne() {
    CachetEnvironment e =
        env(
            Map.of(
                "CACHET_REDIS_ULR", "redis://x", "CACHET_CACHE_USERS_TLL", "5m",
                "CACHET_CACHE_USERS_TTL", "5m", "CACHET_TEST_ANYTHING", "x", "HOME", "/root"));
    assertThat(e.checkVariables())
        .containsExactly(
            "unknown environment variable CACHET_CACHE_USERS_TLL; did you mean CACHET_CACHE_USERS_TTL?"
                + " It is ignored.",
            "unknown environment variable CACHET_REDIS_ULR; did you mean CACHET_REDIS_URL? It is ignored.");
  }

  @Test
  void checkVariables_strict_unknownNameIsAnError() {
    CachetEnvironment e =
        env(Map.of("CACHET_RESILIENCE_PROFIL", "production", "CACHET_STRICT_ENV", "true"));
    assertThatThrownBy(e::checkVariables)
        .isInstanceOf(CacheConfigurationException.class)
        .hasMessageContaining("CACHET_RESILIENCE_PROFIL;")
        .hasMessageContaining("did you mean CACHET_RESILIENCE_PROFILE?")
        .hasMessageContaining("CACHET_STRICT_ENV=true");
    assertThat(env(Map.of("CACHET_STRICT_ENV", "true", "CACHET_ENV", "testing")).checkVariables()).isEmpty();
  }
}
