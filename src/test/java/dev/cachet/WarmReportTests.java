package dev.cachet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WarmReportTests {

  @Test
  void counts_addUpToRequested_andToStringShowsNoMessage() {
    IOException cause = new IOException("customer 4711 not found");
    WarmReport report = WarmReport.of(5, 3, 1, 2, 4, Duration.ofMillis(12), cause);
    assertThat(report.requested()).isEqualTo(11);
    assertThat(report.loaded()).isEqualTo(5);
    assertThat(report.alreadyPresent()).isEqualTo(3);
    assertThat(report.absent()).isEqualTo(1);
    assertThat(report.failed()).isEqualTo(2);
    assertThat(report.possibleDuplicates()).isEqualTo(4);
    assertThat(report.elapsed()).isEqualTo(Duration.ofMillis(12));
    assertThat(report.firstFailure()).containsSame(cause);
    assertThat(report.toString())
        .contains("requested=11", "failed=2", "possibleDuplicates=4", "java.io.IOException")
        .doesNotContain("4711");
    assertThat(WarmReport.of(0, 0, 0, 0, 0, Duration.ZERO, null).firstFailure()).isEmpty();
  }

  @Test
  void of_rejectsImpossibleReports() {
    assertThatThrownBy(() -> WarmReport.of(-1, 0, 0, 0, 0, Duration.ZERO, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    assertThatThrownBy(() -> WarmReport.of(1, 0, 0, 0, 2, Duration.ZERO, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("possibleDuplicates");
    assertThatThrownBy(() -> WarmReport.of(0, 0, 0, 1, 0, Duration.ZERO, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("first failure");
    assertThatThrownBy(() -> WarmReport.of(0, 0, 0, 0, 0, null, null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("elapsed");
  }
}
