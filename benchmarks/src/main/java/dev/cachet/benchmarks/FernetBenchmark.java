package dev.cachet.benchmarks;

import com.macasaet.fernet.Key;
import com.macasaet.fernet.Token;
import com.macasaet.fernet.Validator;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.temporal.TemporalAmount;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Fernet encrypt and decrypt throughput at 100 B, 1 KB, 10 KB and 100 KB for three implementations of
 * the identical token, all under the same key:
 *
 * <ul>
 *   <li>{@code cachet*}: {@link FernetKeyRing#encrypt(byte[])} and {@link FernetKeyRing#decrypt(byte[],
 *       Duration)} (tokens as ASCII bytes, as Redis stores them);
 *   <li>{@code floor*}: {@link JceFernetFloor}, the raw JCE floor with reused {@code Cipher}/{@code Mac}
 *       and no library around it (one per benchmark thread);
 *   <li>{@code fernetJava8*}: {@code com.macasaet.fernet:fernet-java8} 1.5.0, {@code
 *       Token.generate(random, key, bytes).serialise()} and {@code Token.fromString(s)
 *       .validateAndDecrypt(key, validator)} (its API works on strings).
 * </ul>
 *
 * Both decrypt paths that check a TTL use a long one, so tokens made in setup stay valid. {@link
 * FernetThreadsBenchmark} covers platform versus virtual threads.
 *
 * <p>Run through {@code benchmarks/run.sh} (any JDK 17 or newer); see {@code docs/benchmarks.md}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(3)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FernetBenchmark {
  private static final Duration TTL = Duration.ofDays(3650);

  @Param({"100", "1024", "10240", "102400"})
  int size;

  byte[] plaintext;
  FernetKeyRing cachet;
  byte[] cachetToken;
  byte[] keyBytes;
  byte[] floorToken;
  Key fernetJava8Key;
  SecureRandom fernetJava8Random;
  String fernetJava8Token;
  Validator<byte[]> fernetJava8Validator;

  @Setup
  public void setUp() {
    plaintext = new byte[size];
    new Random(size).nextBytes(plaintext);
    FernetKey key = FernetKey.generate();
    cachet = FernetKeyRing.of(key);
    keyBytes = java.util.Base64.getUrlDecoder().decode(key.revealBase64());
    fernetJava8Key = new Key(key.revealBase64());
    fernetJava8Random = new SecureRandom();
    fernetJava8Validator =
        new Validator<>() {
          @Override
          public Function<byte[], byte[]> getTransformer() {
            return Function.identity();
          }

          @Override
          public TemporalAmount getTimeToLive() {
            return TTL;
          }
        };

    cachetToken = cachet.encrypt(plaintext);
    floorToken = new JceFernetFloor(keyBytes).encrypt(plaintext, System.currentTimeMillis() / 1000);
    fernetJava8Token = Token.generate(fernetJava8Random, fernetJava8Key, plaintext).serialise();
    // All three make interchangeable tokens: check each decrypts the others' before measuring.
    byte[] fromJava8 = fernetJava8Token.getBytes(StandardCharsets.US_ASCII);
    check(cachet.decrypt(floorToken, TTL));
    check(cachet.decrypt(fromJava8, TTL));
    check(new JceFernetFloor(keyBytes).decrypt(cachetToken));
    check(Token.fromString(new String(cachetToken, StandardCharsets.US_ASCII))
        .validateAndDecrypt(fernetJava8Key, fernetJava8Validator));
  }

  private void check(byte[] decrypted) {
    if (!Arrays.equals(decrypted, plaintext)) {
      throw new IllegalStateException("implementations disagree");
    }
  }

  /** One raw JCE floor per benchmark thread (its Cipher/Mac are not thread-safe). */
  @State(Scope.Thread)
  public static class Floor {
    JceFernetFloor floor;

    @Setup
    public void setUp(FernetBenchmark benchmark) {
      floor = new JceFernetFloor(benchmark.keyBytes);
    }
  }

  @Benchmark
  public byte[] cachetEncrypt() {
    return cachet.encrypt(plaintext);
  }

  @Benchmark
  public byte[] cachetDecrypt() {
    return cachet.decrypt(cachetToken, TTL);
  }

  @Benchmark
  public byte[] floorEncrypt(Floor floor) {
    return floor.floor.encrypt(plaintext, System.currentTimeMillis() / 1000);
  }

  @Benchmark
  public byte[] floorDecrypt(Floor floor) {
    return floor.floor.decrypt(floorToken);
  }

  @Benchmark
  public String fernetJava8Encrypt() {
    return Token.generate(fernetJava8Random, fernetJava8Key, plaintext).serialise();
  }

  @Benchmark
  public byte[] fernetJava8Decrypt() {
    return Token.fromString(fernetJava8Token).validateAndDecrypt(fernetJava8Key, fernetJava8Validator);
  }
}
