package dev.cachet.cli;

import java.util.Optional;

/**
 * Test-side access to the CLI demo's choice of embedded-redis binary, so the test harness picks the same
 * resource as {@code cachet demo} from one table ({@link DemoRedis#embeddedResource}) instead of a copy.
 */
public final class EmbeddedRedisResources {

  private EmbeddedRedisResources() {}

  /** The embedded-redis resource for an OS and architecture, or empty when the JAR has none. */
  public static Optional<String> forPlatform(String osName, String osArch) {
    return DemoRedis.embeddedResource(osName, osArch);
  }
}
