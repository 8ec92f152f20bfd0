package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/** Calls that wait for something before they send, released in the order they were made. */
class IssueOrderTests {

  private final IssueOrder order = new IssueOrder();
  private final List<String> sent = Collections.synchronizedList(new ArrayList<>());

  private CompletableFuture<String> send(String what) {
    sent.add(what);
    return CompletableFuture.completedFuture(what);
  }

  @Test
  void callsWaitingForOneFuture_runInTheOrderMade_whenItCompletes() {
    CompletableFuture<String> generation = new CompletableFuture<>();
    List<CompletableFuture<String>> results = new ArrayList<>();
    for (String call : List.of("SET k v1", "GET k", "SET k v2", "GET k again")) {
      results.add(order.after(() -> generation, g -> send(call + "@" + g)));
    }
    assertThat(sent).isEmpty();
    assertThat(order.idle()).isFalse();

    generation.complete("g7");

    assertThat(sent).containsExactly("SET k v1@g7", "GET k@g7", "SET k v2@g7", "GET k again@g7");
    assertThat(results).allSatisfy(r -> assertThat(r).isCompleted());
    assertThat(results.get(2).join()).isEqualTo("SET k v2@g7");
    assertThat(order.idle()).isTrue();
  }

  @Test
  void aCallWhoseFutureIsDone_stillWaitsForTheCallsQueuedBeforeIt() {
    CompletableFuture<String> slow = new CompletableFuture<>();
    order.after(() -> slow, v -> send("first"));
    CompletableFuture<String> second = order.after(() -> CompletableFuture.completedFuture("x"), v -> send("second"));
    assertThat(sent).isEmpty();
    assertThat(second).isNotDone();

    slow.complete("y");

    assertThat(sent).containsExactly("first", "second");
    assertThat(second).isCompletedWithValue("second");
  }

  @Test
  void withNothingQueued_aCallWhoseFutureIsDone_runsAtOnceOnTheCaller() {
    Thread caller = Thread.currentThread();
    List<Thread> ranOn = new ArrayList<>();
    CompletableFuture<String> r =
        order.after(
            () -> CompletableFuture.completedFuture("g"),
            g -> {
              ranOn.add(Thread.currentThread());
              return send("now");
            });
    assertThat(r).isCompletedWithValue("now");
    assertThat(ranOn).containsExactly(caller);
    assertThat(order.idle()).isTrue();
  }

  @Test
  void aCallMadeWhileTheQueueIsReleased_goesBehindTheCallsAlreadyQueued() {
    CompletableFuture<String> generation = new CompletableFuture<>();
    order.after(
        () -> generation,
        g -> {
          // made from inside the first released call: must not run before "second"
          order.after(() -> CompletableFuture.completedFuture(g), x -> send("made while releasing"));
          return send("first");
        });
    order.after(() -> generation, g -> send("second"));

    generation.complete("g");

    assertThat(sent).containsExactly("first", "second", "made while releasing");
    assertThat(order.idle()).isTrue();
  }

  @Test
  void aCallsFuture_isAskedForOnlyWhenTheCallsBeforeItRan() {
    CompletableFuture<String> bump = new CompletableFuture<>();
    java.util.concurrent.atomic.AtomicReference<String> generation = new java.util.concurrent.atomic.AtomicReference<>("g1");
    order.after(() -> bump, g -> { // an invalidateAll: the calls after it wait for its new generation
      generation.set(g);
      return send("bumped to " + g);
    });
    order.after(() -> CompletableFuture.completedFuture(generation.get()), g -> send("put under " + g));

    bump.complete("g2");

    assertThat(sent).containsExactly("bumped to g2", "put under g2");
  }

  @Test
  void aSupplierThatThrows_failsItsCallOnly() {
    CompletableFuture<String> failed =
        order.after(() -> {
          throw new IllegalStateException("no future");
        }, g -> send("never"));
    CompletableFuture<String> later = order.after(() -> CompletableFuture.completedFuture("x"), g -> send("later"));
    Assertions.assertThatThrownBy(() -> failed.get(1, TimeUnit.SECONDS)).hasRootCauseMessage("no future");
    assertThat(later).isCompletedWithValue("later");
    assertThat(order.idle()).isTrue();
  }

  @Test
  void aFailedFuture_failsItsCallsWithoutRunningThem_andLaterCallsStillRun() {
    CompletableFuture<String> generation = new CompletableFuture<>();
    CompletableFuture<String> failed = order.after(() -> generation, g -> send("never"));
    CompletableFuture<String> thrower =
        order.after(() -> CompletableFuture.completedFuture("x"), g -> {
          throw new IllegalStateException("boom");
        });
    CompletableFuture<String> later = order.after(() -> CompletableFuture.completedFuture("x"), g -> send("later"));

    generation.completeExceptionally(new IllegalStateException("generation read failed"));

    Assertions.assertThatThrownBy(() -> failed.get(1, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasRootCauseMessage("generation read failed");
    Assertions.assertThatThrownBy(() -> thrower.get(1, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasRootCauseMessage("boom");
    assertThat(later).isCompletedWithValue("later");
    assertThat(sent).containsExactly("later");
    assertThat(order.idle()).isTrue();
  }

  @Test
  void afterTheQueueEmptied_itIsIdleAgain_andANewWaitQueuesAgain() {
    CompletableFuture<String> first = new CompletableFuture<>();
    order.after(() -> first, g -> send("a"));
    first.complete("1");
    assertThat(order.idle()).isTrue();

    CompletableFuture<String> second = new CompletableFuture<>();
    order.after(() -> second, g -> send("b"));
    assertThat(order.idle()).isFalse();
    second.complete("2");
    assertThat(sent).containsExactly("a", "b");
    assertThat(order.idle()).isTrue();
  }

  @Test
  void callersOnSeveralThreads_eachSeeTheirOwnCallsRunInTheOrderTheyMadeThem() throws Exception {
    int threads = 4;
    int callsPerThread = 20_000;
    List<List<Integer>> runs = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      runs.add(Collections.synchronizedList(new ArrayList<>()));
    }
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> callers = new ArrayList<>();
    List<CompletableFuture<String>> gates = Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < threads; t++) {
      int caller = t;
      Thread thread =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < callsPerThread; i++) {
                  int call = i;
                  CompletableFuture<String> awaited;
                  if (i % 100 == 0) { // now and then a wait completed later by another thread
                    awaited = new CompletableFuture<>();
                    gates.add(awaited);
                  } else {
                    awaited = CompletableFuture.completedFuture("x");
                  }
                  CompletableFuture<String> waitFor = awaited;
                  order.after(
                      () -> waitFor,
                      v -> {
                        runs.get(caller).add(call);
                        return CompletableFuture.completedFuture(v);
                      });
                }
              });
      callers.add(thread);
      thread.start();
    }
    Thread completer =
        new Thread(
            () -> {
              int done = 0;
              while (done < threads * callsPerThread / 100) {
                CompletableFuture<String> next = null;
                synchronized (gates) {
                  if (done < gates.size()) {
                    next = gates.get(done);
                  }
                }
                if (next != null) {
                  next.complete("g");
                  done++;
                } else {
                  Thread.onSpinWait();
                }
              }
            });
    completer.start();
    start.countDown();
    for (Thread t : callers) {
      t.join(TimeUnit.SECONDS.toMillis(30));
    }
    completer.join(TimeUnit.SECONDS.toMillis(30));
    for (int t = 0; t < threads; t++) {
      List<Integer> ran = runs.get(t);
      assertThat(ran).as("caller %d's calls", t).hasSize(callsPerThread);
      for (int i = 0; i < callsPerThread; i++) {
        if (ran.get(i) != i) {
          Assertions.fail("caller %d: call %d ran in place %d", t, ran.get(i), i);
        }
      }
    }
    assertThat(order.idle()).isTrue();
  }
}
