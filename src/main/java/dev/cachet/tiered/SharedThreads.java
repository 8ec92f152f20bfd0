package dev.cachet.tiered;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon threads tiered caches share, reference-counted: the first {@link #acquire()} starts them,
 * the last {@link Lease#release()} stops them, so a process whose caches are all closed has none left.
 *
 * <ul>
 *   <li>a one-thread <b>scheduler</b> for periodic, non-blocking work only (heartbeats, coherence checks,
 *       lease renewals, starting probes): nothing scheduled on it may wait for a remote call;
 *   <li>a two-thread <b>refresh</b> pool with a bounded queue that <em>rejects</em> (throws) when full,
 *       so a skipped refresh is known to its caller;
 *   <li>an <b>async</b> pool that runs the blocking part of the async view's calls, so they never block
 *       {@code ForkJoinPool.commonPool()}.
 * </ul>
 *
 * Thread-safe.
 */
final class SharedThreads {

  /** Threads of the async pool; calls beyond them queue. */
  static final int ASYNC_THREADS = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
  /** Refresh tasks that may wait; more are rejected. */
  static final int REFRESH_QUEUE = 1_000;

  private static int users;
  private static Threads threads;

  private SharedThreads() {}

  /** A use of the shared threads; release it exactly once (further calls do nothing). */
  static final class Lease {
    private final Threads threads;
    private final AtomicBoolean released = new AtomicBoolean();

    private Lease(Threads threads) {
      this.threads = threads;
    }

    ScheduledExecutorService scheduler() {
      return threads.scheduler;
    }

    ExecutorService refresh() {
      return threads.refresh;
    }

    ExecutorService async() {
      return threads.async;
    }

    void release() {
      if (released.compareAndSet(false, true)) {
        SharedThreads.release(threads);
      }
    }
  }

  private static final class Threads {
    final ScheduledThreadPoolExecutor scheduler;
    final ThreadPoolExecutor refresh;
    final ThreadPoolExecutor async;

    Threads() {
      scheduler = new ScheduledThreadPoolExecutor(1, daemon("cachet-tiered-scheduler"));
      scheduler.setRemoveOnCancelPolicy(true);
      scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      refresh =
          new ThreadPoolExecutor(
              2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(REFRESH_QUEUE),
              daemon("cachet-refresh"), new ThreadPoolExecutor.AbortPolicy());
      refresh.allowCoreThreadTimeOut(true);
      async =
          new ThreadPoolExecutor(
              ASYNC_THREADS, ASYNC_THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
              daemon("cachet-async"));
      async.allowCoreThreadTimeOut(true);
    }

    void shutdown() {
      scheduler.shutdownNow();
      refresh.shutdown();
      async.shutdown();
    }
  }

  /** Starts the threads if no cache uses them yet. */
  static synchronized Lease acquire() {
    if (threads == null) {
      threads = new Threads();
    }
    users++;
    return new Lease(threads);
  }

  private static synchronized void release(Threads released) {
    if (released != threads) {
      return;
    }
    if (--users == 0) {
      threads.shutdown();
      threads = null;
    }
  }

  /** Caches holding a lease (tests). */
  static synchronized int users() {
    return users;
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread t = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
