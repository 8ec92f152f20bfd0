package dev.cachet.spring;

import dev.cachet.CacheConfigurationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a {@link CacheConfigurationException} that stopped a Spring Boot start into Boot's "APPLICATION
 * FAILED TO START" report: the description is the exception's message (it names the property or the
 * library version, never a secret), the action says what to change. Registered in {@code
 * META-INF/spring.factories}. Stateless.
 */
final class CachetFailureAnalyzer extends AbstractFailureAnalyzer<CacheConfigurationException> {

  CachetFailureAnalyzer() {}

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, CacheConfigurationException cause) {
    String action;
    switch (cause.reason()) {
      case UNSUPPORTED_DEPENDENCY:
        action =
            "Override the version of each library named above in your build (Boot's version"
                + " property, or your own <dependencyManagement> ahead of a spring-boot-dependencies"
                + " import); the supported versions are listed in Cachet's docs/spring.md.";
        break;
      case MISSING_ENCRYPTION_KEY:
      case INVALID_ENCRYPTION_KEY:
        action =
            "Set cachet.encryption.keys (from a secrets store or the CACHET_ENCRYPTION_KEYS"
                + " environment variable) to a Fernet key ring, primary key first.";
        break;
      default:
        action = "Correct the cachet.* property named above (docs/spring.md lists them all).";
    }
    return new FailureAnalysis(
        "Cachet's configuration was rejected: " + cause.getMessage(), action, cause);
  }
}
