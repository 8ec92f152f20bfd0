package dev.cachet;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The contract suite's meta-test: a contract test may be skipped only because the implementation
 * declared the capability it needs unsupported ({@link CacheContractTests#requires}). Any other skip
 * (a stray assumption, a capability the implementation claims but a test still skipped) fails the test
 * class in {@code afterAll}.
 */
final class CapabilityGuard implements TestWatcher, AfterAllCallback {

  static final String UNSUPPORTED_PREFIX = "capability not declared by this implementation: ";

  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(CapabilityGuard.class);

  @Override
  public void testAborted(ExtensionContext context, Throwable cause) {
    String message = cause == null ? null : cause.getMessage();
    Object instance = context.getTestInstance().orElse(null);
    boolean legitimate = false;
    if (message != null && message.contains(UNSUPPORTED_PREFIX) && instance instanceof CacheContractTests) {
      String capability = message.substring(message.indexOf(UNSUPPORTED_PREFIX) + UNSUPPORTED_PREFIX.length()).trim();
      legitimate =
          ((CacheContractTests) instance)
              .capabilities().stream().noneMatch(c -> c.name().equals(capability));
    }
    if (!legitimate) {
      violations(context).add(context.getDisplayName() + " skipped: " + message);
    }
  }

  @SuppressWarnings("unchecked")
  private static List<String> violations(ExtensionContext context) {
    ExtensionContext classContext = context.getParent().orElse(context);
    return classContext
        .getStore(NS)
        .getOrComputeIfAbsent("violations", k -> new ArrayList<String>(), List.class);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<?> found = context.getStore(NS).get("violations", List.class);
    if (found != null && !found.isEmpty()) {
      throw new AssertionError(
          "contract tests were skipped without the implementation declaring the capability"
              + " unsupported: " + found);
    }
  }
}
