package dev.cachet.internal;

import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.Tier;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Forwards to a recorder and swallows (logging once) whatever it throws. */
final class GuardedStatsRecorder implements StatsRecorder {
  private static final Logger log = LoggerFactory.getLogger(GuardedStatsRecorder.class);

  private final StatsRecorder delegate;
  private final AtomicBoolean warned = new AtomicBoolean();

  GuardedStatsRecorder(StatsRecorder delegate) {
    this.delegate = Preconditions.requireNonNull(delegate, "delegate");
  }

  private void failed(Throwable t) {
    if (warned.compareAndSet(false, true)) {
      log.warn("a cache statistics recorder threw; its failures are ignored from now on", t);
    }
  }

  @Override
  public void recordHits(int count) {
    try {
      delegate.recordHits(count);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordMisses(int count) {
    try {
      delegate.recordMisses(count);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordTierGet(Tier tier, boolean hit, int count) {
    try {
      delegate.recordTierGet(tier, hit, count);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordLoadSuccess(long loadTimeNanos) {
    try {
      delegate.recordLoadSuccess(loadTimeNanos);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordLoadFailure(long loadTimeNanos) {
    try {
      delegate.recordLoadFailure(loadTimeNanos);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordPuts(int count) {
    try {
      delegate.recordPuts(count);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordEviction(int weight) {
    try {
      delegate.recordEviction(weight);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordRemovals(int count) {
    try {
      delegate.recordRemovals(count);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordRemoteOperation(RemoteOperation operation, long nanos, boolean success) {
    try {
      delegate.recordRemoteOperation(operation, nanos, success);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordRemoteError(RemoteOperation operation, RemoteErrorReason reason) {
    try {
      delegate.recordRemoteError(operation, reason);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordEncryption(long nanos, int plaintextBytes) {
    try {
      delegate.recordEncryption(nanos, plaintextBytes);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordDecryption(long nanos, int plaintextBytes) {
    try {
      delegate.recordDecryption(nanos, plaintextBytes);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordDecryptionFailure(DecryptionFailureReason reason) {
    try {
      delegate.recordDecryptionFailure(reason);
    } catch (Throwable t) {
      failed(t);
    }
  }

  @Override
  public void recordDegraded(boolean degraded) {
    try {
      delegate.recordDegraded(degraded);
    } catch (Throwable t) {
      failed(t);
    }
  }
}
