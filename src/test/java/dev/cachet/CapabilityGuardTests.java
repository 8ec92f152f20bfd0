package dev.cachet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.cachet.memory.MemoryCacheBuilder;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/** The contract suite's meta-test itself: stray skips fail the class, declared ones do not. */
class CapabilityGuardTests {

  /** Declares no capabilities: tests needing them are skipped legitimately. */
  static class HonestFixture extends CacheContractTests {
    @Override
    protected <K> Cache<K, String> newCache(Spec<K> spec) {
      MemoryCacheBuilder<K, String> b =
          MemoryCacheBuilder.<K, String>newBuilder()
              .name(spec.name())
              .defaultTtl(spec.defaultTtl())
              .maxKeyLength(spec.maxKeyLength());
      if (spec.loader() != null) {
        b.loader(spec.loader());
      }
      return b.build();
    }

    @Override
    protected Set<Capability> capabilities() {
      return EnumSet.noneOf(Capability.class);
    }
  }

  /** Skips a test through a plain assumption, not through requires(): the guard must object. */
  static class StraySkipFixture extends HonestFixture {
    @Test
    void strayAssumption() {
      Assumptions.assumeTrue(false, "redis is not around");
    }
  }

  /** Claims SIZE_BOUND, yet a size test is skipped: the guard must object. */
  static class ClaimsButSkipsFixture extends HonestFixture {
    @Override
    protected Set<Capability> capabilities() {
      return EnumSet.of(Capability.SIZE_BOUND);
    }

    @Test
    void skipsDeclaredCapability() {
      Assumptions.assumeTrue(
          false, CapabilityGuard.UNSUPPORTED_PREFIX + Capability.SIZE_BOUND.name());
    }
  }

  private static Events containerEvents(Class<?> fixture) {
    return EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(fixture))
        .execute()
        .containerEvents();
  }

  @Test
  void undeclaredCapabilities_skipQuietly() {
    EngineTestKit.Builder kit = EngineTestKit.engine("junit-jupiter").selectors(selectClass(HonestFixture.class));
    var results = kit.execute();
    assertThat(results.containerEvents().failed().count()).isZero();
    assertThat(results.testEvents().aborted().count()).isPositive();
    assertThat(results.testEvents().failed().count()).isZero();
  }

  @Test
  void strayAssumption_failsTheClass() {
    assertThat(containerEvents(StraySkipFixture.class).failed().count()).isEqualTo(1);
  }

  @Test
  void skippingADeclaredCapability_failsTheClass() {
    assertThat(containerEvents(ClaimsButSkipsFixture.class).failed().count()).isEqualTo(1);
  }
}
