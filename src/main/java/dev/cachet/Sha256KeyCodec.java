package dev.cachet;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * {@link KeyCodec#sha256(KeyCodec)}: the unpadded base64url SHA-256 of the UTF-8 of the inner
 * encoding, 43 characters. A record so that two codecs over equal inner codecs are equal (a tiered
 * builder and the Redis builder describing its tier may both name it). Thread-safe.
 */
record Sha256KeyCodec<K>(KeyCodec<? super K> inner) implements KeyCodec<K> {

  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  Sha256KeyCodec {
    java.util.Objects.requireNonNull(inner, "codec must not be null");
  }

  @Override
  public String encode(K key) {
    String encoded = inner.encode(key);
    if (encoded == null) {
      return null; // the cache reports the inner codec's null as a KeyCodec error
    }
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
    return BASE64URL.encodeToString(sha256.digest(encoded.getBytes(StandardCharsets.UTF_8)));
  }

  @Override
  public String toString() {
    return "KeyCodec.sha256(" + inner + ")";
  }
}
