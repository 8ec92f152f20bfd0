package dev.cachet.redis;

import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.CacheHealth;
import dev.cachet.Tier;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.Preconditions;
import dev.cachet.internal.OptionalDependencies;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.spi.InvalidationBus;
import dev.cachet.spi.LeaseLock;
import dev.cachet.spi.RemoteEntry;
import dev.cachet.spi.RemoteTier;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Lettuce implementation of {@link RemoteTier}: sealed values under generation-numbered keys (see
 * {@link RedisKeyLayout} and {@link ValueCodec}). Tenant views share everything but the key layout.
 * Records Redis tier gets, remote operation timings and errors, and decryption failures into the
 * instrumentation it was built with. Thread-safe.
 *
 * <p><b>Caller errors.</b> Writes serialize and check the size on the caller's thread and throw {@link
 * dev.cachet.InvalidValueException} before anything is sent.
 *
 * <p><b>Bad entries.</b> A value that cannot be opened, and a value of another Redis type at an entry key
 * (a {@code WRONGTYPE} reply), is a miss counted as a decryption failure (the latter with reason {@code
 * FORMAT}), deleted when bad-entry deletion is on (compare-and-delete, or delete-if-not-a-string), and
 * never a remote failure.
 *
 * <p><b>Expiry.</b> Sealed expiry is in the Redis server's time: the local clock plus the offset the
 * {@link GenerationTracker} learns from the server's {@code TIME} with every generation reply. A reader
 * treats an envelope as expired once the server time it estimates passes the sealed expiry by more than
 * {@link RedisCacheBuilder#EXPIRY_SKEW_ALLOWANCE_MILLIS}, and reports the expiry converted to its own
 * clock ({@link RemoteEntry#expiresAtEpochMillis()}).
 *
 * <p><b>Lifecycle.</b> The root view, and the tenant view a builder made for a tenant-scoped cache, own
 * the shared state: closing them stops the generation refresh, the invalidation bus and background
 * cleanup. A view made by {@link #forTenant(String)} owns nothing: closing it only closes the view.
 */
final class LettuceRedisTier<V> implements RemoteTier<V>, dev.cachet.internal.ReconnectNotifier {

  private static final Logger log = LoggerFactory.getLogger(LettuceRedisTier.class);
  private static final long LOG_INTERVAL_MILLIS = 60_000;

  /** What every view of one cache shares. */
  static final class Shared<V> {
    final String cacheName;
    final RedisConnections connections;
    final boolean ownsConnections;
    final ValueCodec<V> codec;
    final GenerationTracker generations;
    final CacheInstrumentation instrumentation;
    final Clock clock;
    final Duration defaultTtl;
    final boolean deleteBadEntries;
    final String legacyPrefix;
    final Instant legacyDeadline;
    /** Where reads decode when the caller names no executor (asynchronous callers). */
    final Executor decoder;
    final LongAdder legacyMigrations = new LongAdder();
    final LongAdder badEntriesDeleted = new LongAdder();
    final AtomicLongArray lastLogged = new AtomicLongArray(DecryptionFailureReason.values().length);
    final AtomicBoolean closed = new AtomicBoolean();
    final AtomicBoolean cleaning = new AtomicBoolean();
    final AtomicLong cleanupRequested = new AtomicLong(-1);
    volatile LettuceInvalidationBus bus;
    /** Calls waiting for a generation to be known, in the order they were made. */
    final IssueOrder generationWaits = new IssueOrder();

    Shared(
        String cacheName, RedisConnections connections, boolean ownsConnections, ValueCodec<V> codec,
        GenerationTracker generations, CacheInstrumentation instrumentation, Clock clock,
        Duration defaultTtl, boolean deleteBadEntries, String legacyPrefix, Instant legacyDeadline,
        Executor decoder) {
      this.cacheName = cacheName;
      this.connections = connections;
      this.ownsConnections = ownsConnections;
      this.codec = codec;
      this.generations = generations;
      this.instrumentation = instrumentation;
      this.clock = clock;
      this.defaultTtl = defaultTtl;
      this.deleteBadEntries = deleteBadEntries;
      this.legacyPrefix = legacyPrefix;
      this.legacyDeadline = legacyDeadline;
      this.decoder = decoder;
    }
  }

  /** Marks a {@code GET} answered with {@code WRONGTYPE}: another Redis type sits at the entry key. */
  private static final byte[] WRONG_TYPE = new byte[0];

  private final Shared<V> shared;
  private final RedisKeyLayout layout;
  private final boolean ownsShared;
  private final AtomicBoolean viewClosed = new AtomicBoolean();
  private volatile RedisCounters counters;

  /** A view that owns the shared state (closing it closes everything). */
  LettuceRedisTier(Shared<V> shared, RedisKeyLayout layout) {
    this(shared, layout, true);
  }

  LettuceRedisTier(Shared<V> shared, RedisKeyLayout layout, boolean ownsShared) {
    this.shared = shared;
    this.layout = layout;
    this.ownsShared = ownsShared;
  }

  RedisKeyLayout layout() {
    return layout;
  }

  Shared<V> shared() {
    return shared;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String string(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Override
  public String cacheName() {
    return shared.cacheName;
  }

  private void checkOpen() {
    Preconditions.requireState(
        !shared.closed.get() && !viewClosed.get(),
        "Redis tier of cache '" + shared.cacheName + "' is closed");
  }

  /** Whether {@code failure} is Redis's {@code WRONGTYPE} reply (another type at the key). */
  private static boolean isWrongType(Throwable failure) {
    return "WRONGTYPE".equals(RedisErrors.serverErrorWord(RedisErrors.unwrap(failure)));
  }

  /** A {@code GET} whose {@code WRONGTYPE} reply completes with {@link #WRONG_TYPE} instead of failing. */
  private static CompletableFuture<byte[]> getOrWrongType(
      RedisClusterAsyncCommands<byte[], byte[]> c, byte[] redisKey) {
    return c.get(redisKey)
        .toCompletableFuture()
        .handle(
            (value, error) -> {
              if (error == null) {
                return value;
              }
              if (isWrongType(error)) {
                return WRONG_TYPE;
              }
              throw error instanceof java.util.concurrent.CompletionException
                  ? (java.util.concurrent.CompletionException) error
                  : new java.util.concurrent.CompletionException(error);
            });
  }

  // ---------------------------------------------------------------- reads

  /**
   * One {@code GET} (with a pipelined {@code PTTL} for {@code PLAIN_JSON}, which has no sealed expiry);
   * Lettuce's thread only hands the reply to {@code decoder}, which decrypts and deserializes it.
   */
  @Override
  public CompletableFuture<RemoteEntry<V>> get(String key, Executor decoder) {
    Preconditions.requireNonNull(key, "key");
    Preconditions.requireNonNull(decoder, "decoder");
    checkOpen();
    long start = System.nanoTime();
    CompletableFuture<RemoteEntry<V>> result =
        withGeneration(
            gen -> {
              if (suspended()) {
                return CompletableFuture.completedFuture(null);
              }
              String rk = layout.entryKey(gen, key);
              byte[] rkb = bytes(rk);
              return shared.connections.onKey(rkb, c -> {
                        CompletableFuture<byte[]> value = getOrWrongType(c, rkb);
                        if (!plain()) {
                          return value.thenCompose(token -> decodeOne(key, gen, rk, rkb, token, 0L, decoder));
                        }
                        CompletableFuture<Long> pttl = c.pttl(rkb).toCompletableFuture();
                        return value.thenCompose(
                            token -> pttl.thenCompose(ttl -> decodeOne(key, gen, rk, rkb, token, ttl, decoder)));
                      });
            });
    return observe(RemoteOperation.GET, start, result)
        .whenComplete(
            (entry, error) -> {
              if (error == null) {
                shared.instrumentation.recordTierGet(Tier.REDIS, entry != null, 1);
              }
            });
  }

  @Override
  public Executor decodeExecutor() {
    return shared.decoder;
  }

  /**
   * The entry of one {@code GET} reply: opened on {@code decoder}; a miss completes at once (or reads
   * the legacy prefix while migration is active); another Redis type is a counted miss.
   */
  private CompletableFuture<RemoteEntry<V>> decodeOne(
      String key, String gen, String rk, byte[] rkb, byte[] token, long pttl, Executor decoder) {
    if (token == null) {
      return migrate(key, gen, decoder);
    }
    if (token == WRONG_TYPE) {
      return CompletableFuture.completedFuture(wrongType(rk));
    }
    return CompletableFuture.supplyAsync(() -> open(rk, rkb, token, pttl), decoder);
  }

  @Override
  public CompletableFuture<Map<String, RemoteEntry<V>>> getAll(Collection<String> keys, Executor decoder) {
    Preconditions.requireNonNull(keys, "keys");
    Preconditions.requireNonNull(decoder, "decoder");
    checkOpen();
    List<String> distinct = new ArrayList<>(new java.util.LinkedHashSet<>(keys));
    distinct.forEach(k -> Preconditions.requireNonNull(k, "key in keys"));
    if (distinct.isEmpty()) {
      return CompletableFuture.completedFuture(Map.of());
    }
    long start = System.nanoTime();
    CompletableFuture<Map<String, RemoteEntry<V>>> result =
        withGeneration(
            gen -> {
              if (suspended()) {
                return CompletableFuture.completedFuture(Map.<String, RemoteEntry<V>>of());
              }
              String[] redisKeys = new String[distinct.size()];
              byte[][] rkb = new byte[distinct.size()][];
              for (int i = 0; i < distinct.size(); i++) {
                redisKeys[i] = layout.entryKey(gen, distinct.get(i));
                rkb[i] = bytes(redisKeys[i]);
              }
              return shared.connections.mget(rkb)
                  .thenCompose(values -> decodeAll(gen, distinct, redisKeys, rkb, values, decoder));
            });
    return observe(RemoteOperation.GET_ALL, start, result)
        .whenComplete(
            (found, error) -> {
              if (error == null) {
                shared.instrumentation.recordTierGet(Tier.REDIS, true, found.size());
                shared.instrumentation.recordTierGet(Tier.REDIS, false, distinct.size() - found.size());
              }
            });
  }

  /**
   * Opens an {@code MGET} reply (in key order) on {@code decoder}, after the pipelined {@code PTTL}s of
   * {@code PLAIN_JSON} hits and any legacy look-ups of misses; Lettuce's thread only sorts the reply.
   */
  private CompletableFuture<Map<String, RemoteEntry<V>>> decodeAll(
      String gen, List<String> keys, String[] redisKeys,
      byte[][] rkb, List<KeyValue<byte[], byte[]>> values, Executor decoder) {
    int n = keys.size();
    byte[][] tokens = new byte[n][];
    CompletableFuture<?>[] waits = new CompletableFuture<?>[n];
    List<String> absent = new ArrayList<>();
    int waiting = 0;
    boolean anyToken = false;
    for (int i = 0; i < n; i++) {
      KeyValue<byte[], byte[]> kv = i < values.size() ? values.get(i) : null;
      if (kv != null && kv.hasValue()) {
        tokens[i] = kv.getValue();
        anyToken = true;
        if (plain()) {
          byte[] k = rkb[i];
          waits[i] = shared.connections.onKey(k, c -> c.pttl(k).toCompletableFuture());
          waiting++;
        }
      } else {
        absent.add(redisKeys[i]);
        if (migrationActive()) {
          waits[i] = migrate(keys.get(i), gen, decoder);
          waiting++;
        }
      }
    }
    checkForWrongTypes(absent);
    if (!anyToken && waiting == 0) {
      return CompletableFuture.completedFuture(new LinkedHashMap<>());
    }
    CompletableFuture<?>[] pending = new CompletableFuture<?>[waiting];
    for (int i = 0, j = 0; i < n; i++) {
      if (waits[i] != null) {
        pending[j++] = waits[i];
      }
    }
    return CompletableFuture.allOf(pending)
        .thenApplyAsync(
            ignored -> {
              Map<String, RemoteEntry<V>> found = new LinkedHashMap<>();
              for (int i = 0; i < n; i++) {
                RemoteEntry<V> e;
                if (tokens[i] != null) {
                  long ttl = waits[i] == null ? 0L : (Long) waits[i].join();
                  e = open(redisKeys[i], rkb[i], tokens[i], ttl);
                } else {
                  @SuppressWarnings("unchecked")
                  RemoteEntry<V> migrated = waits[i] == null ? null : (RemoteEntry<V>) waits[i].join();
                  e = migrated;
                }
                if (e != null) {
                  found.put(keys.get(i), e);
                }
              }
              return found;
            },
            decoder);
  }

  private boolean plain() {
    return shared.codec.format() == RedisValueFormat.PLAIN_JSON;
  }

  /**
   * Opens a token; a failure is a miss, counted, logged (rate-limited) and possibly deleted. A sealed
   * expiry is in server time: the envelope counts as expired once the estimated server time is past it
   * by more than the skew allowance, and the entry's expiry is converted to this instance's clock.
   */
  private RemoteEntry<V> open(String redisKey, byte[] redisKeyBytes, byte[] token, long pttlMillis) {
    long now = shared.clock.millis();
    long offset = shared.generations.serverTimeOffsetMillis();
    long plainExpiry = now + (pttlMillis > 0 ? pttlMillis : shared.defaultTtl.toMillis());
    ValueCodec.Opened<V> opened =
        shared.codec.open(
            redisKeyBytes, token, now + offset - RedisCacheBuilder.EXPIRY_SKEW_ALLOWANCE_MILLIS, plainExpiry);
    if (opened.ok()) {
      long expiresAt = plain() ? opened.expiresAtMillis : opened.expiresAtMillis - offset;
      return new RemoteEntry<>(opened.value, expiresAt, token);
    }
    badEntry(opened.failure, now);
    if (shared.deleteBadEntries && deletable(opened.failure)) {
      compareAndDelete(redisKeyBytes, token)
          .whenComplete(
              (deleted, error) -> {
                if (error == null && deleted) {
                  shared.badEntriesDeleted.increment();
                }
              });
    }
    return null;
  }

  /**
   * Another Redis type at an entry key ({@code WRONGTYPE}): a miss, counted as a {@code FORMAT} failure,
   * and deleted (only while it is still not a string) when bad-entry deletion is on. Never a remote
   * failure: it says nothing about Redis's health.
   */
  private RemoteEntry<V> wrongType(String redisKey) {
    badEntry(DecryptionFailureReason.FORMAT, shared.clock.millis());
    if (shared.deleteBadEntries && !shared.closed.get()) {
      byte[][] keys = {bytes(redisKey)};
      shared.connections.onKey(keys[0], c ->
                  c.<Long>eval(LuaScripts.DELETE_IF_NOT_STRING, ScriptOutputType.INTEGER, keys)
                      .toCompletableFuture())
          .whenComplete(
              (deleted, error) -> {
                if (error == null && deleted != null && deleted > 0) {
                  shared.badEntriesDeleted.increment();
                }
              });
    }
    return null;
  }

  /**
   * {@code MGET} answers nil both for an absent key and for a key of another Redis type, so after a
   * {@code getAll} with misses one {@code EXISTS} over the missed keys (one per slot on a cluster) runs in
   * the background, never awaited by the caller: when it finds any, each missed key still not a string is
   * a bad entry ({@link #wrongType}). Hits send nothing more.
   */
  private void checkForWrongTypes(List<String> absent) {
    if (absent.isEmpty() || shared.closed.get()) {
      return;
    }
    byte[][] keys = new byte[absent.size()][];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = bytes(absent.get(i));
    }
    shared.connections.sumByConnection(keys, (c, part) -> c.exists(part))
        .thenAccept(
            n -> {
              if (n == null || n == 0 || shared.closed.get()) {
                return;
              }
              for (String rk : absent) {
                byte[] k = bytes(rk);
                shared.connections.onKey(k, c -> c.type(k).toCompletableFuture())
                    .thenAccept(
                        type -> {
                          if (type != null && !"string".equals(type) && !"none".equals(type)) {
                            wrongType(rk);
                          }
                        });
              }
            });
  }

  /**
   * Whether a failed entry may be deleted: not one that authenticated but could not be deserialized
   * (the serializer's problem, not the entry's), nor one in a payload format this instance cannot read
   * (a newer writer's entry: deleting it would make two versions delete each other's entries).
   */
  private static boolean deletable(DecryptionFailureReason failure) {
    return failure != DecryptionFailureReason.DESERIALIZE
        && failure != DecryptionFailureReason.UNSUPPORTED_FORMAT;
  }

  /**
   * Counts and (rate-limited) logs an entry that could not be used; an unreadable payload format is
   * logged once per cache (it is expected during a rolling upgrade that changes the format).
   */
  private void badEntry(DecryptionFailureReason reason, long now) {
    shared.instrumentation.recordDecryptionFailure(reason);
    if (reason == DecryptionFailureReason.UNSUPPORTED_FORMAT) {
      if (shared.lastLogged.compareAndSet(reason.ordinal(), 0, Math.max(1, now))) {
        log.warn(
            "cache '{}': a Redis entry is in a payload format this instance cannot read (CBOR without {}"
                + " on the class path, or a format of a later release); it is a miss here and left in"
                + " Redis for the instances that can read it. Counted in"
                + " cache.decryption.failures{reason=unsupported_format}; logged once",
            shared.cacheName,
            OptionalDependencies.CBOR_ARTIFACT);
      }
      return;
    }
    long last = shared.lastLogged.get(reason.ordinal());
    if (now - last >= LOG_INTERVAL_MILLIS
        && shared.lastLogged.compareAndSet(reason.ordinal(), last, now)) {
      log.warn(
          "cache '{}': ignored a Redis entry that could not be opened (reason={}, {} so far); logged"
              + " at most once a minute per reason",
          shared.cacheName,
          reason.tagValue(),
          shared.instrumentation.decryptionFailureCount(reason));
    }
  }

  /** Deletes {@code key} only if it still holds {@code expected}; completes with whether it did. */
  CompletableFuture<Boolean> compareAndDelete(byte[] key, byte[] expected) {
    byte[][] keys = {key};
    return shared.connections.onKey(key, c ->
                c.<Long>eval(LuaScripts.COMPARE_AND_DELETE, ScriptOutputType.INTEGER, keys, expected)
                    .toCompletableFuture())
        .thenApply(n -> n != null && n > 0);
  }

  // ---------------------------------------------------------------- legacy migration

  private boolean migrationActive() {
    return shared.legacyPrefix != null && shared.clock.instant().isBefore(shared.legacyDeadline);
  }

  /** Reads a legacy plaintext entry and rewrites it sealed; null when there is none. */
  private CompletableFuture<RemoteEntry<V>> migrate(String key, String gen, Executor decoder) {
    if (!migrationActive()) {
      return CompletableFuture.completedFuture(null);
    }
    byte[] legacyKey = bytes(shared.legacyPrefix + key);
    return shared.connections.onKey(legacyKey, c ->
                c.get(legacyKey)
                    .toCompletableFuture()
                    .thenCombine(c.pttl(legacyKey).toCompletableFuture(), (v, ttl) -> new Object[] {v, ttl})
                    .thenComposeAsync(
                        pair -> {
                          byte[] raw = (byte[]) pair[0];
                          if (raw == null) {
                            return CompletableFuture.completedFuture(null);
                          }
                          V value;
                          try {
                            value = shared.codec.serializer().deserialize(raw);
                          } catch (RuntimeException e) {
                            return CompletableFuture.completedFuture(null);
                          }
                          if (value == null) {
                            return CompletableFuture.completedFuture(null);
                          }
                          long ttl = (Long) pair[1];
                          long ttlMillis = ttl > 0 ? ttl : shared.defaultTtl.toMillis();
                          long expiresAt = shared.clock.millis() + ttlMillis;
                          String rk = layout.entryKey(gen, key);
                          byte[] token;
                          try {
                            byte[] payload = shared.codec.serialize(value);
                            token = shared.codec.sealPayload(rk, payload, serverTime(expiresAt));
                          } catch (RuntimeException e) {
                            return CompletableFuture.completedFuture(null);
                          }
                          byte[] rkb = bytes(rk);
                          return shared.connections.onKey(rkb, entry ->
                                      entry.set(rkb, token, SetArgs.Builder.nx().px(ttlMillis))
                                          .toCompletableFuture())
                              .thenCompose(
                                  ok ->
                                      compareAndDelete(legacyKey, raw)
                                          .thenApply(
                                              deleted -> {
                                                shared.legacyMigrations.increment();
                                                // the token is comparable only if it is what is stored
                                                return new RemoteEntry<>(
                                                    value, expiresAt, "OK".equals(ok) ? token : null);
                                              }));
                        },
                        decoder));
  }

  // ---------------------------------------------------------------- writes

  @Override
  public CompletableFuture<Void> put(String key, V value, Duration ttl) {
    Preconditions.requireNonNull(key, "key");
    Preconditions.requireNonNull(value, "value");
    Preconditions.requireTtl(ttl, "ttl");
    checkOpen();
    byte[] payload = shared.codec.serialize(value); // size checked before anything is sent
    long start = System.nanoTime();
    CompletableFuture<Void> result =
        withGeneration(gen -> write(gen, key, payload, ttl));
    return observe(RemoteOperation.PUT, start, result);
  }

  private CompletableFuture<Void> write(String gen, String key, byte[] payload, Duration ttl) {
    String rk = layout.entryKey(gen, key);
    long ttlMillis = Math.max(1, ttl.toMillis());
    byte[] token = shared.codec.sealPayload(rk, payload, serverTime(shared.clock.millis() + ttlMillis));
    byte[] rkb = bytes(rk);
    return shared.connections.onKey(
        rkb, c -> c.set(rkb, token, SetArgs.Builder.px(ttlMillis)).toCompletableFuture().thenApply(ok -> null));
  }

  /** {@code localMillis} of this instance's clock in the Redis server's time (sealed expiries are). */
  private long serverTime(long localMillis) {
    return localMillis + shared.generations.serverTimeOffsetMillis();
  }

  /** What a conditional write stored: the entry key and the exact token, for a compare-and-delete. */
  static final class Written {
    final byte[] redisKey;
    final byte[] token;

    Written(byte[] redisKey, byte[] token) {
      this.redisKey = redisKey;
      this.token = token;
    }
  }

  @Override
  public CompletableFuture<Boolean> putIfAbsent(String key, V value, Duration ttl) {
    return storeIfAbsent(key, value, ttl).thenApply(written -> written != null);
  }

  /**
   * {@code SET NX PX}: stores {@code value} only if the key holds nothing (a key of another type counts
   * as something). Completes with what was written, or null when nothing was.
   *
   * @throws dev.cachet.InvalidValueException before anything is sent, for a value that cannot be stored
   */
  CompletableFuture<Written> storeIfAbsent(String key, V value, Duration ttl) {
    Preconditions.requireNonNull(key, "key");
    Preconditions.requireNonNull(value, "value");
    Preconditions.requireTtl(ttl, "ttl");
    checkOpen();
    byte[] payload = shared.codec.serialize(value); // size checked before anything is sent
    long start = System.nanoTime();
    CompletableFuture<Written> result =
        withGeneration(
            gen -> {
              String rk = layout.entryKey(gen, key);
              long ttlMillis = Math.max(1, ttl.toMillis());
              byte[] token =
                  shared.codec.sealPayload(rk, payload, serverTime(shared.clock.millis() + ttlMillis));
              byte[] rkb = bytes(rk);
              return shared.connections.onKey(
                      rkb, c -> c.set(rkb, token, SetArgs.Builder.nx().px(ttlMillis)).toCompletableFuture())
                  .thenApply(ok -> "OK".equals(ok) ? new Written(rkb, token) : null);
            });
    return observe(RemoteOperation.PUT, start, result);
  }

  /**
   * Compare-and-set on the exact token bytes {@code expected} was read from (one-key Lua script, so it
   * works on a cluster); {@code expected == null} is {@code SET NX}. An entry read under an older
   * generation never matches (its key is gone from the current generation), nor does one without a
   * token.
   *
   * @throws dev.cachet.InvalidValueException before anything is sent, for a value that cannot be stored
   */
  @Override
  public CompletableFuture<Boolean> replace(
      String key, RemoteEntry<V> expected, V value, Duration ttl) {
    if (expected == null) {
      return putIfAbsent(key, value, ttl);
    }
    Preconditions.requireNonNull(key, "key");
    Preconditions.requireNonNull(value, "value");
    Preconditions.requireTtl(ttl, "ttl");
    checkOpen();
    byte[] payload = shared.codec.serialize(value); // size checked before anything is sent
    byte[] expectedToken = expected.token();
    if (expectedToken == null) {
      return CompletableFuture.completedFuture(Boolean.FALSE);
    }
    long start = System.nanoTime();
    CompletableFuture<Boolean> result =
        withGeneration(
            gen -> {
              String rk = layout.entryKey(gen, key);
              long ttlMillis = Math.max(1, ttl.toMillis());
              byte[] token =
                  shared.codec.sealPayload(rk, payload, serverTime(shared.clock.millis() + ttlMillis));
              byte[][] keys = {bytes(rk)};
              byte[] px = Long.toString(ttlMillis).getBytes(StandardCharsets.US_ASCII);
              return shared.connections.onKey(keys[0], c ->
                          c.<Long>eval(
                                  LuaScripts.COMPARE_AND_SET, ScriptOutputType.INTEGER, keys,
                                  expectedToken, token, px)
                              .toCompletableFuture())
                  .thenApply(n -> n != null && n > 0);
            });
    return observe(RemoteOperation.PUT, start, result);
  }

  @Override
  public CompletableFuture<Void> putAll(Map<String, V> entries, Duration ttl) {
    Preconditions.requireNonNull(entries, "entries");
    Preconditions.requireTtl(ttl, "ttl");
    checkOpen();
    Map<String, byte[]> payloads = new LinkedHashMap<>();
    entries.forEach(
        (k, v) ->
            payloads.put(
                Preconditions.requireNonNull(k, "key in entries"),
                shared.codec.serialize(Preconditions.requireNonNull(v, "value in entries"))));
    if (payloads.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    long start = System.nanoTime();
    CompletableFuture<Void> result =
        withGeneration(
            gen -> {
              List<CompletableFuture<Void>> writes = new ArrayList<>();
              payloads.forEach((k, p) -> writes.add(write(gen, k, p, ttl)));
              return CompletableFuture.allOf(writes.toArray(new CompletableFuture<?>[0]));
            });
    return observe(RemoteOperation.PUT_ALL, start, result);
  }

  @Override
  public CompletableFuture<Void> invalidate(Collection<String> keys) {
    Preconditions.requireNonNull(keys, "keys");
    checkOpen();
    List<String> distinct = new ArrayList<>(new java.util.LinkedHashSet<>(keys));
    distinct.forEach(k -> Preconditions.requireNonNull(k, "key in keys"));
    if (distinct.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    long start = System.nanoTime();
    CompletableFuture<Void> result =
        withGeneration(
            gen -> {
              byte[][] rkb = new byte[distinct.size()][];
              for (int i = 0; i < rkb.length; i++) {
                rkb[i] = bytes(layout.entryKey(gen, distinct.get(i)));
              }
              return shared.connections.sumByConnection(rkb, (c, part) -> c.unlink(part))
                  .thenApply(n -> null);
            });
    return observe(RemoteOperation.INVALIDATE, start, result);
  }

  /**
   * Bumps the generation: the cache's for the untenanted view (every tenant's entries become
   * unreachable too), the tenant's own for a tenant view (other tenants keep theirs). Older entries are
   * removed in the background. The bump is sent after the calls made before it, and the calls made after
   * it wait for its answer, so they use the new generation even when it was not awaited.
   */
  @Override
  public CompletableFuture<Void> invalidateAll() {
    checkOpen();
    long start = System.nanoTime();
    String tenant = layout.tenant();
    // sent in order with the cache's waiting calls, and the calls made after it wait for its answer: a
    // put made after an unawaited invalidateAll is written under the new generation, not cleared by it
    IssueOrder waits = shared.generationWaits;
    CompletableFuture<Void> bumped =
        waits.after(
            () -> CompletableFuture.completedFuture(null),
            ignored ->
                tenant == null
                    ? shared.generations.bump().thenAccept(this::scheduleCleanup)
                    : shared.generations.tenants().bump(layout.tenantSegment()).thenAccept(this::scheduleTenantCleanup));
    waits.after(() -> bumped.handle((ok, error) -> null), ignored -> CompletableFuture.completedFuture(null));
    CompletableFuture<Void> result =
        bumped.exceptionallyCompose(
            error -> RedisErrors.classify(error) == RemoteErrorReason.OOM
                ? unlinkEverything(tenant == null)
                : CompletableFuture.failedFuture(error));
    return observe(RemoteOperation.INVALIDATE_ALL, start, result);
  }

  /**
   * Redis refused the new generation because it is out of memory ({@code OOM} under {@code
   * noeviction}): the clear is done by deleting this view's entries instead ({@code UNLINK} frees memory
   * and is allowed when Redis is full), so an {@code invalidateAll} still makes the older entries
   * unreadable without degrading anything. Slower than a generation bump (a {@code SCAN} of the cache's
   * keys), but only while Redis is full.
   */
  private CompletableFuture<Void> unlinkEverything(boolean wholeCache) {
    shared.instrumentation.recordRemoteError(RemoteOperation.INVALIDATE_ALL, RemoteErrorReason.OOM);
    log.warn("cache '{}': Redis is out of memory (OOM) and refused the new generation of an invalidateAll;"
        + " deleting the {} entries instead", shared.cacheName, wholeCache ? "cache's" : "tenant's");
    // the failed bump suspended reads from Redis; once nothing older is left, they may resume
    return wholeCache
        ? scanAndUnlink(layout.allEntriesPattern(), name -> true)
            .thenAccept(n -> shared.generations.resumeAfterEntriesDeleted())
        : scanAndUnlink(layout.tenantEntriesPattern(), layout::isEntryOfThisTenant)
            .thenAccept(n -> shared.generations.tenants().resumeAfterEntriesDeleted(layout.tenantSegment()));
  }

  /** Removes this tenant's entries of tenant generations below {@code generation}, in the background. */
  private void scheduleTenantCleanup(long generation) {
    try {
      shared.connections.maintenance().execute(
          () -> scanAndUnlink(
                  layout.tenantEntriesPattern(),
                  name -> layout.isEntryOfThisTenant(name) && layout.tenantGenerationOf(name) < generation)
              .whenComplete(
                  (n, error) -> {
                    if (error != null) {
                      log.debug("cache '{}': cleanup of a tenant's old generations failed: {}",
                          shared.cacheName, RedisErrors.classify(error).tagValue());
                    }
                  }));
    } catch (RuntimeException e) {
      log.debug("cache '{}': cleanup of a tenant's old generations not scheduled: {}", shared.cacheName,
          e.toString());
    }
  }

  @Override
  public CompletableFuture<Long> invalidateMatching(String glob) {
    Preconditions.requireNonNull(glob, "glob");
    checkOpen();
    if (!supportsPatternInvalidation()) {
      return CompletableFuture.failedFuture(
          new UnsupportedOperationException(
              "cache '" + shared.cacheName + "' hides key names: pattern invalidation is unavailable"));
    }
    long start = System.nanoTime();
    CompletableFuture<Long> result =
        withGeneration(gen -> scanAndUnlink(layout.matchPattern(gen, glob), k -> true));
    return observe(RemoteOperation.INVALIDATE, start, result);
  }

  @Override
  public boolean hidesKeyNames() {
    return layout.hidesNames();
  }

  @Override
  public String hiddenName(String tenantId, String key) {
    if (!layout.hidesNames()) {
      return null;
    }
    return (tenantId == null || tenantId.equals(layout.tenant()) ? layout : layout.forTenant(tenantId))
        .hiddenName(key);
  }

  @Override
  public boolean supportsPatternInvalidation() {
    return !layout.hidesNames();
  }

  // ---------------------------------------------------------------- background cleanup

  private void scheduleCleanup(long generation) {
    shared.cleanupRequested.accumulateAndGet(generation, Math::max);
    if (!shared.cleaning.compareAndSet(false, true)) {
      return;
    }
    try {
      shared.connections.maintenance().execute(this::runCleanup);
    } catch (RuntimeException e) {
      shared.cleaning.set(false);
    }
  }

  private void runCleanup() {
    long below = shared.cleanupRequested.get();
    scanAndUnlink(
            layout.allEntriesPattern(),
            name -> {
              long g = layout.generationOf(name);
              return g >= 0 && g < below;
            })
        .whenComplete(
            (n, error) -> {
              shared.cleaning.set(false);
              if (error != null) {
                log.debug("cache '{}': cleanup of old generations failed: {}", shared.cacheName,
                    RedisErrors.classify(error).tagValue());
              } else if (n > 0) {
                log.debug("cache '{}': removed {} entries of old generations", shared.cacheName, n);
              }
              if (error == null && shared.cleanupRequested.get() > below && !shared.closed.get()) {
                scheduleCleanup(shared.cleanupRequested.get());
              }
            });
  }

  /**
   * SCANs {@code pattern} (on every master of a cluster) and UNLINKs the keys {@code filter} accepts, one
   * batch per SCAN page. Never {@code KEYS}.
   */
  CompletableFuture<Long> scanAndUnlink(String pattern, java.util.function.Predicate<String> filter) {
    ScanArgs args = ScanArgs.Builder.matches(pattern).limit(1000);
    return shared.connections.commands()
        .thenCompose(c -> scanPage(c, c.scan(args), args, filter, 0L));
  }

  private CompletableFuture<Long> scanPage(
      RedisClusterAsyncCommands<byte[], byte[]> c, RedisFuture<KeyScanCursor<byte[]>> page,
      ScanArgs args, java.util.function.Predicate<String> filter, long removed) {
    return page.toCompletableFuture()
        .thenCompose(
            cursor -> {
              List<byte[]> doomed = new ArrayList<>();
              for (byte[] k : cursor.getKeys()) {
                if (filter.test(string(k))) {
                  doomed.add(k);
                }
              }
              CompletableFuture<Long> unlinked =
                  doomed.isEmpty()
                      ? CompletableFuture.completedFuture(0L)
                      : shared.connections.sumByConnection(
                          doomed.toArray(new byte[0][]), (any, part) -> any.unlink(part));
              return unlinked.thenCompose(
                  n -> {
                    long total = removed + (n == null ? 0 : n);
                    if (cursor.isFinished() || shared.closed.get()) {
                      return CompletableFuture.completedFuture(total);
                    }
                    return scanPage(c, c.scan((ScanCursor) cursor, args), args, filter, total);
                  });
            });
  }

  // ---------------------------------------------------------------- views and collaborators

  @Override
  public RemoteTier<V> forTenant(String tenantId) {
    checkOpen();
    Preconditions.requireState(
        layout.tenant() == null,
        "cache '" + shared.cacheName + "' is already scoped to a tenant; scope the root view instead");
    return new LettuceRedisTier<>(shared, layout.forTenant(tenantId), false);
  }

  @Override
  public String announcedTenantId(String tenantId) {
    return layout.announcedTenant(Preconditions.requireTenantId(tenantId));
  }

  /**
   * The tenant view of a cache built for one tenant: it owns the shared state, so closing it stops
   * everything the cache scheduled.
   */
  LettuceRedisTier<V> owningTenantView(String tenantId) {
    return new LettuceRedisTier<>(shared, layout.forTenant(tenantId), true);
  }

  @Override
  public InvalidationBus invalidationBus() {
    checkOpen();
    LettuceInvalidationBus bus = shared.bus;
    if (bus == null) {
      synchronized (shared) {
        bus = shared.bus;
        if (bus == null) {
          bus = new LettuceInvalidationBus(shared.connections, layout.channel(), shared.cacheName);
          shared.bus = bus;
        }
      }
    }
    return bus;
  }

  @Override
  public LeaseLock leaseLock() {
    checkOpen();
    return new LettuceLeaseLock(shared.connections, shared.cacheName, layout);
  }

  /**
   * Re-reads the cache's generation and every tracked tenant's (another instance may have bumped them);
   * a tenant view re-reads its own tenant's, and its operations wait for that reply meanwhile.
   */
  @Override
  public CompletableFuture<Void> resynchronize() {
    if (layout.tenant() == null) {
      return shared.generations.refreshAllNow();
    }
    return CompletableFuture.allOf(
        shared.generations.refreshNow(), shared.generations.tenants().reread(layout.tenantSegment()));
  }

  /** This view's counters (its tenant's key layout), created on first use. */
  @Override
  public java.util.Optional<dev.cachet.Counters<String>> counters() {
    checkOpen();
    RedisCounters c = counters;
    if (c == null) {
      synchronized (this) {
        c = counters;
        if (c == null) {
          c = new RedisCounters(this);
          counters = c;
        }
      }
    }
    return java.util.Optional.of(c);
  }

  /** Throws {@code IllegalStateException} once this view or the shared state is closed. */
  void requireOpen() {
    checkOpen();
  }

  /** {@code localMillis} of this instance's clock in the Redis server's time. */
  long serverTimeOf(long localMillis) {
    return serverTime(localMillis);
  }

  @Override
  public java.util.Optional<Duration> commandTimeout() {
    return java.util.Optional.of(shared.connections.commandTimeout());
  }

  @Override
  public AutoCloseable onReconnected(Runnable listener) {
    return shared.connections.onReconnected(listener);
  }

  @Override
  public CacheHealth health() {
    if (shared.closed.get()) {
      return CacheHealth.newBuilder(CacheHealth.Status.DOWN).tier(Tier.REDIS, CacheHealth.Status.DOWN)
          .detail("redis.closed", true).build();
    }
    boolean connected = shared.connections.isConnected();
    boolean suspended = shared.generations.isSuspended();
    CacheHealth.Status status =
        !connected ? CacheHealth.Status.DOWN : suspended ? CacheHealth.Status.DEGRADED : CacheHealth.Status.UP;
    CacheHealth.Builder b =
        CacheHealth.newBuilder(status)
            .tier(Tier.REDIS, status)
            .detail("redis.mode", shared.connections.mode().name().toLowerCase(java.util.Locale.ROOT))
            .detail("redis.target", shared.connections.target())
            .detail("redis.connected", connected)
            .detail("redis.format", shared.codec.format().name().toLowerCase(java.util.Locale.ROOT))
            .detail("encryption.keyId", shared.codec.ring().primaryKeyId());
    if (suspended) {
      b.detail("redis.suspended", "invalidateAll could not write a new generation; reads skip Redis");
    }
    String failure = shared.connections.lastConnectFailure();
    if (failure != null) {
      b.detail("redis.lastConnectFailure", failure);
      b.detail("redis.lastConnectFailure.reason", shared.connections.lastConnectFailureReason());
    }
    if (shared.legacyPrefix != null) {
      b.detail("redis.legacyMigrations", shared.legacyMigrations.sum());
    }
    return b.build();
  }

  /** Entries rewritten from the legacy plaintext prefix. */
  long legacyMigrationCount() {
    return shared.legacyMigrations.sum();
  }

  /** Unreadable entries deleted by compare-and-delete. */
  long badEntriesDeletedCount() {
    return shared.badEntriesDeleted.sum();
  }

  /** Whether this view or the shared state still has anything scheduled (a lifecycle-test seam). */
  boolean hasScheduledWork() {
    return shared.generations.isRefreshScheduled() || shared.cleaning.get();
  }

  @Override
  public void close() {
    if (!viewClosed.compareAndSet(false, true)) {
      return;
    }
    if (!ownsShared) {
      return; // a forTenant view acquired nothing of its own; the root's resources stay
    }
    if (!shared.closed.compareAndSet(false, true)) {
      return;
    }
    shared.generations.stop();
    LettuceInvalidationBus bus = shared.bus;
    if (bus != null) {
      bus.close();
    }
    if (shared.ownsConnections) {
      shared.connections.close();
    }
  }

  @Override
  public String toString() {
    return "LettuceRedisTier{" + shared.cacheName + ", " + layout + ", " + shared.connections + '}';
  }

  // ---------------------------------------------------------------- issue 19: contains, removeIfSame

  /**
   * One {@code GET} whose token is verified ({@link ValueCodec#verify}: authentication, key binding,
   * expiry) but never deserialized. An entry that fails verification counts and is deleted exactly as
   * {@link #get} would; another Redis type at the key is a miss. A legacy entry under migration is read
   * (and migrated) through {@link #get}'s path.
   */
  @Override
  public CompletableFuture<Boolean> contains(String key) {
    Preconditions.requireNonNull(key, "key");
    checkOpen();
    long start = System.nanoTime();
    CompletableFuture<Boolean> result =
        withGeneration(
            gen -> {
              if (suspended()) {
                return CompletableFuture.completedFuture(Boolean.FALSE);
              }
              String rk = layout.entryKey(gen, key);
              byte[] rkb = bytes(rk);
              return shared.connections.onKey(rkb, c -> getOrWrongType(c, rkb))
                  .thenComposeAsync(
                      token -> {
                        if (token == null) {
                          return migrate(key, gen, decodeExecutor()).thenApply(java.util.Objects::nonNull);
                        }
                        if (token == WRONG_TYPE) {
                          return CompletableFuture.completedFuture(wrongType(rk) != null);
                        }
                        return CompletableFuture.completedFuture(verified(rk, token));
                      },
                      decodeExecutor());
            });
    return observe(RemoteOperation.GET, start, result);
  }

  /** Whether {@code token} verifies; a failure is counted, logged and deleted as {@link #open} does. */
  private boolean verified(String redisKey, byte[] token) {
    long now = shared.clock.millis();
    long offset = shared.generations.serverTimeOffsetMillis();
    DecryptionFailureReason failure =
        shared.codec.verify(redisKey, token, now + offset - RedisCacheBuilder.EXPIRY_SKEW_ALLOWANCE_MILLIS);
    if (failure == null) {
      return true;
    }
    badEntry(failure, now);
    if (shared.deleteBadEntries && failure != DecryptionFailureReason.UNSUPPORTED_FORMAT) {
      compareAndDelete(bytes(redisKey), token)
          .whenComplete(
              (deleted, error) -> {
                if (error == null && deleted) {
                  shared.badEntriesDeleted.increment();
                }
              });
    }
    return false;
  }

  /**
   * Compare-and-delete of the current generation's entry against the exact token {@code expected} was
   * read from (one-key Lua script). An entry without a token never matches.
   */
  @Override
  public CompletableFuture<Boolean> removeIfSame(String key, RemoteEntry<V> expected) {
    Preconditions.requireNonNull(key, "key");
    Preconditions.requireNonNull(expected, "expected");
    checkOpen();
    byte[] expectedToken = expected.token();
    if (expectedToken == null) {
      return CompletableFuture.completedFuture(Boolean.FALSE);
    }
    long start = System.nanoTime();
    CompletableFuture<Boolean> result =
        withGeneration(gen -> compareAndDelete(bytes(layout.entryKey(gen, key)), expectedToken));
    return observe(RemoteOperation.INVALIDATE, start, result);
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * Runs {@code action} with this view's generation segment: the cache's generation, and for a tenant
   * view {@code .} and the tenant's generation. When a generation is not known yet (the first read, a
   * tenant's re-read, one being replaced by {@link #invalidateAll}), the call waits for it in {@link
   * Shared#generationWaits}, behind the calls that waited before it: calls of one thread send their
   * commands in the order they were made. The queue is the cache's (every view's), so while one
   * generation is read or bumped all of the cache's calls wait behind it: one round trip, at start, on
   * an {@code invalidateAll} and on a tenant view's {@link #resynchronize}.
   */
  private <T> CompletableFuture<T> withGeneration(Function<String, CompletableFuture<T>> action) {
    IssueOrder waits = shared.generationWaits;
    if (waits.idle()) {
      String segment = knownSegment();
      if (segment != null) {
        try {
          return action.apply(segment); // the steady state: no future to wait for
        } catch (RuntimeException e) {
          return CompletableFuture.failedFuture(e); // as thenCompose would have completed it
        }
      }
    }
    return waits.after(this::segment, action);
  }

  /** This view's generation segment if every generation in it is known, else null. */
  private String knownSegment() {
    long known = shared.generations.known();
    if (known < 0) {
      return null;
    }
    String tenant = layout.tenant();
    if (tenant == null) {
      return generationSegment(known);
    }
    long t = shared.generations.tenants().known(layout.tenantSegment());
    return t < 0 ? null : known + "." + t;
  }

  /** This view's generation segment, reading the generations that are not known yet. */
  private CompletableFuture<String> segment() {
    CompletableFuture<Long> cache = shared.generations.current();
    if (layout.tenant() == null) {
      return cache.thenApply(this::generationSegment);
    }
    return cache.thenCombine(
        shared.generations.tenants().current(layout.tenantSegment()), (g, t) -> g + "." + t);
  }

  private volatile GenerationSegment lastSegment = new GenerationSegment(-1, "-1");

  /** A generation and its decimal string, cached: the generation changes only on invalidateAll. */
  private static final class GenerationSegment {
    final long generation;
    final String segment;

    GenerationSegment(long generation, String segment) {
      this.generation = generation;
      this.segment = segment;
    }
  }

  private String generationSegment(long generation) {
    GenerationSegment last = lastSegment;
    if (last.generation != generation) {
      last = new GenerationSegment(generation, Long.toString(generation));
      lastSegment = last;
    }
    return last.segment;
  }

  /** This view's current generation segment (see {@link #withGeneration}); counters key by it. */
  CompletableFuture<String> currentGeneration() {
    return withGeneration(CompletableFuture::completedFuture);
  }

  /** Whether a bump of the cache's (or this tenant's) generation failed and is not yet written. */
  boolean generationSuspended() {
    return suspended();
  }

  /** Whether reads of this view skip Redis: a bump of the cache's (or this tenant's) generation failed. */
  private boolean suspended() {
    String tenant = layout.tenant();
    return shared.generations.isSuspended()
        || (tenant != null && shared.generations.tenants().isSuspended(layout.tenantSegment()));
  }

  /** Times the operation and turns failures into classified, counted {@code RemoteTierException}s. */
  <T> CompletableFuture<T> observe(
      RemoteOperation operation, long start, CompletableFuture<T> future) {
    CompletableFuture<T> result = new CompletableFuture<>();
    future.whenComplete(
        (value, error) -> {
          long nanos = System.nanoTime() - start;
          if (error == null) {
            shared.instrumentation.recordRemoteOperation(operation, nanos, true);
            result.complete(value);
            return;
          }
          Throwable cause = RedisErrors.unwrap(error);
          shared.connections.onCommandFailure(cause);
          shared.instrumentation.recordRemoteOperation(operation, nanos, false);
          if (cause instanceof IllegalArgumentException
              || cause instanceof IllegalStateException
              || cause instanceof UnsupportedOperationException
              || cause instanceof dev.cachet.serialization.SerializationException) {
            result.completeExceptionally(cause);
            return;
          }
          var wrapped = RedisErrors.wrap(shared.cacheName, operation, cause);
          shared.instrumentation.recordRemoteError(
              operation, dev.cachet.spi.RemoteErrorReason.valueOf(wrapped.reason().name()));
          result.completeExceptionally(wrapped);
        });
    return result;
  }
}
