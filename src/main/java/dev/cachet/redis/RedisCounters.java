package dev.cachet.redis;

import dev.cachet.CacheUnavailableException;
import dev.cachet.CounterContentionException;
import dev.cachet.CounterOutcomeUnknownException;
import dev.cachet.Counters;
import dev.cachet.Tier;
import dev.cachet.crypto.ValueDecryptionException;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.Preconditions;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.spi.RemoteTierException;
import io.lettuce.core.ScriptOutputType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sealed atomic counters of one Redis tier view (the view's key layout, the cache's key ring), keyed by
 * encoded keys. Thread-safe; holds no per-key state.
 *
 * <p><b>The sealed counter.</b> A counter is a Fernet token under {@link RedisKeyLayout#counterKey}
 * whose plaintext is (all integers big-endian):
 *
 * <pre>
 *   offset  size   field
 *   0       1      format: 0xC2 (never an entry's 0xC1, never the first byte of JSON)
 *   1       1      flags: 0
 *   2       8      expiry, the Redis server's epoch milliseconds (the key's PXAT is the same instant)
 *   10      16     first 16 bytes of SHA-256 over the full Redis key (binding, as for entries)
 *   26      1      n, the number of operation ids that follow (at most {@link #HISTORY})
 *   27      8      value (signed)
 *   35      16     epoch: a unique id chosen when the counter was created
 *   51      8      version: changes applied since the counter was created (0 at creation)
 *   59      16*n   ids of the changes at versions version, version-1, ..., newest first
 * </pre>
 *
 * <p><b>A change</b> reads the counter ({@code GET}, decrypt), computes the next plaintext (version + 1,
 * its own operation id first in the list), seals it and writes it with {@link
 * LuaScripts#COUNTER_COMPARE_AND_SET} against the exact token it read, with {@code PXAT} the sealed
 * expiry. An absent (or unreadable) counter is first created as a zero counter by the same script (a
 * harmless write: a zero counter and no counter read alike), so that every change is a compare-and-set
 * against a token, never against "absent", which can recur.
 *
 * <p><b>At most once.</b> Every write of a change is an <em>attempt</em> with the change's one
 * operation id. An attempt made against the token of version {@code b} of epoch {@code e} can only ever
 * land as version {@code b + 1} of epoch {@code e}: tokens are never repeated (Fernet's random IV), so
 * once the counter holds another token the attempt can never apply, however late a lost or replayed
 * command reaches Redis. A {@code 0} reply while no channel closed ({@link
 * RedisConnections#channelsClosed()}) is final: the script ran once and refused. Any other reply (a
 * {@code 0} that may be a replay's after Lettuce reconnected, a timeout, a dropped connection) leaves
 * the attempt <em>pending</em> until a read made at once decides it:
 *
 * <ul>
 *   <li>the operation id is among the remembered ids: applied (the change succeeds, once);
 *   <li>the counter still holds the attempt's token: not applied yet, and any new attempt has the same
 *       base, so at most one of them can land;
 *   <li>same epoch, and version {@code b + 1} is still remembered with another id (or the version is still
 *       {@code b} under another token, as after a key rotation): never applied and never will be;
 *   <li>anything else (more than {@link #HISTORY} changes since, another epoch, the counter gone):
 *       unknown, and the change ends with {@link CounterOutcomeUnknownException}, never a second attempt.
 * </ul>
 *
 * <p>A change makes at most {@link #MAX_ATTEMPTS} writes, with full-jitter exponential back-off between
 * them; a change that ran out of attempts ends with a final read that decides its pending attempts, then
 * {@link CounterOutcomeUnknownException} if any remains undecided, else {@link
 * CounterContentionException} (or the last Redis failure).
 */
final class RedisCounters implements Counters<String> {

  /** Operation ids remembered in a counter. */
  static final int HISTORY = 32;
  /** Compare-and-set writes one change may make. */
  static final int MAX_ATTEMPTS = 16;
  /**
   * How long a read is retried after transient failures (a reconnect after a dropped connection), in
   * command timeouts.
   */
  static final int READ_RETRY_COMMAND_TIMEOUTS = 2;
  /** The first back-off bound; doubles per attempt up to {@link #BACKOFF_CAP_MICROS}. */
  static final long BACKOFF_BASE_MICROS = 200;
  static final long BACKOFF_CAP_MICROS = 25_000;

  static final byte COUNTER_FORMAT = (byte) 0xC2;
  static final int ID_BYTES = 16;
  static final int FIXED = 59;

  private static final byte[] ABSENT = new byte[0];

  private static final Long APPLIED = 1L;
  private static final Long REFUSED = 0L;
  private static final Long REFUSED_MAYBE_REPLAYED = -1L;

  /** Seams for deterministic tests; no-ops in production. */
  interface Hooks {
    /** Before the compare-and-set of a change (not of a zero counter's creation). */
    default void beforeWrite(String key, int attempt) {}

    /** Before a read that decides pending attempts. */
    default void beforeResolvingRead(String key, int pendingAttempts) {}
  }

  private static final Hooks NO_HOOKS = new Hooks() {};

  private final LettuceRedisTier<?> tier;
  private final LettuceRedisTier.Shared<?> shared;
  private final CacheInstrumentation instrumentation;
  private final String cacheName;
  private final long instanceId;
  private final AtomicLong sequence = new AtomicLong();
  private final long awaitMillis;
  private final long readRetryNanos;
  private volatile Hooks hooks = NO_HOOKS;
  private final java.util.concurrent.atomic.LongAdder recognised = new java.util.concurrent.atomic.LongAdder();

  RedisCounters(LettuceRedisTier<?> tier) {
    this.tier = tier;
    this.shared = tier.shared();
    this.instrumentation = shared.instrumentation;
    this.cacheName = shared.cacheName;
    this.instanceId = new SecureRandom().nextLong();
    // commands carry Lettuce's own timeout; this only guards against a future that never completes
    this.awaitMillis = shared.connections.commandTimeout().toMillis() + 1_000;
    this.readRetryNanos = shared.connections.commandTimeout().toNanos() * READ_RETRY_COMMAND_TIMEOUTS;
  }

  /** Changes whose write reply was lost or replayed and that a later read found applied (tests). */
  long recognisedCount() {
    return recognised.sum();
  }

  void hooks(Hooks value) {
    hooks = value == null ? NO_HOOKS : value;
  }

  // ---------------------------------------------------------------- Counters

  @Override
  public long get(String key) {
    Preconditions.requireNonNull(key, "key");
    return readRetrying(target(key), null).value;
  }

  @Override
  public long incrementBy(String key, long delta) {
    Preconditions.requireNonNull(key, "key");
    return change(key, shared.defaultTtl, current -> {
      long next = Math.addExact(current.value, delta);
      return new Decision<>(next, current.expiresAt, next);
    });
  }

  @Override
  public boolean compareAndSet(String key, long expected, long update) {
    Preconditions.requireNonNull(key, "key");
    return change(key, shared.defaultTtl, current ->
        current.value == expected
            ? new Decision<>(update, current.expiresAt, Boolean.TRUE)
            : Decision.noChange(Boolean.FALSE));
  }

  @Override
  public void reset(String key, long value, Duration ttl) {
    Preconditions.requireNonNull(key, "key");
    Preconditions.requireTtl(ttl, "ttl");
    long ttlMillis = Math.max(1, ttl.toMillis());
    change(key, ttl, current -> new Decision<>(value, serverNow() + ttlMillis, Boolean.TRUE));
  }

  // ---------------------------------------------------------------- the change loop

  /** What a change makes of the current counter: its next value and expiry, and the caller's result. */
  static final class Decision<R> {
    final boolean write;
    final long value;
    final long expiresAt;
    final R result;

    Decision(long value, long expiresAt, R result) {
      this(true, value, expiresAt, result);
    }

    private Decision(boolean write, long value, long expiresAt, R result) {
      this.write = write;
      this.value = value;
      this.expiresAt = expiresAt;
      this.result = result;
    }

    static <R> Decision<R> noChange(R result) {
      return new Decision<>(false, 0, 0, result);
    }
  }

  interface Operation<R> {
    Decision<R> decide(State current);
  }

  /** A write of a change that may still land or may have landed: its base and the result it carries. */
  private static final class Attempt<R> {
    final byte[] epoch;
    final long baseVersion;
    final byte[] baseToken;
    final R result;

    Attempt(State base, R result) {
      this.epoch = base.epoch;
      this.baseVersion = base.version;
      this.baseToken = base.token;
      this.result = result;
    }
  }

  /** The outcome of deciding pending attempts against a fresh read. */
  private enum Verdict { APPLIED, LIVE, DEAD, UNKNOWN }

  private <R> R change(String key, Duration createTtl, Operation<R> operation) {
    Target target = target(key);
    byte[] opId = nextId();
    List<Attempt<R>> pending = new ArrayList<>(2);
    State current = null;
    RemoteTierException lastFailure = null;
    Hooks h = hooks;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (current == null) {
        if (!pending.isEmpty()) {
          h.beforeResolvingRead(key, pending.size());
        }
        try {
          current = readRetrying(target, pending);
        } catch (RemoteTierException e) {
          lastFailure = e;
          break;
        }
        R applied = settle(current, pending, opId, key);
        if (applied != null) {
          return applied;
        }
      }
      if (current.token == ABSENT || current.unreadable) {
        // (no attempt is pending here: an absent or unreadable counter leaves none undecided)
        Decision<R> onZero = operation.decide(State.zero(null, 0));
        if (!onZero.write) {
          return onZero.result; // e.g. compareAndSet(key, 5, ...) on an absent counter: nothing to create
        }
        // create a zero counter first: every change is then a compare-and-set against a token
        long expiresAt = serverNow() + Math.max(1, createTtl.toMillis());
        State zero = State.zero(nextId(), expiresAt);
        byte[] token = seal(target.redisKey, zero);
        Object outcome = compareAndSet(target, current.token, token, expiresAt);
        if (outcome == APPLIED) {
          current = zero.withToken(token);
        } else {
          if (outcome instanceof RemoteTierException) {
            lastFailure = (RemoteTierException) outcome;
          } else {
            lastFailure = null;
            instrumentation.recordCounterConflict();
          }
          current = null;
          backOff(attempt, pending);
        }
        continue;
      }
      Decision<R> decision = operation.decide(current);
      if (!decision.write) {
        return decision.result; // no pending attempt can land: they were all decided against this read
      }
      State next = current.next(decision.value, decision.expiresAt, opId);
      byte[] token = seal(target.redisKey, next);
      h.beforeWrite(key, attempt);
      Object outcome = compareAndSet(target, current.token, token, decision.expiresAt);
      if (outcome == APPLIED) {
        return decision.result;
      }
      boolean neverApplied =
          outcome == REFUSED // the only run of the script refused it
              || (outcome instanceof RemoteTierException
                  && ((RemoteTierException) outcome).reason() == RemoteErrorReason.REJECTED); // never sent
      if (!neverApplied) {
        pending.add(new Attempt<>(current, decision.result));
      }
      if (outcome instanceof RemoteTierException) {
        lastFailure = (RemoteTierException) outcome;
      } else {
        lastFailure = null;
        instrumentation.recordCounterConflict();
      }
      // Decide the attempt at once, before backing off: while this caller sleeps, other writers may
      // push its landing version out of the remembered ids, and then nobody could tell.
      if (!pending.isEmpty()) {
        h.beforeResolvingRead(key, pending.size());
        try {
          R applied = settle(readRetrying(target, pending), pending, opId, key);
          if (applied != null) {
            return applied;
          }
        } catch (RemoteTierException e) {
          lastFailure = e;
          break;
        }
      }
      current = null;
      backOff(attempt, pending);
    }
    // out of attempts: one last read decides what is still pending
    if (!pending.isEmpty()) {
      h.beforeResolvingRead(key, pending.size());
      boolean unread = false;
      try {
        R applied = settle(readRetrying(target, pending), pending, opId, key);
        if (applied != null) {
          return applied;
        }
      } catch (RemoteTierException e) {
        lastFailure = e;
        unread = true;
      }
      if (!pending.isEmpty()) {
        throw unknown(
            key,
            unread
                ? "Redis could not be read to find out"
                : "an attempt may still land after " + MAX_ATTEMPTS + " attempts",
            lastFailure);
      }
    }
    if (lastFailure != null) {
      throw lastFailure; // Redis failed last; nothing was applied
    }
    throw new CounterContentionException(
        cacheName, MAX_ATTEMPTS,
        "cache '" + cacheName + "': a counter change lost all " + MAX_ATTEMPTS + " compare-and-set"
            + " attempts to concurrent writers; nothing was applied (retry later, or spread the load"
            + " over more keys)");
  }

  /**
   * Decides {@code pending} against {@code current}: returns the result of the attempt that applied,
   * or null after dropping the attempts that never will; throws when one cannot be decided.
   */
  private <R> R settle(State current, List<Attempt<R>> pending, byte[] opId, String key) {
    if (pending.isEmpty()) {
      return null;
    }
    if (current.token != ABSENT && !current.unreadable) {
      int index = current.indexOf(opId);
      if (index >= 0) {
        long landed = current.version - index;
        for (Attempt<R> a : pending) {
          if (a.baseVersion + 1 == landed && Arrays.equals(a.epoch, current.epoch)) {
            recognised.increment();
            return a.result;
          }
        }
        // found but not from a pending attempt: impossible, as every write is recorded first
        throw unknown(key, "its id was found at an unexpected version", null);
      }
    }
    List<Attempt<R>> live = new ArrayList<>(pending.size());
    for (Attempt<R> a : pending) {
      Verdict v = verdict(current, a);
      if (v == Verdict.UNKNOWN) {
        throw unknown(key, describeUnknown(current, a), null);
      }
      if (v == Verdict.LIVE) {
        live.add(a);
      }
    }
    pending.clear();
    pending.addAll(live);
    return null;
  }

  private static Verdict verdict(State current, Attempt<?> a) {
    if (current.token == ABSENT || current.unreadable || !Arrays.equals(current.epoch, a.epoch)) {
      return Verdict.UNKNOWN;
    }
    if (Arrays.equals(current.token, a.baseToken)) {
      return Verdict.LIVE;
    }
    if (current.version == a.baseVersion) {
      return Verdict.DEAD; // same version under another token (re-encrypted): the base token is gone
    }
    if (current.version < a.baseVersion) {
      return Verdict.UNKNOWN;
    }
    long landing = a.baseVersion + 1;
    long index = current.version - landing;
    // the id at the landing version is not ours (the caller looked for ours first)
    return index < current.ids.length ? Verdict.DEAD : Verdict.UNKNOWN;
  }

  private static String describeUnknown(State current, Attempt<?> a) {
    if (current.token == ABSENT) {
      return "the counter expired or was removed meanwhile";
    }
    if (current.unreadable || !Arrays.equals(current.epoch, a.epoch)) {
      return "the counter was replaced meanwhile";
    }
    return "more than " + HISTORY + " changes happened meanwhile";
  }

  private CounterOutcomeUnknownException unknown(String key, String why, Throwable cause) {
    instrumentation.recordCounterUnknownOutcome();
    return new CounterOutcomeUnknownException(
        cacheName,
        "cache '" + cacheName + "': a counter change may or may not have been applied (a reply was lost"
            + " and " + why + "); it was applied at most once, so do not repeat it blindly",
        cause);
  }

  /** Full-jitter exponential back-off; an interrupt ends the change. */
  private void backOff(int attempt, List<?> pending) {
    long bound = Math.min(BACKOFF_CAP_MICROS, BACKOFF_BASE_MICROS << Math.min(attempt - 1, 20));
    long micros = ThreadLocalRandom.current().nextLong(bound + 1);
    try {
      TimeUnit.MICROSECONDS.sleep(micros);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (pending != null && !pending.isEmpty()) {
        throw unknown("", "the thread was interrupted before it could find out", e);
      }
      throw new CacheUnavailableException(
          cacheName, Tier.REDIS, "cache '" + cacheName + "': interrupted during a counter call", e);
    }
  }

  // ---------------------------------------------------------------- Redis

  /** The counter's Redis key in the generation current when the call began (one key per call). */
  private static final class Target {
    final String redisKey;
    final byte[] redisKeyBytes;

    Target(String redisKey) {
      this.redisKey = redisKey;
      this.redisKeyBytes = LettuceRedisTier.bytes(redisKey);
    }
  }

  private Target target(String key) {
    tier.requireOpen();
    String generation = await(tier.currentGeneration(), RemoteOperation.GET);
    if (tier.generationSuspended()) {
      throw new RemoteTierException(
          cacheName, RemoteOperation.GET, RemoteErrorReason.SERVER_BUSY,
          "cache '" + cacheName + "': counters are unavailable while invalidateAll cannot write a new"
              + " generation",
          null);
    }
    return new Target(tier.layout().counterKey(generation, key));
  }

  /**
   * Reads, retrying transient failures (a connection being re-established: commands are rejected until
   * it is) with jittered back-off for up to {@link #READ_RETRY_COMMAND_TIMEOUTS} command timeouts.
   */
  private State readRetrying(Target target, List<?> pending) {
    long deadline = System.nanoTime() + readRetryNanos;
    for (int attempt = 1; ; attempt++) {
      try {
        return read(target);
      } catch (RemoteTierException e) {
        if (!e.isTransient() || System.nanoTime() - deadline > 0) {
          throw e;
        }
        backOff(Math.min(attempt, 8), pending);
      }
    }
  }

  private State read(Target target) {
    long start = System.nanoTime();
    CompletableFuture<byte[]> token =
        tier.observe(
            RemoteOperation.GET, start,
            shared.connections.onKey(
                target.redisKeyBytes, c -> c.get(target.redisKeyBytes).toCompletableFuture()));
    return open(target.redisKey, await(token, RemoteOperation.GET));
  }

  /**
   * {@link #APPLIED}, {@link #REFUSED} (not applied, for sure), {@link #REFUSED_MAYBE_REPLAYED} (the
   * reply may be a replay's, after an earlier run applied), or the {@link RemoteTierException} it
   * failed with.
   */
  private Object compareAndSet(Target target, byte[] expected, byte[] token, long expiresAt) {
    instrumentation.recordCounterAttempt();
    long closedBefore = shared.connections.channelsClosed();
    byte[][] keys = {target.redisKeyBytes};
    byte[] pxat = Long.toString(expiresAt).getBytes(StandardCharsets.US_ASCII);
    long start = System.nanoTime();
    CompletableFuture<Long> reply =
        tier.observe(
            RemoteOperation.PUT, start,
            shared.connections.onKey(target.redisKeyBytes, c ->
                        c.<Long>eval(
                                LuaScripts.COUNTER_COMPARE_AND_SET, ScriptOutputType.INTEGER, keys,
                                expected, token, pxat)
                            .toCompletableFuture()));
    try {
      Long n = await(reply, RemoteOperation.PUT);
      if (n != null && n > 0) {
        return APPLIED;
      }
      // a refusal is that of the only run of the script unless a channel closed meanwhile (Lettuce
      // replays unanswered commands after reconnecting, and an earlier run may have applied)
      return closedBefore >= 0 && shared.connections.channelsClosed() == closedBefore
          ? REFUSED
          : REFUSED_MAYBE_REPLAYED;
    } catch (RemoteTierException e) {
      return e;
    }
  }

  private <T> T await(CompletableFuture<T> future, RemoteOperation operation) {
    try {
      return future.get(awaitMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw RedisErrors.wrap(cacheName, operation, e);
    } catch (ExecutionException e) {
      Throwable cause = RedisErrors.unwrap(e);
      if (cause instanceof RemoteTierException
          || cause instanceof IllegalStateException
          || cause instanceof IllegalArgumentException) {
        throw (RuntimeException) cause; // classified already, or the tier is closed
      }
      throw RedisErrors.wrap(cacheName, operation, cause);
    } catch (TimeoutException e) {
      throw RedisErrors.wrap(cacheName, operation, e);
    }
  }

  private long serverNow() {
    return tier.serverTimeOf(shared.clock.millis());
  }

  private byte[] nextId() {
    return ByteBuffer.allocate(ID_BYTES).putLong(instanceId).putLong(sequence.incrementAndGet()).array();
  }

  // ---------------------------------------------------------------- the sealed counter

  /** One read of a counter: absent, unreadable (a token that could not be opened), or its fields. */
  static final class State {
    final byte[] token;
    final boolean unreadable;
    final long value;
    final long expiresAt;
    final byte[] epoch;
    final long version;
    final byte[][] ids;

    private State(
        byte[] token, boolean unreadable, long value, long expiresAt, byte[] epoch, long version,
        byte[][] ids) {
      this.token = token;
      this.unreadable = unreadable;
      this.value = value;
      this.expiresAt = expiresAt;
      this.epoch = epoch;
      this.version = version;
      this.ids = ids;
    }

    static State absent() {
      return new State(ABSENT, false, 0, 0, null, 0, new byte[0][]);
    }

    static State unreadable(byte[] token) {
      return new State(token, true, 0, 0, null, 0, new byte[0][]);
    }

    static State zero(byte[] epoch, long expiresAt) {
      return new State(null, false, 0, expiresAt, epoch, 0, new byte[0][]);
    }

    State withToken(byte[] sealed) {
      return new State(sealed, false, value, expiresAt, epoch, version, ids);
    }

    /** The state after one change: version + 1, {@code opId} remembered first. */
    State next(long nextValue, long nextExpiresAt, byte[] opId) {
      int n = Math.min(HISTORY, ids.length + 1);
      byte[][] nextIds = new byte[n][];
      nextIds[0] = opId;
      System.arraycopy(ids, 0, nextIds, 1, n - 1);
      return new State(null, false, nextValue, nextExpiresAt, epoch, version + 1, nextIds);
    }

    int indexOf(byte[] opId) {
      for (int i = 0; i < ids.length; i++) {
        if (Arrays.equals(ids[i], opId)) {
          return i;
        }
      }
      return -1;
    }

    byte[] plaintext(String redisKey) {
      ByteBuffer b = ByteBuffer.allocate(FIXED + ids.length * ID_BYTES);
      b.put(COUNTER_FORMAT).put((byte) 0).putLong(expiresAt).put(ValueCodec.keyDigest(redisKey));
      b.put((byte) ids.length).putLong(value).put(epoch).putLong(version);
      for (byte[] id : ids) {
        b.put(id);
      }
      return b.array();
    }

    /** Parses a plaintext; null when it is not a counter of {@code redisKey}. */
    static State parse(String redisKey, byte[] token, byte[] p) {
      if (p.length < FIXED || p[0] != COUNTER_FORMAT || p[1] != 0) {
        return null;
      }
      ByteBuffer b = ByteBuffer.wrap(p);
      long expiresAt = b.getLong(2);
      byte[] digest = new byte[ValueCodec.DIGEST_BYTES];
      b.position(10);
      b.get(digest);
      if (!MessageDigest.isEqual(digest, ValueCodec.keyDigest(redisKey))) {
        return null;
      }
      int n = b.get() & 0xff;
      if (n > HISTORY || p.length != FIXED + n * ID_BYTES) {
        return null;
      }
      long value = b.getLong();
      byte[] epoch = new byte[ID_BYTES];
      b.get(epoch);
      long version = b.getLong();
      byte[][] ids = new byte[n][ID_BYTES];
      for (int i = 0; i < n; i++) {
        b.get(ids[i]);
      }
      return new State(token, false, value, expiresAt, epoch, version, ids);
    }
  }

  private byte[] seal(String redisKey, State state) {
    byte[] plaintext = state.plaintext(redisKey);
    long start = System.nanoTime();
    byte[] token = shared.codec.ring().encrypt(plaintext);
    instrumentation.recordEncryption(System.nanoTime() - start, plaintext.length);
    return token;
  }

  /**
   * Opens a token read from {@code redisKey}: a counter, absent, or unreadable (tampered, another key's,
   * not a counter, or past its sealed expiry by more than the skew allowance; counted as a decryption
   * failure). An unreadable counter reads as 0 and is replaced by the next change.
   */
  private State open(String redisKey, byte[] token) {
    if (token == null) {
      return State.absent();
    }
    byte[] plaintext;
    long start = System.nanoTime();
    try {
      plaintext = shared.codec.ring().decrypt(token);
    } catch (ValueDecryptionException e) {
      instrumentation.recordDecryptionFailure(ValueCodec.map(e.reason()));
      return State.unreadable(token);
    } catch (RuntimeException e) {
      instrumentation.recordDecryptionFailure(DecryptionFailureReason.FORMAT);
      return State.unreadable(token);
    }
    instrumentation.recordDecryption(System.nanoTime() - start, plaintext.length);
    State state = State.parse(redisKey, token, plaintext);
    if (state == null) {
      instrumentation.recordDecryptionFailure(DecryptionFailureReason.FORMAT);
      return State.unreadable(token);
    }
    if (state.expiresAt <= serverNow() - RedisCacheBuilder.EXPIRY_SKEW_ALLOWANCE_MILLIS) {
      instrumentation.recordDecryptionFailure(DecryptionFailureReason.EXPIRED);
      return State.unreadable(token);
    }
    return state;
  }

  @Override
  public String toString() {
    return "RedisCounters{" + cacheName + '}';
  }
}
