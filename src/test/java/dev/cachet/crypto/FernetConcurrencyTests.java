package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Many threads encrypting and decrypting at once see only valid round trips. */
class FernetConcurrencyTests {
  private final FernetKey primary = FernetKey.generate();
  private final FernetKey secondary = FernetKey.generate();
  private final FernetKeyRing ring = FernetKeyRing.of(primary, secondary);
  private final byte[] secondaryToken = FernetKeyRing.of(secondary).encrypt(payload(7, 300));

  @Test
  void encryptDecrypt_manyPlatformThreads_roundTrip() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(32);
    try {
      int ok = run(pool, 32, 400);
      assertThat(ok).isEqualTo(32 * 400);
    } finally {
      pool.shutdownNow();
    }
    assertThat(primary.cipher.idleEngines()).isLessThanOrEqualTo(primary.cipher.engineCapacity());
  }

  @Test
  void encryptDecrypt_manyVirtualThreads_roundTrip() throws Throwable {
    Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need Java 21+");
    // Compiled for release 17: reach Executors.newVirtualThreadPerTaskExecutor() reflectively.
    ExecutorService pool =
        (ExecutorService)
            MethodHandles.publicLookup()
                .findStatic(Executors.class, "newVirtualThreadPerTaskExecutor",
                    MethodType.methodType(ExecutorService.class))
                .invoke();
    try {
      int ok = run(pool, 10_000, 20);
      assertThat(ok).isEqualTo(10_000 * 20);
    } finally {
      pool.shutdownNow();
    }
    // 10,000 threads passed through, yet the pool kept at most its small capacity of engines.
    assertThat(primary.cipher.idleEngines())
        .isPositive()
        .isLessThanOrEqualTo(primary.cipher.engineCapacity());
  }

  private int run(ExecutorService pool, int tasks, int opsPerTask) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Integer>> results = new ArrayList<>();
    for (int t = 0; t < tasks; t++) {
      int seed = t;
      Callable<Integer> task =
          () -> {
            start.await();
            int ok = 0;
            for (int i = 0; i < opsPerTask; i++) {
              int size = ThreadLocalRandom.current().nextInt(0, 2049);
              byte[] plaintext = payload(seed * 31 + i, size);
              byte[] token = ring.encrypt(plaintext);
              if (Arrays.equals(ring.decrypt(token), plaintext)
                  && Arrays.equals(ring.decrypt(secondaryToken), payload(7, 300))) {
                ok++;
              }
            }
            return ok;
          };
      results.add(pool.submit(task));
    }
    start.countDown();
    int ok = 0;
    for (Future<Integer> result : results) {
      ok += result.get(120, TimeUnit.SECONDS);
    }
    return ok;
  }

  private static byte[] payload(int seed, int size) {
    byte[] data = new byte[size];
    new java.util.Random(seed).nextBytes(data);
    return data;
  }
}
