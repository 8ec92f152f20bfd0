package dev.cachet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DemoCommandTests {

  @Test
  void demo_smallRun_printsRealMeasurements() {
    CliTestSupport.Run run =
        CliTestSupport.run(
            "demo", "--memory-only", "--requests", "3000", "--keys", "500", "--cache-size", "100",
            "--loader-millis", "0", "--threads", "2");
    assertThat(run.exitCode()).as(run.stderr()).isZero();
    assertThat(run.out())
        .contains("hit rate")
        .contains("loader calls")
        .containsPattern("with cache\\s+[\\d.,]+ us\\s+[\\d.,]+ us")
        .containsPattern("without cache\\s+[\\d.,]+ us");
  }

  @Test
  void demo_badOption_exitsTwoWithUsageOnStderr() {
    CliTestSupport.Run run = CliTestSupport.run("demo", "--requests", "many");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr()).contains("--requests").contains("'many'").contains("Usage: cachet demo");
  }

  @Test
  void unknownCommand_exitsTwo() {
    CliTestSupport.Run run = CliTestSupport.run("frobnicate");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.stderr()).contains("unknown command 'frobnicate'");
  }

  @Test
  void help_listsCommands() {
    CliTestSupport.Run run = CliTestSupport.run("--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("demo");
  }

  @Test
  void zipfSampler_favoursLowRanks() {
    DemoCommand.ZipfSampler sampler = new DemoCommand.ZipfSampler(1000, 1.0);
    SplittableRandom random = new SplittableRandom(1);
    int[] counts = new int[1000];
    for (int i = 0; i < 100_000; i++) {
      counts[sampler.sample(random)]++;
    }
    // rank 1 is drawn about twice as often as rank 2, and far more often than rank 100
    assertThat(counts[0]).isBetween((int) (counts[1] * 1.7), (int) (counts[1] * 2.3));
    assertThat(counts[0]).isGreaterThan(counts[99] * 50);
  }
}
