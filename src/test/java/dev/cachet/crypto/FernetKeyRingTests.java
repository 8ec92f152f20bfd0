package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import dev.cachet.CachetEnvironment;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FernetKeyRingTests {
  private final FernetKey oldKey = FernetKey.generate();
  private final FernetKey newKey = FernetKey.generate();

  @Test
  void encrypt_usesPrimary_decryptTriesAllKeys() {
    FernetKeyRing before = FernetKeyRing.of(oldKey);
    FernetKeyRing phaseOne = FernetKeyRing.of(oldKey, newKey); // new key added as secondary
    FernetKeyRing phaseTwo = FernetKeyRing.of(newKey, oldKey); // new key promoted
    byte[] plaintext = "value".getBytes(StandardCharsets.UTF_8);

    byte[] fromBefore = before.encrypt(plaintext);
    byte[] fromPhaseTwo = phaseTwo.encrypt(plaintext);

    assertThat(phaseOne.decrypt(fromBefore)).isEqualTo(plaintext);
    assertThat(phaseOne.decrypt(fromPhaseTwo)).isEqualTo(plaintext);
    assertThat(phaseTwo.decrypt(fromBefore)).isEqualTo(plaintext);
    assertThat(FernetKeyRing.of(newKey).decrypt(fromPhaseTwo)).isEqualTo(plaintext);
    assertThatThrownBy(() -> FernetKeyRing.of(newKey).decrypt(fromBefore))
        .isInstanceOf(ValueDecryptionException.class);
    assertThatThrownBy(() -> before.decrypt(fromPhaseTwo)).isInstanceOf(ValueDecryptionException.class);
  }

  @Test
  void decryptInPlace_seesWhatDecryptReturns_forEverySize_andWipesTheBufferAfterwards() {
    FernetKeyRing ring = FernetKeyRing.of(newKey, oldKey);
    java.util.Random random = new java.util.Random(7);
    byte[][] kept = new byte[1][];
    for (int size : new int[] {0, 1, 15, 16, 17, 1000, 1024, 5000, 70_000, 200_000}) {
      byte[] plaintext = new byte[size];
      random.nextBytes(plaintext);
      java.util.Arrays.fill(plaintext, 0, Math.min(size, 4), (byte) 0x5a); // never all zero
      for (FernetKeyRing writer : List.of(FernetKeyRing.of(newKey), FernetKeyRing.of(oldKey))) {
        byte[] token = writer.encrypt(plaintext);
        byte[] copy =
            ring.decrypt(
                token,
                (buf, off, len) -> {
                  kept[0] = buf;
                  return java.util.Arrays.copyOfRange(buf, off, off + len);
                });
        assertThat(copy).isEqualTo(ring.decrypt(token)).isEqualTo(plaintext);
        // the reused buffer holds no plaintext once the call returned
        for (int i = 0; i < size; i++) {
          assertThat(kept[0][i]).as("byte %d of %d", i, size).isZero();
        }
      }
    }
  }

  @Test
  void decryptInPlace_rejectsWhatDecryptRejects_withoutCallingTheReader() {
    FernetKeyRing ring = FernetKeyRing.of(newKey);
    byte[] foreign = FernetKeyRing.of(oldKey).encrypt(new byte[100]);
    byte[] tampered = ring.encrypt(new byte[100]);
    tampered[20] = (byte) (tampered[20] == 'A' ? 'B' : 'A');
    for (byte[] bad : new byte[][] {foreign, tampered, "not a token".getBytes(StandardCharsets.US_ASCII), new byte[0]}) {
      assertThatThrownBy(() -> ring.decrypt(bad, (buf, off, len) -> {
            throw new AssertionError("the reader must not run");
          }))
          .isInstanceOf(ValueDecryptionException.class);
    }
    // a reader that throws still leaves the pool usable and the buffer wiped
    byte[] token = ring.encrypt("secret".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> ring.decrypt(token, (buf, off, len) -> {
          throw new IllegalStateException("reader failed");
        }))
        .isInstanceOf(IllegalStateException.class);
    String read = ring.decrypt(token, (buf, off, len) -> new String(buf, off, len, StandardCharsets.UTF_8));
    assertThat(read).isEqualTo("secret");
  }

  @Test
  void rotate_reencryptsUnderPrimaryKeepingTimestamp() {
    Clock past = Clock.fixed(Instant.ofEpochSecond(1_600_000_000L), ZoneOffset.UTC);
    Clock now = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC);
    byte[] plaintext = new byte[1000];
    byte[] oldToken = FernetKeyRing.of(oldKey).withClock(past).encrypt(plaintext);
    FernetKeyRing ring = FernetKeyRing.of(newKey, oldKey).withClock(now);

    byte[] rotated = ring.rotate(oldToken);

    assertThat(rotated).isNotEqualTo(oldToken);
    assertThat(FernetKeyRing.of(newKey).decrypt(rotated)).isEqualTo(plaintext);
    assertThat(ring.extractTimestamp(rotated)).isEqualTo(1_600_000_000L);
    assertThatThrownBy(() -> FernetKeyRing.of(oldKey).decrypt(rotated))
        .isInstanceOf(ValueDecryptionException.class);
    // rotating twice is fine and keeps the timestamp
    assertThat(ring.extractTimestamp(ring.rotate(rotated))).isEqualTo(1_600_000_000L);
  }

  @Test
  void decrypt_stringAndBytesForms_agree() {
    FernetKeyRing ring = FernetKeyRing.of(oldKey);
    String token = ring.encryptToString(new byte[] {9, 8, 7});

    assertThat(ring.decrypt(token)).containsExactly(9, 8, 7);
    assertThat(ring.decrypt(token.getBytes(StandardCharsets.US_ASCII))).containsExactly(9, 8, 7);
    assertThat(ring.decrypt(token, Duration.ofMinutes(1))).containsExactly(9, 8, 7);
  }

  @Test
  void decrypt_negativeTtl_throwsIllegalArgument() {
    FernetKeyRing ring = FernetKeyRing.of(oldKey);
    byte[] token = ring.encrypt(new byte[1]);
    assertThatThrownBy(() -> ring.decrypt(token, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parse_commaSeparated_keepsOrderAndTrims() {
    FernetKeyRing ring = FernetKeyRing.parse(" " + newKey.revealBase64() + " ,\n" + oldKey.revealBase64());

    assertThat(ring.primaryKeyId()).isEqualTo(newKey.keyId());
    assertThat(ring.keyIds()).containsExactly(newKey.keyId(), oldKey.keyId());
  }

  @Test
  void parse_badItem_namesPositionNotContent() {
    String bad = oldKey.revealBase64().substring(0, 40) + "!!!=";
    assertThatThrownBy(() -> FernetKeyRing.parse(newKey.revealBase64() + "," + bad))
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.INVALID_ENCRYPTION_KEY);
              assertThat(e.getMessage()).contains("item 2 of 2");
              CryptoSecrets.assertNoMaterial(e.getMessage(), oldKey, newKey);
            });
    assertThatThrownBy(() -> FernetKeyRing.parse(newKey.revealBase64() + ","))
        .isInstanceOf(CacheConfigurationException.class);
  }

  @Test
  void of_duplicateKey_isRejectedByKeyId() {
    assertThatThrownBy(() -> FernetKeyRing.of(oldKey, FernetKey.parse(oldKey.revealBase64())))
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> {
              assertThat(e.getMessage()).contains(oldKey.keyId());
              CryptoSecrets.assertNoMaterial(e.getMessage(), oldKey);
            });
    assertThatThrownBy(() -> FernetKeyRing.of(List.of())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void fromEnvironment_prefersRingThenKeyThenLegacy() {
    String a = oldKey.revealBase64();
    String b = newKey.revealBase64();

    assertThat(FernetKeyRing.fromEnvironment(CachetEnvironment.of(Map.of()))).isEmpty();
    assertThat(ids(Map.of(CachetEnvironment.LEGACY_ENCRYPTION_KEY, a))).containsExactly(oldKey.keyId());
    assertThat(ids(Map.of(CachetEnvironment.LEGACY_ENCRYPTION_KEY, a, CachetEnvironment.ENCRYPTION_KEY, b)))
        .containsExactly(newKey.keyId());
    assertThat(
            ids(Map.of(
                CachetEnvironment.ENCRYPTION_KEY, a,
                CachetEnvironment.ENCRYPTION_KEYS, b + "," + a)))
        .containsExactly(newKey.keyId(), oldKey.keyId());
  }

  @Test
  void fromEnvironment_invalidValue_namesVariableNotValue() {
    String bad = oldKey.revealBase64().substring(1);
    for (String variable :
        List.of(CachetEnvironment.ENCRYPTION_KEY, CachetEnvironment.LEGACY_ENCRYPTION_KEY,
            CachetEnvironment.ENCRYPTION_KEYS)) {
      assertThatThrownBy(() -> FernetKeyRing.fromEnvironment(CachetEnvironment.of(Map.of(variable, bad))))
          .isInstanceOfSatisfying(
              CacheConfigurationException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.INVALID_ENCRYPTION_KEY);
                assertThat(e.getMessage()).contains(variable);
                CryptoSecrets.assertNoMaterial(e.getMessage(), oldKey);
              });
    }
  }

  @Test
  void requireFromEnvironment_missing_namesVariablesAndKeygen() {
    assertThatThrownBy(() -> FernetKeyRing.requireFromEnvironment(CachetEnvironment.of(Map.of())))
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.MISSING_ENCRYPTION_KEY);
              assertThat(e.getMessage())
                  .contains("CACHET_ENCRYPTION_KEY", "REDIS_ENCRYPTION_KEY", "CACHET_ENCRYPTION_KEYS", "keygen");
            });
    assertThat(FernetKeyRing.requireFromEnvironment(
                CachetEnvironment.of(Map.of(CachetEnvironment.ENCRYPTION_KEY, oldKey.revealBase64())))
            .primaryKeyId())
        .isEqualTo(oldKey.keyId());
  }

  @Test
  void toString_showsKeyIdsOnly() {
    FernetKeyRing ring = FernetKeyRing.of(newKey, oldKey);

    assertThat(ring.toString())
        .isEqualTo("FernetKeyRing[primary=" + newKey.keyId() + ", keys=[" + newKey.keyId() + ", "
            + oldKey.keyId() + "]]");
    CryptoSecrets.assertNoMaterial(ring.toString(), newKey, oldKey);
    CryptoSecrets.assertNoMaterial(ring.withClock(Clock.systemUTC()).toString(), newKey, oldKey);
  }

  @Test
  void exceptions_fromEveryFailure_carryNoMaterial() {
    FernetKeyRing ring = FernetKeyRing.of(newKey, oldKey);
    byte[] token = FernetKeyRing.of(FernetKey.generate()).encrypt(new byte[3]);
    try {
      ring.decrypt(token);
    } catch (ValueDecryptionException e) {
      CryptoSecrets.assertNoMaterial(String.valueOf(e), newKey, oldKey);
      return;
    }
    throw new AssertionError("expected a failure");
  }

  private static List<String> ids(Map<String, String> variables) {
    return FernetKeyRing.fromEnvironment(CachetEnvironment.of(variables)).orElseThrow().keyIds();
  }

  @Test
  void ephemeralForTesting_roundTripsAndIsUnreadableByAnotherEphemeralRing() {
    FernetKeyRing one = FernetKeyRing.ephemeralForTesting("a unit test");
    FernetKeyRing two = FernetKeyRing.ephemeralForTesting("a unit test");
    byte[] token = one.encrypt("hello".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    org.assertj.core.api.Assertions.assertThat(one.decrypt(token))
        .isEqualTo("hello".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    org.assertj.core.api.Assertions.assertThat(one.primaryKeyId()).isNotEqualTo(two.primaryKeyId());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> two.decrypt(token))
        .isInstanceOf(ValueDecryptionException.class);
  }
}
