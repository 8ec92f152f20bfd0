package dev.cachet.spi;

import java.util.concurrent.CompletableFuture;

/**
 * The transport of invalidation messages between instances sharing a cache: Redis pub/sub ({@code
 * PUBLISH}, or sharded {@code SPUBLISH} on a cluster). It moves opaque strings; the message format
 * (origin, sequence, heartbeat) belongs to the tiered cache. Thread-safe.
 */
public interface InvalidationBus {

  /** Publishes {@code message} on this cache's channel. */
  CompletableFuture<Void> publish(String message);

  /**
   * Subscribes {@code listener}; callbacks run on a transport thread and must not block. The
   * implementation resubscribes by itself after reconnects and after the server drops a sharded
   * subscription (slot migration), and tells the listener each time, because messages may have been lost.
   *
   * @return a handle that unsubscribes when closed
   */
  Subscription subscribe(Listener listener);

  /** Receives messages and connection events. */
  interface Listener {
    /** A message published by any instance, this one included. */
    void onMessage(String message);

    /** The subscription was (re-)established after a disconnect or drop: messages may have been lost. */
    void onResubscribed();

    /** The subscription is currently broken; messages are being lost until {@link #onResubscribed()}. */
    default void onSubscriptionLost(Throwable cause) {}
  }

  /** An active subscription. */
  interface Subscription extends AutoCloseable {
    /** Whether the subscription is currently established. */
    boolean isActive();

    @Override
    void close();
  }
}
