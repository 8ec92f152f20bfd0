package dev.cachet.serialization;

import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;

/**
 * The only class that touches {@code jackson-dataformat-cbor}: loaded only once a CBOR payload is read
 * or written, after {@code OptionalDependencies.cborPresent()} said the library is there.
 */
final class CborSupport {

  private CborSupport() {}

  /** {@code reader} with the same configuration, reading CBOR. */
  static ObjectReader reader(ObjectReader reader) {
    return reader.with(new CBORFactory());
  }

  /** {@code writer} with the same configuration, writing CBOR. */
  static ObjectWriter writer(ObjectWriter writer) {
    return writer.with(new CBORFactory());
  }
}
