package dev.cachet;

import java.time.Duration;
import java.util.Optional;

/**
 * What one {@link AsyncCache#warm(Iterable, BulkLoader) warm} call did, per distinct key requested: every
 * key is counted in exactly one of {@link #loaded()}, {@link #alreadyPresent()}, {@link #absent()} and
 * {@link #failed()}, so they add up to {@link #requested()}. Immutable and thread-safe. Its {@code
 * toString()} shows the counts, the elapsed time and the class of the first failure, never a key, a
 * value or a failure's message.
 */
public final class WarmReport {

  private final long loaded;
  private final long alreadyPresent;
  private final long absent;
  private final long failed;
  private final long possibleDuplicates;
  private final Duration elapsed;
  private final Throwable firstFailure;

  private WarmReport(
      long loaded, long alreadyPresent, long absent, long failed, long possibleDuplicates, Duration elapsed,
      Throwable firstFailure) {
    this.loaded = loaded;
    this.alreadyPresent = alreadyPresent;
    this.absent = absent;
    this.failed = failed;
    this.possibleDuplicates = possibleDuplicates;
    this.elapsed = elapsed;
    this.firstFailure = firstFailure;
  }

  /**
   * A report with these counts (for tests of code that consumes reports).
   *
   * @param firstFailure the first failure, or null when nothing failed
   * @throws IllegalArgumentException if a count is negative, {@code possibleDuplicates} exceeds {@code
   *     loaded + absent + failed}, or {@code failed > 0} without a {@code firstFailure}
   * @throws NullPointerException if {@code elapsed} is null
   */
  public static WarmReport of(
      long loaded, long alreadyPresent, long absent, long failed, long possibleDuplicates, Duration elapsed,
      Throwable firstFailure) {
    if (elapsed == null) {
      throw new NullPointerException("elapsed");
    }
    if (loaded < 0 || alreadyPresent < 0 || absent < 0 || failed < 0 || possibleDuplicates < 0
        || elapsed.isNegative()) {
      throw new IllegalArgumentException("a WarmReport's counts and elapsed time must not be negative");
    }
    if (possibleDuplicates > loaded + absent + failed) {
      throw new IllegalArgumentException(
          "possibleDuplicates (" + possibleDuplicates + ") counts keys the loader was asked for, so it cannot"
              + " exceed loaded + absent + failed (" + (loaded + absent + failed) + ")");
    }
    if (failed > 0 && firstFailure == null) {
      throw new IllegalArgumentException("a WarmReport with failed keys needs the first failure");
    }
    return new WarmReport(loaded, alreadyPresent, absent, failed, possibleDuplicates, elapsed, firstFailure);
  }

  /** The distinct keys requested: {@code loaded + alreadyPresent + absent + failed}. */
  public long requested() {
    return loaded + alreadyPresent + absent + failed;
  }

  /** Keys this call loaded with its loader (and stored, unless a concurrent write of the key won). */
  public long loaded() {
    return loaded;
  }

  /**
   * Keys this call did not load: already cached (in memory or in the remote tier, found by the first read
   * or by the re-read after the batch's lease), cached absences, or loaded meanwhile by a concurrent call
   * on this instance (whose load this call joined).
   */
  public long alreadyPresent() {
    return alreadyPresent;
  }

  /**
   * Keys without a value: the loader was asked for them and returned none (this call's loader, or that
   * of a concurrent load on this instance which this call joined). Nothing is stored for them, unless
   * the cache caches absences.
   */
  public long absent() {
    return absent;
  }

  /**
   * Keys whose load failed: the loader threw, the loaded values could not be stored, the remote tier
   * could not be read (Redis-only caches), a concurrent load this call joined failed, or the cache was
   * closed (or the warm cancelled) before their batch ran. Nothing is stored for them; {@link
   * #firstFailure()} has the first cause.
   */
  public long failed() {
    return failed;
  }

  /**
   * Keys this call asked its loader for without holding the batch's cross-instance lease, or whose lease
   * was lost (expired) before the load finished: another instance may have loaded them too. Each is at
   * most one duplicate load; 0 on a memory-only cache (nothing to coordinate) and on a Redis-only cache
   * (which does not coordinate its loads across instances). Also counted in the cache's {@code
   * cache.load.duplicates} meter.
   */
  public long possibleDuplicates() {
    return possibleDuplicates;
  }

  /** From the call to the report. */
  public Duration elapsed() {
    return elapsed;
  }

  /**
   * The first failure (the loader's exception as {@code get} would throw it: checked ones wrapped in
   * {@link CacheLoaderException}); empty when {@link #failed()} is 0.
   */
  public Optional<Throwable> firstFailure() {
    return Optional.ofNullable(firstFailure);
  }

  /** Counts, elapsed time and the first failure's class; no key, value or failure message. */
  @Override
  public String toString() {
    return "WarmReport{requested=" + requested() + ", loaded=" + loaded + ", alreadyPresent=" + alreadyPresent
        + ", absent=" + absent + ", failed=" + failed + ", possibleDuplicates=" + possibleDuplicates
        + ", elapsed=" + elapsed
        + (firstFailure == null ? "" : ", firstFailure=" + firstFailure.getClass().getName()) + '}';
  }
}
