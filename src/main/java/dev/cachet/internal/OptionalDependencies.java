package dev.cachet.internal;

/**
 * Which optional libraries are on the class path, checked by class name (so this class itself needs
 * none of them). Tests may pretend one is absent through {@link #overrideCborPresentForTests}.
 * Thread-safe.
 */
public final class OptionalDependencies {

  /** The Maven coordinates of Jackson's CBOR data format, named in messages about it. */
  public static final String CBOR_ARTIFACT = "com.fasterxml.jackson.dataformat:jackson-dataformat-cbor";

  private static final boolean CBOR_ON_CLASS_PATH =
      present("com.fasterxml.jackson.dataformat.cbor.CBORFactory");

  private static volatile Boolean cborOverride;

  private OptionalDependencies() {}

  /** Whether {@value #CBOR_ARTIFACT} can be used (or what a test made this answer). */
  public static boolean cborPresent() {
    Boolean override = cborOverride;
    return override != null ? override : CBOR_ON_CLASS_PATH;
  }

  /**
   * Tests only: makes {@link #cborPresent()} answer {@code present}; {@code null} restores the real
   * answer.
   */
  public static void overrideCborPresentForTests(Boolean present) {
    cborOverride = present;
  }

  private static boolean present(String className) {
    try {
      Class.forName(className, false, OptionalDependencies.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
