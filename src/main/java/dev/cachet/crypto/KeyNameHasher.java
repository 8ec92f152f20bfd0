package dev.cachet.crypto;

import dev.cachet.internal.BoundedPool;
import com.google.crypto.tink.subtle.Hkdf;
import dev.cachet.CacheConfigurationException;
import dev.cachet.CachetEnvironment;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Hides cache key names: {@link #hash(String)} maps a key name to a keyed hash, so Redis (and anyone
 * reading it) sees {@code cachet:users:Zm9v...} instead of {@code cachet:users:alice@example.com}.
 *
 * <p>The hash is HMAC-SHA256 under a key derived with HKDF-SHA256 (RFC 5869, empty salt, info {@value
 * #HKDF_INFO}, 32 bytes) from a dedicated <em>naming secret</em>. The naming secret is separate from the
 * Fernet encryption keys and does not rotate with them: changing it renames every stored key, which
 * amounts to emptying the cache. The output is the 32-byte MAC as URL-safe base64 <em>without</em>
 * padding (43 characters).
 *
 * <p>A Python service computes the same name with the standard library only:
 *
 * <pre>{@code
 * import base64, hashlib, hmac
 * secret = base64.urlsafe_b64decode(os.environ["CACHET_KEY_NAMING_SECRET"])
 * prk = hmac.new(b"\0" * 32, secret, hashlib.sha256).digest()                       # HKDF-Extract
 * naming_key = hmac.new(prk, b"cachet key-name hashing v1\x01", hashlib.sha256).digest()  # HKDF-Expand
 * digest = hmac.new(naming_key, key_name.encode("utf-8"), hashlib.sha256).digest()
 * name = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
 * }</pre>
 *
 * <p><b>Naming schemes.</b> Under {@link Scheme#KEY_ONLY} (the default, naming scheme 1) the hash covers
 * the encoded key alone, so two caches (or tenants) holding the same key get the same hidden name and
 * can be correlated. {@link Scheme#BOUND} (naming scheme 2, opt-in with {@link #withScheme}) derives
 * another key (HKDF info {@value #HKDF_INFO_V2}) and hashes the UTF-8 bytes of {@code
 * prefix:cache:tenant:encodedKey} ({@code tenant} being {@code -} or {@code t.<id>}, the id in clear
 * even though the scheme-2 Redis key names the tenant {@code h.<hashTenant>}),
 * so the same key gets unrelated names in different caches and tenants. Switching a running cache from
 * one scheme to the other renames every key (the cache starts cold); the Redis tier marks scheme-2 names
 * with {@code h2:} so the two never meet. Python, for scheme 2:
 *
 * <pre>{@code
 * naming_key_v2 = hmac.new(prk, b"cachet key-name hashing v2\x01", hashlib.sha256).digest()
 * bound = f"{prefix}:{cache}:{'t.' + tenant if tenant else '-'}:{key_name}"
 * digest = hmac.new(naming_key_v2, bound.encode("utf-8"), hashlib.sha256).digest()
 * }</pre>
 *
 * <p>Immutable and thread-safe; the {@code Mac} objects come from a small bounded pool. {@link
 * #toString()} shows no secret.
 */
public final class KeyNameHasher {
  /** The HKDF info string that dedicates the derived key to key-name hashing. */
  public static final String HKDF_INFO = "cachet key-name hashing v1";

  /** The HKDF info string of naming scheme 2 ({@link Scheme#BOUND}) and of hidden tenant names. */
  public static final String HKDF_INFO_V2 = "cachet key-name hashing v2";

  /** What a hidden key name is bound to. */
  public enum Scheme {
    /** Naming scheme 1: the HMAC of the encoded key alone (equal keys get equal names everywhere). */
    KEY_ONLY,
    /** Naming scheme 2: the HMAC of key prefix, cache name, tenant and encoded key. */
    BOUND
  }

  /** The shortest naming secret accepted, in bytes. */
  public static final int MIN_SECRET_BYTES = 32;

  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private final BoundedPool<Mac> macs;
  private final BoundedPool<Mac> macsV2;
  private final Scheme scheme;

  private KeyNameHasher(byte[] secret) {
    this.macs = pool(derive(secret, HKDF_INFO));
    this.macsV2 = pool(derive(secret, HKDF_INFO_V2));
    this.scheme = Scheme.KEY_ONLY;
  }

  private KeyNameHasher(KeyNameHasher other, Scheme scheme) {
    this.macs = other.macs;
    this.macsV2 = other.macsV2;
    this.scheme = scheme;
  }

  private static SecretKeySpec derive(byte[] secret, String info) {
    byte[] derived;
    try {
      derived =
          Hkdf.computeHkdf("HMACSHA256", secret, new byte[0], info.getBytes(StandardCharsets.US_ASCII), 32);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HKDF-SHA256 is unavailable", e);
    }
    SecretKeySpec key = new SecretKeySpec(derived, "HmacSHA256");
    Arrays.fill(derived, (byte) 0);
    return key;
  }

  private static BoundedPool<Mac> pool(SecretKeySpec key) {
    return new BoundedPool<>(
        BoundedPool.defaultCapacity(),
        () -> {
          try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
          } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is unavailable", e);
          }
        });
  }

  /**
   * This hasher's secret under naming scheme {@code value}. A hasher from {@link #of} or {@link
   * #fromEnvironment} uses {@link Scheme#KEY_ONLY}.
   *
   * @throws NullPointerException if {@code value} is null
   */
  public KeyNameHasher withScheme(Scheme value) {
    Objects.requireNonNull(value, "scheme must not be null");
    return value == scheme ? this : new KeyNameHasher(this, value);
  }

  /** The naming scheme of {@link #hash(String, String, String, String)}. */
  public Scheme scheme() {
    return scheme;
  }

  /**
   * A hasher for {@code secret} (copied by derivation; the caller may wipe its array afterwards).
   *
   * @throws IllegalArgumentException if {@code secret} is shorter than {@value #MIN_SECRET_BYTES} bytes
   */
  public static KeyNameHasher of(byte[] secret) {
    Objects.requireNonNull(secret, "secret must not be null");
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          "key-naming secret must have at least " + MIN_SECRET_BYTES + " bytes, has " + secret.length);
    }
    return new KeyNameHasher(secret);
  }

  /**
   * The hasher configured by {@value CachetEnvironment#KEY_NAMING_SECRET}: at least 32 bytes as URL-safe
   * base64 with padding (the output of {@code keygen} works).
   *
   * @return the hasher, or empty when the variable is unset (key names stay readable)
   * @throws CacheConfigurationException ({@code INVALID_ENVIRONMENT_VARIABLE}) if the value is not valid;
   *     the message never echoes it
   */
  public static Optional<KeyNameHasher> fromEnvironment(CachetEnvironment env) {
    Objects.requireNonNull(env, "env must not be null");
    Optional<String> value = env.secret(CachetEnvironment.KEY_NAMING_SECRET);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    byte[] secret = FernetBase64.decode(value.get());
    if (secret == null || secret.length < MIN_SECRET_BYTES) {
      throw new CacheConfigurationException(
          CacheConfigurationException.Reason.INVALID_ENVIRONMENT_VARIABLE,
          "environment variable " + CachetEnvironment.KEY_NAMING_SECRET + " is not a valid key-naming"
              + " secret: expected at least " + MIN_SECRET_BYTES + " random bytes as URL-safe base64 with"
              + " padding; generate one with 'java -jar cachet-<version>-cli.jar keygen'");
    }
    try {
      return Optional.of(new KeyNameHasher(secret));
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  /**
   * The hidden form of {@code keyName}: HMAC-SHA256 of its UTF-8 bytes as URL-safe base64 without
   * padding (43 characters). Deterministic for a given naming secret. Always naming scheme 1 (the key
   * alone), whatever {@link #scheme()} says; the Redis tier uses {@link #hash(String, String, String,
   * String)}.
   */
  public String hash(String keyName) {
    Objects.requireNonNull(keyName, "keyName must not be null");
    byte[] input = keyName.getBytes(StandardCharsets.UTF_8);
    Mac mac = macs.acquire();
    byte[] digest = mac.doFinal(input);
    macs.release(mac);
    return ENCODER.encodeToString(digest);
  }

  /**
   * The hidden name of {@code keyName} in its context under this hasher's {@link #scheme()}: {@link
   * #hash(String)} of the key alone for {@link Scheme#KEY_ONLY}; for {@link Scheme#BOUND}, the
   * scheme-2 HMAC of {@code keyPrefix:cacheName:tenant:keyName} where {@code tenant} is {@code -} when
   * {@code tenantId} is null and {@code t.<tenantId>} otherwise.
   *
   * @throws NullPointerException if {@code keyPrefix}, {@code cacheName} or {@code keyName} is null
   */
  public String hash(String keyPrefix, String cacheName, String tenantId, String keyName) {
    Objects.requireNonNull(keyName, "keyName must not be null");
    if (scheme == Scheme.KEY_ONLY) {
      return hash(keyName);
    }
    Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
    Objects.requireNonNull(cacheName, "cacheName must not be null");
    String bound =
        keyPrefix + ":" + cacheName + ":" + (tenantId == null ? "-" : "t." + tenantId) + ":" + keyName;
    return mac(macsV2, bound);
  }

  /**
   * The hidden name of a tenant of one cache, for messages anyone allowed to subscribe can read: the
   * scheme-2 HMAC of {@code "#tenant:" + keyPrefix + ":" + cacheName + ":" + tenantId} (no key input
   * starts with {@code #}), whatever this hasher's scheme.
   */
  public String hashTenant(String keyPrefix, String cacheName, String tenantId) {
    Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
    Objects.requireNonNull(cacheName, "cacheName must not be null");
    Objects.requireNonNull(tenantId, "tenantId must not be null");
    return mac(macsV2, "#tenant:" + keyPrefix + ":" + cacheName + ":" + tenantId);
  }

  private static String mac(BoundedPool<Mac> pool, String input) {
    byte[] bytes = input.getBytes(StandardCharsets.UTF_8);
    Mac mac = pool.acquire();
    byte[] digest = mac.doFinal(bytes);
    pool.release(mac);
    return ENCODER.encodeToString(digest);
  }

  /** Says what it is, never the secret. */
  @Override
  public String toString() {
    return "KeyNameHasher[HMAC-SHA256, naming scheme " + (scheme == Scheme.KEY_ONLY ? 1 : 2)
        + ", secret hidden]";
  }
}
