package dev.cachet;

import java.util.Objects;

/**
 * A cache could not be built or configured as asked. Thrown by builders, factories and the environment
 * reader; never on a cache call. {@link #reason()} is machine-readable; the message says what was wrong
 * and how to fix it and never echoes a secret (an encryption key, a password).
 */
public class CacheConfigurationException extends CacheException {
  private static final long serialVersionUID = 1L;

  /** Why a configuration was rejected. The set only grows; switch on it with a default branch. */
  public enum Reason {
    /** A setting has a value outside its accepted range or form. */
    INVALID_SETTING,
    /** Settings that only make sense together contradict each other, or a required one is missing. */
    INCONSISTENT_SETTINGS,
    /** An environment variable could not be parsed. */
    INVALID_ENVIRONMENT_VARIABLE,
    /** An encryption key is not a 32-byte Fernet key in URL-safe base64 with padding. */
    INVALID_ENCRYPTION_KEY,
    /** Redis is configured but no encryption key was given. */
    MISSING_ENCRYPTION_KEY,
    /** A Redis URI (or seed list) is malformed. */
    INVALID_REDIS_URI,
    /** Redis could not be reached at build time and the policy requires it. */
    REDIS_UNAVAILABLE,
    /** A library on the class path is older than Cachet supports (the Spring Boot start-up check). */
    UNSUPPORTED_DEPENDENCY,
    /** A setting needs an optional library that is not on the class path (the message names it). */
    MISSING_DEPENDENCY
  }

  private final Reason reason;

  /** Creates an exception for {@code reason}; {@code message} must not contain secrets. */
  public CacheConfigurationException(Reason reason, String message) {
    this(reason, message, null);
  }

  /** Creates an exception for {@code reason} with a cause; neither may carry secrets. */
  public CacheConfigurationException(Reason reason, String message, Throwable cause) {
    super(null, message, cause);
    this.reason = Objects.requireNonNull(reason, "reason must not be null");
  }

  /** The machine-readable reason; never {@code null}. */
  public Reason reason() {
    return reason;
  }
}
