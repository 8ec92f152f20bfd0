package dev.cachet.internal;

/**
 * A remote tier that can tell when its connection to the server was (re)established, so that a circuit
 * breaker in front of it can probe at once instead of waiting out its open state. Not API.
 */
public interface ReconnectNotifier {

  /**
   * Calls {@code listener} (on a client thread; it must not block) each time a connection of this tier
   * becomes active again. Closing the result stops the calls; it never throws.
   */
  AutoCloseable onReconnected(Runnable listener);
}
