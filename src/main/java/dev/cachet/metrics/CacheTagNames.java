package dev.cachet.metrics;

/**
 * The tag keys and the fixed tag values of {@link TieredCacheMetrics}' meters. Every value is from a
 * bounded set (enum constants in lowercase); cache keys, values and exception messages never become
 * tags.
 */
public final class CacheTagNames {

  private CacheTagNames() {}

  /** The cache name (Micrometer's {@code CacheMeterBinder} key). */
  public static final String CACHE = "cache";

  /** {@value #HIT} / {@value #MISS} on gets, {@value #SUCCESS} / {@value #FAILURE} on loads and Redis operations. */
  public static final String RESULT = "result";

  /** {@code memory} or {@code redis} ({@link dev.cachet.Tier#tagValue()}). */
  public static final String TIER = "tier";

  /** The Redis operation ({@code get}, {@code get_all}, {@code put}, ...) or the crypto operation. */
  public static final String OPERATION = "operation";

  /** Why a Redis call or a decryption failed ({@code timeout}, {@code authentication}, ...). */
  public static final String REASON = "reason";

  /** {@link #RESULT} of a read that found the entry. */
  public static final String HIT = "hit";
  /** {@link #RESULT} of a read that did not find the entry. */
  public static final String MISS = "miss";
  /** {@link #RESULT} of a load or operation that succeeded. */
  public static final String SUCCESS = "success";
  /** {@link #RESULT} of a load or operation that failed. */
  public static final String FAILURE = "failure";
  /** {@link #OPERATION} of the crypto layer sealing a value. */
  public static final String ENCRYPT = "encrypt";
  /** {@link #OPERATION} of the crypto layer opening a value. */
  public static final String DECRYPT = "decrypt";
}
