package dev.cachet.memory;

/**
 * The weight of a value in bytes, for a memory tier bounded by bytes. Must be thread-safe, fast,
 * deterministic for a given value, and return a non-negative number.
 */
@FunctionalInterface
public interface ValueWeigher<V> {

  /** The number of bytes {@code value} should count for. */
  int weigh(V value);
}
