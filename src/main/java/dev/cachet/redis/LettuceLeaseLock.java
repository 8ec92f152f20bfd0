package dev.cachet.redis;

import dev.cachet.internal.Preconditions;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.spi.LeaseLock;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Leases as {@code SET lease-key token NX PX ms} with a random 128-bit token; renew and release are
 * compare-and-{@code PEXPIRE}/compare-and-delete scripts, so only the owner can extend or free a lease.
 * When {@code SET NX} fails ambiguously (a timeout: it may have succeeded), the lease key is read back
 * and the lease counts as acquired exactly when it holds this attempt's token. Thread-safe.
 */
final class LettuceLeaseLock implements LeaseLock {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final RedisConnections connections;
  private final String cacheName;
  private final RedisKeyLayout layout;

  LettuceLeaseLock(RedisConnections connections, String cacheName, RedisKeyLayout layout) {
    this.connections = connections;
    this.cacheName = cacheName;
    this.layout = layout;
  }

  private static byte[] token() {
    byte[] raw = new byte[16];
    RANDOM.nextBytes(raw);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw).getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public CompletableFuture<Optional<Lease>> tryAcquire(String key, Duration leaseTime) {
    Preconditions.requireNonNull(key, "key");
    Preconditions.requirePositive(leaseTime, "leaseTime");
    String leaseKey = layout.leaseKey(key);
    byte[] lk = leaseKey.getBytes(StandardCharsets.UTF_8);
    byte[] token = token();
    CompletableFuture<Optional<Lease>> result = new CompletableFuture<>();
    connections.onKey(
            lk, c -> c.set(lk, token, SetArgs.Builder.nx().px(leaseTime.toMillis())).toCompletableFuture())
        .whenComplete(
            (ok, error) -> {
              if (error == null) {
                result.complete("OK".equals(ok) ? Optional.of(new RedisLease(key, lk, token)) : Optional.empty());
                return;
              }
              // Ambiguous: the SET may have been applied. Ask who owns the lease now.
              connections.onKey(lk, c -> c.get(lk).toCompletableFuture())
                  .whenComplete(
                      (owner, again) -> {
                        if (again != null) {
                          result.completeExceptionally(RedisErrors.wrap(cacheName, RemoteOperation.LEASE, error));
                        } else if (owner != null && Arrays.equals(owner, token)) {
                          result.complete(Optional.of(new RedisLease(key, lk, token)));
                        } else {
                          result.complete(Optional.empty());
                        }
                      });
            });
    return result;
  }

  @Override
  public CompletableFuture<Boolean> isHeld(String key) {
    Preconditions.requireNonNull(key, "key");
    byte[] lk = layout.leaseKey(key).getBytes(StandardCharsets.UTF_8);
    return wrap(
        connections.onKey(lk, c -> c.exists(lk).toCompletableFuture()).thenApply(n -> n != null && n > 0));
  }

  private <T> CompletableFuture<T> wrap(CompletableFuture<T> f) {
    CompletableFuture<T> result = new CompletableFuture<>();
    f.whenComplete(
        (v, e) -> {
          if (e != null) {
            result.completeExceptionally(RedisErrors.wrap(cacheName, RemoteOperation.LEASE, e));
          } else {
            result.complete(v);
          }
        });
    return result;
  }

  private final class RedisLease implements Lease {
    private final String key;
    private final byte[] leaseKey;
    private final byte[] token;

    RedisLease(String key, byte[] leaseKey, byte[] token) {
      this.key = key;
      this.leaseKey = leaseKey;
      this.token = token;
    }

    @Override
    public String key() {
      return key;
    }

    @Override
    public CompletableFuture<Boolean> renew(Duration leaseTime) {
      Preconditions.requirePositive(leaseTime, "leaseTime");
      byte[][] keys = {leaseKey};
      byte[] ms = Long.toString(leaseTime.toMillis()).getBytes(StandardCharsets.US_ASCII);
      return wrap(
          connections.onKey(
                  leaseKey,
                  c -> c.<Long>eval(LuaScripts.COMPARE_AND_PEXPIRE, ScriptOutputType.INTEGER, keys, token, ms)
                      .toCompletableFuture())
              .thenApply(n -> n != null && n > 0));
    }

    @Override
    public CompletableFuture<Boolean> release() {
      byte[][] keys = {leaseKey};
      return wrap(
          connections.onKey(
                  leaseKey,
                  c -> c.<Long>eval(LuaScripts.COMPARE_AND_DELETE, ScriptOutputType.INTEGER, keys, token)
                      .toCompletableFuture())
              .thenApply(n -> n != null && n > 0));
    }

    @Override
    public String toString() {
      return "Lease{" + key + '}';
    }
  }
}
