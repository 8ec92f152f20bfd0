package dev.cachet.crypto;

import dev.cachet.internal.BoundedPool;
import dev.cachet.CacheConfigurationException;
import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.ValueDecryptionException.Reason;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An ordered set of Fernet keys with the semantics of Python's {@code MultiFernet}: {@link
 * #encrypt(byte[]) encrypt} with the first (primary) key, {@link #decrypt(byte[]) decrypt} with any key
 * in order, and {@link #rotate(byte[]) rotate} a token to the primary key keeping its timestamp.
 *
 * <p>A Fernet token carries no key id, so a token written under a key this ring does not have yet is
 * indistinguishable from a forged one: both fail with the same {@link ValueDecryptionException}. Rotate
 * keys in two phases: first deploy the new key as a <em>secondary</em> everywhere, then promote it to
 * primary everywhere, and drop the old key only after every value written under it has expired or been
 * rotated. See {@code docs/security.md}.
 *
 * <p>Immutable and thread-safe; share one instance. Time (for TTL checks and new tokens' timestamps)
 * comes from a {@link Clock}, {@linkplain Clock#systemUTC() the system clock} unless {@link
 * #withClock(Clock)} says otherwise. {@link #toString()} shows key ids only.
 */
public final class FernetKeyRing {
  private final List<FernetKey> keys;
  private final FernetCipher[] ciphers;
  private final FernetCipher primary;
  private final Clock clock;

  private FernetKeyRing(List<FernetKey> keys, Clock clock) {
    this.keys = keys;
    this.ciphers = new FernetCipher[keys.size()];
    for (int i = 0; i < ciphers.length; i++) {
      ciphers[i] = keys.get(i).cipher;
    }
    this.primary = ciphers[0];
    this.clock = clock;
  }

  /**
   * A ring that encrypts with {@code primary} and also decrypts with {@code secondaries}, tried in
   * order after the primary.
   *
   * @throws NullPointerException if any key is null
   * @throws CacheConfigurationException ({@code INVALID_ENCRYPTION_KEY}) if a key appears twice
   */
  public static FernetKeyRing of(FernetKey primary, FernetKey... secondaries) {
    List<FernetKey> keys = new ArrayList<>(1 + secondaries.length);
    keys.add(primary);
    keys.addAll(List.of(secondaries));
    return of(keys);
  }

  /**
   * A ring of {@code keysPrimaryFirst}.
   *
   * @throws NullPointerException if the list or any key is null
   * @throws IllegalArgumentException if the list is empty
   * @throws CacheConfigurationException ({@code INVALID_ENCRYPTION_KEY}) if a key appears twice
   */
  public static FernetKeyRing of(List<FernetKey> keysPrimaryFirst) {
    List<FernetKey> keys = List.copyOf(keysPrimaryFirst);
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("a key ring needs at least one key");
    }
    for (int i = 0; i < keys.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (keys.get(i).equals(keys.get(j))) {
          throw new CacheConfigurationException(
              CacheConfigurationException.Reason.INVALID_ENCRYPTION_KEY,
              "key ring lists key " + keys.get(i).keyId() + " twice (positions " + (j + 1) + " and "
                  + (i + 1) + ")");
        }
      }
    }
    return new FernetKeyRing(keys, Clock.systemUTC());
  }

  /**
   * Parses a comma-separated list of keys, primary first; whitespace around each key is ignored.
   *
   * @throws CacheConfigurationException ({@code INVALID_ENCRYPTION_KEY}) naming the position of the bad
   *     key, never its content
   */
  public static FernetKeyRing parse(String commaSeparatedKeys) {
    return parse(commaSeparatedKeys, "key ring");
  }

  static FernetKeyRing parse(String commaSeparatedKeys, String source) {
    Objects.requireNonNull(commaSeparatedKeys, "keys must not be null");
    String[] items = commaSeparatedKeys.split(",", -1);
    List<FernetKey> keys = new ArrayList<>(items.length);
    for (int i = 0; i < items.length; i++) {
      keys.add(parseItem(items[i].trim(), source, i, items.length));
    }
    return of(keys);
  }

  private static FernetKey parseItem(String item, String source, int index, int count) {
    try {
      return FernetKey.parse(item);
    } catch (CacheConfigurationException e) {
      String where = count == 1 ? source : source + " item " + (index + 1) + " of " + count;
      throw new CacheConfigurationException(
          CacheConfigurationException.Reason.INVALID_ENCRYPTION_KEY,
          "invalid encryption key in " + where + ": " + FernetKey.FORMAT_HELP);
    }
  }

  /**
   * The ring configured in the environment: {@value CachetEnvironment#ENCRYPTION_KEYS} (a
   * comma-separated ring, primary first) if set, else {@value CachetEnvironment#ENCRYPTION_KEY}, else
   * {@value CachetEnvironment#LEGACY_ENCRYPTION_KEY} (the name existing Python deployments use).
   *
   * @return the ring, or empty when none of the variables is set
   * @throws CacheConfigurationException ({@code INVALID_ENCRYPTION_KEY}) naming the variable (and the
   *     item) whose key is invalid, never its value
   */
  public static Optional<FernetKeyRing> fromEnvironment(CachetEnvironment env) {
    Objects.requireNonNull(env, "env must not be null");
    List<String> ring = env.secretList(CachetEnvironment.ENCRYPTION_KEYS);
    if (!ring.isEmpty()) {
      List<FernetKey> keys = new ArrayList<>(ring.size());
      for (int i = 0; i < ring.size(); i++) {
        keys.add(parseItem(ring.get(i), "environment variable " + CachetEnvironment.ENCRYPTION_KEYS,
            i, ring.size()));
      }
      return Optional.of(of(keys));
    }
    for (String name :
        List.of(CachetEnvironment.ENCRYPTION_KEY, CachetEnvironment.LEGACY_ENCRYPTION_KEY)) {
      Optional<String> value = env.secret(name);
      if (value.isPresent()) {
        return Optional.of(of(List.of(parseItem(value.get(), "environment variable " + name, 0, 1))));
      }
    }
    return Optional.empty();
  }

  /**
   * Like {@link #fromEnvironment(CachetEnvironment)}, but a missing key is an error.
   *
   * @throws CacheConfigurationException ({@code MISSING_ENCRYPTION_KEY}) naming the variables and how to
   *     generate a key, or ({@code INVALID_ENCRYPTION_KEY}) as for {@code fromEnvironment}
   */
  public static FernetKeyRing requireFromEnvironment(CachetEnvironment env) {
    return fromEnvironment(env)
        .orElseThrow(
            () ->
                new CacheConfigurationException(
                    CacheConfigurationException.Reason.MISSING_ENCRYPTION_KEY,
                    "no encryption key configured: Cachet encrypts every value it stores in Redis. Set "
                        + CachetEnvironment.ENCRYPTION_KEY + " (or " + CachetEnvironment.LEGACY_ENCRYPTION_KEY
                        + ", the name Python deployments use) to a Fernet key, or "
                        + CachetEnvironment.ENCRYPTION_KEYS + " to a comma-separated key ring, primary"
                        + " first. Generate a key with 'java -jar cachet-<version>-cli.jar keygen' or Python's"
                        + " 'cryptography.fernet.Fernet.generate_key()'"));
  }

  /**
   * A ring of one freshly generated key that lives only in this process: <b>for tests and test presets
   * only</b>. Data sealed with it is unreadable by any other process and after a restart. Logs a WARN
   * naming {@code purpose} and the key id (never the key), so an ephemeral key in production is
   * noticed.
   *
   * @throws NullPointerException if {@code purpose} is null
   */
  public static FernetKeyRing ephemeralForTesting(String purpose) {
    Objects.requireNonNull(purpose, "purpose must not be null");
    FernetKeyRing ring = of(FernetKey.generate());
    org.slf4j.LoggerFactory.getLogger(FernetKeyRing.class)
        .warn(
            "generated an ephemeral encryption key (id {}) for {}: values it seals cannot be read by"
                + " other processes or after a restart; configure {} outside tests",
            ring.primaryKeyId(), purpose, CachetEnvironment.ENCRYPTION_KEYS);
    return ring;
  }

  /** A ring with the same keys that reads time from {@code clock}. */
  public FernetKeyRing withClock(Clock clock) {
    return new FernetKeyRing(keys, Objects.requireNonNull(clock, "clock must not be null"));
  }

  /** The key id of the primary key. */
  public String primaryKeyId() {
    return keys.get(0).keyId();
  }

  /** The key ids, primary first. */
  public List<String> keyIds() {
    List<String> ids = new ArrayList<>(keys.size());
    for (FernetKey key : keys) {
      ids.add(key.keyId());
    }
    return List.copyOf(ids);
  }

  /** The keys, primary first; package-private because it hands out key objects. */
  List<FernetKey> keys() {
    return keys;
  }

  // ---------------------------------------------------------------- encrypt

  /**
   * Encrypts {@code plaintext} under the primary key with a random IV and the clock's current time.
   *
   * @return the token as ASCII bytes (what Redis stores; Python's {@code Fernet.encrypt} returns the
   *     same kind of {@code bytes})
   */
  public byte[] encrypt(byte[] plaintext) {
    Objects.requireNonNull(plaintext, "plaintext must not be null");
    return primary.encrypt(plaintext, nowSeconds());
  }

  /** Like {@link #encrypt(byte[])}, returning the token as a string. */
  public String encryptToString(byte[] plaintext) {
    Objects.requireNonNull(plaintext, "plaintext must not be null");
    return primary.encryptToString(plaintext, nowSeconds());
  }

  // ---------------------------------------------------------------- decrypt

  /**
   * Decrypts a token with whichever key authenticates it, without an age limit.
   *
   * @throws ValueDecryptionException if the token is malformed or no key authenticates it
   */
  public byte[] decrypt(byte[] token) {
    Objects.requireNonNull(token, "token must not be null");
    return open(token, NO_TTL, null);
  }

  /**
   * Decrypts a token no older than {@code ttl} (whole seconds; a token exactly {@code ttl} old is
   * accepted) and at most 60 s in the future, as Python's {@code decrypt(token, ttl=...)}.
   *
   * @throws IllegalArgumentException if {@code ttl} is negative
   * @throws ValueDecryptionException if the token is malformed, too old or too far in the future, or no
   *     key authenticates it
   */
  public byte[] decrypt(byte[] token, Duration ttl) {
    Objects.requireNonNull(token, "token must not be null");
    return open(token, ttlSeconds(ttl), null);
  }

  /**
   * Reads a decrypted plaintext in place, for {@link #decrypt(byte[], PlaintextReader)}.
   *
   * @param <R> what the reader makes of the plaintext
   */
  @FunctionalInterface
  public interface PlaintextReader<R> {
    /**
     * Reads {@code plaintext[offset, offset + length)}. The array is a reused buffer that is wiped and
     * handed to another call once this returns: copy what must outlive the call, and never keep the
     * array. Runs on the thread that called {@code decrypt}.
     */
    R read(byte[] plaintext, int offset, int length);
  }

  /**
   * Buffers of one decryption: the decoded token and the plaintext, or (for the allocating {@code
   * decrypt}s) a new array of the plaintext's exact length, which is never kept here.
   */
  private static final class Scratch implements FernetCipher.PlaintextBuffer {
    byte[] raw;
    byte[] plain;
    boolean exact;
    byte[] result;

    Scratch(int rawSize, int plainSize) {
      raw = new byte[rawSize];
      plain = new byte[plainSize];
    }

    @Override
    public byte[] forLength(int length) {
      return exact ? (result = new byte[length]) : plain;
    }
  }

  /** Buffer size of a new pooled scratch (grown on demand up to {@link #MAX_POOLED_TOKEN}). */
  private static final int INITIAL_SCRATCH = 2048;

  /** Tokens above this length decrypt into buffers of their own, which are not kept. */
  static final int MAX_POOLED_TOKEN = 64 * 1024;

  private static final BoundedPool<Scratch> SCRATCH =
      new BoundedPool<>(BoundedPool.defaultCapacity(), () -> new Scratch(INITIAL_SCRATCH, INITIAL_SCRATCH));

  /**
   * Like {@link #decrypt(byte[])}, without allocating: the token is base64-decoded and decrypted into
   * pooled buffers, and {@code reader} reads the plaintext where it lies (see {@link PlaintextReader}
   * for what it may keep). The buffer is wiped afterwards, whether the reader returns or throws.
   * Thread-safe.
   *
   * @return what {@code reader} returned
   * @throws ValueDecryptionException if the token is malformed or no key authenticates it (the reader
   *     is not called)
   */
  public <R> R decrypt(byte[] token, PlaintextReader<R> reader) {
    Objects.requireNonNull(token, "token must not be null");
    Objects.requireNonNull(reader, "reader must not be null");
    return open(token, NO_TTL, reader);
  }

  /** Like {@link #decrypt(byte[])} for a token string. */
  public byte[] decrypt(String token) {
    Objects.requireNonNull(token, "token must not be null");
    return decrypt(ascii(token));
  }

  /** Like {@link #decrypt(byte[], Duration)} for a token string. */
  public byte[] decrypt(String token, Duration ttl) {
    Objects.requireNonNull(token, "token must not be null");
    return decrypt(ascii(token), ttl);
  }

  /** No age limit, for {@link #open}. */
  private static final long NO_TTL = -1;

  /**
   * The one decryption path: decodes the token's base64 into a pooled buffer, checks its structure,
   * its age (unless {@code ttlSeconds} is {@link #NO_TTL}), then tries each key, decrypting into a
   * pooled plaintext buffer that {@code reader} reads in place and that is wiped afterwards; with a
   * null {@code reader}, into a new array of the plaintext's exact length, which is returned.
   */
  @SuppressWarnings("unchecked")
  private <R> R open(byte[] token, long ttlSeconds, PlaintextReader<R> reader) {
    int rawCapacity = token.length / 4 * 3;
    boolean pooled = rawCapacity <= MAX_POOLED_TOKEN;
    Scratch scratch = pooled ? SCRATCH.acquire() : new Scratch(rawCapacity, reader == null ? 0 : rawCapacity);
    scratch.exact = reader == null;
    int written = 0; // an upper bound of the plaintext bytes written into scratch.plain, wiped afterwards
    try {
      if (scratch.raw.length < rawCapacity) {
        scratch.raw = new byte[rawCapacity];
        scratch.plain = new byte[rawCapacity];
      }
      int rawLength = FernetCipher.decodeInto(token, scratch.raw);
      if (ttlSeconds != NO_TTL) {
        FernetCipher.checkFreshness(scratch.raw, nowSeconds(), ttlSeconds);
      }
      if (reader != null) {
        written = rawLength - FernetCipher.CIPHERTEXT_OFFSET - FernetCipher.MAC_SIZE;
      }
      for (FernetCipher cipher : ciphers) {
        int length = cipher.openIfAuthentic(scratch.raw, rawLength, scratch);
        if (length >= 0) {
          return reader == null ? (R) scratch.result : reader.read(scratch.plain, 0, length);
        }
      }
      throw new ValueDecryptionException(Reason.AUTHENTICATION);
    } finally {
      scratch.result = null;
      java.util.Arrays.fill(scratch.plain, 0, Math.max(0, written), (byte) 0);
      if (pooled) {
        SCRATCH.release(scratch);
      }
    }
  }

  /** A token string's bytes; a character outside ISO-8859-1 becomes '?', which base64 rejects. */
  private static byte[] ascii(String token) {
    return token.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  /**
   * Re-encrypts a token under the primary key with a fresh IV, keeping its original timestamp
   * (Python's {@code MultiFernet.rotate}). No age limit applies.
   *
   * @throws ValueDecryptionException if the token is malformed or no key authenticates it
   */
  public byte[] rotate(byte[] token) {
    Objects.requireNonNull(token, "token must not be null");
    long timestamp = FernetCipher.timestamp(FernetCipher.decode(token));
    byte[] plaintext = decrypt(token);
    try {
      return FernetBase64.encode(primary.seal(plaintext, timestamp, null));
    } finally {
      java.util.Arrays.fill(plaintext, (byte) 0);
    }
  }

  /**
   * The token's creation time in seconds since the epoch, after checking that some key in the ring
   * authenticates it (Python's {@code extract_timestamp}). A timestamp field above 2<sup>63</sup>-1
   * comes back negative.
   *
   * @throws ValueDecryptionException if the token is malformed or no key authenticates it
   */
  public long extractTimestamp(byte[] token) {
    Objects.requireNonNull(token, "token must not be null");
    byte[] raw = FernetCipher.decode(token);
    for (FernetCipher cipher : ciphers) {
      if (cipher.authenticates(raw)) {
        return FernetCipher.timestamp(raw);
      }
    }
    throw new ValueDecryptionException(Reason.AUTHENTICATION);
  }

  private long nowSeconds() {
    return Math.floorDiv(clock.millis(), 1000L);
  }

  private static long ttlSeconds(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl must not be null");
    if (ttl.isNegative()) {
      throw new IllegalArgumentException("ttl must not be negative: " + ttl);
    }
    return ttl.getSeconds();
  }

  /** {@code FernetKeyRing[primary=<id>, keys=[<id>, ...]]}; never key material. */
  @Override
  public String toString() {
    return "FernetKeyRing[primary=" + primaryKeyId() + ", keys=" + keyIds() + "]";
  }
}
