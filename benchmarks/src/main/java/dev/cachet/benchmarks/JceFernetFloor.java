package dev.cachet.benchmarks;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The raw JCE floor: the identical Fernet token (random IV, AES-128-CBC/PKCS7, HMAC-SHA256, URL-safe
 * base64 with padding) built with reused {@code Cipher}/{@code Mac} objects and nothing around them: no
 * pooling, no clock, no TTL check, no canonical-base64 check, JDK base64. Not thread-safe: one per
 * thread.
 */
final class JceFernetFloor {
  private final SecretKeySpec aesKey;
  private final Cipher encryptor;
  private final Cipher decryptor;
  private final Mac mac;
  private final SecureRandom random = new SecureRandom();
  private final byte[] iv = new byte[16];
  private final byte[] tag = new byte[32];
  private final Base64.Encoder encoder = Base64.getUrlEncoder();
  private final Base64.Decoder decoder = Base64.getUrlDecoder();

  JceFernetFloor(byte[] key) {
    try {
      aesKey = new SecretKeySpec(key, 16, 16, "AES");
      encryptor = Cipher.getInstance("AES/CBC/PKCS5Padding");
      decryptor = Cipher.getInstance("AES/CBC/PKCS5Padding");
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, 0, 16, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  byte[] encrypt(byte[] plaintext, long timestamp) {
    try {
      int ciphertextSize = (plaintext.length / 16 + 1) * 16;
      byte[] raw = new byte[57 + ciphertextSize];
      raw[0] = (byte) 0x80;
      for (int i = 8; i >= 1; i--) {
        raw[i] = (byte) timestamp;
        timestamp >>>= 8;
      }
      random.nextBytes(iv);
      System.arraycopy(iv, 0, raw, 9, 16);
      encryptor.init(Cipher.ENCRYPT_MODE, aesKey, new IvParameterSpec(iv));
      encryptor.doFinal(plaintext, 0, plaintext.length, raw, 25);
      mac.update(raw, 0, 25 + ciphertextSize);
      mac.doFinal(raw, 25 + ciphertextSize);
      return encoder.encode(raw);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  byte[] decrypt(byte[] token) {
    try {
      byte[] raw = decoder.decode(token);
      if (raw.length < 73 || raw[0] != (byte) 0x80) {
        throw new IllegalArgumentException("bad token");
      }
      int macOffset = raw.length - 32;
      mac.update(raw, 0, macOffset);
      mac.doFinal(tag, 0);
      int diff = 0;
      for (int i = 0; i < 32; i++) {
        diff |= tag[i] ^ raw[macOffset + i];
      }
      if (diff != 0) {
        throw new IllegalArgumentException("bad token");
      }
      decryptor.init(Cipher.DECRYPT_MODE, aesKey, new IvParameterSpec(raw, 9, 16));
      return decryptor.doFinal(raw, 25, macOffset - 25);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("bad token", e);
    }
  }
}
