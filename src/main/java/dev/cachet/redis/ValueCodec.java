package dev.cachet.redis;

import dev.cachet.InvalidValueException;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.ValueDecryptionException;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.MultiFormatSerializer;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.serialization.ValueSerializer;
import java.io.ByteArrayOutputStream;
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

  /** Seals serialized {@code payload} for {@code redisKey}: (compression), envelope, Fernet token. */
  byte[] sealPayload(String redisKey, byte[] payload, long expiresAtMillis) {
    byte[] plaintext;
    if (format == RedisValueFormat.PLAIN_JSON) {
      plaintext = payload;
    } else {
      int flags = writeFormat << PAYLOAD_FORMAT_SHIFT;
      if (compressionThreshold >= 0 && payload.length >= compressionThreshold) {
        byte[] deflated = deflate(payload);
        if (deflated.length < payload.length) {
          payload = deflated;
          flags |= FLAG_DEFLATED;
        }
      }
      ByteBuffer buffer = ByteBuffer.allocate(HEADER + payload.length);
      buffer.put(SEALED_FORMAT).put((byte) flags).putLong(expiresAtMillis).put(keyDigest(redisKey));
      buffer.put(payload);
      plaintext = buffer.array();
    }
    long start = System.nanoTime();
    byte[] token = ring.encrypt(plaintext);
    instrumentation.recordEncryption(System.nanoTime() - start, plaintext.length);
    return token;
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
      byte[] payload = inflate(buf, off + HEADER, len - HEADER, maxValueSize);
      if (payload == null) {
        return Opened.failed(DecryptionFailureReason.FORMAT);
      }
      return deserialize(payloadFormat, payload, 0, payload.length, expiresAt);
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
    MessageDigest sha = sha256();
    try {
      byte[] full = sha.digest(redisKey.getBytes(StandardCharsets.UTF_8));
      byte[] digest = new byte[DIGEST_BYTES];
      System.arraycopy(full, 0, digest, 0, DIGEST_BYTES);
      return digest;
    } finally {
      DIGESTS.offer(sha);
    }
  }

  /**
   * Whether {@code buf[off, off + 16)} is the key digest of {@code redisKey} (UTF-8), compared in
   * constant time.
   */
  static boolean keyDigestMatches(byte[] redisKey, byte[] buf, int off) {
    MessageDigest sha = sha256();
    try {
      byte[] full = sha.digest(redisKey);
      int diff = 0;
      for (int i = 0; i < DIGEST_BYTES; i++) {
        diff |= full[i] ^ buf[off + i];
      }
      return diff == 0;
    } finally {
      DIGESTS.offer(sha);
    }
  }

  /** Idle SHA-256 instances (not thread-safe, and {@code getInstance} costs a provider look-up). */
  private static final java.util.concurrent.ArrayBlockingQueue<MessageDigest> DIGESTS =
      new java.util.concurrent.ArrayBlockingQueue<>(16);

  private static MessageDigest sha256() {
    MessageDigest sha = DIGESTS.poll();
    if (sha != null) {
      return sha;
    }
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }

  static byte[] deflate(byte[] input) {
    Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
    try {
      deflater.setInput(input);
      deflater.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, input.length / 2));
      byte[] buffer = new byte[8192];
      while (!deflater.finished()) {
        int n = deflater.deflate(buffer);
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    } finally {
      deflater.end();
    }
  }

  /** Inflates zlib data; null when malformed or when the output would exceed {@code cap} bytes. */
  static byte[] inflate(byte[] input, int cap) {
    return inflate(input, 0, input.length, cap);
  }

  /** {@link #inflate(byte[], int)} of {@code input[offset, offset + length)}. */
  static byte[] inflate(byte[] input, int offset, int length, int cap) {
    Inflater inflater = new Inflater();
    try {
      inflater.setInput(input, offset, length);
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(cap, length * 4 + 64));
      byte[] buffer = new byte[8192];
      int total = 0;
      while (!inflater.finished()) {
        int n = inflater.inflate(buffer);
        if (n == 0) {
          if (inflater.needsInput() || inflater.needsDictionary()) {
            return null;
          }
          continue;
        }
        total += n;
        if (total > cap) {
          return null;
        }
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    } catch (DataFormatException e) {
      return null;
    } finally {
      inflater.end();
    }
  }
}
