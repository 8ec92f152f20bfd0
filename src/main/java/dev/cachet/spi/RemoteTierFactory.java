package dev.cachet.spi;

import dev.cachet.internal.CacheInstrumentation;

/**
 * Creates a cache's remote tier recording into the composing cache's instrumentation, so remote
 * timings, errors and decryption failures show up in that cache's statistics and meters. {@code
 * RedisCacheBuilder::buildRemoteTier} is one. Unsupported for applications.
 */
@FunctionalInterface
public interface RemoteTierFactory<V> {

  /** Creates the tier; the caller owns it and closes it. */
  RemoteTier<V> create(CacheInstrumentation instrumentation);
}
