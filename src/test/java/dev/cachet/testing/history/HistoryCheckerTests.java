package dev.cachet.testing.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryCheckerTests {

  private static final Duration BOUND = Duration.ofMillis(100);
  private static final long MS = 1_000_000L;

  private static History.Op put(String key, String value, long start, long end) {
    return new History.Op("a", History.Kind.PUT, key, value, start * MS, end * MS);
  }

  private static History.Op read(String key, String value, long start, long end) {
    return new History.Op("b", History.Kind.READ, key, value, start * MS, end * MS);
  }

  @Test
  void aReadOfTheLatestValue_orWithinTheBound_orAMiss_isFine() {
    List<History.Op> ops = List.of(
        put("k", "k@1@a", 0, 10), put("k", "k@2@a", 20, 30),
        read("k", "k@1@a", 5, 6),      // overlaps the put that wrote it
        read("k", "k@1@a", 100, 101),  // the newer put returned 70 ms before: within the bound
        read("k", "k@2@a", 200, 201),
        read("k", null, 300, 301));
    HistoryChecker.Result result = HistoryChecker.check(ops, BOUND);
    assertThat(result.ok()).as(result.toString()).isTrue();
    assertThat(result.maxStalenessNanos()).isEqualTo(70 * MS);
  }

  @Test
  void aReadStalerThanTheBound_isReported_evenAfterAnInvalidate() {
    List<History.Op> ops = List.of(
        put("k", "k@1@a", 0, 10), new History.Op("a", History.Kind.INVALIDATE, "k", null, 20 * MS, 30 * MS),
        read("k", "k@1@a", 131, 132));
    HistoryChecker.Result result = HistoryChecker.check(ops, BOUND);
    assertThat(result.stale()).isEqualTo(1);
  }

  @Test
  void overlappingPuts_eitherValueMayWin() {
    List<History.Op> ops = List.of(
        put("k", "k@1@a", 0, 50), put("k", "k@2@a", 10, 20), read("k", "k@1@a", 1_000, 1_001));
    assertThat(HistoryChecker.check(ops, BOUND).ok()).isTrue();
  }

  @Test
  void wrongValues_areReported() {
    List<History.Op> ops = List.of(
        put("k", "k@1@a", 0, 10), put("j", "j@2@a", 0, 10),
        read("k", "j@2@a", 20, 21),          // another key's value
        read("k", "k@9@a", 20, 21),          // never written
        read("k", "k@3@a", 20, 21), put("k", "k@3@a", 30, 40)); // from the future
    assertThat(HistoryChecker.check(ops, BOUND).wrongValues()).isEqualTo(3);
  }
}
