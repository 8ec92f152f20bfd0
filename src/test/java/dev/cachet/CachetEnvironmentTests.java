package dev.cachet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CachetEnvironmentTests {

  private static CachetEnvironment env(String name, String value) {
    return CachetEnvironment.of(Map.of(name, value));
  }

  @Test
  void string_unsetOrBlank_isEmpty() {
    assertThat(CachetEnvironment.of(Map.of()).string("X")).isEmpty();
    assertThat(env("X", "   ").string("X")).isEmpty();
    assertThat(env("X", " v ").string("X")).hasValue("v");
  }

  @Test
  void duration_acceptsShortAndIsoForms() {
    assertThat(env("D", "500ms").duration("D")).hasValue(Duration.ofMillis(500));
    assertThat(env("D", "30s").duration("D")).hasValue(Duration.ofSeconds(30));
    assertThat(env("D", "5m").duration("D")).hasValue(Duration.ofMinutes(5));
    assertThat(env("D", "2H").duration("D")).hasValue(Duration.ofHours(2));
    assertThat(env("D", "1d").duration("D")).hasValue(Duration.ofDays(1));
    assertThat(env("D", "PT1M30S").duration("D")).hasValue(Duration.ofSeconds(90));
  }

  @Test
  void duration_invalid_namesVariableValueAndForm() {
    for (String bad : new String[] {"soon", "0s", "-5s", "PT-1S", "5 minutes"}) {
      assertThatThrownBy(() -> env("CACHET_DEFAULT_TTL", bad).duration("CACHET_DEFAULT_TTL"))
          .isInstanceOf(CacheConfigurationException.class)
          .hasMessageContaining("CACHET_DEFAULT_TTL")
          .hasMessageContaining(bad)
          .hasMessageContaining("30s")
          .satisfies(
              e ->
                  assertThat(((CacheConfigurationException) e).reason())
                      .isEqualTo(CacheConfigurationException.Reason.INVALID_ENVIRONMENT_VARIABLE));
    }
  }

  @Test
  void longValue_checksRange() {
    assertThat(env("N", "42").longValue("N", 1)).hasValue(42);
    assertThatThrownBy(() -> env("N", "0").longValue("N", 1))
        .isInstanceOf(CacheConfigurationException.class)
        .hasMessageContaining("at least 1");
    assertThatThrownBy(() -> env("N", "lots").longValue("N", 1))
        .isInstanceOf(CacheConfigurationException.class)
        .hasMessageContaining("'lots'");
  }

  @Test
  void bool_acceptsCommonSpellings() {
    assertThat(env("B", "YES").bool("B")).hasValue(true);
    assertThat(env("B", "0").bool("B")).hasValue(false);
    assertThatThrownBy(() -> env("B", "maybe").bool("B"))
        .isInstanceOf(CacheConfigurationException.class)
        .hasMessageContaining("true or false");
  }

  enum Profile { DEVELOPMENT, PRODUCTION }

  @Test
  void enumValue_matchesCaseInsensitively_andListsAccepted() {
    assertThat(env("P", "production").enumValue("P", Profile.class)).hasValue(Profile.PRODUCTION);
    assertThatThrownBy(() -> env("P", "prod").enumValue("P", Profile.class))
        .isInstanceOf(CacheConfigurationException.class)
        .hasMessageContaining("[development, production]");
  }

  @Test
  void secretList_neverEchoesTheValue() {
    String secret = "c2VjcmV0LWtleS1tYXRlcmlhbA==,,";
    assertThatThrownBy(() -> env("CACHET_ENCRYPTION_KEYS", secret).secretList("CACHET_ENCRYPTION_KEYS"))
        .isInstanceOf(CacheConfigurationException.class)
        .hasMessageContaining("CACHET_ENCRYPTION_KEYS")
        .hasMessageNotContaining("c2VjcmV0");
    assertThat(env("L", "a, b ,c").list("L")).isEqualTo(List.of("a", "b", "c"));
  }

  @Test
  void toString_showsNamesNotValues() {
    CachetEnvironment env =
        CachetEnvironment.of(Map.of("CACHET_ENCRYPTION_KEY", "secret-value", "PATH", "/bin"));
    assertThat(env.toString()).contains("CACHET_ENCRYPTION_KEY").doesNotContain("secret-value")
        .doesNotContain("PATH");
  }
}
