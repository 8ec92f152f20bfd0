package dev.cachet.benchmarks.shared;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Baseline: the least a two-level cache can do on this workload. Raw Caffeine bounded like every
 * subject's local tier ({@value ZipfWorkload#LOCAL_ENTRIES} entries, fixed one-hour {@code
 * expireAfterWrite}); on a local miss, {@link RawLettuceSubject}'s synchronous {@code GET} of the plain
 * value bytes, a UTF-8 decode and a {@code put}. No encryption, no coherence, no single flight, no
 * metrics: its local hits show what the local-hit latency is when a quarter of the calls are round
 * trips on the same thread (cold CPU caches, Caffeine's evictions), which raw Caffeine holding every key
 * cannot show.
 */
public final class RawTwoLevelSubject implements ZipfSubject {
  private final Cache<String, String> local =
      Caffeine.newBuilder()
          .maximumSize(ZipfWorkload.LOCAL_ENTRIES)
          .expireAfterWrite(Duration.ofHours(1))
          .build();
  private final RawLettuceSubject remote;

  public RawTwoLevelSubject(BenchRedis redis) {
    remote = new RawLettuceSubject(redis);
  }

  @Override
  public void load(String[] keys) {
    remote.load(keys);
  }

  @Override
  public Object get(int index, String key) {
    String value = local.getIfPresent(key);
    if (value == null) {
      value = new String((byte[]) remote.get(index, key), StandardCharsets.UTF_8);
      local.put(key, value);
    }
    return value;
  }

  @Override
  public String remoteReadCommand() {
    return remote.remoteReadCommand();
  }

  @Override
  public void close() {
    remote.close();
  }
}
