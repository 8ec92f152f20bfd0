package dev.cachet.testing.redis;

import dev.cachet.testing.TestEnvironment;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;
import org.opentest4j.TestAbortedException;

/**
 * Gives tests real Redis servers: resolves parameters and injects fields annotated with {@link
 * RedisStandaloneServer}, {@link RedisClusterServers} or {@link RedisSentinelServers} (each annotation
 * registers this extension, so tests need no {@code @ExtendWith}).
 *
 * <pre>{@code
 * class MyIntegrationTests {
 *   @Test
 *   void roundTrip(@RedisStandaloneServer RedisServer redis) {
 *     redis.command("SET", redis.key("k"), "v");
 *     assertThat(redis.command("GET", redis.key("k"))).isEqualTo("v");
 *   }
 * }
 * }</pre>
 *
 * <p>Shared servers live in the root {@link ExtensionContext.Store} (one per JVM, closed when the engine
 * finishes); owned ones in the store of the test or class that declared them. Every process is also
 * killed by a JVM shutdown hook if the run is cut short. Cluster and Sentinel tests are disabled when
 * {@code redis-server} (and, for clusters, {@code redis-cli}) is not on PATH, unless the {@code CI}
 * variable is set: then they fail, saying to install {@code redis-server}.
 */
public final class RedisExtension
    implements ParameterResolver, BeforeAllCallback, BeforeEachCallback, ExecutionCondition {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(RedisExtension.class);

  private final TestEnvironment environment;

  /** Reads the process environment. */
  public RedisExtension() {
    this(TestEnvironment.system());
  }

  RedisExtension(TestEnvironment environment) {
    this.environment = environment;
  }

  // ---- parameters -------------------------------------------------------------------------------

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    return declaration(parameterContext.getParameter()).isPresent();
  }

  @Override
  public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    Parameter parameter = parameterContext.getParameter();
    Declaration declaration = declaration(parameter).orElseThrow();
    try {
      return provide(declaration, parameter.getType(), extensionContext, parameter.toString());
    } catch (RuntimeException e) {
      throw new ParameterResolutionException(
          "cannot provide " + declaration.annotation + " for " + parameter + ": " + e.getMessage(), e);
    }
  }

  // ---- fields -----------------------------------------------------------------------------------

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    for (Field field : annotatedFields(context.getRequiredTestClass())) {
      if (Modifier.isStatic(field.getModifiers())) {
        inject(field, null, context);
      }
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
      for (Field field : annotatedFields(instance.getClass())) {
        if (!Modifier.isStatic(field.getModifiers())) {
          inject(field, instance, context);
        }
      }
    }
  }

  private void inject(Field field, Object instance, ExtensionContext context) throws IllegalAccessException {
    Declaration declaration = declaration(field).orElseThrow();
    Object value;
    try {
      value = provide(declaration, field.getType(), context, field.toString());
    } catch (MissingBinaryException e) {
      if (e.outcome == RedisBinaries.MissingBinaryOutcome.SKIP) {
        throw new TestAbortedException(e.getMessage());
      }
      throw e;
    }
    field.setAccessible(true);
    field.set(instance, value);
  }

  private static List<Field> annotatedFields(Class<?> type) {
    return ReflectionSupport.findFields(
        type, f -> declaration(f).isPresent(), HierarchyTraversalMode.TOP_DOWN);
  }

  // ---- skipping without redis-server --------------------------------------------------------------

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    List<AnnotatedElement> declared = new ArrayList<>();
    Optional<Method> method = context.getTestMethod();
    if (method.isPresent()) {
      declared.addAll(List.of(method.get().getParameters()));
    } else if (context.getTestClass().isPresent()) {
      Class<?> type = context.getTestClass().get();
      declared.addAll(annotatedFields(type));
      for (Class<? extends Annotation> lifecycle :
          List.of(BeforeAll.class, BeforeEach.class, AfterEach.class, AfterAll.class)) {
        for (Method m : AnnotationSupport.findAnnotatedMethods(type, lifecycle, HierarchyTraversalMode.TOP_DOWN)) {
          declared.addAll(List.of(m.getParameters()));
        }
      }
      for (Executable constructor : type.getDeclaredConstructors()) {
        declared.addAll(List.of(constructor.getParameters()));
      }
    }
    for (AnnotatedElement element : declared) {
      Optional<Declaration> declaration = declaration(element);
      if (declaration.isEmpty() || declaration.get().kind == Kind.STANDALONE) {
        continue;
      }
      Optional<String> missing = harness(context).missingFor(declaration.get().kind);
      if (missing.isPresent() && harness(context).missingBinaryOutcome() == RedisBinaries.MissingBinaryOutcome.SKIP) {
        return ConditionEvaluationResult.disabled(missing.get());
      }
    }
    return ConditionEvaluationResult.enabled("Redis binaries available or not needed");
  }

  // ---- providing -----------------------------------------------------------------------------------

  private Object provide(Declaration declaration, Class<?> type, ExtensionContext context, String target) {
    if (!type.isAssignableFrom(declaration.kind.type)) {
      throw new IllegalArgumentException(
          "@" + declaration.kind.annotation.getSimpleName() + " needs a " + declaration.kind.type.getSimpleName()
              + ", not " + type.getName() + " (" + target + ")");
    }
    Harness harness = harness(context);
    switch (declaration.kind) {
      case STANDALONE:
        if (!declaration.owned) {
          Class<?> testClass = context.getRequiredTestClass();
          return context
              .getRoot()
              .getStore(NAMESPACE)
              .computeIfAbsent(
                  List.of("standalone-view", testClass),
                  k -> harness.sharedStandaloneView(keyPrefixFor(testClass)),
                  RedisServer.class);
        }
        return context
            .getStore(NAMESPACE)
            .computeIfAbsent(
                List.of("owned-standalone", declaration.name),
                k -> new Owned<>(harness.ownedStandalone(), s -> s.node().orElseThrow().close()),
                Owned.class)
            .value;
      case CLUSTER:
        harness.requireBinariesFor(Kind.CLUSTER);
        if (!declaration.owned) {
          return harness.sharedCluster();
        }
        return context
            .getStore(NAMESPACE)
            .computeIfAbsent(
                List.of("owned-cluster", declaration.name),
                k -> new Owned<>(harness.newCluster(true), RedisCluster::close),
                Owned.class)
            .value;
      case SENTINEL:
        harness.requireBinariesFor(Kind.SENTINEL);
        if (!declaration.owned) {
          return harness.sharedSentinel();
        }
        return context
            .getStore(NAMESPACE)
            .computeIfAbsent(
                List.of("owned-sentinel", declaration.name),
                k -> new Owned<>(harness.newSentinel(true), RedisSentinel::close),
                Owned.class)
            .value;
      default:
        throw new AssertionError(declaration.kind);
    }
  }

  static String keyPrefixFor(Class<?> testClass) {
    String name = testClass.getSimpleName().replaceAll("[^A-Za-z0-9_]", "_");
    String random = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
    return "cachet-test:" + name + ":" + random + ":";
  }

  /**
   * Prefix of JUnit configuration parameters that override environment variables for the harness, e.g.
   * {@code cachet.test.env.PATH=/nonexistent} to act as if {@code redis-server} were not installed.
   */
  public static final String ENVIRONMENT_OVERRIDE_PREFIX = "cachet.test.env.";

  private Harness harness(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .computeIfAbsent(Harness.class.getName(), k -> new Harness(environment(context)), Harness.class);
  }

  private TestEnvironment environment(ExtensionContext context) {
    java.util.Map<String, String> overrides = new java.util.HashMap<>();
    for (String name : TestEnvironment.knownNames()) {
      context
          .getConfigurationParameter(ENVIRONMENT_OVERRIDE_PREFIX + name)
          .ifPresent(value -> overrides.put(name, value));
    }
    return overrides.isEmpty() ? environment : environment.withOverrides(overrides);
  }

  // ---- declarations --------------------------------------------------------------------------------

  enum Kind {
    STANDALONE(RedisStandaloneServer.class, RedisServer.class),
    CLUSTER(RedisClusterServers.class, RedisCluster.class),
    SENTINEL(RedisSentinelServers.class, RedisSentinel.class);

    final Class<? extends Annotation> annotation;
    final Class<?> type;

    Kind(Class<? extends Annotation> annotation, Class<?> type) {
      this.annotation = annotation;
      this.type = type;
    }
  }

  static final class Declaration {
    final Kind kind;
    final boolean owned;
    final String name;
    final Annotation annotation;

    Declaration(Kind kind, boolean owned, String name, Annotation annotation) {
      this.kind = kind;
      this.owned = owned;
      this.name = name;
      this.annotation = annotation;
    }
  }

  static Optional<Declaration> declaration(AnnotatedElement element) {
    RedisStandaloneServer standalone = element.getAnnotation(RedisStandaloneServer.class);
    if (standalone != null) {
      return Optional.of(new Declaration(Kind.STANDALONE, standalone.owned(), standalone.name(), standalone));
    }
    RedisClusterServers cluster = element.getAnnotation(RedisClusterServers.class);
    if (cluster != null) {
      return Optional.of(new Declaration(Kind.CLUSTER, cluster.owned(), cluster.name(), cluster));
    }
    RedisSentinelServers sentinel = element.getAnnotation(RedisSentinelServers.class);
    if (sentinel != null) {
      return Optional.of(new Declaration(Kind.SENTINEL, sentinel.owned(), sentinel.name(), sentinel));
    }
    return Optional.empty();
  }

  /** An owned resource in a test's or class's store, closed with it. */
  static final class Owned<T> implements AutoCloseable {
    final T value;
    private final java.util.function.Consumer<T> closer;

    Owned(T value, java.util.function.Consumer<T> closer) {
      this.value = value;
      this.closer = closer;
    }

    @Override
    public void close() {
      closer.accept(value);
    }
  }

  /** A cluster or Sentinel test ran without the binaries it needs. */
  static final class MissingBinaryException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    final transient RedisBinaries.MissingBinaryOutcome outcome;

    MissingBinaryException(String message, RedisBinaries.MissingBinaryOutcome outcome) {
      super(message);
      this.outcome = outcome;
    }
  }

  /** The JVM-wide state: binaries and shared servers, closed when the engine finishes. */
  static final class Harness implements AutoCloseable {
    private final TestEnvironment environment;
    private final RedisBinaries binaries;
    private RedisNode sharedStandaloneNode;
    private RedisCluster sharedCluster;
    private RedisSentinel sharedSentinel;

    Harness(TestEnvironment environment) {
      this.environment = environment;
      this.binaries = new RedisBinaries(environment);
    }

    RedisBinaries.MissingBinaryOutcome missingBinaryOutcome() {
      return binaries.missingBinaryOutcome();
    }

    /** Why {@code kind} cannot run here, if it cannot. */
    Optional<String> missingFor(Kind kind) {
      return missing(binaries, environment, kind);
    }

    void requireBinariesFor(Kind kind) {
      Optional<String> missing = missingFor(kind);
      if (missing.isPresent()) {
        throw new MissingBinaryException(missing.get(), binaries.missingBinaryOutcome());
      }
    }

    synchronized RedisServer sharedStandaloneView(String keyPrefix) {
      Optional<String> url = environment.externalRedisUrl();
      if (url.isPresent()) {
        return RedisServer.external(url.get(), keyPrefix);
      }
      if (sharedStandaloneNode == null) {
        sharedStandaloneNode = RedisServer.startNode("standalone-shared", binaries.standaloneServer());
        sharedStandaloneNode.markShared("standalone server");
      }
      return RedisServer.local(sharedStandaloneNode, keyPrefix, false);
    }

    RedisServer ownedStandalone() {
      return RedisServer.local(RedisServer.startNode("standalone-owned", binaries.standaloneServer()), "", true);
    }

    synchronized RedisCluster sharedCluster() {
      if (sharedCluster == null) {
        sharedCluster = newCluster(false);
      }
      return sharedCluster;
    }

    RedisCluster newCluster(boolean owned) {
      requireBinariesFor(Kind.CLUSTER);
      return RedisCluster.start(binaries.pathServer().orElseThrow(), binaries.cli().orElseThrow(), owned);
    }

    synchronized RedisSentinel sharedSentinel() {
      if (sharedSentinel == null) {
        sharedSentinel = newSentinel(false);
      }
      return sharedSentinel;
    }

    RedisSentinel newSentinel(boolean owned) {
      requireBinariesFor(Kind.SENTINEL);
      return RedisSentinel.start(binaries.pathServer().orElseThrow(), owned);
    }

    @Override
    public synchronized void close() {
      if (sharedSentinel != null) {
        sharedSentinel.close();
      }
      if (sharedCluster != null) {
        sharedCluster.close();
      }
      if (sharedStandaloneNode != null) {
        sharedStandaloneNode.close();
      }
      binaries.close();
    }
  }

  /** The reason {@code kind} cannot run with these binaries, or empty. */
  static Optional<String> missing(RedisBinaries binaries, TestEnvironment environment, Kind kind) {
    if (kind == Kind.STANDALONE) {
      return Optional.empty();
    }
    String what = kind == Kind.CLUSTER ? "Redis Cluster" : "Redis Sentinel";
    String ci = environment.isCi() ? " (failing, not skipping, because CI is set)" : "";
    if (binaries.pathServer().isEmpty()) {
      return Optional.of(what + " tests need redis-server on PATH: " + RedisBinaries.INSTALL_HINT + ci);
    }
    if (kind == Kind.CLUSTER && binaries.cli().isEmpty()) {
      return Optional.of(what + " tests need redis-cli on PATH: " + RedisBinaries.INSTALL_HINT + ci);
    }
    return Optional.empty();
  }
}
