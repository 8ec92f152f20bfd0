package dev.cachet.redis;

import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;

/** Helpers shared by the Redis tier tests. */
final class RedisTestSupport {

  private RedisTestSupport() {}

  /** One ring for a whole test JVM, so entries written by one test can be read by another builder. */
  static final FernetKeyRing RING = FernetKeyRing.of(FernetKey.generate());

  /** A valid Cachet key prefix from a harness key prefix ({@code cachet-test:Class:} has colons). */
  static String prefixFrom(String harnessPrefix) {
    String p = harnessPrefix.replace(':', '.');
    while (p.endsWith(".")) {
      p = p.substring(0, p.length() - 1);
    }
    p = p.replaceAll("[^A-Za-z0-9_.-]", "_");
    return p.length() > 64 ? p.substring(p.length() - 64) : p;
  }
}
