package dev.cachet.benchmarks.shared;

/**
 * One cache (or baseline) under the Zipf workload. Implementations must be safe for concurrent {@link
 * #get} calls.
 */
public interface ZipfSubject extends AutoCloseable {

  /** Stores every key of {@link ZipfWorkload} in Redis (through the subject's own write path). */
  void load(String[] keys) throws Exception;

  /** Reads the value of the key of rank {@code index} ({@code key} is {@code keys[index]}). */
  Object get(int index, String key);

  /**
   * The Redis command (lower case, as {@code INFO commandstats} names it) that this subject sends exactly
   * once per read that misses its local tier, or {@code null} if it never reads Redis. The local hit ratio
   * is derived from it: {@code 1 - calls(command) / gets}.
   */
  String remoteReadCommand();
}
