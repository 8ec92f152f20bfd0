package dev.cachet.metrics;

import dev.cachet.spi.RemoteOperation;
import dev.cachet.internal.StatsRecorder;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The push-style meters of one cache in one registry: Redis operation timers, crypto timers and value
 * sizes. Every meter is created here, once; each call only looks a meter up in an array and records,
 * without allocating.
 */
final class PushMeters implements StatsRecorder {

  private static final RemoteOperation[] OPERATIONS = RemoteOperation.values();

  /** [operation.ordinal()][0 = success, 1 = failure]. */
  private final Timer[][] remoteOperations = new Timer[OPERATIONS.length][2];
  private final Timer encrypt;
  private final Timer decrypt;
  private final DistributionSummary encryptedSize;
  private final DistributionSummary decryptedSize;

  /** Registers the meters in {@code registry}, adding each to {@code registered}. */
  PushMeters(MeterRegistry registry, Iterable<Tag> tags, List<Meter> registered) {
    for (RemoteOperation operation : OPERATIONS) {
      for (int result = 0; result < 2; result++) {
        Timer timer =
            Timer.builder(CacheMetricNames.REDIS_OPERATION)
                .tags(tags)
                .tag(CacheTagNames.OPERATION, operation.tagValue())
                .tag(CacheTagNames.RESULT, result == 0 ? CacheTagNames.SUCCESS : CacheTagNames.FAILURE)
                .description("Time of one Redis-tier operation, from the call to its completion")
                .register(registry);
        registered.add(timer);
        remoteOperations[operation.ordinal()][result] = timer;
      }
    }
    encrypt =
        Timer.builder(CacheMetricNames.ENCRYPT)
            .tags(tags)
            .description("Time to encrypt one serialized value into a Fernet token")
            .register(registry);
    decrypt =
        Timer.builder(CacheMetricNames.DECRYPT)
            .tags(tags)
            .description("Time to decrypt one Fernet token that opened successfully")
            .register(registry);
    encryptedSize =
        DistributionSummary.builder(CacheMetricNames.VALUE_SIZE)
            .tags(tags)
            .tag(CacheTagNames.OPERATION, CacheTagNames.ENCRYPT)
            .baseUnit("bytes")
            .description("Plaintext size of values encrypted or decrypted")
            .register(registry);
    decryptedSize =
        DistributionSummary.builder(CacheMetricNames.VALUE_SIZE)
            .tags(tags)
            .tag(CacheTagNames.OPERATION, CacheTagNames.DECRYPT)
            .baseUnit("bytes")
            .description("Plaintext size of values encrypted or decrypted")
            .register(registry);
    registered.add(encrypt);
    registered.add(decrypt);
    registered.add(encryptedSize);
    registered.add(decryptedSize);
  }

  @Override
  public void recordRemoteOperation(RemoteOperation operation, long nanos, boolean success) {
    remoteOperations[operation.ordinal()][success ? 0 : 1].record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void recordEncryption(long nanos, int plaintextBytes) {
    encrypt.record(nanos, TimeUnit.NANOSECONDS);
    encryptedSize.record(plaintextBytes);
  }

  @Override
  public void recordDecryption(long nanos, int plaintextBytes) {
    decrypt.record(nanos, TimeUnit.NANOSECONDS);
    decryptedSize.record(plaintextBytes);
  }
}
