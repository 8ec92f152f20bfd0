package dev.cachet.redis;

import dev.cachet.InvalidValueException;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.ValueDecryptionException;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.MultiFormatSerializer;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.serialization.ValueSerializer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * value -> serializer -> (compression) -> envelope -> Fernet token, and back. Stateless apart from its
 * settings; thread-safe.
 *
 * <p>The sealed envelope (Fernet plaintext), all integers big-endian:
 *
 * <pre>
 *   offset  size  field
 *   0       1     format: 0xC1 (never the first byte of UTF-8 JSON)
 *   1       1     flags: bit 0 = payload is zlib-deflated; bits 1-2 = payload format id (0 JSON:
 *                 the serializer's output; 1 CBOR; 2, 3 unassigned); bits 3-7 are 0
 *   2       8     expiry, epoch milliseconds (signed 64-bit)
 *   10      16    first 16 bytes of SHA-256 over the UTF-8 bytes of the full Redis key
 *   26      n     payload: serializer output, deflated when flag bit 0 is set
 * </pre>
 *
 * <p>Every payload format is read whatever this codec writes (phase 1 of a format change). An envelope
 * whose payload format this instance cannot read (an id assigned by a later release, or CBOR without
 * {@code jackson-dataformat-cbor}, or with a serializer that is not a built-in Jackson one) fails with
 * {@link DecryptionFailureReason#UNSUPPORTED_FORMAT}, which the tier treats as a miss and never deletes:
 * the entry belongs to a writer that can read it.
 */
final class ValueCodec<V> {

  static final byte SEALED_FORMAT = (byte) 0xC1;
  static final int FLAG_DEFLATED = 1;
  static final int PAYLOAD_FORMAT_SHIFT = 1;
  static final int PAYLOAD_FORMAT_MASK = 0x06;
  static final int HEADER = 26;
  static final int DIGEST_BYTES = 16;

  private final String cacheName;
  private final FernetKeyRing ring;
  private final ValueSerializer<V> serializer;
  private final RedisValueFormat format;
  private final int compressionThreshold; // < 0: off
  private final int maxValueSize;
  private final CacheInstrumentation instrumentation;
  /** The payload format id written: 0 JSON (the serializer's bytes), 1 CBOR. */
  private final int writeFormat;
  private final MultiFormatSerializer<V> multiFormat; // null: the serializer reads and writes id 0 only

  ValueCodec(
      String cacheName,
      FernetKeyRing ring,
      ValueSerializer<V> serializer,
      RedisValueFormat format,
      int compressionThreshold,
      int maxValueSize,
      CacheInstrumentation instrumentation) {
    this(cacheName, ring, serializer, format, compressionThreshold, maxValueSize, instrumentation, 0);
  }

  /**
   * A codec writing payload format {@code writeFormat} (0 JSON, 1 CBOR; CBOR needs a {@link
   * MultiFormatSerializer} that can read it, checked by the builder).
   */
  @SuppressWarnings("unchecked")
  ValueCodec(
      String cacheName,
      FernetKeyRing ring,
      ValueSerializer<V> serializer,
      RedisValueFormat format,
      int compressionThreshold,
      int maxValueSize,
      CacheInstrumentation instrumentation,
      int writeFormat) {
    this.cacheName = cacheName;
    this.writeFormat = writeFormat;
    this.multiFormat =
        serializer instanceof MultiFormatSerializer<?> m ? (MultiFormatSerializer<V>) m : null;
    if (writeFormat != MultiFormatSerializer.JSON && multiFormat == null) {
      throw new IllegalArgumentException("payload format " + writeFormat + " needs a Jackson serializer");
    }
    this.ring = ring;
    this.serializer = serializer;
    this.format = format;
    this.compressionThreshold = compressionThreshold;
    this.maxValueSize = maxValueSize;
    this.instrumentation = instrumentation;
  }

  RedisValueFormat format() {
    return format;
  }

  FernetKeyRing ring() {
    return ring;
  }

  ValueSerializer<V> serializer() {
    return serializer;
  }

  /**
   * Serializes {@code value} and checks the maximum value size, before anything is sent: a caller's
   * error, thrown on the caller's thread and never completed into a remote future.
   *
   * @throws InvalidValueException {@code TOO_LARGE} if the serialized value exceeds the maximum value
   *     size, {@code NOT_SERIALIZABLE} if the serializer fails or returns null
   */
  byte[] serialize(V value) {
    byte[] payload = serializeRaw(value);
    checkSize(payload.length);
    return payload;
  }

  /**
   * Seals serialized {@code payload} for {@code redisKey}: (compression), envelope, Fernet token. The
   * envelope is the one array built for the cipher: a deflated one is deflated by a pooled {@link
   * Deflation} straight behind the header in its reused buffer and copied out once.
   */
  byte[] sealPayload(String redisKey, byte[] payload, long expiresAtMillis) {
    byte[] plaintext = null;
    if (format == RedisValueFormat.PLAIN_JSON) {
      plaintext = payload;
    } else {
      int flags = writeFormat << PAYLOAD_FORMAT_SHIFT;
      if (compressionThreshold >= 0 && payload.length >= compressionThreshold) {
        plaintext = deflatedEnvelope(redisKey, payload, flags | FLAG_DEFLATED, expiresAtMillis);
      }
      if (plaintext == null) { // not compressed, or deflating would not make it smaller
        plaintext = new byte[HEADER + payload.length];
        writeHeader(plaintext, flags, expiresAtMillis, redisKey);
        System.arraycopy(payload, 0, plaintext, HEADER, payload.length);
      }
    }
    long start = System.nanoTime();
    byte[] token = ring.encrypt(plaintext);
    instrumentation.recordEncryption(System.nanoTime() - start, plaintext.length);
    return token;
  }

  /**
   * The envelope of {@code payload} deflated, or null when deflating does not make the payload smaller
   * (the deflater stops as soon as it would not: the buffer never needs more than the payload's size).
   */
  private static byte[] deflatedEnvelope(
      String redisKey, byte[] payload, int flags, long expiresAtMillis) {
    Deflation deflation = Deflation.acquire();
    try {
      int end = deflation.deflate(payload, 0, payload.length, HEADER, HEADER + payload.length - 1);
      if (end < 0) {
        return null;
      }
      writeHeader(deflation.out, flags, expiresAtMillis, redisKey);
      return java.util.Arrays.copyOf(deflation.out, end);
    } finally {
      deflation.release();
    }
  }

  /** Writes the envelope header (format, flags, expiry, key digest) into {@code b[0, HEADER)}. */
  private static void writeHeader(byte[] b, int flags, long expiresAtMillis, String redisKey) {
    b[0] = SEALED_FORMAT;
    b[1] = (byte) flags;
    for (int i = 0; i < 8; i++) {
      b[2 + i] = (byte) (expiresAtMillis >>> (56 - 8 * i));
    }
    Sha sha = DIGESTS.acquire();
    try {
      sha.digest(redisKey.getBytes(StandardCharsets.UTF_8));
      System.arraycopy(sha.out, 0, b, 10, DIGEST_BYTES);
    } finally {
      DIGESTS.release(sha);
    }
  }

  void checkSize(int size) {
    if (size > maxValueSize) {
      throw new InvalidValueException(
          cacheName,
          InvalidValueException.Reason.TOO_LARGE,
          "value for cache '" + cacheName + "' is " + size + " bytes serialized; the maximum is "
              + maxValueSize + " bytes (raise maxValueSize or store less)",
          null);
    }
  }

  private byte[] serializeRaw(V value) {
    byte[] bytes;
    try {
      bytes =
          writeFormat == MultiFormatSerializer.JSON
              ? serializer.serialize(value)
              : multiFormat.serialize(writeFormat, value);
    } catch (RuntimeException e) {
      throw new InvalidValueException(
          cacheName,
          InvalidValueException.Reason.NOT_SERIALIZABLE,
          "the serializer of cache '" + cacheName + "' cannot write a value of type "
              + value.getClass().getName() + " (" + e.getClass().getSimpleName()
              + "); make the type serializable by it or configure another serializer",
          e);
    }
    if (bytes == null) {
      throw new InvalidValueException(
          cacheName,
          InvalidValueException.Reason.NOT_SERIALIZABLE,
          "the serializer of cache '" + cacheName + "' returned null for a value of type "
              + value.getClass().getName() + "; serializers must return bytes",
          null);
    }
    return bytes;
  }

  /** The outcome of opening a stored token: a value or a failure reason. */
  static final class Opened<V> {
    final V value;
    final long expiresAtMillis;
    final DecryptionFailureReason failure;

    private Opened(V value, long expiresAtMillis, DecryptionFailureReason failure) {
      this.value = value;
      this.expiresAtMillis = expiresAtMillis;
      this.failure = failure;
    }

    static <V> Opened<V> failed(DecryptionFailureReason reason) {
      return new Opened<>(null, 0, reason);
    }

    boolean ok() {
      return failure == null;
    }
  }

  /**
   * Opens {@code token} read from {@code redisKey}. For {@link RedisValueFormat#PLAIN_JSON} the expiry is
   * {@code plainExpiresAtMillis} (from the server's TTL).
   */
  Opened<V> open(String redisKey, byte[] token, long nowMillis, long plainExpiresAtMillis) {
    return open(redisKey.getBytes(StandardCharsets.UTF_8), token, nowMillis, plainExpiresAtMillis);
  }

  /**
   * {@link #open(String, byte[], long, long)} with the Redis key's UTF-8 bytes. The token is decoded and
   * decrypted into pooled buffers ({@link FernetKeyRing#decrypt(byte[], FernetKeyRing.PlaintextReader)});
   * the envelope is checked where it lies, and only the payload is copied out (or inflated straight from
   * the buffer) for the serializer.
   */
  Opened<V> open(byte[] redisKey, byte[] token, long nowMillis, long plainExpiresAtMillis) {
    long start = System.nanoTime();
    try {
      return ring.decrypt(
          token,
          (buf, off, len) -> {
            instrumentation.recordDecryption(System.nanoTime() - start, len);
            return unseal(redisKey, buf, off, len, nowMillis, plainExpiresAtMillis);
          });
    } catch (ValueDecryptionException e) {
      return Opened.failed(map(e.reason()));
    } catch (RuntimeException e) {
      return Opened.failed(DecryptionFailureReason.FORMAT);
    }
  }

  /**
   * The value of a decrypted plaintext, read in place (the buffer is wiped and reused after this
   * returns; the serializer copies what the value keeps).
   */
  private Opened<V> unseal(
      byte[] redisKey, byte[] buf, int off, int len, long nowMillis, long plainExpiresAtMillis) {
    if (format == RedisValueFormat.PLAIN_JSON) {
      return deserialize(buf, off, len, plainExpiresAtMillis);
    }
    if (len < HEADER || buf[off] != SEALED_FORMAT) {
      return Opened.failed(DecryptionFailureReason.FORMAT);
    }
    int flags = buf[off + 1] & 0xff;
    if ((flags & ~(FLAG_DEFLATED | PAYLOAD_FORMAT_MASK)) != 0) {
      return Opened.failed(DecryptionFailureReason.FORMAT);
    }
    long expiresAt = 0;
    for (int i = off + 2; i < off + 10; i++) {
      expiresAt = expiresAt << 8 | (buf[i] & 0xff);
    }
    if (!keyDigestMatches(redisKey, buf, off + 10)) {
      return Opened.failed(DecryptionFailureReason.KEY_BINDING);
    }
    if (expiresAt <= nowMillis) {
      return Opened.failed(DecryptionFailureReason.EXPIRED);
    }
    int payloadFormat = (flags & PAYLOAD_FORMAT_MASK) >> PAYLOAD_FORMAT_SHIFT;
    if (!canRead(payloadFormat)) {
      return Opened.failed(DecryptionFailureReason.UNSUPPORTED_FORMAT);
    }
    if ((flags & FLAG_DEFLATED) != 0) {
      Inflation inflation = Inflation.acquire();
      try {
        int n = inflation.inflate(buf, off + HEADER, len - HEADER, maxValueSize);
        if (n < 0) {
          return Opened.failed(DecryptionFailureReason.FORMAT);
        }
        // in place, like the decrypted buffer
        return deserialize(payloadFormat, inflation.out, 0, n, expiresAt);
      } finally {
        inflation.release();
      }
    }
    return deserialize(payloadFormat, buf, off + HEADER, len - HEADER, expiresAt);
  }

  /** Whether this instance can read payload format {@code id} (JSON always, CBOR when it can). */
  boolean canRead(int payloadFormat) {
    if (payloadFormat == MultiFormatSerializer.JSON) {
      return true;
    }
    return multiFormat != null && multiFormat.canRead(payloadFormat);
  }

  private Opened<V> deserialize(byte[] buf, int off, int len, long expiresAt) {
    return deserialize(MultiFormatSerializer.JSON, buf, off, len, expiresAt);
  }

  private Opened<V> deserialize(int payloadFormat, byte[] buf, int off, int len, long expiresAt) {
    V value;
    try {
      value =
          payloadFormat == MultiFormatSerializer.JSON
              ? serializer.deserialize(buf, off, len)
              : multiFormat.deserialize(payloadFormat, buf, off, len);
    } catch (RuntimeException e) {
      return Opened.failed(DecryptionFailureReason.DESERIALIZE);
    }
    if (value == null) {
      return Opened.failed(DecryptionFailureReason.DESERIALIZE);
    }
    return new Opened<>(value, expiresAt, null);
  }

  /**
   * Verifies {@code token} read from {@code redisKey} as {@link #open} does (authentication, format, key
   * binding, expiry) without inflating or deserializing the payload. Returns null when the entry is
   * readable, else the reason {@link #open} would fail with. A payload that authenticates but cannot be
   * inflated or deserialized verifies (it is the one state where the two disagree).
   */
  DecryptionFailureReason verify(String redisKey, byte[] token, long nowMillis) {
    byte[] plaintext;
    long start = System.nanoTime();
    try {
      plaintext = ring.decrypt(token);
    } catch (ValueDecryptionException e) {
      return map(e.reason());
    } catch (RuntimeException e) {
      return DecryptionFailureReason.FORMAT;
    }
    instrumentation.recordDecryption(System.nanoTime() - start, plaintext.length);
    if (format == RedisValueFormat.PLAIN_JSON) {
      return null;
    }
    if (plaintext.length < HEADER || plaintext[0] != SEALED_FORMAT) {
      return DecryptionFailureReason.FORMAT;
    }
    int flags = plaintext[1] & 0xff;
    if ((flags & ~(FLAG_DEFLATED | PAYLOAD_FORMAT_MASK)) != 0) {
      return DecryptionFailureReason.FORMAT;
    }
    ByteBuffer buffer = ByteBuffer.wrap(plaintext);
    long expiresAt = buffer.getLong(2);
    byte[] digest = new byte[DIGEST_BYTES];
    buffer.position(10);
    buffer.get(digest);
    if (!MessageDigest.isEqual(digest, keyDigest(redisKey))) {
      return DecryptionFailureReason.KEY_BINDING;
    }
    if (expiresAt <= nowMillis) {
      return DecryptionFailureReason.EXPIRED;
    }
    if (!canRead((flags & PAYLOAD_FORMAT_MASK) >> PAYLOAD_FORMAT_SHIFT)) {
      return DecryptionFailureReason.UNSUPPORTED_FORMAT;
    }
    return null;
  }

  static DecryptionFailureReason map(ValueDecryptionException.Reason reason) {
    switch (reason) {
      case AUTHENTICATION:
        return DecryptionFailureReason.AUTHENTICATION;
      case EXPIRED:
        return DecryptionFailureReason.EXPIRED;
      case KEY_BINDING:
        return DecryptionFailureReason.KEY_BINDING;
      default:
        return DecryptionFailureReason.FORMAT;
    }
  }

  static byte[] keyDigest(String redisKey) {
    Sha sha = DIGESTS.acquire();
    try {
      sha.digest(redisKey.getBytes(StandardCharsets.UTF_8));
      return java.util.Arrays.copyOf(sha.out, DIGEST_BYTES);
    } finally {
      DIGESTS.release(sha);
    }
  }

  /**
   * Whether {@code buf[off, off + 16)} is the key digest of {@code redisKey} (UTF-8), compared in
   * constant time. Allocates nothing (the digest is written into the pooled instance's buffer).
   */
  static boolean keyDigestMatches(byte[] redisKey, byte[] buf, int off) {
    Sha sha = DIGESTS.acquire();
    try {
      sha.digest(redisKey);
      int diff = 0;
      for (int i = 0; i < DIGEST_BYTES; i++) {
        diff |= sha.out[i] ^ buf[off + i];
      }
      return diff == 0;
    } finally {
      DIGESTS.release(sha);
    }
  }

  /** A SHA-256 instance (not thread-safe; {@code getInstance} costs a provider look-up) and its output. */
  private static final class Sha {
    final MessageDigest md;
    final byte[] out = new byte[32];

    Sha() {
      try {
        md = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is unavailable", e);
      }
    }

    void digest(byte[] input) {
      md.update(input);
      try {
        md.digest(out, 0, out.length);
      } catch (java.security.DigestException e) {
        throw new IllegalStateException("SHA-256 refused a 32-byte output", e);
      }
    }
  }

  /** Idle SHA-256 instances. */
  private static final dev.cachet.internal.BoundedPool<Sha> DIGESTS =
      new dev.cachet.internal.BoundedPool<>(dev.cachet.internal.BoundedPool.defaultCapacity(), Sha::new);

  /** zlib data of {@code input} at the default level, deflated by a pooled {@link Deflation}. */
  static byte[] deflate(byte[] input) {
    Deflation deflation = Deflation.acquire();
    try {
      int end = deflation.deflate(input, 0, input.length, 0, Integer.MAX_VALUE - 8);
      if (end < 0) {
        throw new IllegalStateException("zlib made no progress deflating " + input.length + " bytes");
      }
      return java.util.Arrays.copyOf(deflation.out, end);
    } finally {
      deflation.release();
    }
  }

  /**
   * A reusable {@link Deflater} (default level) and the buffer it deflates into, pooled like {@link
   * Inflation}: a compressed write deflates into a buffer that is already there, behind the envelope
   * header, and the envelope is copied out once (instead of a new {@code Deflater} and its native
   * stream, a scratch buffer, a growing stream and its final copy, and the envelope). Only the thread
   * that acquired an instance uses it until it releases it; writers never share one.
   *
   * <p>The buffer holds plaintext: it is wiped on release, and the {@code Deflater} is reset (dropping
   * its reference to the caller's input). Buffers grown past {@link Inflation#MAX_POOLED_BUFFER} are
   * not kept. A {@code Deflater} keeps about 256 KB of native zlib state, so the pool is smaller than
   * the others (the processors, 2..16: deflating never blocks, so more never run at once) and an
   * instance the full pool does not take back is {@code end()}ed at once, not left to the cleaner.
   */
  static final class Deflation {
    static final int INITIAL_BUFFER = 4096;
    static final int MAX_POOLED_BUFFER = Inflation.MAX_POOLED_BUFFER;
    static final dev.cachet.internal.BoundedPool<Deflation> POOL =
        new dev.cachet.internal.BoundedPool<>(
            Math.min(16, Math.max(2, Runtime.getRuntime().availableProcessors())), Deflation::new);

    final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
    byte[] out = new byte[INITIAL_BUFFER];
    /** Bytes of {@link #out} written since the last wipe. */
    private int dirty;
    /** Whether {@link #deflater} was ended (this instance was dropped); for tests. */
    volatile boolean ended;

    static Deflation acquire() {
      return POOL.acquire();
    }

    /**
     * Deflates {@code input[offset, offset + length)} into {@link #out} from {@code outOffset} (the
     * bytes before it are the caller's), growing the buffer as needed but never past {@code limit};
     * returns the end of the zlib data in {@link #out}, or -1 when it would not end before {@code
     * limit}.
     */
    int deflate(byte[] input, int offset, int length, int outOffset, int limit) {
      deflater.reset();
      deflater.setInput(input, offset, length);
      deflater.finish();
      int pos = outOffset;
      while (!deflater.finished()) {
        int room = Math.min(out.length, limit) - pos;
        if (room <= 0) {
          if (out.length >= limit) {
            return -1;
          }
          grow((int) Math.min(limit, Math.max(2L * out.length, (long) pos + 64)));
          continue;
        }
        int n = deflater.deflate(out, pos, room);
        pos += n;
        dirty = Math.max(dirty, pos);
        if (n == 0 && !deflater.finished()) {
          return -1; // no progress with room to spare: never loop on it
        }
      }
      return pos;
    }

    private void grow(int size) {
      byte[] bigger = java.util.Arrays.copyOf(out, size);
      java.util.Arrays.fill(out, 0, dirty, (byte) 0);
      out = bigger;
    }

    /** {@link #release(dev.cachet.internal.BoundedPool)} to the shared pool. */
    void release() {
      release(POOL);
    }

    /**
     * Wipes what was written, resets the deflater and returns this to {@code pool} (without a buffer
     * grown too large); when the pool is full, ends the deflater (its native memory is freed now).
     */
    void release(dev.cachet.internal.BoundedPool<Deflation> pool) {
      java.util.Arrays.fill(out, 0, dirty, (byte) 0);
      dirty = 0;
      deflater.reset();
      if (out.length > MAX_POOLED_BUFFER) {
        out = new byte[INITIAL_BUFFER];
      }
      if (!pool.offer(this)) {
        ended = true;
        deflater.end();
      }
    }
  }

  /** Inflates zlib data; null when malformed or when the output would exceed {@code cap} bytes. */
  static byte[] inflate(byte[] input, int cap) {
    return inflate(input, 0, input.length, cap);
  }

  /** {@link #inflate(byte[], int)} of {@code input[offset, offset + length)}. */
  static byte[] inflate(byte[] input, int offset, int length, int cap) {
    Inflation inflation = Inflation.acquire();
    try {
      int n = inflation.inflate(input, offset, length, cap);
      return n < 0 ? null : java.util.Arrays.copyOf(inflation.out, n);
    } finally {
      inflation.release();
    }
  }

  /**
   * A reusable {@link Inflater} and the buffer it inflates into, pooled: a read of a deflated value
   * inflates into a buffer that is already there and the serializer reads it in place, so the value is
   * the only allocation (instead of a new {@code Inflater}, its native stream, a scratch buffer, a
   * growing stream and its final copy). The buffer holds plaintext: it is wiped on release. Buffers
   * grown past {@link #MAX_POOLED_BUFFER} are not kept.
   */
  static final class Inflation {
    static final int INITIAL_BUFFER = 4096;
    static final int MAX_POOLED_BUFFER = 64 * 1024;
    private static final dev.cachet.internal.BoundedPool<Inflation> POOL =
        new dev.cachet.internal.BoundedPool<>(
            dev.cachet.internal.BoundedPool.defaultCapacity(), Inflation::new);

    private final Inflater inflater = new Inflater();
    byte[] out = new byte[INITIAL_BUFFER];
    /** Bytes of {@link #out} written since the last wipe. */
    private int dirty;

    static Inflation acquire() {
      return POOL.acquire();
    }

    /**
     * Inflates zlib {@code input[offset, offset + length)} into {@link #out}, growing it as needed;
     * returns the inflated length, or -1 when the data is malformed or would exceed {@code cap} bytes.
     */
    int inflate(byte[] input, int offset, int length, int cap) {
      inflater.reset();
      inflater.setInput(input, offset, length);
      int total = 0;
      try {
        while (!inflater.finished()) {
          if (total == out.length) {
            if (total > cap) {
              return -1;
            }
            grow((int) Math.min((long) cap + 1, Math.max(2L * out.length, (long) length * 4 + 64)));
          }
          int n = inflater.inflate(out, total, out.length - total);
          total += n;
          dirty = Math.max(dirty, total);
          if (total > cap) {
            return -1;
          }
          if (n == 0 && !inflater.finished() && (inflater.needsInput() || inflater.needsDictionary())) {
            return -1;
          }
        }
        return total;
      } catch (DataFormatException e) {
        return -1;
      }
    }

    private void grow(int size) {
      byte[] bigger = java.util.Arrays.copyOf(out, size);
      java.util.Arrays.fill(out, 0, dirty, (byte) 0);
      out = bigger;
    }

    /** Wipes what was inflated and returns this to the pool (without a buffer grown too large). */
    void release() {
      java.util.Arrays.fill(out, 0, dirty, (byte) 0);
      dirty = 0;
      if (out.length > MAX_POOLED_BUFFER) {
        out = new byte[INITIAL_BUFFER];
      }
      if (!POOL.offer(this)) {
        inflater.end(); // dropped: free the native stream now rather than at the cleaner's leisure
      }
    }
  }
}
