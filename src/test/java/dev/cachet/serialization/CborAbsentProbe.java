package dev.cachet.serialization;

import dev.cachet.CacheConfigurationException;
import dev.cachet.internal.OptionalDependencies;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Runs inside {@link CborAbsentClassPathTests}' class loader, where {@code jackson-dataformat-cbor} is
 * missing; answers "ok" or what went wrong.
 */
public final class CborAbsentProbe implements Callable<String> {

  /** Needed by the reflective construction. */
  public CborAbsentProbe() {}

  @Override
  public String call() {
    try {
      Class.forName("com.fasterxml.jackson.dataformat.cbor.CBORFactory");
      return "the CBOR JAR is still visible";
    } catch (ClassNotFoundException expected) {
      // as intended
    }
    if (OptionalDependencies.cborPresent()) {
      return "cborPresent() says true";
    }
    ValueSerializer<Map> json = ValueSerializers.json(Map.class);
    byte[] bytes = json.serialize(Map.of("a", List.of(1, 2)));
    if (!json.deserialize(bytes).equals(Map.of("a", List.of(1, 2)))) {
      return "JSON did not round-trip";
    }
    @SuppressWarnings("unchecked")
    dev.cachet.internal.MultiFormatSerializer<Map> multi = (dev.cachet.internal.MultiFormatSerializer<Map>) json;
    if (multi.canRead(1)) {
      return "canRead(CBOR) without the JAR";
    }
    try {
      RedisCacheBuilder.newBuilder(String.class, Map.class)
          .name("absent")
          .keyRing(FernetKeyRing.of(FernetKey.generate()))
          .payloadFormat(PayloadFormat.CBOR)
          .build();
      return "build() accepted CBOR without the JAR";
    } catch (CacheConfigurationException e) {
      if (e.reason() != CacheConfigurationException.Reason.MISSING_DEPENDENCY
          || !e.getMessage().contains("com.fasterxml.jackson.dataformat:jackson-dataformat-cbor")) {
        return "wrong exception: " + e.reason() + " " + e.getMessage();
      }
    } catch (Throwable t) {
      return "build() threw " + t;
    }
    return "ok";
  }
}
