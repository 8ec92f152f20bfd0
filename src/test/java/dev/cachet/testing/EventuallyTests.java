package dev.cachet.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventuallyTests {

  @Test
  void await_conditionBecomesTrue_returns() {
    AtomicInteger polls = new AtomicInteger();
    Eventually.await(Duration.ofSeconds(5), Duration.ofMillis(1), "third poll", () -> polls.incrementAndGet() >= 3);
    assertThat(polls).hasValue(3);
  }

  @Test
  void await_conditionStaysFalse_failsNamingTheDescription() {
    assertThatThrownBy(() -> Eventually.await(Duration.ofMillis(30), Duration.ofMillis(5), "never", () -> false))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("timed out after 30 ms")
        .hasMessageContaining("never");
  }

  @Test
  void await_assertionKeepsFailing_keepsTheLastFailureAsCause() {
    assertThatThrownBy(
            () ->
                Eventually.await(
                    Duration.ofMillis(20),
                    Duration.ofMillis(5),
                    "value",
                    () -> assertThat(1).as("the value").isEqualTo(2)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("the value")
        .hasCauseInstanceOf(AssertionError.class);
  }

  @Test
  void await_zeroTimeout_stillPollsOnce() {
    AtomicInteger polls = new AtomicInteger();
    Eventually.await(Duration.ZERO, Duration.ofMillis(5), "once", () -> polls.incrementAndGet() == 1);
    assertThat(polls).hasValue(1);
  }

  @Test
  void awaitValue_returnsTheFirstNonNullValue() {
    AtomicInteger polls = new AtomicInteger();
    String value =
        Eventually.awaitValue(
            Duration.ofSeconds(5), Duration.ofMillis(1), "value", () -> polls.incrementAndGet() < 2 ? null : "v");
    assertThat(value).isEqualTo("v");
  }

  @Test
  void await_nonPositivePollInterval_isRejected() {
    assertThatThrownBy(() -> Eventually.await(Duration.ofSeconds(1), Duration.ZERO, "x", () -> true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pollInterval");
  }

  @Test
  void deadline_expiresAfterItsTimeout() {
    Deadline deadline = Deadline.after(Duration.ZERO);
    assertThat(deadline.isExpired()).isTrue();
    assertThat(deadline.remaining()).isEqualTo(Duration.ZERO);
    assertThat(Deadline.after(Duration.ofHours(1)).hasTimeLeft()).isTrue();
    assertThatThrownBy(() -> Deadline.after(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void testEnvironment_readsCiAndExternalUrl() {
    assertThat(TestEnvironment.of(java.util.Map.of("CI", "true")).isCi()).isTrue();
    assertThat(TestEnvironment.of(java.util.Map.of("CI", " ")).isCi()).isFalse();
    TestEnvironment env = TestEnvironment.of(java.util.Map.of("CACHET_TEST_REDIS_URL", "redis://u:secret@h:1"));
    assertThat(env.externalRedisUrl()).hasValue("redis://u:secret@h:1");
    assertThat(env.toString()).doesNotContain("secret");
  }
}
