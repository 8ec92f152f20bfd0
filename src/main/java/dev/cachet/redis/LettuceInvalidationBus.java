package dev.cachet.redis;

import dev.cachet.internal.Preconditions;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.spi.InvalidationBus;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The invalidation channel of one cache, {@code {prefix}:{cache}:bus}: {@code PUBLISH}/{@code SUBSCRIBE}
 * on standalone and Sentinel, sharded {@code SPUBLISH}/{@code SSUBSCRIBE} on a cluster. Publishes go
 * through the shared command connection; subscriptions use the shared pub/sub connection of {@link
 * RedisConnections}.
 *
 * <p>Resubscription: Lettuce re-issues (S)SUBSCRIBE after a reconnect, and the server's confirmation
 * reaches {@code subscribed}/{@code ssubscribed} again, which is reported as {@link
 * Listener#onResubscribed()}. An unsolicited {@code SUNSUBSCRIBE} (a slot migration; Lettuce does not
 * resubscribe by itself, redis/lettuce#3213) is reported as {@link Listener#onSubscriptionLost} and
 * answered with a new {@code SSUBSCRIBE}, retried every second until it succeeds. A disconnect of the
 * pub/sub connection is reported as lost as well. Thread-safe.
 */
final class LettuceInvalidationBus implements InvalidationBus {

  private static final Logger log = LoggerFactory.getLogger(LettuceInvalidationBus.class);

  private final RedisConnections connections;
  private final String channel;
  private final byte[] channelBytes;
  private final String cacheName;
  private final boolean sharded;
  private final CopyOnWriteArrayList<Handle> handles = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object lock = new Object();
  private StatefulRedisPubSubConnection<String, String> connection;
  private Dispatcher dispatcher;
  private volatile boolean established;
  private volatile boolean everEstablished;
  private volatile boolean unsubscribing;
  private boolean holdsChannel;

  LettuceInvalidationBus(RedisConnections connections, String channel, String cacheName) {
    this.connections = connections;
    this.channel = channel;
    this.channelBytes = channel.getBytes(StandardCharsets.UTF_8);
    this.cacheName = cacheName;
    this.sharded = connections.mode() == RedisConnections.Mode.CLUSTER;
  }

  String channel() {
    return channel;
  }

  @Override
  public CompletableFuture<Void> publish(String message) {
    Preconditions.requireNonNull(message, "message");
    Preconditions.requireState(!closed.get(), "invalidation bus of cache '" + cacheName + "' is closed");
    byte[] payload = message.getBytes(StandardCharsets.UTF_8);
    CompletableFuture<Void> result = new CompletableFuture<>();
    connections.commands()
        .thenCompose(
            c -> (sharded ? c.spublish(channelBytes, payload) : c.publish(channelBytes, payload))
                .toCompletableFuture())
        .whenComplete(
            (n, error) -> {
              if (error != null) {
                result.completeExceptionally(RedisErrors.wrap(cacheName, RemoteOperation.PUBLISH, error));
              } else {
                result.complete(null);
              }
            });
    return result;
  }

  @Override
  public Subscription subscribe(Listener listener) {
    Preconditions.requireNonNull(listener, "listener");
    Preconditions.requireState(!closed.get(), "invalidation bus of cache '" + cacheName + "' is closed");
    Handle handle = new Handle(listener);
    synchronized (lock) {
      handles.add(handle);
      if (!holdsChannel) {
        holdsChannel = true;
        connections.channelSubscriptions.acquire(channel);
      }
    }
    ensureSubscribed();
    return handle;
  }

  private void ensureSubscribed() {
    synchronized (lock) {
      if (closed.get() || handles.isEmpty()) {
        return;
      }
      if (connection != null) {
        if (!established) {
          issueSubscribe();
        }
        return;
      }
    }
    connections.pubSub()
        .whenComplete(
            (c, error) -> {
              if (error != null) {
                notifyLost(RedisErrors.wrap(cacheName, RemoteOperation.CONNECT, error));
                retryLater();
                return;
              }
              synchronized (lock) {
                if (connection == null) {
                  connection = c;
                  dispatcher = new Dispatcher();
                  c.addListener((io.lettuce.core.pubsub.RedisPubSubListener<String, String>) dispatcher);
                  c.addListener((RedisConnectionStateListener) dispatcher);
                  if (c instanceof StatefulRedisClusterPubSubConnection) {
                    ((StatefulRedisClusterPubSubConnection<String, String>) c).setNodeMessagePropagation(true);
                  }
                }
                issueSubscribe();
              }
            });
  }

  /** Must hold {@code lock} with a connection. */
  private void issueSubscribe() {
    StatefulRedisPubSubConnection<String, String> c = connection;
    CompletableFuture<Void> f =
        (sharded ? c.async().ssubscribe(channel) : c.async().subscribe(channel)).toCompletableFuture();
    f.orTimeout(connections.commandTimeout().toMillis() * 2, TimeUnit.MILLISECONDS)
        .whenComplete(
            (ok, error) -> {
              if (error != null) {
                log.debug("cache '{}': subscribing to the invalidation channel failed: {}", cacheName,
                    RedisErrors.classify(error).tagValue());
                retryLater();
              }
            });
  }

  private void retryLater() {
    if (closed.get()) {
      return;
    }
    try {
      connections.maintenance().schedule(this::ensureSubscribed, 1, TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      // maintenance stopped: the connections are closing
    }
  }

  private void onSubscribed() {
    established = true;
    boolean again = everEstablished;
    everEstablished = true;
    for (Handle h : handles) {
      if (again || h.sawLoss) {
        h.sawLoss = false;
        safely(() -> h.listener.onResubscribed());
      }
    }
  }

  private void notifyLost(Throwable cause) {
    established = false;
    for (Handle h : handles) {
      h.sawLoss = true;
      safely(() -> h.listener.onSubscriptionLost(cause));
    }
  }

  private void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.warn("cache '{}': an invalidation listener threw {}", cacheName, e.getClass().getSimpleName());
    }
  }

  /** Whether the channel is currently subscribed. */
  boolean isEstablished() {
    return established;
  }

  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    handles.clear();
    unsubscribeQuietly();
  }

  /**
   * Lets go of the channel: removes this bus's listeners from the shared pub/sub connection and
   * unsubscribes only if no other bus on the same connections still holds the channel.
   */
  private void unsubscribeQuietly() {
    synchronized (lock) {
      StatefulRedisPubSubConnection<String, String> c = connection;
      Dispatcher d = dispatcher;
      connection = null;
      dispatcher = null;
      established = false;
      boolean last = holdsChannel && connections.channelSubscriptions.release(channel);
      holdsChannel = false;
      if (c == null) {
        return;
      }
      c.removeListener((io.lettuce.core.pubsub.RedisPubSubListener<String, String>) d);
      c.removeListener((RedisConnectionStateListener) d);
      if (!last || !c.isOpen()) {
        return;
      }
      unsubscribing = true;
      try {
        if (sharded) {
          c.async().sunsubscribe(channel);
        } else {
          c.async().unsubscribe(channel);
        }
      } catch (RuntimeException e) {
        // closing anyway
      }
    }
  }

  /** Whether this bus holds a reference to its channel (tests). */
  boolean holdsChannel() {
    synchronized (lock) {
      return holdsChannel;
    }
  }

  private final class Handle implements Subscription {
    final Listener listener;
    volatile boolean sawLoss;
    final AtomicBoolean active = new AtomicBoolean(true);

    Handle(Listener listener) {
      this.listener = listener;
    }

    @Override
    public boolean isActive() {
      return active.get() && established;
    }

    @Override
    public void close() {
      if (!active.compareAndSet(true, false)) {
        return;
      }
      synchronized (lock) {
        handles.remove(this);
        if (!handles.isEmpty()) {
          return;
        }
      }
      unsubscribeQuietly();
    }
  }

  /** Receives pub/sub events and connection state for this channel. */
  private final class Dispatcher extends RedisPubSubAdapter<String, String>
      implements RedisConnectionStateListener {

    @Override
    public void message(String ch, String message) {
      if (channel.equals(ch)) {
        deliver(message);
      }
    }

    @Override
    public void smessage(String ch, String message) {
      if (channel.equals(ch)) {
        deliver(message);
      }
    }

    private void deliver(String message) {
      for (Handle h : handles) {
        safely(() -> h.listener.onMessage(message));
      }
    }

    @Override
    public void subscribed(String ch, long count) {
      // another bus subscribing the same channel on the shared connection confirms it again: only a
      // subscription this bus did not have yet is news (a second one would look like a resubscription)
      if (channel.equals(ch) && !established) {
        unsubscribing = false;
        onSubscribed();
      }
    }

    @Override
    public void ssubscribed(String ch, long count) {
      subscribed(ch, count);
    }

    @Override
    public void sunsubscribed(String ch, long count) {
      if (!channel.equals(ch)) {
        return;
      }
      if (unsubscribing || closed.get() || handles.isEmpty()) {
        established = false;
        return;
      }
      // Unsolicited: the slot moved (redis/lettuce#3213). Resubscribe where it lives now.
      log.info("cache '{}': the server dropped the sharded invalidation subscription; resubscribing",
          cacheName);
      notifyLost(new IllegalStateException("sharded subscription dropped by the server"));
      synchronized (lock) {
        if (connection != null) {
          issueSubscribe();
        }
      }
    }

    @Override
    public void unsubscribed(String ch, long count) {
      if (channel.equals(ch)) {
        established = false;
      }
    }

    @Override
    public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
      if (!closed.get() && established) {
        notifyLost(new IllegalStateException("pub/sub connection lost"));
      }
    }

    @Override
    public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {}
  }
}
