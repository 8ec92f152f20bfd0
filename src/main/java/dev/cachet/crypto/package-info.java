/**
 * Always-on value encryption: Fernet tokens byte-compatible with Python's {@code cryptography.fernet}.
 *
 * <p>Public: {@link dev.cachet.crypto.FernetKey}, {@link dev.cachet.crypto.FernetKeyRing} (Python's
 * {@code MultiFernet} semantics), {@link dev.cachet.crypto.ValueDecryptionException}, {@link
 * dev.cachet.crypto.KeyNameHasher} (optional hiding of Redis key names) and {@link
 * dev.cachet.crypto.EncryptedKeyRingLoader} (a key ring stored encrypted under a Tink or KMS
 * key-encryption key). The token codec itself is package-private.
 *
 * <p>Dependencies: the JDK's {@code javax.crypto} for the token (Tink has no AES-CBC) and Tink's {@code
 * subtle} helpers (HKDF) around it. Tink's protobuf-based keyset classes are used only by {@link
 * dev.cachet.crypto.EncryptedKeyRingLoader}, never on the encrypt/decrypt path.
 *
 * <p>Nothing in this package puts key material in a message, a log line or a {@code toString()}; keys
 * are identified by a short {@linkplain dev.cachet.crypto.FernetKey#keyId() key id}. Arguments and
 * results are non-null unless a method says otherwise.
 */
package dev.cachet.crypto;
