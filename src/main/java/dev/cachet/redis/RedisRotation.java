package dev.cachet.redis;

import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.ValueDecryptionException;
import dev.cachet.internal.Preconditions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Re-encrypts every stored entry of one cache under the primary key of a key ring, for the operator
 * command {@code rotate}: after it, the older keys can be dropped from every ring.
 *
 * <p>For each entry ({@code SCAN} with a literal match on the cache's key prefix, on every master of a
 * cluster, never {@code KEYS}): {@code GET} the token; if the primary key already authenticates it,
 * leave it; otherwise re-encrypt it with {@link FernetKeyRing#rotate(byte[])} (same plaintext, so the
 * sealed envelope's key binding and expiry are untouched, and {@code PLAIN_JSON} tokens stay plain) and
 * write it with a compare-and-set script that replaces the value only if it is still the token that was
 * read and keeps its remaining {@code PTTL} exactly (read inside the script). An entry written,
 * deleted or expired meanwhile is therefore never overwritten, only counted. Tokens that no key of the
 * ring authenticates are left alone and counted.
 *
 * <p>Every step is independent and idempotent, so a run may be interrupted at any point and simply run
 * again; a second run finds the rotated entries current and skips them. Entries written during the
 * run by instances that already have the new primary key are current too.
 *
 * <p>Borrows its {@link RedisConnections} (never closes them). Not thread-safe: one run at a time per
 * instance.
 */
public final class RedisRotation {

  /** Default number of keys asked for per {@code SCAN} page (also the number of entries in flight). */
  public static final int DEFAULT_BATCH_SIZE = 500;

  private final RedisConnections connections;
  private final String cacheName;
  private final String prefix;
  private final String tenant;
  private final FernetKeyRing ring;
  private final FernetKeyRing primaryOnly;
  private final int batchSize;
  private final Duration pageTimeout;
  private final Runnable afterReads;

  private RedisRotation(Builder b) {
    this.connections = b.connections;
    this.cacheName = b.cacheName;
    this.prefix = b.prefix;
    this.tenant = b.tenant;
    this.ring = FernetKeyRing.of(b.keys);
    this.primaryOnly = FernetKeyRing.of(b.keys.get(0));
    this.batchSize = b.batchSize;
    this.pageTimeout = connections.commandTimeout().multipliedBy(10).plusSeconds(5);
    this.afterReads = b.afterReads;
  }

  /** A builder; {@code connections}, {@code cacheName} and {@code keys} are required. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Counters of one run.
   *
   * @param total the entries found by a counting pass before the run; exact only if nothing was
   *     written meanwhile
   * @param done the entries visited so far
   * @param rotated the entries re-encrypted under the primary key
   * @param alreadyCurrent the entries already under the primary key, left alone
   * @param changed the entries that expired, were deleted or were rewritten between the scan and their
   *     rewrite, left alone (a value written meanwhile is already under the current primary key)
   * @param unreadable the entries no key of the ring opens, left alone
   * @param elapsed the time since the run started
   */
  public record Progress(
      long total, long done, long rotated, long alreadyCurrent, long changed, long unreadable,
      Duration elapsed) {

    /** Entries visited per second so far. */
    public double ratePerSecond() {
      double seconds = elapsed.toNanos() / 1e9;
      return seconds <= 0 ? 0 : done / seconds;
    }
  }

  /**
   * Counts the cache's entries, then rotates them, reporting progress after every page.
   *
   * @param progress called after the counting pass and after every page, on the calling thread; a
   *     failure in it is not caught
   * @return the final counters
   * @throws IllegalStateException if Redis fails or times out (the message names the cause's class,
   *     never a value); entries already rotated stay rotated, so the run can simply be repeated
   * @throws InterruptedException if the thread is interrupted between pages
   */
  public Progress run(Consumer<Progress> progress) throws InterruptedException {
    Objects.requireNonNull(progress, "progress must not be null");
    long started = System.nanoTime();
    RedisClusterAsyncCommands<byte[], byte[]> c = await(connections.commands());
    RedisKeyLayout layout = new RedisKeyLayout(prefix, cacheName, 0, tenant, null);
    String pattern = layout.allEntriesPattern();
    ScanArgs args = ScanArgs.Builder.matches(pattern).limit(batchSize);

    long total = 0;
    KeyScanCursor<byte[]> cursor = await(c.scan(args).toCompletableFuture());
    while (true) {
      for (byte[] k : cursor.getKeys()) {
        if (accepts(layout, k)) {
          total++;
        }
      }
      if (cursor.isFinished()) {
        break;
      }
      checkInterrupted();
      cursor = await(c.scan((ScanCursor) cursor, args).toCompletableFuture());
    }

    long done = 0;
    long rotated = 0;
    long current = 0;
    long changed = 0;
    long unreadable = 0;
    progress.accept(new Progress(total, 0, 0, 0, 0, 0, since(started)));
    cursor = await(c.scan(args).toCompletableFuture());
    while (true) {
      List<byte[]> keys = new ArrayList<>();
      for (byte[] k : cursor.getKeys()) {
        if (accepts(layout, k)) {
          keys.add(k);
        }
      }
      List<CompletableFuture<byte[]>> reads = new ArrayList<>(keys.size());
      for (byte[] k : keys) {
        reads.add(c.get(k).toCompletableFuture());
      }
      List<byte[]> tokens = new ArrayList<>(keys.size());
      for (CompletableFuture<byte[]> read : reads) {
        tokens.add(await(read));
      }
      if (afterReads != null && !keys.isEmpty()) {
        afterReads.run();
      }
      List<CompletableFuture<Long>> writes = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        byte[] token = tokens.get(i);
        if (token == null) {
          changed++; // expired or deleted since the scan
          continue;
        }
        if (authenticates(primaryOnly, token)) {
          current++;
          continue;
        }
        byte[] rotatedToken;
        try {
          rotatedToken = ring.rotate(token);
        } catch (ValueDecryptionException | IllegalArgumentException e) {
          unreadable++;
          continue;
        }
        byte[][] k = {keys.get(i)};
        writes.add(
            c.<Long>eval(
                    LuaScripts.COMPARE_AND_SET_KEEP_TTL, ScriptOutputType.INTEGER, k, token, rotatedToken)
                .toCompletableFuture());
      }
      for (CompletableFuture<Long> w : writes) {
        Long n = await(w);
        if (n != null && n > 0) {
          rotated++;
        } else {
          changed++;
        }
      }
      done += keys.size();
      progress.accept(new Progress(total, done, rotated, current, changed, unreadable, since(started)));
      if (cursor.isFinished()) {
        break;
      }
      checkInterrupted();
      cursor = await(c.scan((ScanCursor) cursor, args).toCompletableFuture());
    }
    return new Progress(Math.max(total, done), done, rotated, current, changed, unreadable, since(started));
  }

  private boolean accepts(RedisKeyLayout layout, byte[] key) {
    String name = new String(key, StandardCharsets.UTF_8);
    return tenant == null ? layout.generationOf(name) >= 0 : layout.isEntryOfThisTenant(name);
  }

  private static boolean authenticates(FernetKeyRing ring, byte[] token) {
    try {
      ring.extractTimestamp(token);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  private static void checkInterrupted() throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException("rotation interrupted");
    }
  }

  private <T> T await(CompletableFuture<T> future) throws InterruptedException {
    try {
      return future.get(pageTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = RedisErrors.unwrap(e);
      throw new IllegalStateException(
          "rotating cache '" + cacheName + "' on " + connections.target() + " failed: "
              + cause.getClass().getSimpleName(),
          cause);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "rotating cache '" + cacheName + "' on " + connections.target() + " timed out after "
              + pageTimeout.toMillis() + " ms",
          e);
    }
  }

  /** The cache, prefix and tenant; never keys. */
  @Override
  public String toString() {
    return "RedisRotation{" + prefix + ":" + cacheName + (tenant == null ? "" : ", tenant " + tenant)
        + ", primary key " + ring.primaryKeyId() + ", " + connections + '}';
  }

  /**
   * Builds a {@link RedisRotation}. Each setter may be called once ({@code IllegalStateException}
   * otherwise) and checks its argument ({@code IllegalArgumentException}, {@code NullPointerException}).
   */
  public static final class Builder {
    private RedisConnections connections;
    private String cacheName;
    private String prefix = RedisCacheBuilder.DEFAULT_KEY_PREFIX;
    private boolean prefixSet;
    private String tenant;
    private List<FernetKey> keys;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private boolean batchSizeSet;
    private Runnable afterReads;

    private Builder() {}

    /** Test hook: runs after a page's values were read and before they are written back. */
    Builder afterReadsOfEachPage(Runnable hook) {
      afterReads = Objects.requireNonNull(hook, "hook must not be null");
      return this;
    }

    /** The connections to use (borrowed, never closed). */
    public Builder connections(RedisConnections value) {
      Preconditions.requireState(connections == null, "connections was already set");
      connections = Objects.requireNonNull(value, "connections must not be null");
      return this;
    }

    /** The cache whose entries to rotate. */
    public Builder cacheName(String value) {
      Preconditions.requireState(cacheName == null, "cacheName was already set");
      cacheName = Preconditions.requireCacheName(value);
      return this;
    }

    /** The cache's key prefix; default {@value RedisCacheBuilder#DEFAULT_KEY_PREFIX}. */
    public Builder keyPrefix(String value) {
      Preconditions.requireState(!prefixSet, "keyPrefix was already set");
      prefix = RedisKeyLayout.requireSegment(value, "keyPrefix");
      prefixSet = true;
      return this;
    }

    /** Rotates only this tenant's entries; by default every entry of the cache, all tenants. */
    public Builder tenant(String value) {
      Preconditions.requireState(tenant == null, "tenant was already set");
      tenant = RedisKeyLayout.requireSegment(value, "tenant");
      return this;
    }

    /**
     * The key ring as keys, primary first: tokens under any of them are re-encrypted under the first.
     * (A list rather than a {@link FernetKeyRing}, because the rotation must tell which tokens the
     * primary key alone authenticates.)
     */
    public Builder keys(List<FernetKey> primaryFirst) {
      Preconditions.requireState(keys == null, "keys was already set");
      Objects.requireNonNull(primaryFirst, "keys must not be null");
      Preconditions.requireArgument(!primaryFirst.isEmpty(), "keys must not be empty");
      primaryFirst.forEach(k -> Objects.requireNonNull(k, "key in keys must not be null"));
      keys = List.copyOf(primaryFirst);
      return this;
    }

    /** Keys per {@code SCAN} page and entries in flight, 1 to 10,000; default {@value #DEFAULT_BATCH_SIZE}. */
    public Builder batchSize(int value) {
      Preconditions.requireState(!batchSizeSet, "batchSize was already set");
      Preconditions.requireArgument(
          value >= 1 && value <= 10_000, () -> "batchSize must be in [1, 10000]: " + value);
      batchSize = value;
      batchSizeSet = true;
      return this;
    }

    /**
     * @throws IllegalStateException if connections, cacheName or keys is missing
     */
    public RedisRotation build() {
      Preconditions.requireState(connections != null, "RedisRotation needs connections(...)");
      Preconditions.requireState(cacheName != null, "RedisRotation needs cacheName(...)");
      Preconditions.requireState(keys != null, "RedisRotation needs keys(...)");
      return new RedisRotation(this);
    }
  }
}
