package dev.cachet.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The waiting thread runs the decode step that another thread queued; a late step runs where queued. */
class CallerRunsExecutorTests {

  private static final long LONG = TimeUnit.SECONDS.toNanos(30);

  @Test
  void aStepQueuedByAnotherThread_runsOnTheWaitingThread() throws Exception {
    CallerRunsExecutor executor = new CallerRunsExecutor();
    CompletableFuture<String> bytes = new CompletableFuture<>();
    CompletableFuture<String> decoded = bytes.thenApplyAsync(b -> Thread.currentThread().getName(), executor);
    Thread io = new Thread(() -> bytes.complete("raw"), "fake-io-thread");
    io.start();
    assertThat(executor.await(decoded, LONG)).isEqualTo(Thread.currentThread().getName());
    io.join();
  }

  @Test
  void aFutureThatFailsWithoutQueueing_wakesTheWaiter() {
    CallerRunsExecutor executor = new CallerRunsExecutor();
    CompletableFuture<String> bytes = new CompletableFuture<>();
    new Thread(() -> bytes.completeExceptionally(new IllegalStateException("io failed"))).start();
    assertThatThrownBy(() -> executor.await(bytes, LONG))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void afterATimeout_laterStepsRunOnTheThreadThatQueuesThem() throws Exception {
    CallerRunsExecutor executor = new CallerRunsExecutor();
    CompletableFuture<String> bytes = new CompletableFuture<>();
    CompletableFuture<String> decoded = bytes.thenApplyAsync(b -> Thread.currentThread().getName(), executor);
    assertThatThrownBy(() -> executor.await(decoded, TimeUnit.MILLISECONDS.toNanos(1)))
        .isInstanceOf(TimeoutException.class);
    AtomicReference<String> ranOn = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    decoded.whenComplete((name, e) -> {
      ranOn.set(name);
      done.countDown();
    });
    Thread io = new Thread(() -> bytes.complete("raw"), "late-io-thread");
    io.start();
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(ranOn.get()).isEqualTo("late-io-thread");
  }

  @Test
  void anAlreadyCompletedFuture_returnsAtOnce() throws Exception {
    assertThat(new CallerRunsExecutor().await(CompletableFuture.completedFuture(7), 1)).isEqualTo(7);
  }
}
