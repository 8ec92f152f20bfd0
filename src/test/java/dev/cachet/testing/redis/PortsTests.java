package dev.cachet.testing.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Test JVMs running at once take disjoint port slices that together cover the range. */
class PortsTests {

  @Test
  void oneJvm_takesTheWholeRange() {
    assertThat(Ports.slice(1, 1)).containsExactly(Ports.LOW, Ports.HIGH);
  }

  @Test
  void twoJvms_takeDisjointHalves() {
    int[] first = Ports.slice(1, 2);
    int[] second = Ports.slice(2, 2);
    assertThat(first[0]).isEqualTo(Ports.LOW);
    assertThat(first[1]).isEqualTo(second[0]);
    assertThat(second[1]).isEqualTo(Ports.HIGH);
    assertThat(first[1] - first[0]).isGreaterThan(5000);
  }

  @Test
  void aForkNumberOutsideTheCount_fallsBackToTheWholeRange() {
    assertThat(Ports.slice(3, 2)).containsExactly(Ports.LOW, Ports.HIGH);
  }
}
