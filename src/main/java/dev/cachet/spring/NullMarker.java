package dev.cachet.spring;

/**
 * What a Spring cache stores for a cached {@code null} when null values are allowed. In memory it is this
 * singleton; in Redis it is one byte inside the sealed envelope ({@link NullAwareSerializer}), encrypted
 * and expiring like any other value.
 */
enum NullMarker {
  INSTANCE;

  @Override
  public String toString() {
    return "NullMarker";
  }
}
