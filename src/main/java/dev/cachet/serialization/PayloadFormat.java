package dev.cachet.serialization;

/**
 * The encoding of a sealed Redis value's payload, named by an id in the envelope's flags
 * ({@code docs/wire-format.md}), so that every reader knows how to read an entry whoever wrote it.
 * Chosen for writing with {@code RedisCacheBuilder.payloadFormat(...)}; every reader of this release
 * reads both.
 */
public enum PayloadFormat {
  /** Id 0, the default: the serializer's own bytes (for the JSON serializers, compact UTF-8 JSON). */
  JSON(0),
  /**
   * Id 1: CBOR (RFC 8949) through Jackson, with the same mapper configuration as the JSON serializer
   * (so the same modules, names and {@code java.time} handling). Needs {@code
   * com.fasterxml.jackson.dataformat:jackson-dataformat-cbor} on the class path, and a serializer from
   * {@link ValueSerializers#json(Class)} or its overloads. Smaller than JSON by the quotes,
   * separators and number digits it does not write (an order record of text and numbers: 16 to 24 %
   * smaller, {@code docs/benchmarks.md}). Releases before this format existed refuse such entries and
   * delete them: write it only once every reader of the cache runs this release or later.
   */
  CBOR(1);

  private final int id;

  PayloadFormat(int id) {
    this.id = id;
  }

  /** The id written in the envelope's flags (bits 1-2): 0 for JSON, 1 for CBOR. */
  public int id() {
    return id;
  }
}
