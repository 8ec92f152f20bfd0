package dev.cachet.benchmarks.shared;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/**
 * Baseline: a raw Caffeine {@code getIfPresent} holding every key (so every call is a local hit), with a
 * fixed one-hour {@code expireAfterWrite}: the floor of a local hit on this workload.
 */
public final class RawCaffeineSubject implements ZipfSubject {
  private final Cache<String, String> cache =
      Caffeine.newBuilder()
          .maximumSize(ZipfWorkload.UNIVERSE)
          .expireAfterWrite(Duration.ofHours(1))
          .build();

  @Override
  public void load(String[] keys) {
    for (int i = 0; i < keys.length; i++) {
      cache.put(keys[i], ZipfWorkload.value(i));
    }
  }

  @Override
  public Object get(int index, String key) {
    return cache.getIfPresent(key);
  }

  @Override
  public String remoteReadCommand() {
    return null;
  }

  @Override
  public void close() {}
}
