package dev.cachet.internal;

import dev.cachet.RemovalCause;
import java.util.function.Supplier;

/**
 * The cause a composition (the tiered cache) gives the memory tier's removals made on the current thread:
 * the memory tier's removal notifications run synchronously on the removing thread, so a thread-local
 * set around a discard names why it happened (a peer's invalidation, a coherence clear, an own write).
 */
public final class RemovalCauses {

  private static final ThreadLocal<RemovalCause> CURRENT = new ThreadLocal<>();

  private RemovalCauses() {}

  /** The cause set on this thread, or null. */
  public static RemovalCause current() {
    return CURRENT.get();
  }

  /** Runs {@code action} with {@code cause} as this thread's removal cause. */
  public static void run(RemovalCause cause, Runnable action) {
    get(cause, () -> {
      action.run();
      return null;
    });
  }

  /** Returns {@code action}'s result, computed with {@code cause} as this thread's removal cause. */
  public static <T> T get(RemovalCause cause, Supplier<T> action) {
    RemovalCause previous = CURRENT.get();
    CURRENT.set(cause);
    try {
      return action.get();
    } finally {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }
}
