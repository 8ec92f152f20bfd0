package dev.cachet.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * An executor for one synchronous call that runs its tasks on the thread that waits for the call: a
 * remote read hands it to the tier as the decoding executor, the I/O thread only queues the decode
 * step, and {@link #await} runs it on the caller's thread (the pattern of gRPC's {@code
 * ThreadlessExecutor}). So decryption and deserialization never run on the client's event loop and a
 * synchronous caller pays for its own decoding.
 *
 * <p>One waiter per instance; {@link #execute} may be called from any thread. Once the waiter has given
 * up (timeout, interruption), later tasks run directly on the thread that submits them, so a late
 * completion still finishes its bookkeeping. Not for reuse across calls.
 */
public final class CallerRunsExecutor implements Executor {

  private static final Runnable WAKE_UP = () -> {};

  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final Thread waiter = Thread.currentThread();
  private volatile boolean abandoned;

  /** An executor whose tasks the current thread will run in {@link #await}. */
  public CallerRunsExecutor() {}

  /** Queues {@code task} for the waiting thread, or runs it here once the waiter has given up. */
  @Override
  public void execute(Runnable task) {
    Preconditions.requireNonNull(task, "task");
    if (abandoned) {
      task.run();
      return;
    }
    tasks.add(task);
    if (abandoned) {
      drain(); // the waiter left between the check and the add: nobody else will run it
    } else {
      LockSupport.unpark(waiter);
    }
  }

  /**
   * Runs queued tasks on the current thread (which must be the one that created this executor) until
   * {@code future} completes or {@code timeoutNanos} pass, then returns its value.
   *
   * @throws TimeoutException if it did not complete in time (the caller should cancel it)
   * @throws ExecutionException if it completed exceptionally
   * @throws InterruptedException if the thread was interrupted while waiting
   */
  public <T> T await(CompletableFuture<T> future, long timeoutNanos)
      throws TimeoutException, ExecutionException, InterruptedException {
    if (!future.isDone()) {
      future.whenComplete((v, e) -> execute(WAKE_UP)); // wakes the waiter when nothing is queued
      long deadline = System.nanoTime() + timeoutNanos;
      try {
        while (!future.isDone()) {
          Runnable task = tasks.poll();
          if (task != null) {
            task.run();
            continue;
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new TimeoutException();
          }
          LockSupport.parkNanos(this, left);
          if (Thread.interrupted()) {
            throw new InterruptedException();
          }
        }
      } finally {
        abandoned = true;
        drain();
      }
    } else {
      abandoned = true;
      drain();
    }
    return future.get();
  }

  private void drain() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      task.run();
    }
  }
}
