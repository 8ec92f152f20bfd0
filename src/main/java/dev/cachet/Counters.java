package dev.cachet;

import java.time.Duration;

/**
 * Atomic counters kept next to a cache's entries in Redis, sealed like every value Cachet writes there
 * (Redis's own {@code INCR} cannot work on an encrypted value). Obtained from {@link Cache#counters()},
 * which is empty for a cache without a Redis tier: counters are never kept in a memory tier and never
 * served degraded.
 *
 * <p><b>Semantics.</b> A counter is a signed 64-bit value per key. An absent (or expired) counter reads
 * as 0; the first change creates it with the cache's default time to live, and later changes keep its
 * expiry, except {@link #reset(Object, long, Duration)}, which sets a new one. Counters live beside the
 * cache's entries, not among them: {@code put}, {@code get} and {@code invalidate} of a key never see or
 * touch the counter of that key; {@link Cache#invalidateAll()} removes every counter too.
 *
 * <p><b>At most once.</b> Each change is one compare-and-set on the sealed value, which remembers the
 * ids of the last few changes. When a reply is lost (a timeout or a dropped connection after the change
 * may have been applied), the change is resolved by reading the counter again: a change found there
 * applied exactly once, and a change that can be shown not to have applied is retried. A change is never
 * applied twice; when its fate cannot be proven, {@link CounterOutcomeUnknownException} says so.
 *
 * <p><b>Exceptions.</b> Every method throws:
 *
 * <ul>
 *   <li>{@link NullPointerException} for a null key, {@link IllegalArgumentException} for a key longer
 *       than the cache allows, {@link IllegalStateException} after the cache was closed (nothing sent);
 *   <li>{@link CacheUnavailableException} when Redis cannot be reached, a command fails before the
 *       change could have been applied, or the circuit breaker is open: <em>nothing was applied</em>;
 *       retry later;
 *   <li>{@link CounterContentionException} (changes only) when other writers kept changing the counter
 *       for all of the bounded, jittered attempts: <em>nothing was applied</em>;
 *   <li>{@link CounterOutcomeUnknownException} (changes only) when the change may or may not have been
 *       applied: it was applied at most once; do not blindly repeat it.
 * </ul>
 *
 * <p><b>Thread safety.</b> Safe for any number of threads and instances. <b>Cost.</b> One {@code GET}
 * and one compare-and-set script per uncontended change (plus one {@code SET}-if-absent script the first
 * time a key is changed), each with one decryption or encryption.
 *
 * @param <K> the cache's key type
 */
public interface Counters<K> {

  /**
   * The current value of {@code key}'s counter; 0 when it is absent or expired.
   *
   * @throws CacheUnavailableException if Redis cannot answer
   */
  long get(K key);

  /**
   * Adds {@code delta} (which may be negative) to {@code key}'s counter, creating it from 0 with the
   * cache's default time to live when absent, keeping its expiry otherwise.
   *
   * @return the counter's value right after this change
   * @throws ArithmeticException if the result would overflow a {@code long} (nothing is written)
   * @throws CounterContentionException if the change lost every attempt to concurrent writers
   * @throws CounterOutcomeUnknownException if the change may or may not have been applied
   */
  long incrementBy(K key, long delta);

  /**
   * Subtracts {@code delta} from {@code key}'s counter: {@code incrementBy(key, -delta)}.
   *
   * @return the counter's value right after this change
   * @throws ArithmeticException if {@code delta} is {@code Long.MIN_VALUE} or the result overflows
   */
  default long decrementBy(K key, long delta) {
    return incrementBy(key, Math.negateExact(delta));
  }

  /**
   * Sets {@code key}'s counter to {@code update} if it currently holds {@code expected} (an absent
   * counter holds 0), keeping its expiry (the cache's default time to live when it is created).
   *
   * @return whether the counter held {@code expected} and now holds {@code update}
   * @throws CounterContentionException if the change lost every attempt to concurrent writers
   * @throws CounterOutcomeUnknownException if the change may or may not have been applied
   */
  boolean compareAndSet(K key, long expected, long update);

  /**
   * Sets {@code key}'s counter to {@code value}, expiring {@code ttl} from now (a new window of a rate
   * limit, for example). Earlier changes that are still being resolved are not applied on top of it
   * again.
   *
   * @throws IllegalArgumentException if {@code ttl} is zero or negative
   * @throws CounterContentionException if the reset lost every attempt to concurrent writers
   * @throws CounterOutcomeUnknownException if the reset may or may not have been applied
   */
  void reset(K key, long value, Duration ttl);
}
