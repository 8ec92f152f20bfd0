package dev.cachet.testing.redis;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Injects a 6-node Redis Cluster (3 masters, 3 replicas) into a parameter (of a test, {@code @BeforeEach} or {@code @BeforeAll} method) or a field
 * (static: one for the class; instance: set before each test) of type {@link RedisCluster}. Registers {@link
 * RedisExtension} by itself.
 *
 * <p>Needs {@code redis-server} and {@code redis-cli} on PATH: without them the test is skipped, or fails when the {@code CI} variable is set.
 *
 * <p>{@code owned = false} (the default) gives the server shared by every test class in the JVM: no
 * process control. {@code owned = true} gives a fresh one for this test (or this class, on a static field
 * or {@code @BeforeAll} parameter), stopped afterwards, that the test may kill, pause and restart.
 * Declarations with the same {@link #name()} in one test (for example a {@code @BeforeEach} parameter and
 * the test's parameter) get the same owned instance; use different names for several.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.PARAMETER, ElementType.FIELD})
@ExtendWith(RedisExtension.class)
public @interface RedisClusterServers {
  /** Whether the test gets its own instance for fault injection instead of the shared one. */
  boolean owned() default false;

  /** Distinguishes several owned instances in one test; ignored for shared ones. */
  String name() default "";
}
