package dev.cachet.testing.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * Without {@code redis-server} on PATH, cluster and Sentinel tests skip on a developer machine and fail
 * with an install hint under CI. PATH and CI are overridden through configuration parameters, so these
 * run the same on any machine.
 */
class RedisExtensionMissingBinaryTests {

  private static Events run(Class<?> fixture, String ci) {
    return execute(fixture, ci).testEvents();
  }

  private static EngineExecutionResults execute(Class<?> fixture, String ci) {
    return EngineTestKit.engine("junit-jupiter")
        .configurationParameter(RedisExtension.ENVIRONMENT_OVERRIDE_PREFIX + "PATH", "/nonexistent")
        .configurationParameter(RedisExtension.ENVIRONMENT_OVERRIDE_PREFIX + "CI", ci)
        .configurationParameter(RedisExtension.ENVIRONMENT_OVERRIDE_PREFIX + "CACHET_TEST_REDIS_URL", "")
        .selectors(selectClass(fixture))
        .execute();
  }

  @Test
  void withoutRedisServer_parameterTests_skipOutsideCi() {
    run(MissingRedisFixtures.ParameterFixtures.class, "")
        .assertStatistics(stats -> stats.skipped(2).started(0).failed(0));
  }

  @Test
  void withoutRedisServer_parameterTests_failUnderCi_sayingToInstallRedisServer() {
    Events events = run(MissingRedisFixtures.ParameterFixtures.class, "true");
    events.assertStatistics(stats -> stats.started(2).failed(2).skipped(0));
    events.assertThatEvents()
        .haveExactly(2, event(test(), finishedWithFailure(message(m -> m.contains("install redis-server")))));
  }

  @Test
  void withoutRedisServer_fieldTests_abortOutsideCi_andFailUnderCi() {
    // The class is disabled as a whole (its field declares a cluster), or the test aborts.
    EngineExecutionResults local = execute(MissingRedisFixtures.FieldFixture.class, "");
    assertThat(local.allEvents().failed().count()).isZero();
    assertThat(local.testEvents().succeeded().count()).isZero();
    assertThat(local.allEvents().skipped().count() + local.allEvents().aborted().count()).isEqualTo(1);
    run(MissingRedisFixtures.FieldFixture.class, "true")
        .assertStatistics(stats -> stats.failed(1))
        .assertThatEvents()
        .haveExactly(1, event(test(), finishedWithFailure(message(m -> m.contains("install redis-server")))));
  }
}
