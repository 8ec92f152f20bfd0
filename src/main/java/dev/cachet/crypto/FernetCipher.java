package dev.cachet.crypto;

import dev.cachet.internal.BoundedPool;
import dev.cachet.CacheException;
import dev.cachet.crypto.ValueDecryptionException.Reason;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Fernet token codec for one key (spec: github.com/fernet/spec, {@code Spec.md}).
 *
 * <pre>
 * token = base64url_padded( 0x80 | timestamp (8, unsigned big-endian seconds) | IV (16)
 *                           | AES-128-CBC-PKCS7(plaintext) (16·n, n ≥ 1) | HMAC-SHA256(all before it) (32) )
 * </pre>
 *
 * Key bytes 0-15 sign (HMAC), bytes 16-31 encrypt (AES). Verification follows the spec and Python's
 * {@code cryptography.fernet}, in this order: decode, version and length, then (only when a time to
 * live is given) age and clock skew, then the constant-time HMAC comparison, then decryption and
 * unpadding. A token exactly {@code ttl} seconds old, or at most {@value #MAX_CLOCK_SKEW_SECONDS} s in
 * the future, is accepted, as in Python.
 *
 * <p>Thread-safe. JCE objects are not, so each key keeps a small {@link BoundedPool} of {@link Engine}s
 * (cipher, MAC, random source and scratch buffers) created on a miss and reused afterwards; nothing is
 * looked up with {@code getInstance} on the hot path and no {@code ThreadLocal} is involved, so virtual
 * threads share the same few engines.
 *
 * <p>Copies are avoided: encryption writes the ciphertext (whole blocks by {@code update}, only the
 * last partial block through {@code doFinal}, which would copy its whole input) and the MAC straight
 * into the engine's raw token buffer and encodes the token from it; decryption MACs the decoded token in place and decrypts straight into the caller's buffer. The last
 * block is decrypted first on its own (an ECB block decryption XORed with the preceding ciphertext
 * block, which is what CBC is) and its PKCS7 padding checked, so the plaintext's exact length is known
 * before the remaining blocks are decrypted by CBC directly into the buffer, without an unpadding copy.
 */
final class FernetCipher {
  static final byte VERSION = (byte) 0x80;
  static final int BLOCK_SIZE = 16;
  static final int MAC_SIZE = 32;
  static final int TIMESTAMP_OFFSET = 1;
  static final int IV_OFFSET = 9;
  static final int CIPHERTEXT_OFFSET = 25;
  /** Version, timestamp, IV, one block and the MAC. */
  static final int MIN_RAW_SIZE = CIPHERTEXT_OFFSET + BLOCK_SIZE + MAC_SIZE;
  static final long MAX_CLOCK_SKEW_SECONDS = 60;

  private final SecretKeySpec signingKey;
  private final SecretKeySpec encryptionKey;
  private final BoundedPool<Engine> engines;

  /** {@code key} is the 32-byte Fernet key; it is copied. */
  FernetCipher(byte[] key) {
    this.signingKey = new SecretKeySpec(key, 0, 16, "HmacSHA256");
    this.encryptionKey = new SecretKeySpec(key, 16, 16, "AES");
    this.engines = new BoundedPool<>(BoundedPool.defaultCapacity(), this::newEngine);
  }

  // ---------------------------------------------------------------- encryption

  /**
   * A token (ASCII bytes) for {@code plaintext} with a random IV. The raw token is sealed into the
   * engine's reused buffer and base64-encoded from there, so the token is the only array allocated (a
   * raw token above {@link Engine#MAX_POOLED_RAW} is sealed into its own array, as {@link #seal} does).
   */
  byte[] encrypt(byte[] plaintext, long timestamp) {
    int rawSize = rawSize(plaintext.length);
    if (rawSize > Engine.MAX_POOLED_RAW) {
      return FernetBase64.encode(seal(plaintext, timestamp, null));
    }
    Engine engine = engines.acquire();
    boolean reusable = false;
    try {
      if (engine.raw.length < rawSize) {
        engine.raw = new byte[Math.min(Engine.MAX_POOLED_RAW, Math.max(rawSize, 2 * engine.raw.length))];
      }
      sealInto(engine, plaintext, timestamp, null, engine.raw);
      byte[] token = FernetBase64.encode(engine.raw, 0, rawSize);
      reusable = true;
      return token;
    } finally {
      if (reusable) {
        engines.release(engine);
      }
    }
  }

  /** The raw (decoded) token size for a plaintext of {@code plaintextLength} bytes. */
  private static int rawSize(int plaintextLength) {
    return CIPHERTEXT_OFFSET + (plaintextLength / BLOCK_SIZE + 1) * BLOCK_SIZE + MAC_SIZE;
  }

  /** A token string for {@code plaintext} with a random IV. */
  String encryptToString(byte[] plaintext, long timestamp) {
    return FernetBase64.encodeToString(seal(plaintext, timestamp, null));
  }

  /**
   * The decoded token bytes for {@code plaintext}.
   *
   * @param fixedIv the 16-byte IV to use, or {@code null} for a random one; only tests fix it
   */
  byte[] seal(byte[] plaintext, long timestamp, byte[] fixedIv) {
    byte[] raw = new byte[rawSize(plaintext.length)];
    Engine engine = engines.acquire();
    boolean reusable = false;
    try {
      sealInto(engine, plaintext, timestamp, fixedIv, raw);
      reusable = true;
      return raw;
    } finally {
      if (reusable) {
        engines.release(engine);
      }
    }
  }

  /** Seals {@code plaintext} into {@code raw[0, rawSize(plaintext.length))} with {@code engine}. */
  private void sealInto(Engine engine, byte[] plaintext, long timestamp, byte[] fixedIv, byte[] raw) {
    int macOffset = rawSize(plaintext.length) - MAC_SIZE;
    raw[0] = VERSION;
    putLong(raw, TIMESTAMP_OFFSET, timestamp);
    try {
      if (fixedIv == null) {
        engine.random.nextBytes(engine.iv);
      } else {
        System.arraycopy(fixedIv, 0, engine.iv, 0, BLOCK_SIZE);
      }
      System.arraycopy(engine.iv, 0, raw, IV_OFFSET, BLOCK_SIZE);
      engine.encryptor.init(Cipher.ENCRYPT_MODE, encryptionKey, new IvParameterSpec(engine.iv));
      // The whole blocks by update, straight into the token; only the last partial block (and the
      // padding) by doFinal, which copies its input: a doFinal of everything would copy the plaintext.
      int whole = plaintext.length - plaintext.length % BLOCK_SIZE;
      int written = engine.encryptor.update(plaintext, 0, whole, raw, CIPHERTEXT_OFFSET);
      engine.encryptor.doFinal(
          plaintext, whole, plaintext.length - whole, raw, CIPHERTEXT_OFFSET + written);
      engine.mac.update(raw, 0, macOffset);
      engine.mac.doFinal(raw, macOffset);
    } catch (GeneralSecurityException e) {
      throw unexpected(e);
    }
  }

  // ---------------------------------------------------------------- decryption

  /**
   * Decodes a token (ASCII bytes) and checks its version and length.
   *
   * @throws ValueDecryptionException ({@code FORMAT}) if the token is malformed
   */
  static byte[] decode(byte[] token) {
    return checkStructure(FernetBase64.decode(token));
  }

  /**
   * Decodes a token (ASCII bytes) into {@code dst} (at least {@code token.length / 4 * 3} bytes) and
   * checks its version and length; returns the decoded length.
   *
   * @throws ValueDecryptionException ({@code FORMAT}) if the token is malformed
   */
  static int decodeInto(byte[] token, byte[] dst) {
    int len = FernetBase64.decodeInto(token, dst);
    if (!wellFormed(dst, len)) {
      throw new ValueDecryptionException(Reason.FORMAT);
    }
    return len;
  }

  private static byte[] checkStructure(byte[] raw) {
    if (raw == null || !wellFormed(raw, raw.length)) {
      throw new ValueDecryptionException(Reason.FORMAT);
    }
    return raw;
  }

  /** Version byte and length of the first {@code len} bytes of a decoded token ({@code len < 0}: not base64). */
  private static boolean wellFormed(byte[] raw, int len) {
    return len >= MIN_RAW_SIZE
        && raw[0] == VERSION
        && (len - CIPHERTEXT_OFFSET - MAC_SIZE) % BLOCK_SIZE == 0;
  }

  /** The token's timestamp field, read as a signed long (negative means beyond year 292 billion). */
  static long timestamp(byte[] raw) {
    long v = 0;
    for (int i = TIMESTAMP_OFFSET; i < TIMESTAMP_OFFSET + 8; i++) {
      v = v << 8 | (raw[i] & 0xff);
    }
    return v;
  }

  /**
   * Python's TTL checks: rejects a token older than {@code ttlSeconds} or more than 60 s in the future.
   *
   * @throws ValueDecryptionException ({@code EXPIRED})
   */
  static void checkFreshness(byte[] raw, long nowSeconds, long ttlSeconds) {
    long timestamp = timestamp(raw);
    boolean fresh;
    if (timestamp < 0) {
      fresh = false; // unsigned value above 2^63: always too far in the future
    } else {
      long expiresAt = ttlSeconds > Long.MAX_VALUE - timestamp ? Long.MAX_VALUE : timestamp + ttlSeconds;
      long latestAllowed =
          nowSeconds > Long.MAX_VALUE - MAX_CLOCK_SKEW_SECONDS
              ? Long.MAX_VALUE
              : nowSeconds + MAX_CLOCK_SKEW_SECONDS;
      fresh = expiresAt >= nowSeconds && timestamp <= latestAllowed;
    }
    if (!fresh) {
      throw new ValueDecryptionException(Reason.EXPIRED);
    }
  }

  /** Whether this key's HMAC matches the decoded token (constant-time comparison). */
  boolean authenticates(byte[] raw) {
    Engine engine = engines.acquire();
    boolean reusable = false;
    try {
      boolean authentic = macMatches(engine, raw, raw.length);
      reusable = true;
      return authentic;
    } finally {
      if (reusable) {
        engines.release(engine);
      }
    }
  }

  /** Where a decryption writes its plaintext, asked for once the plaintext's exact length is known. */
  interface PlaintextBuffer {
    /** An array of at least {@code length} bytes to decrypt into, from index 0. */
    byte[] forLength(int length);
  }

  /**
   * Decrypts the first {@code rawLength} bytes of a decoded, structurally checked token into the array
   * {@code target} gives for the plaintext's exact length, if this key authenticates it. The one
   * decryption path: {@link FernetKeyRing} passes a pooled buffer, or a new exact-size array for its
   * allocating {@code decrypt}s.
   *
   * @return the plaintext length, or -1 when the HMAC does not match this key (target not asked)
   * @throws ValueDecryptionException ({@code FORMAT}) if the token is authentic but badly padded
   */
  int openIfAuthentic(byte[] raw, int rawLength, PlaintextBuffer target) {
    Engine engine = engines.acquire();
    boolean reusable = false;
    try {
      if (!macMatches(engine, raw, rawLength)) {
        reusable = true;
        return -1;
      }
      int macOffset = rawLength - MAC_SIZE;
      int ciphertextSize = macOffset - CIPHERTEXT_OFFSET;
      int lastBlock = macOffset - BLOCK_SIZE;
      // CBC: P_n = D(C_n) xor C_(n-1), where C_0 is the IV, which directly precedes C_1.
      byte[] block = engine.block;
      engine.lastBlock.doFinal(raw, lastBlock, BLOCK_SIZE, block, 0);
      for (int i = 0; i < BLOCK_SIZE; i++) {
        block[i] ^= raw[lastBlock - BLOCK_SIZE + i];
      }
      int pad = block[BLOCK_SIZE - 1] & 0xff;
      int badPadding = (pad - 1) >>> 31 | (BLOCK_SIZE - pad) >>> 31; // pad outside 1..16
      if (badPadding == 0) {
        for (int i = BLOCK_SIZE - pad; i < BLOCK_SIZE; i++) {
          badPadding |= (block[i] & 0xff) ^ pad;
        }
      }
      if (badPadding != 0) {
        java.util.Arrays.fill(block, (byte) 0);
        reusable = true;
        throw new ValueDecryptionException(Reason.FORMAT);
      }
      int head = ciphertextSize - BLOCK_SIZE;
      byte[] out = target.forLength(ciphertextSize - pad);
      if (head > 0) {
        // the JDK's CBC (its intrinsic decrypts several blocks at a time); ECB plus the chaining XOR
        // would spare the init's IV spec and key copy but measured several times slower on JDK 17
        engine.decryptor.init(
            Cipher.DECRYPT_MODE, encryptionKey, new IvParameterSpec(raw, IV_OFFSET, BLOCK_SIZE));
        engine.decryptor.doFinal(raw, CIPHERTEXT_OFFSET, head, out, 0);
      }
      System.arraycopy(block, 0, out, head, BLOCK_SIZE - pad);
      java.util.Arrays.fill(block, (byte) 0);
      reusable = true;
      return ciphertextSize - pad;
    } catch (GeneralSecurityException e) {
      throw unexpected(e);
    } finally {
      if (reusable) {
        engines.release(engine);
      }
    }
  }

  private boolean macMatches(Engine engine, byte[] raw, int rawLength) {
    int macOffset = rawLength - MAC_SIZE;
    engine.mac.update(raw, 0, macOffset);
    try {
      engine.mac.doFinal(engine.tag, 0);
    } catch (GeneralSecurityException e) {
      throw unexpected(e);
    }
    return constantTimeEquals(engine.tag, raw, macOffset, MAC_SIZE);
  }

  /**
   * Compares {@code len} bytes in time independent of where they differ. Tink's {@code Bytes.equal}
   * (also constant-time) takes whole arrays; this compares the token's tag where it lies, without
   * copying it out.
   */
  static boolean constantTimeEquals(byte[] expected, byte[] actual, int actualOffset, int len) {
    int diff = 0;
    for (int i = 0; i < len; i++) {
      diff |= expected[i] ^ actual[actualOffset + i];
    }
    return diff == 0;
  }

  // ---------------------------------------------------------------- engines

  /** Idle engines in this key's pool; for tests. */
  int idleEngines() {
    return engines.idleCount();
  }

  /** Capacity of this key's pool; for tests. */
  int engineCapacity() {
    return engines.capacity();
  }

  private Engine newEngine() {
    try {
      return new Engine(signingKey, encryptionKey);
    } catch (GeneralSecurityException e) {
      throw unexpected(e);
    }
  }

  private static CacheException unexpected(GeneralSecurityException e) {
    // JCE messages name algorithms and sizes, never key bytes.
    return new CacheException("the JCE failed on AES-128-CBC or HMAC-SHA256: " + e, e);
  }

  static void putLong(byte[] dst, int offset, long value) {
    for (int i = 7; i >= 0; i--) {
      dst[offset + i] = (byte) value;
      value >>>= 8;
    }
  }

  /** The non-thread-safe JCE objects and scratch buffers one call needs. */
  static final class Engine {
    final Cipher encryptor;
    final Cipher decryptor;
    final Cipher lastBlock;
    final Mac mac;
    final SecureRandom random;
    final byte[] iv = new byte[BLOCK_SIZE];
    final byte[] tag = new byte[MAC_SIZE];
    final byte[] block = new byte[BLOCK_SIZE];
    /** Raw tokens larger than this are sealed into their own array, not into {@link #raw}. */
    static final int MAX_POOLED_RAW = 64 * 1024;
    /** The raw token being encrypted (ciphertext and MAC only, nothing secret); grows up to the bound. */
    byte[] raw = new byte[0];

    Engine(SecretKeySpec signingKey, SecretKeySpec encryptionKey) throws GeneralSecurityException {
      encryptor = Cipher.getInstance("AES/CBC/PKCS5Padding");
      decryptor = Cipher.getInstance("AES/CBC/NoPadding");
      lastBlock = Cipher.getInstance("AES/ECB/NoPadding");
      lastBlock.init(Cipher.DECRYPT_MODE, encryptionKey);
      mac = Mac.getInstance("HmacSHA256");
      mac.init(signingKey);
      // One instance per engine: no ThreadLocal (unlike Tink's Random) and no single shared lock.
      random = new SecureRandom();
    }
  }
}
