package dev.cachet.resilience;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import dev.cachet.CachetEnvironment;
import dev.cachet.internal.Preconditions;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Immutable retry and circuit-breaker settings for a remote tier, with named presets by environment.
 *
 * <ul>
 *   <li>{@link #development()}: fail fast, few retries, short open state.
 *   <li>{@link #production()}: a few retries with exponential backoff and jitter, a breaker over a
 *       sliding window of calls, open for tens of seconds, a few half-open probes.
 *   <li>{@link #testing()}: tiny windows and waits so tests see state changes quickly.
 * </ul>
 *
 * Every value can be overridden: {@code ResilienceSettings.newBuilder(ResilienceSettings.production())
 * .maxAttempts(2).build()}. Invalid values and combinations are rejected by {@link Builder#build()}
 * with a {@link CacheConfigurationException} (reason {@code INVALID_SETTING} or {@code
 * INCONSISTENT_SETTINGS}) naming the setting.
 *
 * <p><b>Worst-case latency</b> of one remote operation is {@link #worstCaseLatency()}: {@code
 * maxAttempts x commandTimeout + (maxAttempts - 1) x maxBackoff}. While the breaker is open, calls fail
 * at once without touching Redis.
 */
public final class ResilienceSettings {

  /** Named presets. */
  public enum Profile {
    /** {@link ResilienceSettings#development()}. */
    DEVELOPMENT,
    /** {@link ResilienceSettings#production()}. */
    PRODUCTION,
    /** {@link ResilienceSettings#testing()}. */
    TESTING
  }

  private final Profile base;
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final double backoffMultiplier;
  private final double jitter;
  private final Duration maxBackoff;
  private final Duration commandTimeout;
  private final int slidingWindowSize;
  private final int minimumNumberOfCalls;
  private final float failureRateThreshold;
  private final Duration slowCallDurationThreshold;
  private final float slowCallRateThreshold;
  private final Duration waitDurationInOpenState;
  private final int permittedCallsInHalfOpenState;
  private final CircuitBreakerRegistry circuitBreakerRegistry;
  private final RetryRegistry retryRegistry;

  private ResilienceSettings(Builder b) {
    this.base = b.base;
    this.maxAttempts = b.maxAttempts;
    this.initialBackoff = b.initialBackoff;
    this.backoffMultiplier = b.backoffMultiplier;
    this.jitter = b.jitter;
    this.maxBackoff = b.maxBackoff;
    this.commandTimeout = b.commandTimeout;
    this.slidingWindowSize = b.slidingWindowSize;
    this.minimumNumberOfCalls = b.minimumNumberOfCalls;
    this.failureRateThreshold = b.failureRateThreshold;
    this.slowCallDurationThreshold = b.slowCallDurationThreshold;
    this.slowCallRateThreshold = b.slowCallRateThreshold;
    this.waitDurationInOpenState = b.waitDurationInOpenState;
    this.permittedCallsInHalfOpenState = b.permittedCallsInHalfOpenState;
    this.circuitBreakerRegistry = b.circuitBreakerRegistry;
    this.retryRegistry = b.retryRegistry;
  }

  /** Fail fast: 2 attempts, breaker opens after 5 calls at 50 % failures, 5 s open. */
  public static ResilienceSettings development() {
    return preset(Profile.DEVELOPMENT).build();
  }

  /** 3 attempts with backoff; breaker over 50 calls, 30 s open, 3 half-open probes. */
  public static ResilienceSettings production() {
    return preset(Profile.PRODUCTION).build();
  }

  /** Small windows and waits, so tests see the breaker open and close within a second or two. */
  public static ResilienceSettings testing() {
    return preset(Profile.TESTING).build();
  }

  /** The preset {@code profile}. */
  public static ResilienceSettings of(Profile profile) {
    return preset(Preconditions.requireNonNull(profile, "profile")).build();
  }

  /**
   * The preset named by {@code CACHET_RESILIENCE_PROFILE} ({@code development}, {@code production} or
   * {@code testing}), {@code production} when unset.
   */
  public static ResilienceSettings fromEnvironment(CachetEnvironment environment) {
    Preconditions.requireNonNull(environment, "environment");
    return of(
        environment.enumValue(CachetEnvironment.RESILIENCE_PROFILE, Profile.class)
            .orElse(Profile.PRODUCTION));
  }

  /** A builder starting from {@code base}'s values. */
  public static Builder newBuilder(ResilienceSettings base) {
    Preconditions.requireNonNull(base, "base");
    return new Builder(base);
  }

  private static Builder preset(Profile profile) {
    Builder b = new Builder(profile);
    switch (profile) {
      case DEVELOPMENT:
        b.maxAttempts = 2;
        b.initialBackoff = Duration.ofMillis(10);
        b.maxBackoff = Duration.ofMillis(100);
        b.commandTimeout = Duration.ofSeconds(1);
        b.slidingWindowSize = 10;
        b.minimumNumberOfCalls = 5;
        b.slowCallDurationThreshold = Duration.ofMillis(500);
        b.waitDurationInOpenState = Duration.ofSeconds(5);
        b.permittedCallsInHalfOpenState = 2;
        break;
      case TESTING:
        b.maxAttempts = 2;
        b.initialBackoff = Duration.ofMillis(5);
        b.maxBackoff = Duration.ofMillis(20);
        b.commandTimeout = Duration.ofMillis(500);
        b.slidingWindowSize = 4;
        b.minimumNumberOfCalls = 2;
        b.slowCallDurationThreshold = Duration.ofMillis(300);
        b.waitDurationInOpenState = Duration.ofSeconds(1);
        b.permittedCallsInHalfOpenState = 1;
        break;
      default:
        b.maxAttempts = 3;
        b.initialBackoff = Duration.ofMillis(50);
        b.maxBackoff = Duration.ofMillis(500);
        b.commandTimeout = Duration.ofSeconds(1);
        b.slidingWindowSize = 50;
        b.minimumNumberOfCalls = 20;
        b.slowCallDurationThreshold = Duration.ofMillis(500);
        b.waitDurationInOpenState = Duration.ofSeconds(30);
        b.permittedCallsInHalfOpenState = 3;
        break;
    }
    return b;
  }

  /** The preset these settings started from. */
  public Profile profile() {
    return base;
  }

  /** Attempts per operation, the first included; see {@link Builder#maxAttempts}. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The first backoff between attempts; see {@link Builder#initialBackoff}. */
  public Duration initialBackoff() {
    return initialBackoff;
  }

  /** The longest backoff between attempts; see {@link Builder#maxBackoff}. */
  public Duration maxBackoff() {
    return maxBackoff;
  }

  /** Growth factor of the backoff; see {@link Builder#backoffMultiplier}. */
  public double backoffMultiplier() {
    return backoffMultiplier;
  }

  /** Randomization factor of each backoff, in [0, 1); see {@link Builder#jitter}. */
  public double jitter() {
    return jitter;
  }

  /** The Redis command timeout these settings assume (pass the same to the Redis connections). */
  public Duration commandTimeout() {
    return commandTimeout;
  }

  /** Calls in the breaker's sliding window; see {@link Builder#slidingWindowSize}. */
  public int slidingWindowSize() {
    return slidingWindowSize;
  }

  /** Calls needed before the breaker computes a failure rate; see {@link Builder#minimumNumberOfCalls}. */
  public int minimumNumberOfCalls() {
    return minimumNumberOfCalls;
  }

  /** Failure percentage that opens the breaker; see {@link Builder#failureRateThreshold}. */
  public float failureRateThreshold() {
    return failureRateThreshold;
  }

  /** Duration above which a call counts as slow; see {@link Builder#slowCallDurationThreshold}. */
  public Duration slowCallDurationThreshold() {
    return slowCallDurationThreshold;
  }

  /** Slow-call percentage that opens the breaker; see {@link Builder#slowCallRateThreshold}. */
  public float slowCallRateThreshold() {
    return slowCallRateThreshold;
  }

  /** How long the breaker stays open before probing; see {@link Builder#waitDurationInOpenState}. */
  public Duration waitDurationInOpenState() {
    return waitDurationInOpenState;
  }

  /** Probe calls in the half-open state; see {@link Builder#permittedCallsInHalfOpenState}. */
  public int permittedCallsInHalfOpenState() {
    return permittedCallsInHalfOpenState;
  }

  /** The caller's breaker registry, if one was given. */
  public Optional<CircuitBreakerRegistry> circuitBreakerRegistry() {
    return Optional.ofNullable(circuitBreakerRegistry);
  }

  /** The caller's retry registry, if one was given. */
  public Optional<RetryRegistry> retryRegistry() {
    return Optional.ofNullable(retryRegistry);
  }

  /** The longest one remote operation can take: every attempt timing out, with maximal backoff. */
  public Duration worstCaseLatency() {
    return commandTimeout.multipliedBy(maxAttempts).plus(maxBackoff.multipliedBy(maxAttempts - 1L));
  }

  /** The Resilience4j breaker configuration these settings describe. */
  CircuitBreakerConfig circuitBreakerConfig() {
    return CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(slidingWindowSize)
        .minimumNumberOfCalls(minimumNumberOfCalls)
        .failureRateThreshold(failureRateThreshold)
        .slowCallDurationThreshold(slowCallDurationThreshold)
        .slowCallRateThreshold(slowCallRateThreshold)
        .waitDurationInOpenState(waitDurationInOpenState)
        .permittedNumberOfCallsInHalfOpenState(permittedCallsInHalfOpenState)
        .automaticTransitionFromOpenToHalfOpenEnabled(true)
        .recordException(FailureClassifier::isRecordedByBreaker)
        .ignoreException(FailureClassifier::isCallerError)
        .build();
  }

  /** The Resilience4j retry configuration these settings describe. */
  RetryConfig retryConfig() {
    return RetryConfig.custom()
        .maxAttempts(maxAttempts)
        .intervalFunction(
            IntervalFunction.ofExponentialRandomBackoff(initialBackoff, backoffMultiplier, jitter, maxBackoff))
        .retryOnException(FailureClassifier::isRetryable)
        .ignoreExceptions(dev.cachet.InvalidValueException.class)
        .failAfterMaxAttempts(false)
        .build();
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "ResilienceSettings{profile=%s, maxAttempts=%d, backoff=%s..%s x%.1f jitter %.2f, commandTimeout=%s,"
            + " breaker: window=%d min=%d failures>=%.0f%% slow>=%s@%.0f%% open=%s halfOpen=%d}",
        base.name().toLowerCase(Locale.ROOT), maxAttempts, initialBackoff, maxBackoff, backoffMultiplier,
        jitter, commandTimeout, slidingWindowSize, minimumNumberOfCalls, failureRateThreshold,
        slowCallDurationThreshold, slowCallRateThreshold, waitDurationInOpenState,
        permittedCallsInHalfOpenState);
  }

  /** Overrides preset values; {@link #build()} validates them. Not thread-safe. */
  public static final class Builder {
    private final Profile base;
    private int maxAttempts;
    private Duration initialBackoff;
    private double backoffMultiplier = 2.0;
    private double jitter = 0.5;
    private Duration maxBackoff;
    private Duration commandTimeout;
    private int slidingWindowSize;
    private int minimumNumberOfCalls;
    private float failureRateThreshold = 50;
    private Duration slowCallDurationThreshold;
    private float slowCallRateThreshold = 80;
    private Duration waitDurationInOpenState;
    private int permittedCallsInHalfOpenState;
    private CircuitBreakerRegistry circuitBreakerRegistry;
    private RetryRegistry retryRegistry;

    private Builder(Profile base) {
      this.base = base;
    }

    private Builder(ResilienceSettings s) {
      this.base = s.base;
      this.maxAttempts = s.maxAttempts;
      this.initialBackoff = s.initialBackoff;
      this.backoffMultiplier = s.backoffMultiplier;
      this.jitter = s.jitter;
      this.maxBackoff = s.maxBackoff;
      this.commandTimeout = s.commandTimeout;
      this.slidingWindowSize = s.slidingWindowSize;
      this.minimumNumberOfCalls = s.minimumNumberOfCalls;
      this.failureRateThreshold = s.failureRateThreshold;
      this.slowCallDurationThreshold = s.slowCallDurationThreshold;
      this.slowCallRateThreshold = s.slowCallRateThreshold;
      this.waitDurationInOpenState = s.waitDurationInOpenState;
      this.permittedCallsInHalfOpenState = s.permittedCallsInHalfOpenState;
      this.circuitBreakerRegistry = s.circuitBreakerRegistry;
      this.retryRegistry = s.retryRegistry;
    }

    /** Attempts per operation, the first included (1 disables retries; at most 10). */
    public Builder maxAttempts(int value) {
      maxAttempts = value;
      return this;
    }

    /** The first backoff; later ones grow by {@link #backoffMultiplier}, with jitter. */
    public Builder initialBackoff(Duration value) {
      initialBackoff = value;
      return this;
    }

    /** Growth factor of the backoff (at least 1). */
    public Builder backoffMultiplier(double value) {
      backoffMultiplier = value;
      return this;
    }

    /** Randomization factor of each backoff, in [0, 1). */
    public Builder jitter(double value) {
      jitter = value;
      return this;
    }

    /** The longest backoff. */
    public Builder maxBackoff(Duration value) {
      maxBackoff = value;
      return this;
    }

    /** The Redis command timeout (the slow-call threshold must be below it). */
    public Builder commandTimeout(Duration value) {
      commandTimeout = value;
      return this;
    }

    /** Calls in the breaker's sliding window. */
    public Builder slidingWindowSize(int value) {
      slidingWindowSize = value;
      return this;
    }

    /** Calls needed before the breaker computes a failure rate. */
    public Builder minimumNumberOfCalls(int value) {
      minimumNumberOfCalls = value;
      return this;
    }

    /** Failure percentage that opens the breaker, in (0, 100]. */
    public Builder failureRateThreshold(float value) {
      failureRateThreshold = value;
      return this;
    }

    /** A call slower than this counts as slow; must be below the command timeout. */
    public Builder slowCallDurationThreshold(Duration value) {
      slowCallDurationThreshold = value;
      return this;
    }

    /** Slow-call percentage that opens the breaker, in (0, 100]. */
    public Builder slowCallRateThreshold(float value) {
      slowCallRateThreshold = value;
      return this;
    }

    /** How long the breaker stays open before probing. */
    public Builder waitDurationInOpenState(Duration value) {
      waitDurationInOpenState = value;
      return this;
    }

    /** Probe calls in the half-open state. */
    public Builder permittedCallsInHalfOpenState(int value) {
      permittedCallsInHalfOpenState = value;
      return this;
    }

    /** Creates breakers in the caller's registry (and reuses a breaker of the same name there). */
    public Builder circuitBreakerRegistry(CircuitBreakerRegistry registry) {
      circuitBreakerRegistry = Preconditions.requireNonNull(registry, "circuitBreakerRegistry");
      return this;
    }

    /** Creates retries in the caller's registry. */
    public Builder retryRegistry(RetryRegistry registry) {
      retryRegistry = Preconditions.requireNonNull(registry, "retryRegistry");
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws CacheConfigurationException naming the first invalid setting
     */
    public ResilienceSettings build() {
      check(maxAttempts >= 1 && maxAttempts <= 10, "maxAttempts", maxAttempts, "between 1 and 10");
      positive(initialBackoff, "initialBackoff");
      positive(maxBackoff, "maxBackoff");
      positive(commandTimeout, "commandTimeout");
      positive(slowCallDurationThreshold, "slowCallDurationThreshold");
      positive(waitDurationInOpenState, "waitDurationInOpenState");
      check(backoffMultiplier >= 1 && backoffMultiplier <= 10, "backoffMultiplier", backoffMultiplier,
          "between 1 and 10");
      check(jitter >= 0 && jitter < 1, "jitter", jitter, "in [0, 1)");
      check(slidingWindowSize >= 1, "slidingWindowSize", slidingWindowSize, "at least 1");
      check(minimumNumberOfCalls >= 1, "minimumNumberOfCalls", minimumNumberOfCalls, "at least 1");
      check(failureRateThreshold > 0 && failureRateThreshold <= 100, "failureRateThreshold",
          failureRateThreshold, "in (0, 100]");
      check(slowCallRateThreshold > 0 && slowCallRateThreshold <= 100, "slowCallRateThreshold",
          slowCallRateThreshold, "in (0, 100]");
      check(permittedCallsInHalfOpenState >= 1, "permittedCallsInHalfOpenState",
          permittedCallsInHalfOpenState, "at least 1");
      if (initialBackoff.compareTo(maxBackoff) > 0) {
        throw new CacheConfigurationException(Reason.INCONSISTENT_SETTINGS,
            "initialBackoff (" + initialBackoff.toMillis() + " ms) must not exceed maxBackoff ("
                + maxBackoff.toMillis() + " ms)");
      }
      if (slowCallDurationThreshold.compareTo(commandTimeout) >= 0) {
        throw new CacheConfigurationException(Reason.INCONSISTENT_SETTINGS,
            "slowCallDurationThreshold (" + slowCallDurationThreshold.toMillis()
                + " ms) must be below commandTimeout (" + commandTimeout.toMillis()
                + " ms), or slow calls would never be seen before they time out");
      }
      return new ResilienceSettings(this);
    }

    private static void positive(Duration value, String name) {
      if (value == null || value.isZero() || value.isNegative()) {
        throw new CacheConfigurationException(Reason.INVALID_SETTING,
            name + " must be a positive duration: " + (value == null ? "null" : value.toMillis() + " ms"));
      }
    }

    private static void check(boolean ok, String name, Object value, String expected) {
      if (!ok) {
        throw new CacheConfigurationException(Reason.INVALID_SETTING,
            name + " must be " + expected + ": " + value);
      }
    }
  }
}
