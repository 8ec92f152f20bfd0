package dev.cachet.redis;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Calls that must wait for something before they send a command (the first connection, a generation not
 * known yet or being replaced by an {@code invalidateAll}), released in the order they were made.
 *
 * <p>{@code future.thenCompose(send)} would not keep that order: {@link CompletableFuture} runs the
 * dependents of a future in no promised order (often the last registered first), so a {@code GET}
 * made after an unawaited {@code SET} of the same key could be sent before it. Here every waiting call
 * joins one queue; the head runs once its own awaited future is done, and later ones only after it. While
 * anything is queued, {@link #idle()} is false, and callers that could go straight on must join the queue
 * instead, so that they do not overtake the calls waiting in it.
 *
 * <p>A queued call runs on the thread that completed the future it waited for (or the caller's, when
 * that was already done), as {@code thenCompose} would run it; it must not block. Thread-safe.
 */
final class IssueOrder {

  private final ArrayDeque<Waiting<?, ?>> queue = new ArrayDeque<>();
  /** Guarded by {@link #queue}: a thread is running queued calls (or waits for the head's future). */
  private boolean draining;
  /** False from the first call queued until the queue is empty again. */
  private volatile boolean idle = true;

  /** Whether no call is queued: only then may a caller that need not wait skip {@link #after}. */
  boolean idle() {
    return idle;
  }

  /**
   * Runs {@code then} with the value of the future {@code awaited} supplies, once every call queued
   * before this one ran and that future completed; the returned future completes as {@code
   * awaited.get().thenCompose(then)} would (failing without running {@code then} when the awaited future
   * failed, or {@code awaited} threw). {@code awaited} is asked only when the call reaches the head of
   * the queue, so it sees what the calls before it did (a generation they waited for is known by then).
   */
  <A, R> CompletableFuture<R> after(
      Supplier<? extends CompletableFuture<A>> awaited,
      Function<? super A, ? extends CompletionStage<R>> then) {
    Waiting<A, R> waiting = new Waiting<>(awaited, then);
    boolean drain;
    synchronized (queue) {
      queue.add(waiting);
      idle = false;
      drain = !draining;
      draining = true;
    }
    if (drain) {
      drain();
    }
    return waiting.result;
  }

  /**
   * Runs queued calls in order while their futures are done; else resumes when the head's is. One
   * thread at a time drains ({@link #draining}), and only it removes calls, so the head it looked at
   * stays the head.
   */
  private void drain() {
    while (true) {
      Waiting<?, ?> head;
      synchronized (queue) {
        head = queue.peek();
        if (head == null) {
          draining = false;
          idle = true;
          return;
        }
      }
      CompletableFuture<?> awaited = head.awaited();
      if (!awaited.isDone()) {
        // still draining: nothing else runs until the head's future completes and drain resumes
        awaited.whenComplete((value, error) -> drain());
        return;
      }
      synchronized (queue) {
        queue.poll();
      }
      head.run();
    }
  }

  private static final class Waiting<A, R> {
    final Supplier<? extends CompletableFuture<A>> supplier;
    final Function<? super A, ? extends CompletionStage<R>> then;
    final CompletableFuture<R> result = new CompletableFuture<>();
    /** Asked once, by the draining thread, when this call reached the head. */
    private CompletableFuture<A> awaited;

    Waiting(
        Supplier<? extends CompletableFuture<A>> supplier,
        Function<? super A, ? extends CompletionStage<R>> then) {
      this.supplier = supplier;
      this.then = then;
    }

    CompletableFuture<A> awaited() {
      if (awaited == null) {
        try {
          awaited = supplier.get();
        } catch (RuntimeException | Error e) {
          awaited = CompletableFuture.failedFuture(e);
        }
      }
      return awaited;
    }

    /** Runs {@code then} now ({@link #awaited} is done): whatever it sends is sent before this returns. */
    void run() {
      CompletableFuture<R> sent;
      try {
        sent = awaited.thenCompose(then);
      } catch (RuntimeException | Error e) {
        result.completeExceptionally(e);
        return;
      }
      sent.whenComplete(
          (value, error) -> {
            if (error != null) {
              result.completeExceptionally(error);
            } else {
              result.complete(value);
            }
          });
    }
  }
}
