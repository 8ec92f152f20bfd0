package dev.cachet.redis;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import dev.cachet.CachetEnvironment;
import dev.cachet.internal.Preconditions;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisReadOnlyException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * The Redis connections that any number of caches share: one Lettuce client, its {@code
 * ClientResources}, a few command connections (commands are multiplexed over them, so caches never need
 * their own) and one pub/sub connection, opened on first use by an invalidation bus. Expensive: create
 * one per application (per Redis deployment) and pass it to every {@link RedisCacheBuilder}.
 *
 * <p><b>Command connections.</b> To a standalone or Sentinel deployment, {@link
 * Builder#commandConnections} connections (by default one per Lettuce I/O thread, at most {@value
 * #MAX_DEFAULT_COMMAND_CONNECTIONS}), so that the replies of concurrent callers are read by more than
 * one event-loop thread. A caller uses its own connection, except that a command on a key whose earlier
 * command is still in flight (or failed unanswered) goes behind it on that one, so one key's commands
 * stay in the order they were issued; multi-key commands are split the same way. On a cluster Lettuce
 * keeps one connection per node.
 *
 * <p><b>Deployments.</b> {@code redis://[user:password@]host[:port][/db]} and {@code rediss://} (TLS),
 * Redis Sentinel through {@code redis-sentinel://[password@]host[:port][,host2[:port2]]#masterName}
 * (the client asks the sentinels for the master and asks again after every reconnect, so it follows a
 * failover), and Redis Cluster through {@link Builder#clusterSeeds(List)}.
 *
 * <p><b>Settings chosen, not defaulted</b> (each overridable on the {@link Builder}): a command timeout
 * of {@value #DEFAULT_COMMAND_TIMEOUT_MILLIS} ms on every command; a connect timeout of {@value
 * #DEFAULT_CONNECT_TIMEOUT_MILLIS} ms; a request queue bounded at {@value #DEFAULT_REQUEST_QUEUE_SIZE}
 * commands and {@code REJECT_COMMANDS} while disconnected, so an outage fails calls at once instead of
 * buffering them into memory growth and late writes; TCP keep-alive; for Cluster, every adaptive
 * topology-refresh trigger with a {@value #DEFAULT_ADAPTIVE_REFRESH_TIMEOUT_MILLIS} ms trigger timeout
 * plus a periodic refresh every {@value #DEFAULT_TOPOLOGY_REFRESH_PERIOD_MILLIS} ms, so a failover is
 * noticed within seconds. Batches are async commands awaited together; auto-flush stays on and {@code
 * MULTI} is never used on the shared connection.
 *
 * <p><b>Cluster node connections.</b> Right after connecting (within the connect timeout) and after
 * every topology change (in the background), the connection to every master is opened eagerly, so that
 * no command is rejected by {@code REJECT_COMMANDS} just because it was the first one routed, or
 * redirected by {@code MOVED}, to a node whose connection was still opening.
 *
 * <p><b>Start-up without Redis.</b> Creating an instance never fails because Redis is unreachable and
 * never waits longer than the connect timeout: when the first attempt fails, attempts continue in the
 * background every {@value #DEFAULT_RECONNECT_INTERVAL_MILLIS} ms, and commands fail fast with a
 * connection error meanwhile ({@link #isConnected()} tells the state). Once connected, Lettuce
 * reconnects by itself.
 *
 * <p><b>Ownership.</b> What this object creates (client, {@code ClientResources}, connections, one
 * maintenance thread) it closes in {@link #close()}; a client or {@code ClientResources} passed to the
 * builder is borrowed and never shut down (its options are left as the caller set them). Close caches
 * before their connections.
 *
 * <p><b>Secrets.</b> {@link #toString()}, logs and exception messages show the scheme, hosts and ports
 * only, never user names or passwords.
 *
 * <p>Thread-safe. Methods throw {@link NullPointerException} for null arguments.
 */
public final class RedisConnections implements AutoCloseable {

  /** Default command timeout in milliseconds. */
  public static final long DEFAULT_COMMAND_TIMEOUT_MILLIS = 1_000;
  /** Default connect timeout in milliseconds. */
  public static final long DEFAULT_CONNECT_TIMEOUT_MILLIS = 2_000;
  /** Default bound of the request queue, in commands. */
  public static final int DEFAULT_REQUEST_QUEUE_SIZE = 10_000;
  /** Default period of the cluster's periodic topology refresh, in milliseconds. */
  public static final long DEFAULT_TOPOLOGY_REFRESH_PERIOD_MILLIS = 10_000;
  /** Default minimum interval between adaptive cluster topology refreshes, in milliseconds. */
  public static final long DEFAULT_ADAPTIVE_REFRESH_TIMEOUT_MILLIS = 1_000;
  /** Default interval between connection attempts until the first one succeeds, in milliseconds. */
  public static final long DEFAULT_RECONNECT_INTERVAL_MILLIS = 1_000;

  private static final Logger log = LoggerFactory.getLogger(RedisConnections.class);

  /** Which kind of deployment this object talks to. */
  enum Mode {
    STANDALONE,
    SENTINEL,
    CLUSTER
  }

  private final Mode mode;
  private final RedisClient client;
  private final RedisClusterClient clusterClient;
  private final RedisURI uri;
  private final ClientResources ownedResources;
  /** Channels of the owned {@code ClientResources} that went inactive (see {@link #channelsClosed()}). */
  private final AtomicLong channelsClosed = new AtomicLong();
  private final boolean ownsClient;
  private final String target;
  private final Duration commandTimeout;
  private final Duration connectTimeout;
  private final Duration reconnectInterval;
  private final ScheduledExecutorService maintenance;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object lock = new Object();

  /** The first command connection (the only one on a cluster, or with one command connection). */
  private volatile StatefulConnection<byte[], byte[]> connection;
  /** Its commands: what keyless commands use. */
  private volatile RedisClusterAsyncCommands<byte[], byte[]> commands;
  /** Every command connection, {@link #connection} first; set together with it. */
  private volatile List<StatefulConnection<byte[], byte[]>> commandConnections = List.of();
  /** Their commands, by connection index ({@link KeyAffinity}); null while not connected. */
  private volatile RedisClusterAsyncCommands<byte[], byte[]>[] routed;
  /** How many command connections: 1 on a cluster (Lettuce opens one per node itself). */
  private final int connectionCount;
  /** Which connection carries a key's commands; null with one connection. */
  private final KeyAffinity affinity;
  private CompletableFuture<Void> connecting;
  /**
   * Calls that wait for the first connection attempt, sent in the order they were made once it ends
   * (and calls made meanwhile go behind them): per-key order holds across the connect.
   */
  private final IssueOrder connectWaits = new IssueOrder();
  private ScheduledFuture<?> retry;
  private boolean retryPending;
  private volatile Throwable lastConnectFailure;
  private CompletableFuture<StatefulRedisPubSubConnection<String, String>> pubSub;
  private volatile Disposable topologyEvents;
  private final AtomicBoolean topologyPassPending = new AtomicBoolean();
  private final AtomicLong nodeConnectionAttempts = new AtomicLong();
  private final AtomicBoolean switchingMaster = new AtomicBoolean();
  private final AtomicLong masterSwitches = new AtomicLong();
  private final AtomicBoolean connectPermissionLogged = new AtomicBoolean();
  /** Test hook: wraps each Lettuce connect attempt's future (see {@link Builder#connectHook}); or null. */
  private final java.util.function.UnaryOperator<CompletableFuture<StatefulConnection<byte[], byte[]>>>
      connectHook;
  private final AtomicBoolean commandPermissionLogged = new AtomicBoolean();

  private RedisConnections(Builder b) {
    // Parse every URI before allocating anything (the maintenance executor, ClientResources and their
    // timer thread), so a malformed URI leaks nothing.
    List<RedisURI> seeds = new ArrayList<>();
    if (b.clusterSeeds != null) {
      for (String seed : b.clusterSeeds) {
        seeds.add(parse(seed.contains("://") ? seed : "redis://" + seed));
      }
    }
    RedisURI standaloneUri =
        b.clusterClient == null && b.clusterSeeds == null && b.uri != null ? parse(b.uri) : null;
    this.commandTimeout = b.commandTimeout;
    this.connectHook = b.connectHook;
    this.connectTimeout = b.connectTimeout;
    this.reconnectInterval = b.reconnectInterval;
    this.maintenance =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cachet-redis-maintenance");
              t.setDaemon(true);
              return t;
            });
    ClientResources resources = b.resources;
    boolean createResources = resources == null && b.client == null && b.clusterClient == null;
    // Lettuce's default reconnect delay grows to 30 s, so a cache could keep serving degraded half a
    // minute after Redis is back; cap it at the reconnect interval (full jitter spreads the herd).
    this.ownedResources =
        createResources
            ? DefaultClientResources.builder()
                .reconnectDelay(
                    io.lettuce.core.resource.Delay.fullJitter(
                        Duration.ofMillis(Math.min(50, b.reconnectInterval.toMillis())),
                        b.reconnectInterval, 100, TimeUnit.MILLISECONDS))
                .nettyCustomizer(new ClosedChannelCounter(channelsClosed))
                .build()
            : null;
    if (createResources) {
      resources = ownedResources;
    }
    if (b.clusterClient != null || b.clusterSeeds != null) {
      this.mode = Mode.CLUSTER;
      seeds.forEach(this::applyTimeouts);
      this.uri = seeds.isEmpty() ? null : seeds.get(0);
      this.target = seeds.isEmpty() ? "a borrowed cluster client" : describeSeeds(seeds);
      if (b.clusterClient != null) {
        this.clusterClient = b.clusterClient;
        this.ownsClient = false;
      } else {
        this.clusterClient = RedisClusterClient.create(resources, seeds);
        this.clusterClient.setOptions(clusterOptions(b));
        this.ownsClient = true;
      }
      this.client = null;
    } else {
      Preconditions.requireState(
          b.uri != null, "RedisConnections needs a uri(...) or clusterSeeds(...)");
      this.uri = standaloneUri;
      applyTimeouts(uri);
      this.mode = uri.getSentinels().isEmpty() ? Mode.STANDALONE : Mode.SENTINEL;
      this.target = describe(uri);
      if (b.client != null) {
        this.client = b.client;
        this.ownsClient = false;
      } else {
        this.client = RedisClient.create(resources);
        this.client.setOptions(clientOptions(b));
        this.ownsClient = true;
      }
      this.clusterClient = null;
    }
    this.connectionCount =
        mode == Mode.CLUSTER
            ? 1
            : b.commandConnections > 0
                ? b.commandConnections
                : defaultCommandConnections(client.getResources().ioThreadPoolSize());
    this.affinity = connectionCount == 1 ? null : new KeyAffinity(connectionCount);
    connectOrScheduleRetry(true);
  }

  /** At most this many command connections by default. */
  static final int MAX_DEFAULT_COMMAND_CONNECTIONS = 4;

  /**
   * The default number of command connections to a standalone or Sentinel deployment: one per Lettuce
   * I/O thread (each connection's replies are read by one event-loop thread), at most {@value
   * #MAX_DEFAULT_COMMAND_CONNECTIONS}.
   */
  static int defaultCommandConnections(int ioThreads) {
    return Math.max(1, Math.min(MAX_DEFAULT_COMMAND_CONNECTIONS, ioThreads));
  }

  // ---------------------------------------------------------------- factories

  /**
   * Connections to the standalone or Sentinel deployment at {@code uri}, with the default settings.
   *
   * @throws CacheConfigurationException ({@code INVALID_REDIS_URI}) if the URI is malformed; the message
   *     never echoes credentials
   */
  public static RedisConnections create(String uri) {
    return newBuilder().uri(uri).build();
  }

  /**
   * Connections to the Redis Cluster reachable through {@code seedUris} ({@code redis://host:port} or
   * {@code host:port}), with the default settings.
   *
   * @throws CacheConfigurationException ({@code INVALID_REDIS_URI}) if a seed is malformed
   */
  public static RedisConnections createCluster(List<String> seedUris) {
    return newBuilder().clusterSeeds(seedUris).build();
  }

  /**
   * Connections configured by {@value CachetEnvironment#REDIS_CLUSTER_NODES} (preferred when set) or
   * {@value CachetEnvironment#REDIS_URL}, with the timeouts of {@value
   * CachetEnvironment#REDIS_COMMAND_TIMEOUT} and {@value CachetEnvironment#REDIS_CONNECT_TIMEOUT} when
   * set.
   *
   * @throws CacheConfigurationException ({@code INCONSISTENT_SETTINGS}) if neither is set, ({@code
   *     INVALID_REDIS_URI}) if a value is malformed, ({@code INVALID_ENVIRONMENT_VARIABLE}) if a timeout
   *     is malformed
   */
  public static RedisConnections fromEnvironment(CachetEnvironment env) {
    Objects.requireNonNull(env, "env must not be null");
    List<String> seeds = env.secretList(CachetEnvironment.REDIS_CLUSTER_NODES);
    if (!seeds.isEmpty()) {
      return newBuilder().clusterSeeds(seeds).settingsFrom(env).build();
    }
    return env.secret(CachetEnvironment.REDIS_URL)
        .map(url -> newBuilder().uri(url).settingsFrom(env).build())
        .orElseThrow(
            () ->
                new CacheConfigurationException(
                    Reason.INCONSISTENT_SETTINGS,
                    "no Redis configured: set " + CachetEnvironment.REDIS_URL + " or "
                        + CachetEnvironment.REDIS_CLUSTER_NODES));
  }

  /** A builder for connections with non-default settings or borrowed Lettuce objects. */
  public static Builder newBuilder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- closed channels

  /**
   * Counts channels going inactive, from a handler placed first in every channel's pipeline: its
   * {@code channelInactive} runs before Lettuce's command handler moves the commands still awaiting a
   * reply to the buffer it replays after reconnecting. So a command whose reply arrived while this count
   * did not move was executed exactly once (the reply is not that of a replay).
   */
  @io.netty.channel.ChannelHandler.Sharable
  private static final class ClosedChannelCounter extends io.netty.channel.ChannelInboundHandlerAdapter
      implements io.lettuce.core.resource.NettyCustomizer {
    private final AtomicLong closed;

    ClosedChannelCounter(AtomicLong closed) {
      this.closed = closed;
    }

    @Override
    public void afterChannelInitialized(io.netty.channel.Channel channel) {
      channel.pipeline().addFirst(this);
    }

    @Override
    public void channelInactive(io.netty.channel.ChannelHandlerContext ctx) throws Exception {
      closed.incrementAndGet();
      super.channelInactive(ctx);
    }
  }

  /**
   * How many channels of these connections went inactive so far, or -1 when it is not known (the
   * {@code ClientResources} or client were borrowed). Counters read it around a compare-and-set: an
   * unchanged count means the reply was not that of a command Lettuce replayed after a reconnect.
   */
  long channelsClosed() {
    return ownedResources == null ? -1 : channelsClosed.get();
  }

  // ---------------------------------------------------------------- state

  /** Whether every command connection is currently established. */
  public boolean isConnected() {
    List<StatefulConnection<byte[], byte[]>> all = commandConnections;
    if (all.isEmpty()) {
      return false;
    }
    for (StatefulConnection<byte[], byte[]> c : all) {
      if (!c.isOpen()) {
        return false;
      }
    }
    return true;
  }

  /** How many command connections these connections keep (1 on a cluster). */
  int connectionCount() {
    return connectionCount;
  }


  /** Whether {@link #close()} was called. */
  public boolean isClosed() {
    return closed.get();
  }

  Mode mode() {
    return mode;
  }

  String target() {
    return target;
  }

  Duration commandTimeout() {
    return commandTimeout;
  }

  /** How long {@link #connectedCommands()} waits at most: the connect timeout plus the reconnect interval. */
  Duration connectedWait() {
    return connectTimeout.plus(reconnectInterval);
  }

  /** Reference counts of the channels subscribed on the shared pub/sub connection. */
  final ChannelSubscriptions channelSubscriptions = new ChannelSubscriptions();

  ScheduledExecutorService maintenance() {
    return maintenance;
  }

  /** Threads of the shared decoding pool: decryption is CPU work, so no more than the cores (at most 4). */
  static final int DECODE_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

  private volatile java.util.concurrent.ExecutorService decodePool;
  private final Object decodeLock = new Object();

  /**
   * The default executor of asynchronous reads' decoding (decryption, decompression, deserialization)
   * for every cache on these connections: {@value #DECODE_THREADS}-or-fewer daemon threads named {@code
   * cachet-redis-decode-N}, created on first use and stopped by {@link #close()}. Never Lettuce's event
   * loop and never {@code ForkJoinPool.commonPool()}. After close, tasks run on the submitting thread.
   */
  java.util.concurrent.Executor decodeExecutor() {
    java.util.concurrent.ExecutorService pool = decodePool;
    if (pool == null) {
      synchronized (decodeLock) {
        pool = decodePool;
        if (pool == null) {
          java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
          java.util.concurrent.ThreadPoolExecutor created =
              new java.util.concurrent.ThreadPoolExecutor(
                  DECODE_THREADS, DECODE_THREADS, 30, TimeUnit.SECONDS,
                  new java.util.concurrent.LinkedBlockingQueue<>(),
                  r -> {
                    Thread t = new Thread(r, "cachet-redis-decode-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                  },
                  (r, executor) -> r.run()); // shut down: finish the read where it completed
          created.allowCoreThreadTimeOut(true);
          pool = created;
          decodePool = pool;
          if (closed.get()) {
            pool.shutdown();
          }
        }
      }
    }
    return pool;
  }

  Throwable lastConnectFailureCause() {
    return lastConnectFailure;
  }

  /** The class of the last failed connection attempt, or null. */
  String lastConnectFailure() {
    Throwable t = lastConnectFailure;
    return t == null ? null : t.getClass().getSimpleName();
  }

  /** The reason tag of the last failed connection attempt ({@code permission}, {@code connection}...), or null. */
  String lastConnectFailureReason() {
    Throwable t = lastConnectFailure;
    return t == null ? null : RedisErrors.classify(t).tagValue();
  }

  /**
   * The async commands of the shared connection (cluster-aware when on a cluster), or a failed future
   * when not connected yet (which also triggers a connection attempt). While the very first attempt is
   * running, the call waits for its outcome instead; such calls are released in the order they were
   * made ({@link IssueOrder}), and calls made until they all were go behind them.
   */
  CompletableFuture<RedisClusterAsyncCommands<byte[], byte[]>> commands() {
    RedisClusterAsyncCommands<byte[], byte[]> c = commands;
    if (c != null && connectWaits.idle()) {
      return CompletableFuture.completedFuture(c);
    }
    if (closed.get()) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("RedisConnections to " + target + " are closed"));
    }
    connectOrScheduleRetry(false);
    if (lastConnectFailure == null) {
      // nothing known yet (the first attempt is running): the call gets that attempt's outcome, so a
      // refused password is a permission failure for it too, not an unexplained "not connected"
      CompletableFuture<Void> attempt;
      synchronized (lock) {
        attempt = connecting;
      }
      if (attempt != null) {
        return connectWaits.after(() -> attempt.handle((ignored, error) -> null), ignored -> commandsOrFailure());
      }
    }
    if (!connectWaits.idle()) { // calls that waited for the attempt are still being sent: go behind them
      return connectWaits.after(() -> CompletableFuture.completedFuture(null), ignored -> commandsOrFailure());
    }
    return commandsOrFailure();
  }

  /**
   * Runs {@code command} on the connection that carries commands on {@code redisKey} ({@link
   * KeyAffinity}: the calling thread's own connection unless a command on the key's slot is in flight or
   * was left unanswered), right away when connected; fails as {@link #commands()} when not connected.
   * The key counts as in flight until the returned future completes, so {@code command} must return a
   * stage that completes only after every command it sent on the key did. Every command on a key goes
   * through this (or {@link #mget} and {@link #sumByConnection}); a command sent through {@link
   * #commands()} may overtake an earlier one on the key.
   */
  <T> CompletableFuture<T> onKey(
      byte[] redisKey,
      java.util.function.Function<
              RedisClusterAsyncCommands<byte[], byte[]>, ? extends java.util.concurrent.CompletionStage<T>>
          command) {
    if (affinity == null) {
      return commandsAt(0).thenCompose(command);
    }
    int slot = io.lettuce.core.cluster.SlotHash.getSlot(redisKey);
    int connection = route(slot, affinity.preferred());
    CompletableFuture<T> result;
    try {
      result = commandsAt(connection).thenCompose(command);
    } catch (RuntimeException | Error e) {
      affinity.release(slot, true);
      throw e;
    }
    result.whenComplete((value, error) -> affinity.release(slot, KeyAffinity.unanswered(error)));
    return result;
  }

  /**
   * Registers a command on {@code slot} with {@link KeyAffinity} and returns its connection; on a pinned
   * slot, first asks for the {@link #barrier} that can release the pin.
   */
  private int route(int slot, int preferred) {
    int acquired = affinity.acquire(slot, preferred);
    int connection = acquired & ~KeyAffinity.PINNED_SLOT;
    if (acquired != connection) {
      barrier(connection);
    }
    return connection;
  }

  /**
   * Sends a {@code PING} on command connection {@code connection} unless one is in flight there; its
   * answer unpins the slots pinned there before it was sent ({@link KeyAffinity}). Sent only when
   * connected: a command on a pinned slot asks again.
   */
  private void barrier(int connection) {
    int epoch = affinity.startBarrier(connection);
    if (epoch < 0) {
      return;
    }
    RedisClusterAsyncCommands<byte[], byte[]>[] r = routed;
    CompletableFuture<String> ping;
    try {
      ping = r == null ? null : r[connection].ping().toCompletableFuture();
    } catch (RuntimeException e) {
      ping = null;
    }
    if (ping == null) {
      affinity.endBarrier(connection, epoch, false);
      return;
    }
    ping.whenComplete((pong, error) -> affinity.endBarrier(connection, epoch, KeyAffinity.answered(error)));
  }

  /** Whether {@code redisKey}'s slot is pinned to a connection ({@link KeyAffinity}); for tests. */
  boolean pinned(byte[] redisKey) {
    return affinity != null && affinity.pinned(io.lettuce.core.cluster.SlotHash.getSlot(redisKey));
  }

  /** The commands of connection {@code index} (0 on a cluster), as {@link #commands()} when not connected. */
  private CompletableFuture<RedisClusterAsyncCommands<byte[], byte[]>> commandsAt(int index) {
    RedisClusterAsyncCommands<byte[], byte[]>[] r = routed;
    if (r != null && connectWaits.idle()) {
      return CompletableFuture.completedFuture(r[index]);
    }
    return commands()
        .thenApply(
            first -> {
              RedisClusterAsyncCommands<byte[], byte[]>[] now = routed;
              return now == null ? first : now[index];
            });
  }

  /** A multi-key command split per connection: which keys each connection carries, and their slots. */
  private final class Split {
    final int[] slots;
    final int[][] groups;

    Split(byte[][] keys) {
      int n = connectionCount;
      int preferred = affinity.preferred();
      slots = new int[keys.length];
      int[] connectionOf = new int[keys.length];
      int[] sizes = new int[n];
      for (int i = 0; i < keys.length; i++) {
        slots[i] = io.lettuce.core.cluster.SlotHash.getSlot(keys[i]);
        connectionOf[i] = route(slots[i], preferred);
        sizes[connectionOf[i]]++;
      }
      groups = new int[n][];
      for (int c = 0; c < n; c++) {
        groups[c] = new int[sizes[c]];
        sizes[c] = 0;
      }
      for (int i = 0; i < keys.length; i++) {
        groups[connectionOf[i]][sizes[connectionOf[i]]++] = i;
      }
    }

    byte[][] keys(byte[][] keys, int connection) {
      int[] positions = groups[connection];
      byte[][] picked = new byte[positions.length][];
      for (int i = 0; i < positions.length; i++) {
        picked[i] = keys[positions[i]];
      }
      return picked;
    }

    /** Runs {@code command} on connection {@code c}'s keys; their slots are released when it completes. */
    <T> CompletableFuture<T> run(
        int c, java.util.function.Supplier<CompletableFuture<T>> command) {
      CompletableFuture<T> part;
      try {
        part = command.get();
      } catch (RuntimeException | Error e) {
        release(c, true);
        throw e;
      }
      part.whenComplete((value, error) -> release(c, KeyAffinity.unanswered(error)));
      return part;
    }

    private void release(int c, boolean unanswered) {
      for (int position : groups[c]) {
        affinity.release(slots[position], unanswered);
      }
    }
  }

  /**
   * {@code MGET} of {@code keys}, one per connection that carries any of them as {@link #onKey} would
   * (usually one: the caller's), sent together; the values in key order.
   */
  CompletableFuture<List<io.lettuce.core.KeyValue<byte[], byte[]>>> mget(byte[][] keys) {
    if (affinity == null) {
      return commandsAt(0).thenCompose(c -> c.mget(keys).toCompletableFuture());
    }
    Split split = new Split(keys);
    @SuppressWarnings("unchecked")
    CompletableFuture<List<io.lettuce.core.KeyValue<byte[], byte[]>>>[] parts =
        new CompletableFuture[connectionCount];
    for (int c = 0; c < connectionCount; c++) {
      if (split.groups[c].length == 0) {
        parts[c] = CompletableFuture.completedFuture(List.of());
        continue;
      }
      byte[][] part = split.keys(keys, c);
      int connection = c;
      parts[c] =
          split.run(c, () -> commandsAt(connection).thenCompose(cmd -> cmd.mget(part).toCompletableFuture()));
    }
    return CompletableFuture.allOf(parts)
        .thenApply(
            ignored -> {
              @SuppressWarnings("unchecked")
              io.lettuce.core.KeyValue<byte[], byte[]>[] merged = new io.lettuce.core.KeyValue[keys.length];
              for (int c = 0; c < connectionCount; c++) {
                List<io.lettuce.core.KeyValue<byte[], byte[]>> values = parts[c].join();
                for (int i = 0; i < split.groups[c].length && i < values.size(); i++) {
                  merged[split.groups[c][i]] = values.get(i);
                }
              }
              return java.util.Arrays.asList(merged);
            });
  }

  /** A multi-key command that answers a count ({@code UNLINK}, {@code EXISTS}), split as {@link #mget}. */
  CompletableFuture<Long> sumByConnection(
      byte[][] keys,
      java.util.function.BiFunction<RedisClusterAsyncCommands<byte[], byte[]>, byte[][], io.lettuce.core.RedisFuture<Long>>
          command) {
    if (affinity == null) {
      return commandsAt(0).thenCompose(c -> command.apply(c, keys).toCompletableFuture());
    }
    Split split = new Split(keys);
    List<CompletableFuture<Long>> parts = new ArrayList<>();
    for (int c = 0; c < connectionCount; c++) {
      if (split.groups[c].length > 0) {
        byte[][] part = split.keys(keys, c);
        int connection = c;
        parts.add(
            split.run(
                c,
                () -> commandsAt(connection).thenCompose(cmd -> command.apply(cmd, part).toCompletableFuture())));
      }
    }
    return CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0]))
        .thenApply(
            ignored -> {
              long sum = 0;
              for (CompletableFuture<Long> part : parts) {
                Long n = part.join();
                sum += n == null ? 0 : n;
              }
              return sum;
            });
  }

  /** The commands when connected, else a failed future classified by the last attempt's failure. */
  private CompletableFuture<RedisClusterAsyncCommands<byte[], byte[]>> commandsOrFailure() {
    RedisClusterAsyncCommands<byte[], byte[]> c = commands;
    if (c != null) {
      return CompletableFuture.completedFuture(c);
    }
    Throwable last = lastConnectFailure;
    return CompletableFuture.failedFuture(
        last != null && !RedisErrors.permissionWord(last).isEmpty()
            ? new RedisErrors.NotConnectedException(target, last)
            : new RedisErrors.NotConnectedException(target));
  }

  /** How often {@link #connectedCommands()} looks whether the connection is up, in milliseconds. */
  private static final long CONNECTED_POLL_MILLIS = 10;

  /**
   * For one-shot operator calls ({@link RedisServerInfo}), which must not fail because the connection is
   * being (re)established while Redis is fine: the commands once the connection is up, waiting up to the
   * connect timeout plus the reconnect interval (one Lettuce reconnect delay and one connect). Unlike
   * {@link #commands()}, it does not fail at once when the last attempt failed (it starts one now and
   * waits, for instance after a handshake that timed out on a loaded machine), nor hand over a connection
   * that is down (Lettuce can complete a connect whose channel its own handshake timeout is closing: the
   * watchdog reconnects it). Fails at once with {@link RedisErrors.NotConnectedException} when the last
   * attempt was refused for permission (a wrong password does not fix itself), when closed, and at the
   * deadline.
   */
  CompletableFuture<RedisClusterAsyncCommands<byte[], byte[]>> connectedCommands() {
    long deadline = System.nanoTime() + connectedWait().toNanos();
    CompletableFuture<RedisClusterAsyncCommands<byte[], byte[]>> result = new CompletableFuture<>();
    // commands() starts an attempt when none runs (and waits for the first one)
    commands().whenComplete((ignored, error) -> awaitConnected(result, deadline));
    return result;
  }

  private void awaitConnected(CompletableFuture<RedisClusterAsyncCommands<byte[], byte[]>> result, long deadline) {
    RedisClusterAsyncCommands<byte[], byte[]> c = commands;
    if (c != null && isConnected()) {
      result.complete(c);
      return;
    }
    if (closed.get()) {
      result.completeExceptionally(new IllegalStateException("RedisConnections to " + target + " are closed"));
      return;
    }
    Throwable last = lastConnectFailure;
    boolean refused = last != null && !RedisErrors.permissionWord(last).isEmpty();
    boolean late = System.nanoTime() - deadline >= 0;
    if (c == null && (refused || late)) {
      commandsOrFailure()
          .whenComplete(
              (ready, error) -> {
                if (error == null) {
                  result.complete(ready);
                } else {
                  result.completeExceptionally(error);
                }
              });
      return;
    }
    if (late) { // connected once, down since: Lettuce's reconnects did not succeed in time
      result.completeExceptionally(new RedisErrors.NotConnectedException(target));
      return;
    }
    try {
      maintenance.schedule(
          () -> awaitConnected(result, deadline), CONNECTED_POLL_MILLIS, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) { // closed meanwhile
      result.completeExceptionally(
          new IllegalStateException("RedisConnections to " + target + " are closed"));
    }
  }

  /** The shared pub/sub connection (plain or cluster), opened on first call. */
  CompletableFuture<StatefulRedisPubSubConnection<String, String>> pubSub() {
    synchronized (lock) {
      if (closed.get()) {
        return CompletableFuture.failedFuture(
            new IllegalStateException("RedisConnections to " + target + " are closed"));
      }
      if (pubSub == null || pubSub.isCompletedExceptionally()) {
        CompletableFuture<StatefulRedisPubSubConnection<String, String>> f;
        if (mode == Mode.CLUSTER) {
          f =
              clusterClient
                  .refreshPartitionsAsync()
                  .toCompletableFuture()
                  .thenCompose(ignored -> clusterClient.connectPubSubAsync(StringCodec.UTF8))
                  .thenApply(c -> (StatefulRedisPubSubConnection<String, String>) c);
        } else {
          f = client.connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture();
        }
        pubSub = f.orTimeout(connectTimeout.toMillis() * 2, TimeUnit.MILLISECONDS);
      }
      return pubSub;
    }
  }

  // ---------------------------------------------------------------- connecting

  private void connectOrScheduleRetry(boolean waitBounded) {
    CompletableFuture<Void> attempt;
    synchronized (lock) {
      if (closed.get() || commands != null) {
        return;
      }
      // startConnect() may complete (and reset connecting) before it returns, on a fast refusal
      if (connecting == null || connecting.isDone()) {
        connecting = startConnect();
      }
      attempt = connecting;
    }
    if (waitBounded) {
      try {
        attempt.get(connectTimeout.toMillis() + 250, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        log.warn(
            "Redis at {} is not reachable yet ({}); caches will retry in the background",
            target,
            RedisErrors.unwrap(e).getClass().getSimpleName());
      }
    }
  }

  /**
   * Immediate re-attempts after Lettuce lost a handshake's outcome ({@link
   * RedisErrors#isLostHandshake}): the server answered, so this is no outage to wait out.
   */
  static final int LOST_HANDSHAKE_RETRIES = 3;

  /** One Lettuce connect (cluster: partitions, connection, node connections), through the test hook. */
  private CompletableFuture<StatefulConnection<byte[], byte[]>> connectOnce(long deadline) {
    CompletableFuture<StatefulConnection<byte[], byte[]>> f;
    try {
      if (mode == Mode.CLUSTER) {
        // connectAsync needs the partitions loaded first (Lettuce: "Partitions not initialized").
        f =
            clusterClient
                .refreshPartitionsAsync()
                .toCompletableFuture()
                .thenCompose(ignored -> clusterClient.connectAsync(ByteArrayCodec.INSTANCE))
                .thenCompose(c -> openNodeConnections(c, remainingMillis(deadline)).thenApply(n -> c));
      } else {
        f = client.connectAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture().thenApply(c -> c);
      }
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    return connectHook == null ? f : connectHook.apply(f);
  }

  /** {@link #connectOnce}, again at once (at most {@code left} times) when Lettuce lost the handshake. */
  private CompletableFuture<StatefulConnection<byte[], byte[]>> connectOnce(long deadline, int left) {
    return connectOnce(deadline)
        .exceptionallyCompose(
            error ->
                left > 0 && RedisErrors.isLostHandshake(error) && !closed.get()
                    ? connectOnce(deadline, left - 1)
                    : CompletableFuture.failedFuture(error));
  }

  /**
   * Opens every command connection ({@link #connectOnce} each, in parallel); fails with the first
   * failure in connection order after closing the connections that did open (all or none).
   */
  private CompletableFuture<List<StatefulConnection<byte[], byte[]>>> connectAll(
      java.util.function.Supplier<CompletableFuture<StatefulConnection<byte[], byte[]>>> connect) {
    List<CompletableFuture<StatefulConnection<byte[], byte[]>>> attempts = new ArrayList<>(connectionCount);
    for (int i = 0; i < connectionCount; i++) {
      attempts.add(connect.get());
    }
    if (connectionCount == 1) {
      return attempts.get(0).thenApply(List::of);
    }
    return CompletableFuture.allOf(attempts.toArray(new CompletableFuture<?>[0]))
        .handle(
            (ignored, error) -> {
              if (error == null) {
                List<StatefulConnection<byte[], byte[]>> opened = new ArrayList<>(connectionCount);
                attempts.forEach(a -> opened.add(a.join()));
                return CompletableFuture.completedFuture(List.copyOf(opened));
              }
              Throwable first = null;
              for (CompletableFuture<StatefulConnection<byte[], byte[]>> a : attempts) {
                if (a.isCompletedExceptionally()) {
                  if (first == null) {
                    first = a.handle((c, e) -> e).join();
                  }
                } else {
                  a.join().closeAsync();
                }
              }
              return CompletableFuture.<List<StatefulConnection<byte[], byte[]>>>failedFuture(
                  first != null ? first : error);
            })
        .thenCompose(f -> f);
  }

  private CompletableFuture<Void> startConnect() {
    long deadline = System.nanoTime() + connectTimeout.toNanos();
    // Set when the bounded wait gives up, so that connections completing late are closed, not leaked.
    AtomicBoolean abandoned = new AtomicBoolean();
    CompletableFuture<List<StatefulConnection<byte[], byte[]>>> f =
        connectAll(() -> connectOnce(deadline, LOST_HANDSHAKE_RETRIES));
    f.whenComplete(
        (all, error) -> {
          if (all != null && abandoned.get()) {
            all.forEach(StatefulConnection::closeAsync);
          }
        });
    return f.orTimeout(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (all, error) -> {
              synchronized (lock) {
                connecting = null;
                if (error != null) {
                  abandoned.set(true);
                  Throwable failure = RedisErrors.unwrap(error);
                  Throwable previous = lastConnectFailure;
                  // Lettuce lost the handshake's outcome even after the re-attempts: the server
                  // answered, and nothing says it now accepts the credentials it refused before
                  if (!(RedisErrors.isLostHandshake(failure)
                      && previous != null
                      && !RedisErrors.permissionWord(previous).isEmpty())) {
                    lastConnectFailure = failure;
                  }
                  logPermissionFailure(lastConnectFailure, connectPermissionLogged, "at connect");
                  // a failure inside the retry task itself must schedule the next one too
                  if (!closed.get() && !retryPending) {
                    retryPending = true;
                    retry =
                        maintenance.schedule(
                            () -> {
                              synchronized (lock) {
                                retryPending = false;
                              }
                              connectOrScheduleRetry(false);
                            },
                            reconnectInterval.toMillis(),
                            TimeUnit.MILLISECONDS);
                  }
                  return null;
                }
                if (closed.get()) {
                  all.forEach(StatefulConnection::closeAsync);
                  return null;
                }
                install(all);
                if (all.get(0) instanceof StatefulRedisClusterConnection) {
                  watchTopology();
                }
                lastConnectFailure = null;
                connectPermissionLogged.set(false);
                log.info("connected to Redis at {}", target);
                return null;
              }
            });
  }

  /** Makes {@code all} the command connections (under {@link #lock}); {@link #commands} is set last. */
  private void install(List<StatefulConnection<byte[], byte[]>> all) {
    @SuppressWarnings("unchecked")
    RedisClusterAsyncCommands<byte[], byte[]>[] r = new RedisClusterAsyncCommands[all.size()];
    for (int i = 0; i < r.length; i++) {
      StatefulConnection<byte[], byte[]> c = all.get(i);
      r[i] =
          c instanceof StatefulRedisClusterConnection
              ? ((StatefulRedisClusterConnection<byte[], byte[]>) c).async()
              : ((StatefulRedisConnection<byte[], byte[]>) c).async();
    }
    connection = all.get(0);
    commandConnections = all;
    routed = r;
    commands = r[0];
  }

  /**
   * Logs an authentication or authorization failure once (per {@code flag}) at ERROR, with the target
   * (no credentials) and the fix: unlike an outage it will not fix itself.
   */
  private void logPermissionFailure(Throwable failure, AtomicBoolean flag, String when) {
    String word = RedisErrors.permissionWord(failure);
    if (word.isEmpty() || !flag.compareAndSet(false, true)) {
      return;
    }
    String fix =
        "NOPERM".equals(word)
            ? "grant the user the commands, keys (~prefix*) and channels (&*) Cachet uses (see"
                + " docs/operations.md), or use another user"
            : "set the right user name and password in the Redis URI (percent-encoded), or the"
                + " server's requirepass/ACL";
    log.error(
        "Redis at {} refused {} {} (server replied {}). This will not fix itself: {}. Calls fail with"
            + " reason 'permission' meanwhile (the cache serves from memory and loaders under the"
            + " degraded policy).",
        target,
        "NOPERM".equals(word) ? "a command's permission" : "authentication",
        when,
        word,
        fix);
  }

  private static long remainingMillis(long deadlineNanos) {
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
  }

  // ---------------------------------------------------------------- Sentinel: follow the master

  /**
   * Tells the connections that a command failed. Under Sentinel, a {@code READONLY} reply means the node
   * this connection talks to was demoted (a failover): Lettuce asks the sentinels for the master only
   * when it reconnects, and a demoted master does not always drop its clients (it does when Sentinel
   * itself reconfigures it, not when an operator or a script sends {@code REPLICAOF}). So a new
   * connection is opened in the background (the sentinels are asked again), swapped in, and the old one
   * closed; one switch at a time, at most one every {@value #MIN_MASTER_SWITCH_INTERVAL_MILLIS} ms.
   */
  void onCommandFailure(Throwable failure) {
    if (closed.get()) {
      return;
    }
    Throwable cause = RedisErrors.unwrap(failure);
    if (!(cause instanceof RedisErrors.NotConnectedException)) {
      logPermissionFailure(cause, commandPermissionLogged, "on a command");
    }
    if (mode != Mode.SENTINEL) {
      return;
    }
    if (!(cause instanceof RedisReadOnlyException)) {
      return;
    }
    if (!switchingMaster.compareAndSet(false, true)) {
      return;
    }
    try {
      maintenance.execute(this::switchToMaster);
    } catch (RuntimeException e) { // closing
      switchingMaster.set(false);
    }
  }

  static final long MIN_MASTER_SWITCH_INTERVAL_MILLIS = 250;

  private void switchToMaster() {
    connectAll(
            () ->
                client
                    .connectAsync(ByteArrayCodec.INSTANCE, uri)
                    .toCompletableFuture()
                    .thenApply(c -> (StatefulConnection<byte[], byte[]>) c))
        .orTimeout(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (fresh, error) -> {
              try {
                if (error != null) {
                  log.warn(
                      "Redis at {} answered READONLY and reconnecting to the master failed ({}); will"
                          + " retry on the next READONLY",
                      target,
                      RedisErrors.unwrap(error).getClass().getSimpleName());
                  return;
                }
                List<StatefulConnection<byte[], byte[]>> old;
                synchronized (lock) {
                  if (closed.get()) {
                    fresh.forEach(StatefulConnection::closeAsync);
                    return;
                  }
                  old = commandConnections;
                  install(fresh);
                }
                old.forEach(StatefulConnection::closeAsync);
                masterSwitches.incrementAndGet();
                log.info(
                    "Redis at {} answered READONLY (failover): reconnected to the master the sentinels"
                        + " name",
                    target);
              } finally {
                try {
                  maintenance.schedule(
                      () -> switchingMaster.set(false),
                      MIN_MASTER_SWITCH_INTERVAL_MILLIS,
                      TimeUnit.MILLISECONDS);
                } catch (RuntimeException e) {
                  switchingMaster.set(false);
                }
              }
            });
  }

  /** How many times the Sentinel connection was switched to a new master; for tests. */
  long masterSwitches() {
    return masterSwitches.get();
  }

  // ---------------------------------------------------------------- cluster node connections

  /**
   * Opens the connection to every master that commands routed by slot use, and waits for them at most
   * {@code waitMillis}; connections not open by then keep opening in the background. Completes with the
   * number of masters whose connection is open; never fails.
   *
   * <p>Why: Lettuce opens a node connection on the first command routed to that node, and routes by slot
   * (and follows {@code MOVED}) through connections keyed by <em>host and port</em>, not by node id (see
   * Lettuce's {@code PooledClusterConnectionProvider.getWriteConnection}). While such a connection is
   * being opened, {@code REJECT_COMMANDS} rejects the command. So the connections are opened here, by
   * host and port ({@code getConnectionAsync(host, port)}), which is the very connection slot routing
   * then reuses; opening by node id would open a second, unused connection per node. Replicas are not
   * opened: the tier reads from masters only.
   */
  CompletableFuture<Integer> openNodeConnections(
      StatefulRedisClusterConnection<byte[], byte[]> c, long waitMillis) {
    List<CompletableFuture<Boolean>> nodes = new ArrayList<>();
    for (RedisClusterNode node : c.getPartitions()) {
      if (!node.is(RedisClusterNode.NodeFlag.UPSTREAM)
          || node.is(RedisClusterNode.NodeFlag.FAIL)
          || node.is(RedisClusterNode.NodeFlag.EVENTUAL_FAIL)
          || node.is(RedisClusterNode.NodeFlag.NOADDR)
          || node.getSlots().isEmpty()
          || node.getUri() == null) {
        continue;
      }
      String host = node.getUri().getHost();
      int port = node.getUri().getPort();
      CompletableFuture<Boolean> opened;
      try {
        opened =
            c.getConnectionAsync(host, port)
                .thenApply(StatefulConnection::isOpen)
                .exceptionally(
                    error -> {
                      log.debug(
                          "opening the connection to cluster node {}:{} failed: {}",
                          host,
                          port,
                          RedisErrors.unwrap(error).getClass().getSimpleName());
                      return false;
                    });
      } catch (RuntimeException e) {
        opened = CompletableFuture.completedFuture(false);
      }
      nodes.add(opened.completeOnTimeout(false, waitMillis, TimeUnit.MILLISECONDS));
      nodeConnectionAttempts.incrementAndGet();
    }
    return CompletableFuture.allOf(nodes.toArray(new CompletableFuture<?>[0]))
        .thenApply(ignored -> (int) nodes.stream().filter(CompletableFuture::join).count());
  }

  /**
   * After every topology change Lettuce reports on the event bus (failover, resharding, a node added),
   * opens the connections of the new masters in the background, at most one pass at a time and each
   * bounded by the connect timeout. With borrowed {@code ClientResources} the bus may carry other
   * clients' events too; a pass then only re-checks connections that are already open.
   */
  private void watchTopology() {
    if (topologyEvents != null) {
      return;
    }
    topologyEvents =
        clusterClient
            .getResources()
            .eventBus()
            .get()
            .filter(event -> event instanceof ClusterTopologyChangedEvent)
            .subscribe(
                event -> scheduleNodeConnections(),
                error -> log.debug("topology event subscription ended: {}", error.toString()));
  }

  private void scheduleNodeConnections() {
    if (closed.get() || !topologyPassPending.compareAndSet(false, true)) {
      return;
    }
    try {
      maintenance.execute(
          () -> {
            topologyPassPending.set(false);
            StatefulConnection<byte[], byte[]> c = connection;
            if (closed.get() || !(c instanceof StatefulRedisClusterConnection)) {
              return;
            }
            openNodeConnections(
                (StatefulRedisClusterConnection<byte[], byte[]>) c, connectTimeout.toMillis());
          });
    } catch (RuntimeException e) { // rejected after close
      topologyPassPending.set(false);
    }
  }

  /**
   * Calls {@code listener} each time a connection of this client becomes active (connect and every
   * reconnect, after the handshake), from Lettuce's {@code ConnectionActivatedEvent}. With borrowed
   * {@code ClientResources}, activations of other clients sharing them call it too, which only costs a
   * probe. Closing the result unsubscribes.
   */
  AutoCloseable onReconnected(Runnable listener) {
    Objects.requireNonNull(listener, "listener");
    ClientResources resources = mode == Mode.CLUSTER ? clusterClient.getResources() : client.getResources();
    Disposable subscription =
        resources
            .eventBus()
            .get()
            .filter(event -> event instanceof io.lettuce.core.event.connection.ConnectionActivatedEvent)
            .subscribe(
                event -> {
                  if (!closed.get()) {
                    try {
                      listener.run();
                    } catch (RuntimeException e) {
                      log.debug("reconnect listener failed: {}", e.getClass().getSimpleName());
                    }
                  }
                },
                error -> log.debug("reconnect event subscription ended: {}", error.toString()));
    return subscription::dispose;
  }

  /** How many node connections were requested (initially and after topology changes); for tests. */
  long nodeConnectionAttempts() {
    return nodeConnectionAttempts.get();
  }

  // ---------------------------------------------------------------- options

  private void applyTimeouts(RedisURI u) {
    u.setTimeout(commandTimeout);
  }

  private static SocketOptions socketOptions(Builder b) {
    return SocketOptions.builder().connectTimeout(b.connectTimeout).keepAlive(true).build();
  }

  private static TimeoutOptions timeoutOptions(Builder b) {
    return TimeoutOptions.enabled(b.commandTimeout);
  }

  private static ClientOptions clientOptions(Builder b) {
    return ClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .requestQueueSize(b.requestQueueSize)
        .socketOptions(socketOptions(b))
        .timeoutOptions(timeoutOptions(b))
        .build();
  }

  private static ClusterClientOptions clusterOptions(Builder b) {
    ClusterTopologyRefreshOptions refresh =
        ClusterTopologyRefreshOptions.builder()
            .enableAllAdaptiveRefreshTriggers()
            .adaptiveRefreshTriggersTimeout(b.adaptiveRefreshTimeout)
            .enablePeriodicRefresh(b.topologyRefreshPeriod)
            .closeStaleConnections(true)
            .dynamicRefreshSources(true)
            .build();
    return ClusterClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .requestQueueSize(b.requestQueueSize)
        .socketOptions(socketOptions(b))
        .timeoutOptions(timeoutOptions(b))
        .topologyRefreshOptions(refresh)
        .validateClusterNodeMembership(false)
        .build();
  }

  private static RedisURI parse(String value) {
    return RedisUris.parse(value);
  }

  /** scheme://host:port[,host:port][#master], never credentials. */
  static String describe(RedisURI u) {
    StringBuilder sb = new StringBuilder();
    if (!u.getSentinels().isEmpty()) {
      sb.append(u.isSsl() ? "rediss-sentinel://" : "redis-sentinel://");
      for (int i = 0; i < u.getSentinels().size(); i++) {
        RedisURI s = u.getSentinels().get(i);
        sb.append(i == 0 ? "" : ",").append(s.getHost()).append(':').append(s.getPort());
      }
      sb.append('#').append(u.getSentinelMasterId());
    } else {
      sb.append(u.isSsl() ? "rediss://" : "redis://").append(u.getHost()).append(':').append(u.getPort());
    }
    return sb.toString();
  }

  private static String describeSeeds(List<RedisURI> seeds) {
    StringBuilder sb = new StringBuilder("cluster[");
    for (int i = 0; i < seeds.size(); i++) {
      sb.append(i == 0 ? "" : ",").append(seeds.get(i).getHost()).append(':').append(seeds.get(i).getPort());
    }
    return sb.append(']').toString();
  }

  // ---------------------------------------------------------------- close

  /**
   * Closes the connections, then the client and {@code ClientResources} if this object created them
   * (each with a 2 s limit). Idempotent; never throws.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    CompletableFuture<StatefulRedisPubSubConnection<String, String>> ps;
    synchronized (lock) {
      ps = pubSub;
      if (retry != null) {
        retry.cancel(false);
      }
    }
    maintenance.shutdownNow();
    java.util.concurrent.ExecutorService decoders;
    synchronized (decodeLock) {
      decoders = decodePool;
    }
    if (decoders != null) {
      decoders.shutdown(); // queued decodes finish; later ones run where their read completed
    }
    Disposable events = topologyEvents;
    if (events != null) {
      events.dispose();
    }
    try {
      if (ps != null && ps.isDone() && !ps.isCompletedExceptionally()) {
        ps.join().close();
      }
      List<StatefulConnection<byte[], byte[]>> all;
      synchronized (lock) {
        all = commandConnections;
        commands = null;
        routed = null;
      }
      all.forEach(StatefulConnection::close);
      if (ownsClient) {
        if (client != null) {
          client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } else {
          clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
      }
      if (ownedResources != null) {
        ownedResources.shutdown(0, 2, TimeUnit.SECONDS);
      }
    } catch (RuntimeException e) {
      log.warn("closing Redis connections to {} failed: {}", target, e.getClass().getSimpleName());
    }
  }

  /** The mode, target (no credentials) and state. */
  @Override
  public String toString() {
    return "RedisConnections{"
        + mode.name().toLowerCase(Locale.ROOT)
        + ", "
        + target
        + (closed.get() ? ", closed" : isConnected() ? ", connected" : ", disconnected")
        + (ownsClient ? "" : ", borrowed client")
        + '}';
  }

  /**
   * Builds {@link RedisConnections}. Each setter may be called once ({@code IllegalStateException}
   * otherwise) and rejects bad values with {@code IllegalArgumentException}. Not thread-safe; {@link
   * #build()} may be called more than once.
   */
  public static final class Builder {
    private String uri;
    private List<String> clusterSeeds;
    private RedisClient client;
    private RedisClusterClient clusterClient;
    private ClientResources resources;
    private Duration commandTimeout = Duration.ofMillis(DEFAULT_COMMAND_TIMEOUT_MILLIS);
    private Duration connectTimeout = Duration.ofMillis(DEFAULT_CONNECT_TIMEOUT_MILLIS);
    private Duration reconnectInterval = Duration.ofMillis(DEFAULT_RECONNECT_INTERVAL_MILLIS);
    private Duration topologyRefreshPeriod = Duration.ofMillis(DEFAULT_TOPOLOGY_REFRESH_PERIOD_MILLIS);
    private Duration adaptiveRefreshTimeout = Duration.ofMillis(DEFAULT_ADAPTIVE_REFRESH_TIMEOUT_MILLIS);
    private int requestQueueSize = DEFAULT_REQUEST_QUEUE_SIZE;
    private int commandConnections;
    private final java.util.Set<String> set = new java.util.HashSet<>();

    private java.util.function.UnaryOperator<CompletableFuture<StatefulConnection<byte[], byte[]>>>
        connectHook;

    private Builder() {}

    /**
     * Test hook: {@code hook} receives the future of each connect attempt Lettuce makes and returns the
     * one the connections use (to hold an attempt, or to fail it as Lettuce can).
     */
    Builder connectHook(
        java.util.function.UnaryOperator<CompletableFuture<StatefulConnection<byte[], byte[]>>> hook) {
      connectHook = Objects.requireNonNull(hook, "hook");
      return this;
    }

    private void once(String setting) {
      Preconditions.requireState(set.add(setting), setting + " was already set");
    }

    /** The standalone ({@code redis://}, {@code rediss://}) or Sentinel ({@code redis-sentinel://}) URI. */
    public Builder uri(String value) {
      once("uri");
      Preconditions.requireState(clusterSeeds == null, "uri and clusterSeeds are exclusive");
      uri = Objects.requireNonNull(value, "uri must not be null");
      return this;
    }

    /** Seed URIs of a Redis Cluster; at least one. */
    public Builder clusterSeeds(List<String> seeds) {
      once("clusterSeeds");
      Preconditions.requireState(uri == null, "uri and clusterSeeds are exclusive");
      Objects.requireNonNull(seeds, "clusterSeeds must not be null");
      Preconditions.requireArgument(!seeds.isEmpty(), "clusterSeeds must not be empty");
      seeds.forEach(s -> Objects.requireNonNull(s, "seed in clusterSeeds must not be null"));
      clusterSeeds = List.copyOf(seeds);
      return this;
    }

    /** Borrows a standalone/Sentinel client (never shut down by Cachet); {@link #uri} is still required. */
    public Builder client(RedisClient value) {
      once("client");
      client = Objects.requireNonNull(value, "client must not be null");
      return this;
    }

    /** Borrows a cluster client (never shut down by Cachet); seeds come from the client. */
    public Builder clusterClient(RedisClusterClient value) {
      once("clusterClient");
      clusterClient = Objects.requireNonNull(value, "clusterClient must not be null");
      return this;
    }

    /** Borrows {@code ClientResources} for the client Cachet creates (never shut down by Cachet). */
    public Builder clientResources(ClientResources value) {
      once("clientResources");
      resources = Objects.requireNonNull(value, "clientResources must not be null");
      return this;
    }

    /** Timeout of every command; default {@value #DEFAULT_COMMAND_TIMEOUT_MILLIS} ms. */
    public Builder commandTimeout(Duration value) {
      once("commandTimeout");
      commandTimeout = Preconditions.requirePositive(value, "commandTimeout");
      return this;
    }

    /** Timeout of one connection attempt; default {@value #DEFAULT_CONNECT_TIMEOUT_MILLIS} ms. */
    public Builder connectTimeout(Duration value) {
      once("connectTimeout");
      connectTimeout = Preconditions.requirePositive(value, "connectTimeout");
      return this;
    }

    /**
     * Interval between attempts until the first connection succeeds, and the longest delay between
     * Lettuce's reconnect attempts later (when Cachet creates the {@code ClientResources}; borrowed
     * ones keep their own); default 1 s.
     */
    public Builder reconnectInterval(Duration value) {
      once("reconnectInterval");
      reconnectInterval = Preconditions.requirePositive(value, "reconnectInterval");
      return this;
    }

    /** Commands queued per connection before new ones are rejected; default {@value #DEFAULT_REQUEST_QUEUE_SIZE}. */
    public Builder requestQueueSize(int value) {
      once("requestQueueSize");
      Preconditions.requireArgument(value >= 1, () -> "requestQueueSize must be at least 1: " + value);
      requestQueueSize = value;
      return this;
    }

    /**
     * How many command connections to keep to a standalone or Sentinel deployment; default one per
     * Lettuce I/O thread of the client's {@code ClientResources}, at most {@value
     * #MAX_DEFAULT_COMMAND_CONNECTIONS}. Each connection's replies are read by one event-loop thread, so
     * more connections let replies of concurrent callers be read in parallel. A caller uses its own
     * connection; a command on a key with a command in flight goes behind it, so one key's commands keep
     * their order.
     * {@code 1} multiplexes everything over one connection. Ignored on a cluster, where Lettuce keeps one
     * connection per node.
     */
    public Builder commandConnections(int value) {
      once("commandConnections");
      Preconditions.requireArgument(
          value >= 1 && value <= 64, () -> "commandConnections must be between 1 and 64: " + value);
      commandConnections = value;
      return this;
    }

    /** Cluster periodic topology refresh; default 10 s. */
    public Builder topologyRefreshPeriod(Duration value) {
      once("topologyRefreshPeriod");
      topologyRefreshPeriod = Preconditions.requirePositive(value, "topologyRefreshPeriod");
      return this;
    }

    /** Cluster adaptive refresh trigger timeout (minimum interval between adaptive refreshes); default 1 s. */
    public Builder adaptiveRefreshTimeout(Duration value) {
      once("adaptiveRefreshTimeout");
      adaptiveRefreshTimeout = Preconditions.requirePositive(value, "adaptiveRefreshTimeout");
      return this;
    }

    /**
     * Applies the connection settings set in {@code env}: {@value CachetEnvironment#REDIS_COMMAND_TIMEOUT}
     * and {@value CachetEnvironment#REDIS_CONNECT_TIMEOUT}. Variables that are unset leave the setting
     * alone; a setting also given to its own setter is an {@code IllegalStateException}.
     *
     * @throws CacheConfigurationException ({@code INVALID_ENVIRONMENT_VARIABLE}) for a malformed value
     */
    public Builder settingsFrom(CachetEnvironment env) {
      Objects.requireNonNull(env, "env must not be null");
      env.duration(CachetEnvironment.REDIS_COMMAND_TIMEOUT).ifPresent(this::commandTimeout);
      env.duration(CachetEnvironment.REDIS_CONNECT_TIMEOUT).ifPresent(this::connectTimeout);
      return this;
    }

    /**
     * Creates the connections and tries to connect for at most the connect timeout; never fails because
     * Redis is down.
     *
     * @throws IllegalStateException if neither a URI, seeds nor a cluster client was given
     * @throws CacheConfigurationException ({@code INVALID_REDIS_URI}) for a malformed URI
     */
    public RedisConnections build() {
      Preconditions.requireState(
          uri != null || clusterSeeds != null || clusterClient != null,
          "RedisConnections needs uri(...), clusterSeeds(...) or clusterClient(...)");
      Preconditions.requireState(
          client == null || uri != null, "a borrowed client(...) needs the uri(...) to connect to");
      return new RedisConnections(this);
    }

    /** Names the options that were set, never URIs or credentials. */
    @Override
    public String toString() {
      return "RedisConnections.Builder" + new java.util.TreeSet<>(set);
    }
  }
}
