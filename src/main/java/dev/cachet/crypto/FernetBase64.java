package dev.cachet.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * URL-safe base64 (RFC 4648 section 5) <em>with</em> padding, as Fernet keys and tokens use it.
 *
 * <p>Encoding uses the JDK's URL encoder, which pads. (Tink's {@code subtle.Base64.urlSafeEncode} drops
 * the padding and must not be used for tokens.)
 *
 * <p>Decoding is stricter than both the JDK and Python: it accepts only the canonical encoding. The
 * length must be a non-zero multiple of 4, only the URL-safe alphabet is allowed, {@code =} may appear
 * only as one or two final characters, and the unused low bits of the last symbol before the padding
 * must be zero. The JDK and Python accept non-zero padding bits (and the JDK accepts missing padding),
 * so several strings decode to the same bytes; rejecting them gives every token exactly one textual
 * form. The shape and padding-bit checks are done here in constant time; the bulk of the work is the
 * JDK decoder, which HotSpot vectorizes (AVX-512 and AArch64 intrinsics) and which rejects characters
 * outside the alphabet and misplaced {@code =}. Invalid input returns {@code null}; only input the JDK
 * rejects costs an exception, and that one is caught here.
 */
final class FernetBase64 {
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
  private static final byte[] DECODE = new byte[256];

  static {
    Arrays.fill(DECODE, (byte) -1);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < alphabet.length(); i++) {
      DECODE[alphabet.charAt(i)] = (byte) i;
    }
  }

  private FernetBase64() {}

  /** Encodes {@code raw} as padded URL-safe base64, returned as ASCII bytes. */
  static byte[] encode(byte[] raw) {
    return ENCODER.encode(raw);
  }

  /** Encodes {@code raw[offset, offset + length)} as padded URL-safe base64, returned as ASCII bytes. */
  static byte[] encode(byte[] raw, int offset, int length) {
    return ENCODER.encode(java.nio.ByteBuffer.wrap(raw, offset, length)).array();
  }

  /** Encodes {@code raw} as a padded URL-safe base64 string. */
  static String encodeToString(byte[] raw) {
    return ENCODER.encodeToString(raw);
  }

  /**
   * Decodes ASCII {@code src}, or returns {@code null} when it is not canonical padded URL-safe base64
   * (including empty input).
   */
  static byte[] decode(byte[] src) {
    int expected = decodedLength(src);
    if (expected < 0) {
      return null;
    }
    byte[] out = new byte[expected];
    return decodeInto(src, out) == expected ? out : null;
  }

  /**
   * Like {@link #decode(byte[])} into {@code dst} (at least {@code src.length / 4 * 3} bytes), without
   * allocating; returns the decoded length, or -1 when {@code src} is not canonical.
   */
  static int decodeInto(byte[] src, byte[] dst) {
    int expected = decodedLength(src);
    if (expected < 0) {
      return -1;
    }
    try {
      return DECODER.decode(src, dst) == expected ? expected : -1;
    } catch (IllegalArgumentException e) {
      return -1; // a character outside the URL-safe alphabet, or '=' before the end
    }
  }

  /**
   * The decoded length of {@code src} after the shape and padding-bit checks (the JDK decoder checks
   * the alphabet), or -1 when they fail.
   */
  private static int decodedLength(byte[] src) {
    int len = src.length;
    if (len == 0 || (len & 3) != 0) {
      return -1;
    }
    int pad = src[len - 1] == '=' ? (src[len - 2] == '=' ? 2 : 1) : 0;
    if (pad > 0) {
      // The last symbol before the padding carries 2 (pad 1) or 4 (pad 2) unused bits: must be zero.
      int last = DECODE[src[len - 1 - pad] & 0xff];
      int unusedBitsMask = pad == 1 ? 0x3 : 0xf;
      if (last < 0 || (last & unusedBitsMask) != 0) {
        return -1;
      }
    }
    return len / 4 * 3 - pad;
  }

  /** Like {@link #decode(byte[])} for a string; non-ASCII characters are invalid. */
  static byte[] decode(String src) {
    // ISO-8859-1 maps every char above 0xFF to '?', which is outside the alphabet, like 0x80-0xFF.
    return decode(src.getBytes(StandardCharsets.ISO_8859_1));
  }
}
