package dev.cachet.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import dev.cachet.CachetEnvironment;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class ResilienceSettingsTests {

  @Test
  void development_failsFast() {
    ResilienceSettings s = ResilienceSettings.development();
    assertThat(s.profile()).isEqualTo(ResilienceSettings.Profile.DEVELOPMENT);
    assertThat(s.maxAttempts()).isEqualTo(2);
    assertThat(s.initialWaitDurationInOpenState()).isEqualTo(Duration.ofMillis(100));
    assertThat(s.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.minimumNumberOfCalls()).isEqualTo(5);
    assertThat(s.permittedCallsInHalfOpenState()).isEqualTo(2);
  }

  @Test
  void production_retriesWithBackoff_opensBrieflyWithGrowingWait() {
    ResilienceSettings s = ResilienceSettings.production();
    assertThat(s.profile()).isEqualTo(ResilienceSettings.Profile.PRODUCTION);
    assertThat(s.maxAttempts()).isEqualTo(3);
    assertThat(s.initialBackoff()).isEqualTo(Duration.ofMillis(50));
    assertThat(s.maxBackoff()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.backoffMultiplier()).isEqualTo(2.0);
    assertThat(s.jitter()).isEqualTo(0.5);
    assertThat(s.commandTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.slidingWindowSize()).isEqualTo(50);
    assertThat(s.minimumNumberOfCalls()).isEqualTo(20);
    assertThat(s.failureRateThreshold()).isEqualTo(50f);
    assertThat(s.initialWaitDurationInOpenState()).isEqualTo(Duration.ofMillis(100));
    assertThat(s.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(1));
    io.github.resilience4j.core.IntervalFunction wait =
        s.circuitBreakerConfig().getWaitIntervalFunctionInOpenState();
    assertThat(wait.apply(1)).isEqualTo(100L);
    assertThat(wait.apply(2)).isEqualTo(200L);
    assertThat(wait.apply(4)).isEqualTo(800L);
    assertThat(wait.apply(5)).as("probed at most about once a second").isEqualTo(1_000L);
    assertThat(wait.apply(50)).isEqualTo(1_000L);
    assertThat(s.permittedCallsInHalfOpenState()).isEqualTo(3);
    assertThat(s.circuitBreakerRegistry()).isEmpty();
    assertThat(s.retryRegistry()).isEmpty();
  }

  @Test
  void testing_smallWindowsAndWaits() {
    ResilienceSettings s = ResilienceSettings.testing();
    assertThat(s.profile()).isEqualTo(ResilienceSettings.Profile.TESTING);
    assertThat(s.waitDurationInOpenState()).isLessThanOrEqualTo(Duration.ofSeconds(1));
    assertThat(s.minimumNumberOfCalls()).isLessThanOrEqualTo(s.slidingWindowSize());
    assertThat(s.commandTimeout()).isLessThan(Duration.ofSeconds(1));
  }

  @ParameterizedTest
  @EnumSource(ResilienceSettings.Profile.class)
  void presets_slowCallThresholdBelowCommandTimeout(ResilienceSettings.Profile profile) {
    ResilienceSettings s = ResilienceSettings.of(profile);
    assertThat(s.profile()).isEqualTo(profile);
    assertThat(s.slowCallDurationThreshold()).isLessThan(s.commandTimeout());
    // Resilience4j's own default (60 s) would never fire before a command times out
    assertThat(s.circuitBreakerConfig().getSlowCallDurationThreshold())
        .isEqualTo(s.slowCallDurationThreshold())
        .isLessThan(Duration.ofSeconds(60));
  }

  @Test
  void worstCaseLatency_attemptsTimesTimeoutPlusBackoffs() {
    // production: 3 x 1 s + 2 x 500 ms
    assertThat(ResilienceSettings.production().worstCaseLatency()).isEqualTo(Duration.ofMillis(4_000));
    // development: 2 x 1 s + 1 x 100 ms
    assertThat(ResilienceSettings.development().worstCaseLatency()).isEqualTo(Duration.ofMillis(2_100));
    // testing: 2 x 500 ms + 1 x 20 ms
    assertThat(ResilienceSettings.testing().worstCaseLatency()).isEqualTo(Duration.ofMillis(1_020));
    ResilienceSettings single =
        ResilienceSettings.newBuilder(ResilienceSettings.production()).maxAttempts(1).build();
    assertThat(single.worstCaseLatency()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void retryConfig_backoffWithJitterNeverExceedsMaxBackoff() {
    ResilienceSettings s = ResilienceSettings.production();
    RetryConfig config = s.retryConfig();
    assertThat(config.getMaxAttempts()).isEqualTo(3);
    for (int attempt = 1; attempt <= 10; attempt++) {
      for (int sample = 0; sample < 200; sample++) {
        long wait = config.getIntervalBiFunction().apply(attempt, null);
        assertThat(wait).as("backoff of attempt %d", attempt).isBetween(1L, s.maxBackoff().toMillis());
      }
    }
  }

  @Test
  void circuitBreakerConfig_reflectsSettings() {
    ResilienceSettings s = ResilienceSettings.production();
    CircuitBreakerConfig c = s.circuitBreakerConfig();
    assertThat(c.getSlidingWindowType()).isEqualTo(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED);
    assertThat(c.getSlidingWindowSize()).isEqualTo(50);
    assertThat(c.getMinimumNumberOfCalls()).isEqualTo(20);
    assertThat(c.getFailureRateThreshold()).isEqualTo(50f);
    assertThat(c.getSlowCallRateThreshold()).isEqualTo(80f);
    assertThat(c.getPermittedNumberOfCallsInHalfOpenState()).isEqualTo(3);
    assertThat(c.isAutomaticTransitionFromOpenToHalfOpenEnabled()).isTrue();
  }

  @Test
  void newBuilder_overridesKeepTheRest() {
    ResilienceSettings s =
        ResilienceSettings.newBuilder(ResilienceSettings.production())
            .maxAttempts(5)
            .waitDurationInOpenState(Duration.ofSeconds(10))
            .build();
    assertThat(s.maxAttempts()).isEqualTo(5);
    assertThat(s.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.profile()).isEqualTo(ResilienceSettings.Profile.PRODUCTION);
    assertThat(s.slidingWindowSize()).isEqualTo(50);
    assertThat(ResilienceSettings.production().maxAttempts()).as("presets are immutable").isEqualTo(3);
  }

  @Test
  void newBuilder_everySetterOverrides() {
    CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    RetryRegistry retries = RetryRegistry.ofDefaults();
    ResilienceSettings s =
        ResilienceSettings.newBuilder(ResilienceSettings.development())
            .maxAttempts(4)
            .initialBackoff(Duration.ofMillis(7))
            .backoffMultiplier(3)
            .jitter(0.25)
            .maxBackoff(Duration.ofMillis(70))
            .commandTimeout(Duration.ofMillis(800))
            .slidingWindowSize(30)
            .minimumNumberOfCalls(10)
            .failureRateThreshold(25)
            .slowCallDurationThreshold(Duration.ofMillis(400))
            .slowCallRateThreshold(90)
            .waitDurationInOpenState(Duration.ofSeconds(3))
            .permittedCallsInHalfOpenState(4)
            .circuitBreakerRegistry(breakers)
            .retryRegistry(retries)
            .build();
    assertThat(s.maxAttempts()).isEqualTo(4);
    assertThat(s.initialBackoff()).isEqualTo(Duration.ofMillis(7));
    assertThat(s.backoffMultiplier()).isEqualTo(3.0);
    assertThat(s.jitter()).isEqualTo(0.25);
    assertThat(s.maxBackoff()).isEqualTo(Duration.ofMillis(70));
    assertThat(s.commandTimeout()).isEqualTo(Duration.ofMillis(800));
    assertThat(s.slidingWindowSize()).isEqualTo(30);
    assertThat(s.minimumNumberOfCalls()).isEqualTo(10);
    assertThat(s.failureRateThreshold()).isEqualTo(25f);
    assertThat(s.slowCallDurationThreshold()).isEqualTo(Duration.ofMillis(400));
    assertThat(s.slowCallRateThreshold()).isEqualTo(90f);
    assertThat(s.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(3));
    assertThat(s.permittedCallsInHalfOpenState()).isEqualTo(4);
    assertThat(s.circuitBreakerRegistry()).containsSame(breakers);
    assertThat(s.retryRegistry()).containsSame(retries);
    // the registries survive a further copy
    assertThat(ResilienceSettings.newBuilder(s).build().circuitBreakerRegistry()).containsSame(breakers);
  }

  static Stream<Arguments> invalidSettings() {
    return Stream.of(
        invalid("maxAttempts", b -> b.maxAttempts(0), "maxAttempts must be between 1 and 10: 0"),
        invalid("maxAttempts", b -> b.maxAttempts(11), "maxAttempts must be between 1 and 10: 11"),
        invalid("initialBackoff", b -> b.initialBackoff(Duration.ZERO), "initialBackoff must be a positive duration: 0 ms"),
        invalid("initialBackoff", b -> b.initialBackoff(null), "initialBackoff must be a positive duration: null"),
        invalid("maxBackoff", b -> b.maxBackoff(Duration.ofMillis(-1)), "maxBackoff must be a positive duration: -1 ms"),
        invalid("commandTimeout", b -> b.commandTimeout(Duration.ZERO), "commandTimeout must be a positive duration: 0 ms"),
        invalid("slowCallDurationThreshold", b -> b.slowCallDurationThreshold(Duration.ZERO),
            "slowCallDurationThreshold must be a positive duration: 0 ms"),
        invalid("waitDurationInOpenState", b -> b.waitDurationInOpenState(Duration.ZERO),
            "waitDurationInOpenState must be a positive duration: 0 ms"),
        invalid("backoffMultiplier", b -> b.backoffMultiplier(0.5), "backoffMultiplier must be between 1 and 10: 0.5"),
        invalid("jitter", b -> b.jitter(1.0), "jitter must be in [0, 1): 1.0"),
        invalid("jitter", b -> b.jitter(-0.1), "jitter must be in [0, 1): -0.1"),
        invalid("slidingWindowSize", b -> b.slidingWindowSize(0), "slidingWindowSize must be at least 1: 0"),
        invalid("minimumNumberOfCalls", b -> b.minimumNumberOfCalls(0), "minimumNumberOfCalls must be at least 1: 0"),
        invalid("failureRateThreshold", b -> b.failureRateThreshold(0), "failureRateThreshold must be in (0, 100]: 0.0"),
        invalid("failureRateThreshold", b -> b.failureRateThreshold(101), "failureRateThreshold must be in (0, 100]: 101.0"),
        invalid("slowCallRateThreshold", b -> b.slowCallRateThreshold(0), "slowCallRateThreshold must be in (0, 100]: 0.0"),
        invalid("permittedCallsInHalfOpenState", b -> b.permittedCallsInHalfOpenState(0),
            "permittedCallsInHalfOpenState must be at least 1: 0"));
  }

  private static Arguments invalid(
      String setting, UnaryOperator<ResilienceSettings.Builder> change, String message) {
    return Arguments.of(setting, change, message);
  }

  @ParameterizedTest(name = "{0}: {2}")
  @MethodSource("invalidSettings")
  void build_invalidSetting_rejectedNamingIt(
      String setting, UnaryOperator<ResilienceSettings.Builder> change, String message) {
    ResilienceSettings.Builder b = change.apply(ResilienceSettings.newBuilder(ResilienceSettings.production()));
    assertThatThrownBy(b::build)
        .isInstanceOfSatisfying(
            CacheConfigurationException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_SETTING))
        .hasMessageStartingWith(setting + " ")
        .hasMessage(message);
  }

  @Test
  void build_slowCallThresholdAtOrAboveCommandTimeout_rejected() {
    ResilienceSettings.Builder b =
        ResilienceSettings.newBuilder(ResilienceSettings.production())
            .commandTimeout(Duration.ofMillis(500))
            .slowCallDurationThreshold(Duration.ofMillis(500));
    assertThatThrownBy(b::build)
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.INCONSISTENT_SETTINGS))
        .hasMessageContaining("slowCallDurationThreshold (500 ms)")
        .hasMessageContaining("commandTimeout (500 ms)");
  }

  @Test
  void build_initialBackoffAboveMaxBackoff_rejected() {
    ResilienceSettings.Builder b =
        ResilienceSettings.newBuilder(ResilienceSettings.production())
            .initialBackoff(Duration.ofSeconds(1))
            .maxBackoff(Duration.ofMillis(100));
    assertThatThrownBy(b::build)
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.INCONSISTENT_SETTINGS))
        .hasMessageContaining("initialBackoff (1000 ms)")
        .hasMessageContaining("maxBackoff (100 ms)");
  }

  @Test
  void registries_nullRejectedNamingTheSetting() {
    ResilienceSettings.Builder b = ResilienceSettings.newBuilder(ResilienceSettings.production());
    assertThatThrownBy(() -> b.circuitBreakerRegistry(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("circuitBreakerRegistry");
    assertThatThrownBy(() -> b.retryRegistry(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("retryRegistry");
  }

  @Test
  void fromEnvironment_unset_production() {
    assertThat(ResilienceSettings.fromEnvironment(CachetEnvironment.of(Map.of())).profile())
        .isEqualTo(ResilienceSettings.Profile.PRODUCTION);
  }

  @Test
  void fromEnvironment_named_thatPreset() {
    CachetEnvironment env = CachetEnvironment.of(Map.of(CachetEnvironment.RESILIENCE_PROFILE, "development"));
    assertThat(ResilienceSettings.fromEnvironment(env).profile())
        .isEqualTo(ResilienceSettings.Profile.DEVELOPMENT);
  }

  @Test
  void fromEnvironment_unknown_rejectedNamingTheVariable() {
    CachetEnvironment env = CachetEnvironment.of(Map.of(CachetEnvironment.RESILIENCE_PROFILE, "staging"));
    assertThatThrownBy(() -> ResilienceSettings.fromEnvironment(env))
        .isInstanceOf(CacheConfigurationException.class)
        .hasMessageContaining(CachetEnvironment.RESILIENCE_PROFILE)
        .hasMessageContaining("production");
  }

  @Test
  void fixedWait_replacesTheBackoff_andBackoffIsValidated() {
    ResilienceSettings fixed =
        ResilienceSettings.newBuilder(ResilienceSettings.production())
            .waitDurationInOpenState(Duration.ofSeconds(4)).build();
    assertThat(fixed.initialWaitDurationInOpenState()).isEqualTo(Duration.ofSeconds(4));
    assertThat(fixed.circuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(3)).isEqualTo(4_000L);
    assertThatThrownBy(() -> ResilienceSettings.newBuilder(ResilienceSettings.production())
            .openStateBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build())
        .isInstanceOfSatisfying(CacheConfigurationException.class,
            e -> assertThat(e.reason()).isEqualTo(CacheConfigurationException.Reason.INCONSISTENT_SETTINGS))
        .hasMessageContaining("openStateBackoff");
  }

  @Test
  void toString_namesProfileAndValues() {
    assertThat(ResilienceSettings.production().toString())
        .contains("profile=production")
        .contains("maxAttempts=3")
        .contains("open=PT0.1S..PT1S");
  }
}
