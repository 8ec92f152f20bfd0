package dev.cachet.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * URL-safe base64 (RFC 4648 section 5) <em>with</em> padding, as Fernet keys and tokens use it.
 *
 * <p>Encoding uses the JDK's URL encoder, which pads. (Tink's {@code subtle.Base64.urlSafeEncode} drops
 * the padding and must not be used for tokens.) Decoding is written by hand because it must be
 * stricter than both the JDK and Python: it accepts only the canonical encoding. The length must be a
 * multiple of 4, only the URL-safe alphabet is allowed, {@code =} may appear only as one or two final
 * characters, and the unused low bits of the last symbol before the padding must be zero. The JDK and
 * Python both accept non-zero padding bits, so several strings decode to the same bytes; rejecting
 * them makes every token have exactly one textual form. Invalid input returns {@code null} instead of
 * throwing, so malformed tokens cost no exception until the caller decides to throw one.
 */
final class FernetBase64 {
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder();
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

  /** Encodes {@code raw} as a padded URL-safe base64 string. */
  static String encodeToString(byte[] raw) {
    return ENCODER.encodeToString(raw);
  }

  /**
   * Decodes {@code len} ASCII characters of {@code src} from {@code off}, or returns {@code null} when
   * they are not canonical padded URL-safe base64 (including empty input).
   */
  static byte[] decode(byte[] src, int off, int len) {
    if (len == 0 || (len & 3) != 0) {
      return null;
    }
    int end = off + len;
    int pad = src[end - 1] == '=' ? (src[end - 2] == '=' ? 2 : 1) : 0;
    byte[] out = new byte[len / 4 * 3 - pad];
    int bad = 0;
    int o = 0;
    int lastQuad = end - 4;
    for (int i = off; i < lastQuad; i += 4) {
      int a = DECODE[src[i] & 0xff];
      int b = DECODE[src[i + 1] & 0xff];
      int c = DECODE[src[i + 2] & 0xff];
      int d = DECODE[src[i + 3] & 0xff];
      bad |= a | b | c | d;
      int v = a << 18 | b << 12 | c << 6 | d;
      out[o] = (byte) (v >> 16);
      out[o + 1] = (byte) (v >> 8);
      out[o + 2] = (byte) v;
      o += 3;
    }
    int a = DECODE[src[lastQuad] & 0xff];
    int b = DECODE[src[lastQuad + 1] & 0xff];
    bad |= a | b;
    if (pad == 0) {
      int c = DECODE[src[lastQuad + 2] & 0xff];
      int d = DECODE[src[lastQuad + 3] & 0xff];
      bad |= c | d;
      int v = a << 18 | b << 12 | c << 6 | d;
      out[o] = (byte) (v >> 16);
      out[o + 1] = (byte) (v >> 8);
      out[o + 2] = (byte) v;
    } else if (pad == 1) {
      int c = DECODE[src[lastQuad + 2] & 0xff];
      bad |= c;
      if ((c & 0x3) != 0) {
        return null; // non-zero padding bits
      }
      int v = a << 18 | b << 12 | c << 6;
      out[o] = (byte) (v >> 16);
      out[o + 1] = (byte) (v >> 8);
    } else {
      if ((b & 0xf) != 0) {
        return null; // non-zero padding bits
      }
      out[o] = (byte) (a << 2 | b >> 4);
    }
    return bad < 0 ? null : out;
  }

  /** Like {@link #decode(byte[], int, int)} for a string; non-ASCII characters are invalid. */
  static byte[] decode(String src) {
    // ISO-8859-1 maps every char above 0xFF to '?', which is outside the alphabet, like 0x80-0xFF.
    byte[] ascii = src.getBytes(StandardCharsets.ISO_8859_1);
    return decode(ascii, 0, ascii.length);
  }
}
