package dev.cachet;

import java.util.Objects;
import java.util.UUID;

/**
 * Maps cache keys one-to-one to strings: two different keys must never encode to the same string, or
 * they would share an entry in Redis (and in key-name hashes, metrics-free logs and so on). That is why
 * Cachet never falls back to {@code toString()} of an arbitrary object. Built-ins cover {@code String},
 * {@code UUID}, {@code Long} and {@code Integer}; supply your own for anything else, e.g. {@code order ->
 * order.tenant() + "/" + order.id()} only when neither part can contain {@code /}.
 *
 * <p>Implementations must be thread-safe, deterministic across JVMs and releases (encoded keys are
 * stored), and must not return null. Redis-only and tiered caches refuse keys whose encoded form is
 * longer than {@code maxKeyLength} (default 1,024 characters), unless the Redis tier hides key names
 * ({@code RedisCacheBuilder.keyNameHasher}): Redis then stores a fixed-length HMAC, and any length is
 * accepted. For keys of any length without hiding (an LLM prompt, a long URL), wrap the codec in
 * {@link #sha256(KeyCodec)}. Memory-only caches set no default limit.
 *
 * @param <K> the key type
 */
@FunctionalInterface
public interface KeyCodec<K> {

  /** Encodes {@code key}, never null, to its unique string form. */
  String encode(K key);

  /** The identity codec for {@code String} keys. */
  static KeyCodec<String> strings() {
    return BuiltIn.STRING.typed();
  }

  /** Canonical lowercase {@link UUID#toString()}. */
  static KeyCodec<UUID> uuids() {
    return BuiltIn.UUIDS.typed();
  }

  /** Decimal {@link Long#toString(long)}. */
  static KeyCodec<Long> longs() {
    return BuiltIn.LONGS.typed();
  }

  /** Decimal {@link Integer#toString(int)}. */
  static KeyCodec<Integer> integers() {
    return BuiltIn.INTEGERS.typed();
  }

  /**
   * {@code String} keys of any length as the 43-character digest of {@link #sha256(KeyCodec)}: {@code
   * sha256(strings())}. For prompts and other long keys.
   */
  static KeyCodec<String> sha256() {
    return sha256(strings());
  }

  /**
   * Encodes keys as the SHA-256 digest of {@code codec}'s encoding (UTF-8), in unpadded base64url: 43
   * characters of {@code [A-Za-z0-9_-]} whatever the key's length, so a 10,000-character prompt is a
   * short Redis key and a small pub/sub message. Two keys share an entry only if SHA-256 collides, which
   * no one knows how to make happen. The digest is one-way but not secret: anyone can hash a guessed key
   * and look for it in Redis, so hide key names with {@code RedisCacheBuilder.keyNameHasher} when they
   * are sensitive. Pattern invalidation ({@code policy().patternInvalidation()}) sees only digests.
   * Changing a cache's codec to or from this one orphans its stored entries (they expire with their TTL).
   * Equal when the wrapped codecs are equal.
   *
   * @throws NullPointerException if {@code codec} is null
   */
  static <K> KeyCodec<K> sha256(KeyCodec<? super K> codec) {
    return new Sha256KeyCodec<>(codec);
  }

  /**
   * The built-in codec for {@code type} ({@code String}, {@code UUID}, {@code Long}, {@code Integer}).
   *
   * @throws IllegalArgumentException for any other type: supply a codec for it
   */
  @SuppressWarnings("unchecked")
  static <K> KeyCodec<K> forType(Class<K> type) {
    Objects.requireNonNull(type, "type must not be null");
    if (type == String.class) {
      return (KeyCodec<K>) strings();
    } else if (type == UUID.class) {
      return (KeyCodec<K>) uuids();
    } else if (type == Long.class) {
      return (KeyCodec<K>) longs();
    } else if (type == Integer.class) {
      return (KeyCodec<K>) integers();
    }
    throw new IllegalArgumentException(
        "no built-in key codec for "
            + type.getName()
            + ": supply a KeyCodec that maps each key to a unique string (toString() is not used"
            + " because two keys could collide)");
  }
}

/** The built-in codecs; an enum so they are singletons with a readable toString(). */
enum BuiltIn implements KeyCodec<Object> {
  STRING {
    @Override
    public String encode(Object key) {
      return (String) key;
    }
  },
  UUIDS {
    @Override
    public String encode(Object key) {
      return ((UUID) key).toString();
    }
  },
  LONGS {
    @Override
    public String encode(Object key) {
      return Long.toString((Long) key);
    }
  },
  INTEGERS {
    @Override
    public String encode(Object key) {
      return Integer.toString((Integer) key);
    }
  };

  @SuppressWarnings("unchecked")
  <K> KeyCodec<K> typed() {
    return (KeyCodec<K>) this;
  }
}
