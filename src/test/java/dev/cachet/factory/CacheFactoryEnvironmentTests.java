package dev.cachet.factory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import dev.cachet.CachetEnvironment;
import dev.cachet.resilience.ResilienceSettings.Profile;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code CacheFactory.fromEnvironment} against a table of valid and invalid environments. */
class CacheFactoryEnvironmentTests {

  /** A syntactically valid key and naming secret (never used to reach Redis here). */
  static final String KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

  private static Map<String, String> env(String... pairs) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  record Valid(String name, Map<String, String> env, CacheFactory.Preset preset, Profile resilience) {}

  @Test
  void validEnvironments_build() {
    List<Valid> table =
        List.of(
            new Valid("nothing set", env(), CacheFactory.Preset.WEB_APP, Profile.PRODUCTION),
            new Valid("ai preset", env("CACHET_PRESET", "ai-app"), CacheFactory.Preset.AI_APP, Profile.PRODUCTION),
            new Valid("development", env("CACHET_ENV", "development"), CacheFactory.Preset.WEB_APP, Profile.DEVELOPMENT),
            new Valid("testing deployment", env("CACHET_ENV", "testing"), CacheFactory.Preset.WEB_APP, Profile.TESTING),
            new Valid("the profile variable wins over CACHET_ENV",
                env("CACHET_ENV", "development", "CACHET_RESILIENCE_PROFILE", "production"),
                CacheFactory.Preset.WEB_APP, Profile.PRODUCTION),
            new Valid("profile alone", env("CACHET_RESILIENCE_PROFILE", "testing"), CacheFactory.Preset.WEB_APP, Profile.TESTING),
            new Valid("a typo only warns", env("CACHET_REDIS_ULR", "redis://x"), CacheFactory.Preset.WEB_APP, Profile.PRODUCTION),
            new Valid("test variables are reserved", env("CACHET_TEST_REDIS_URL", "redis://x", "CACHET_STRICT_ENV", "true"),
                CacheFactory.Preset.WEB_APP, Profile.PRODUCTION));
    for (Valid v : table) {
      try (CacheFactory factory = CacheFactory.fromEnvironment(CachetEnvironment.of(v.env()))) {
        assertThat(factory.preset()).as(v.name()).isEqualTo(v.preset());
        assertThat(factory.resilience().profile()).as(v.name()).isEqualTo(v.resilience());
        assertThat(factory.hasRedis()).as(v.name()).isFalse();
      }
    }
  }

  record Invalid(String name, Map<String, String> env, Reason reason, String variable) {}

  @Test
  void invalidEnvironments_failNamingTheirVariable_neverASecret() {
    List<Invalid> table =
        List.of(
            new Invalid("a typo under strict checking",
                env("CACHET_REDIS_ULR", "redis://x", "CACHET_STRICT_ENV", "true"),
                Reason.INVALID_ENVIRONMENT_VARIABLE, "CACHET_REDIS_ULR; did you mean CACHET_REDIS_URL?"),
            new Invalid("a bad strict flag", env("CACHET_STRICT_ENV", "maybe"),
                Reason.INVALID_ENVIRONMENT_VARIABLE, "CACHET_STRICT_ENV"),
            new Invalid("a bad profile", env("CACHET_RESILIENCE_PROFILE", "prod"),
                Reason.INVALID_ENVIRONMENT_VARIABLE, "CACHET_RESILIENCE_PROFILE"),
            new Invalid("a bad deployment", env("CACHET_ENV", "staging"),
                Reason.INVALID_ENVIRONMENT_VARIABLE, "CACHET_ENV"),
            new Invalid("a bad preset", env("CACHET_PRESET", "chat"),
                Reason.INVALID_ENVIRONMENT_VARIABLE, "CACHET_PRESET"),
            new Invalid("a bad URL", env("CACHET_REDIS_URL", "http://user:hunter2@cache:6379", "CACHET_ENCRYPTION_KEY", KEY),
                Reason.INVALID_REDIS_URI, "CACHET_REDIS_URL"),
            new Invalid("a URL Lettuce refuses", env("CACHET_REDIS_URL", "redis://hunter2@cache:6379/notadb", "CACHET_ENCRYPTION_KEY", KEY),
                Reason.INVALID_REDIS_URI, "CACHET_REDIS_URL"),
            new Invalid("a bad cluster seed", env("CACHET_REDIS_CLUSTER_NODES", "a:7000,b:hunter2"),
                Reason.INVALID_REDIS_URI, "CACHET_REDIS_CLUSTER_NODES"),
            new Invalid("Redis without a key",
                env("CACHET_REDIS_URL", "redis://127.0.0.1:1", "CACHET_REDIS_CONNECT_TIMEOUT", "200ms"),
                Reason.MISSING_ENCRYPTION_KEY, "CACHET_ENCRYPTION_KEY"),
            new Invalid("Redis without a key, in development too",
                env("CACHET_ENV", "development", "CACHET_REDIS_URL", "redis://127.0.0.1:1",
                    "CACHET_REDIS_CONNECT_TIMEOUT", "200ms"),
                Reason.MISSING_ENCRYPTION_KEY, "CACHET_ENCRYPTION_KEY"),
            new Invalid("a malformed key",
                env("CACHET_REDIS_URL", "redis://127.0.0.1:1", "CACHET_REDIS_CONNECT_TIMEOUT", "200ms",
                    "CACHET_ENCRYPTION_KEY", "hunter2hunter2"),
                Reason.INVALID_ENCRYPTION_KEY, "CACHET_ENCRYPTION_KEY"),
            new Invalid("the AI preset without a naming secret",
                env("CACHET_PRESET", "ai-app", "CACHET_REDIS_URL", "redis://127.0.0.1:1",
                    "CACHET_REDIS_CONNECT_TIMEOUT", "200ms", "CACHET_ENCRYPTION_KEY", KEY),
                Reason.INCONSISTENT_SETTINGS, "CACHET_KEY_NAMING_SECRET"),
            new Invalid("a bad timeout", env("CACHET_REDIS_URL", "redis://127.0.0.1:1", "CACHET_REDIS_COMMAND_TIMEOUT", "fast"),
                Reason.INVALID_ENVIRONMENT_VARIABLE, "CACHET_REDIS_COMMAND_TIMEOUT"));
    for (Invalid v : table) {
      Throwable thrown = catchThrowable(() -> CacheFactory.fromEnvironment(CachetEnvironment.of(v.env())).close());
      assertThat(thrown).as(v.name()).isInstanceOf(CacheConfigurationException.class);
      assertThat(((CacheConfigurationException) thrown).reason()).as(v.name()).isEqualTo(v.reason());
      assertThat(thrown.getMessage()).as(v.name()).contains(v.variable()).doesNotContain("hunter2");
      assertThat(String.valueOf(thrown.getCause())).as(v.name()).doesNotContain("hunter2");
    }
  }

  @Test
  void badPerCacheVariable_failsWhenThatCacheIsBuilt() {
    try (CacheFactory factory =
        CacheFactory.fromEnvironment(CachetEnvironment.of(env("CACHET_CACHE_USERS_TTL", "soon")))) {
      Throwable thrown = catchThrowable(() -> factory.cache("users", String.class));
      assertThat(thrown).isInstanceOf(CacheConfigurationException.class).hasMessageContaining("CACHET_CACHE_USERS_TTL");
      assertThat(factory.cache("orders", String.class)).isNotNull();
    }
  }
}
