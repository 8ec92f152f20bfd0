package dev.cachet;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package rules of {@code ../shared/STYLE.md}, which {@code module-info} cannot express between
 * packages of one module: which package may import which library and which other package.
 */
@AnalyzeClasses(packages = "dev.cachet", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTests {

  private static ArchRule onlyPackagesMayUse(String library, String... packages) {
    return noClasses()
        .that()
        .resideOutsideOfPackages(packages)
        .should()
        .dependOnClassesThat()
        .resideInAPackage(library)
        .as(library + " is used only in " + String.join(", ", packages))
        .allowEmptyShould(true);
  }

  @ArchTest
  static final ArchRule caffeineOnlyInMemory =
      onlyPackagesMayUse("com.github.benmanes.caffeine..", "dev.cachet.memory..");

  @ArchTest
  static final ArchRule lettuceOnlyInRedis =
      onlyPackagesMayUse("io.lettuce..", "dev.cachet.redis..");

  /** picocli is an optional dependency, shaded into the -cli JAR only. */
  @ArchTest
  static final ArchRule picocliOnlyInCli = onlyPackagesMayUse("picocli..", "dev.cachet.cli..");

  @ArchTest
  static final ArchRule nettyAndReactorOnlyInRedis =
      noClasses()
          .that()
          .resideOutsideOfPackages("dev.cachet.redis..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("io.netty..", "reactor..")
          .allowEmptyShould(true);

  @ArchTest
  static final ArchRule tinkOnlyInCrypto =
      onlyPackagesMayUse("com.google.crypto.tink..", "dev.cachet.crypto..");

  @ArchTest
  static final ArchRule protobufOnlyInCrypto =
      onlyPackagesMayUse("com.google.protobuf..", "dev.cachet.crypto..");

  @ArchTest
  static final ArchRule jacksonOnlyInSerialization =
      onlyPackagesMayUse("com.fasterxml.jackson..", "dev.cachet.serialization..");

  @ArchTest
  static final ArchRule micrometerOnlyInMetrics =
      onlyPackagesMayUse(
          "io.micrometer..", "dev.cachet.metrics..", "dev.cachet.factory..", "dev.cachet.cli..", "dev.cachet.spring..");

  /** Spring is optional: only the integration package may touch it (SpringFreeTests runs without it). */
  @ArchTest
  static final ArchRule springOnlyInSpring =
      onlyPackagesMayUse("org.springframework..", "dev.cachet.spring..");

  @ArchTest
  static final ArchRule nothingDependsOnSpring =
      noClasses()
          .that()
          .resideOutsideOfPackages("dev.cachet.spring..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.cachet.spring..")
          .as("no package depends on dev.cachet.spring, so the library works without Spring");

  @ArchTest
  static final ArchRule resilience4jOnlyInResilienceAndMetrics =
      onlyPackagesMayUse(
          "io.github.resilience4j..", "dev.cachet.resilience..", "dev.cachet.metrics..",
          "dev.cachet.factory..", "dev.cachet.cli..");

  @ArchTest
  static final ArchRule rootPackageUsesNoThirdPartyOrSubpackage =
      classes()
          .that()
          .resideInAPackage("dev.cachet")
          .should()
          .onlyDependOnClassesThat()
          .resideInAnyPackage("dev.cachet", "java..")
          .as("the root package dev.cachet exposes no third-party or implementation types");

  @ArchTest
  static final ArchRule spiDependsOnlyOnRoot =
      classes()
          .that()
          .resideInAPackage("dev.cachet.spi..")
          .should()
          .onlyDependOnClassesThat()
          .resideInAnyPackage("dev.cachet", "dev.cachet.spi..", "dev.cachet.internal..", "java..")
          .allowEmptyShould(true);

  @ArchTest
  static final ArchRule internalDependsOnlyOnRootAndJdk =
      classes()
          .that()
          .resideInAPackage("dev.cachet.internal..")
          .should()
          .onlyDependOnClassesThat(
              com.tngtech.archunit.base.DescribedPredicate.or(
                  com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage(
                      "dev.cachet", "dev.cachet.internal..", "java..", "org.slf4j.."),
                  com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf(
                      dev.cachet.spi.RemoteOperation.class, dev.cachet.spi.RemoteErrorReason.class)))
          .as("internal depends only on the root package, the JDK, SLF4J and the SPI's public enums");

  @ArchTest
  static final ArchRule tieredKnowsNoRedis =
      noClasses()
          .that()
          .resideInAPackage("dev.cachet.tiered..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("dev.cachet.redis..", "dev.cachet.crypto..", "io.lettuce..")
          .allowEmptyShould(true);

  @ArchTest
  static final ArchRule cryptoAndSerializationStandAlone =
      noClasses()
          .that()
          .resideInAnyPackage("dev.cachet.crypto..", "dev.cachet.serialization..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "dev.cachet.redis..", "dev.cachet.tiered..", "dev.cachet.memory..",
              "dev.cachet.resilience..", "dev.cachet.metrics..", "dev.cachet.factory..")
          .allowEmptyShould(true);

  @ArchTest
  static final ArchRule memoryIsALeaf =
      noClasses()
          .that()
          .resideInAPackage("dev.cachet.memory..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "dev.cachet.redis..", "dev.cachet.tiered..", "dev.cachet.crypto..",
              "dev.cachet.resilience..", "dev.cachet.metrics..", "dev.cachet.factory..");

  @ArchTest
  static final ArchRule nothingDependsOnFactoryOrCli =
      noClasses()
          .that()
          .resideOutsideOfPackages("dev.cachet.factory..", "dev.cachet.cli..", "dev.cachet.spring..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("dev.cachet.factory..", "dev.cachet.cli..")
          .allowEmptyShould(true)
          .as("only the CLI and the Spring integration (CachetCacheManager over a CacheFactory) use the"
              + " factory; nothing uses the CLI");

  @ArchTest
  static final ArchRule springDoesNotDependOnTheCli =
      noClasses()
          .that()
          .resideInAPackage("dev.cachet.spring..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.cachet.cli..")
          .as("the Spring integration does not use the CLI");

  @ArchTest
  static final ArchRule noJavaSerialization =
      noClasses()
          .should()
          .dependOnClassesThat()
          .haveFullyQualifiedName("java.io.ObjectInputStream")
          .orShould()
          .dependOnClassesThat()
          .haveFullyQualifiedName("java.io.ObjectOutputStream")
          .as("Java serialization is never used");

  @ArchTest
  static final ArchRule onlyTheEnvironmentReaderReadsTheEnvironment =
      noClasses()
          .that()
          .doNotHaveFullyQualifiedName(CachetEnvironment.class.getName())
          .should()
          .callMethod(System.class, "getenv")
          .orShould()
          .callMethod(System.class, "getenv", String.class)
          .as("only CachetEnvironment reads environment variables");

  /**
   * No public or protected signature outside {@code dev.cachet.internal} mentions an internal type
   * (parameters, return types, generic arguments, thrown types, fields, supertypes of public types):
   * internal code may change without notice, so applications must never need to name it.
   */
  @ArchTest
  static final ArchRule publicApiMentionsNoInternalType =
      classes()
          .that()
          .resideOutsideOfPackage("dev.cachet.internal..")
          .and()
          .arePublic()
          .should(new com.tngtech.archunit.lang.ArchCondition<com.tngtech.archunit.core.domain.JavaClass>(
              "mention no dev.cachet.internal type in a public or protected signature") {
            @Override
            public void check(
                com.tngtech.archunit.core.domain.JavaClass type,
                com.tngtech.archunit.lang.ConditionEvents events) {
              java.util.function.BiConsumer<String, java.util.Set<com.tngtech.archunit.core.domain.JavaClass>> report =
                  (where, mentioned) -> mentioned.stream()
                      .filter(c -> c.getPackageName().startsWith("dev.cachet.internal"))
                      .forEach(c -> events.add(com.tngtech.archunit.lang.SimpleConditionEvent.violated(
                          type, where + " mentions internal type " + c.getName())));
              java.util.Set<com.tngtech.archunit.core.domain.JavaClass> supertypes = new java.util.HashSet<>();
              type.getRawSuperclass().ifPresent(supertypes::add);
              supertypes.addAll(type.getRawInterfaces());
              report.accept(type.getName() + " (supertypes)", supertypes);
              for (com.tngtech.archunit.core.domain.JavaMember member : type.getMembers()) {
                java.util.Set<com.tngtech.archunit.core.domain.JavaModifier> modifiers = member.getModifiers();
                if (!modifiers.contains(com.tngtech.archunit.core.domain.JavaModifier.PUBLIC)
                    && !modifiers.contains(com.tngtech.archunit.core.domain.JavaModifier.PROTECTED)) {
                  continue;
                }
                java.util.Set<com.tngtech.archunit.core.domain.JavaClass> mentioned = new java.util.HashSet<>();
                if (member instanceof com.tngtech.archunit.core.domain.JavaCodeUnit unit) {
                  mentioned.addAll(unit.getRawParameterTypes());
                  mentioned.add(unit.getRawReturnType());
                  unit.getParameterTypes().forEach(t -> mentioned.addAll(t.getAllInvolvedRawTypes()));
                  mentioned.addAll(unit.getReturnType().getAllInvolvedRawTypes());
                  unit.getThrowsClause().getTypes().forEach(mentioned::add);
                } else if (member instanceof com.tngtech.archunit.core.domain.JavaField field) {
                  mentioned.addAll(field.getType().getAllInvolvedRawTypes());
                }
                report.accept(member.getFullName(), mentioned);
              }
            }
          })
          .allowEmptyShould(true);
}
