package dev.cachet.redis;

import dev.cachet.Cache;
import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import dev.cachet.CacheLoader;
import dev.cachet.KeyCodec;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.internal.CacheInstrumentation;
import dev.cachet.internal.CacheSettings;
import dev.cachet.internal.MultiFormatSerializer;
import dev.cachet.internal.OptionalDependencies;
import dev.cachet.internal.Preconditions;
import dev.cachet.internal.RemoteTierSpecs;
import dev.cachet.resilience.Resilience;
import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.serialization.PayloadFormat;
import dev.cachet.serialization.ValueSerializer;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.spi.RemoteTier;
import dev.cachet.spi.RemoteTierSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Builds a cache whose only tier is Redis, or the Redis {@link RemoteTier} a tiered cache composes.
 * Every value is encrypted with Fernet before it leaves the process; there is no way to turn that off.
 *
 * <pre>{@code
 * try (RedisConnections redis = RedisConnections.create("redis://localhost:6379");
 *     Cache<String, Order> orders =
 *         RedisCacheBuilder.newBuilder(String.class, Order.class)
 *             .name("orders")
 *             .connections(redis)
 *             .keyRing(FernetKeyRing.requireFromEnvironment(CachetEnvironment.system()))
 *             .defaultTtl(Duration.ofMinutes(5))
 *             .build()) {
 *   orders.put("o-1", order);
 * }
 * }</pre>
 *
 * <p><b>What is protected.</b> Values are encrypted and authenticated; in the default {@link
 * RedisValueFormat#SEALED} format they are also bound to their full Redis key (cache, tenant, schema,
 * key) and carry an authenticated expiry. Key names are plain text unless {@link
 * #keyNameHasher(KeyNameHasher)} hides them.
 *
 * <p><b>Builder rules.</b> Each setter may be called once ({@code IllegalStateException} otherwise),
 * throws {@code NullPointerException} for null and {@code IllegalArgumentException} for a value out of
 * range (the message names the setting and the value). Settings that only make sense together are
 * checked by {@link #build()}, which leaves the builder unchanged and may be called again. Not
 * thread-safe; the caches it builds are.
 *
 * <p><b>Ownership.</b> The {@link RedisConnections} are borrowed: closing a cache never closes them.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class RedisCacheBuilder<K, V> implements RemoteTierSpec<V> {

  static {
    RemoteTierSpecs.register(
        RedisCacheBuilder.class,
        (spec, composing, instrumentation) ->
            ((RedisCacheBuilder<?, ?>) spec).buildTierFor(composing, instrumentation),
        spec -> ((RedisCacheBuilder<?, ?>) spec).keyNameHasher != null);
  }

  /** Default maximum serialized value size: 1 MiB. */
  public static final int DEFAULT_MAX_VALUE_SIZE = 1 << 20;
  /** Default Redis key prefix. */
  public static final String DEFAULT_KEY_PREFIX = "cachet";
  /** Default schema version segment. */
  public static final int DEFAULT_SCHEMA_VERSION = 1;
  /** Default interval at which an instance re-reads the cache's generation number, in milliseconds. */
  public static final long DEFAULT_GENERATION_REFRESH_MILLIS = 1_000;
  /**
   * How far past its sealed expiry an envelope is still accepted, in milliseconds. Expiry is sealed and
   * checked in the Redis server's time (each instance's clock corrected by the offset it learns from the
   * server's {@code TIME} with every generation refresh); this allowance absorbs the error of that
   * estimate (half a round trip, clock drift between refreshes). Not configurable.
   */
  public static final long EXPIRY_SKEW_ALLOWANCE_MILLIS = 1_000;

  private final CacheSettings.Builder<K, V> settings = new CacheSettings.Builder<>();
  private final KeyCodec<? super K> defaultCodec;
  private RedisConnections connections;
  private FernetKeyRing keyRing;
  private ValueSerializer<V> serializer;
  private RedisValueFormat format;
  private PayloadFormat payloadFormat;
  private Integer compressionThreshold;
  private Integer maxValueSize;
  private String keyPrefix;
  private String tenant;
  private Integer schemaVersion;
  private KeyNameHasher keyNameHasher;
  private Boolean deleteBadEntries;
  private String legacyPrefix;
  private Instant legacyDeadline;
  private Duration generationRefresh;
  private Clock clock;
  private ResilienceSettings resilience;
  private Executor decodeExecutor;

  private RedisCacheBuilder(KeyCodec<? super K> defaultCodec, ValueSerializer<V> defaultSerializer) {
    this.defaultCodec = defaultCodec;
    this.serializer = defaultSerializer;
  }

  /** A builder without defaults for the key codec and serializer: set both. */
  public static <K, V> RedisCacheBuilder<K, V> newBuilder() {
    return new RedisCacheBuilder<>(null, null);
  }

  /**
   * A builder with the built-in key codec of {@code keyType} (when there is one: {@code String}, {@code
   * UUID}, {@code Long}, {@code Integer}; otherwise set {@link #keyCodec}) and the serializer {@link
   * ValueSerializers#forType} picks for {@code valueType}: raw bytes for {@code byte[]}, JSON with the
   * default mapper ({@code java.time} included) for anything else. Either may be replaced by its setter.
   *
   * @throws NullPointerException if a type is null
   */
  public static <K, V> RedisCacheBuilder<K, V> newBuilder(Class<K> keyType, Class<V> valueType) {
    Objects.requireNonNull(keyType, "keyType must not be null");
    Objects.requireNonNull(valueType, "valueType must not be null");
    KeyCodec<K> codec;
    try {
      codec = KeyCodec.forType(keyType);
    } catch (IllegalArgumentException e) {
      codec = null;
    }
    RedisCacheBuilder<K, V> b = new RedisCacheBuilder<>(codec, null);
    b.serializer = null;
    b.defaultSerializer = ValueSerializers.forType(valueType);
    return b;
  }

  private ValueSerializer<V> defaultSerializer;
  private boolean serializerSet;
  private boolean keyCodecSet;

  /** The cache name, {@code [a-z0-9][a-z0-9_-]{0,62}}; required. */
  public RedisCacheBuilder<K, V> name(String name) {
    settings.name(name);
    return this;
  }

  /** The shared connections (borrowed, never closed by the cache); required. */
  public RedisCacheBuilder<K, V> connections(RedisConnections value) {
    Preconditions.requireState(connections == null, "connections were already set");
    connections = Objects.requireNonNull(value, "connections must not be null");
    return this;
  }

  /**
   * The Fernet key ring; required ({@link #build()} throws {@code MISSING_ENCRYPTION_KEY} without one).
   * Values are encrypted under its primary key and opened with any of its keys.
   */
  public RedisCacheBuilder<K, V> keyRing(FernetKeyRing value) {
    Preconditions.requireState(keyRing == null, "keyRing was already set");
    keyRing = Objects.requireNonNull(value, "keyRing must not be null");
    return this;
  }

  /**
   * How values become bytes; required with {@link #newBuilder()}, with {@link #newBuilder(Class, Class)}
   * default {@link ValueSerializers#forType}. E.g. {@code ValueSerializers.json(myObjectMapper,
   * Order.class)} for your own Jackson mapper, {@link ValueSerializers#bytes()} for raw bytes.
   */
  public RedisCacheBuilder<K, V> serializer(ValueSerializer<V> value) {
    Preconditions.requireState(!serializerSet, "serializer was already set");
    serializer = Objects.requireNonNull(value, "serializer must not be null");
    serializerSet = true;
    return this;
  }

  /** The stored format; default {@link RedisValueFormat#SEALED}. */
  public RedisCacheBuilder<K, V> format(RedisValueFormat value) {
    Preconditions.requireState(format == null, "format was already set");
    format = Objects.requireNonNull(value, "format must not be null");
    return this;
  }

  /**
   * The payload format this cache writes; default {@link PayloadFormat#JSON}. Whatever is chosen, every
   * cache of this release reads both JSON and CBOR entries (an entry in a format it cannot read is a miss
   * and stays in Redis, counted in {@code cache.decryption.failures{reason=unsupported_format}}).
   *
   * <p><b>Writing {@link PayloadFormat#CBOR} is safe only once every reader of the cache runs this
   * release or later</b> (Java, or the Python companion with {@code cbor2}): an older release refuses a
   * CBOR entry and deletes it. Roll the release out with JSON first, then switch the writers. On an
   * instance that cannot read an entry, a load of its key returns the loaded value without replacing
   * the entry ({@code SET NX}), and {@code putIfAbsent} or {@code compute} of it throw {@code
   * UpdateContentionException} once their attempts are spent, with nothing applied.
   *
   * <p>CBOR needs {@code com.fasterxml.jackson.dataformat:jackson-dataformat-cbor} (the same version as
   * {@code jackson-databind}) on the class path and a serializer from {@link ValueSerializers#json(Class)}
   * or its overloads (the default of {@link #newBuilder(Class, Class)} for types other than {@code
   * byte[]}); {@link #build()} checks both. Not available with {@link RedisValueFormat#PLAIN_JSON}, which
   * stores bare JSON.
   *
   * @throws NullPointerException if {@code value} is null
   * @throws IllegalStateException if already set
   */
  public RedisCacheBuilder<K, V> payloadFormat(PayloadFormat value) {
    Preconditions.requireState(payloadFormat == null, "payloadFormat was already set");
    payloadFormat = Objects.requireNonNull(value, "payloadFormat must not be null");
    return this;
  }

  /**
   * Turns on Deflater compression of serialized values of at least {@code thresholdBytes} (kept only
   * when smaller). Off by default; {@code SEALED} format only. Compress-then-encrypt leaks how well a
   * value compresses through the token length: do not enable it for values that mix secrets with
   * attacker-chosen content.
   */
  public RedisCacheBuilder<K, V> compressionThreshold(int thresholdBytes) {
    Preconditions.requireState(compressionThreshold == null, "compressionThreshold was already set");
    Preconditions.requireArgument(
        thresholdBytes >= 0, () -> "compressionThreshold must not be negative: " + thresholdBytes + " bytes");
    compressionThreshold = thresholdBytes;
    return this;
  }

  /**
   * The largest serialized value accepted, checked before anything is sent (also the cap on inflated
   * size); default {@value #DEFAULT_MAX_VALUE_SIZE} bytes. A larger value is refused with {@link
   * dev.cachet.InvalidValueException} ({@code TOO_LARGE}) on the caller's thread: a caller error, never
   * retried and never counted by a circuit breaker.
   */
  public RedisCacheBuilder<K, V> maxValueSize(int bytes) {
    Preconditions.requireState(maxValueSize == null, "maxValueSize was already set");
    Preconditions.requireArgument(bytes >= 1, () -> "maxValueSize must be at least 1: " + bytes + " bytes");
    maxValueSize = bytes;
    return this;
  }

  /** The first segment of every Redis key, {@code [A-Za-z0-9_.-]{1,64}}; default {@value #DEFAULT_KEY_PREFIX}. */
  public RedisCacheBuilder<K, V> keyPrefix(String value) {
    Preconditions.requireState(keyPrefix == null, "keyPrefix was already set");
    keyPrefix = RedisKeyLayout.requireSegment(value, "keyPrefix");
    return this;
  }

  /**
   * Scopes the cache to a tenant: a key segment covered by the key digest, with a generation of its own
   * ({@code invalidateAll} of this cache empties this tenant alone). The id follows the one tenant-id
   * rule, {@code [A-Za-z0-9_.-]{1,64}}, as {@link dev.cachet.MultiTenantCache#forTenant} does.
   *
   * @throws IllegalArgumentException naming the rule, if {@code value} does not match it
   */
  public RedisCacheBuilder<K, V> tenant(String value) {
    Preconditions.requireState(tenant == null, "tenant was already set");
    tenant = Preconditions.requireTenantId(value);
    return this;
  }

  /** The schema version segment; bump it when the value type changes incompatibly. Default 1. */
  public RedisCacheBuilder<K, V> schemaVersion(int value) {
    Preconditions.requireState(schemaVersion == null, "schemaVersion was already set");
    Preconditions.requireArgument(value >= 0, () -> "schemaVersion must not be negative: " + value);
    schemaVersion = value;
    return this;
  }

  /**
   * Hides key names: the encoded key is replaced by an HMAC under the hasher's dedicated naming secret
   * (which must never rotate with the encryption keys). Pattern invalidation is then unavailable. Since
   * Redis then stores a fixed-length name, keys of any length are accepted unless {@link #maxKeyLength}
   * sets a limit.
   */
  public RedisCacheBuilder<K, V> keyNameHasher(KeyNameHasher value) {
    Preconditions.requireState(keyNameHasher == null, "keyNameHasher was already set");
    keyNameHasher = Objects.requireNonNull(value, "keyNameHasher must not be null");
    return this;
  }

  /**
   * Whether an entry that cannot be opened (no key authenticates it, moved, expired envelope, garbage)
   * is deleted, by compare-and-delete; default {@code true}. Switch it off while rolling out a new
   * primary key, when instances without that key would otherwise delete fresh entries. Entries that
   * decrypt but fail to deserialize are never deleted.
   */
  public RedisCacheBuilder<K, V> deleteBadEntries(boolean value) {
    Preconditions.requireState(deleteBadEntries == null, "deleteBadEntries was already set");
    deleteBadEntries = value;
    return this;
  }

  /**
   * Opt-in migration from an unencrypted cache: until {@code deadline}, a miss reads {@code
   * legacyPrefix + encodedKey}, and a plaintext value found there (deserialized by the serializer) is
   * rewritten sealed under this cache's key and removed from the legacy key. Legacy values have no
   * integrity protection: anyone who could write them could choose what this cache serves.
   */
  public RedisCacheBuilder<K, V> legacyPlaintextMigration(String legacyPrefix, Instant deadline) {
    Preconditions.requireState(this.legacyPrefix == null, "legacyPlaintextMigration was already set");
    Objects.requireNonNull(legacyPrefix, "legacyPrefix must not be null");
    Objects.requireNonNull(deadline, "deadline must not be null");
    Preconditions.requireArgument(!legacyPrefix.isEmpty(), "legacyPrefix must not be empty");
    this.legacyPrefix = legacyPrefix;
    this.legacyDeadline = deadline;
    return this;
  }

  /** Time to live of entries stored without one; default 10 minutes. */
  public RedisCacheBuilder<K, V> defaultTtl(Duration ttl) {
    settings.defaultTtl(ttl);
    return this;
  }

  /** Maps keys to strings; default the built-in codec of the key type. */
  public RedisCacheBuilder<K, V> keyCodec(KeyCodec<? super K> codec) {
    settings.keyCodec(codec);
    keyCodecSet = true;
    return this;
  }

  /**
   * The longest encoded key; default 1,024 characters when key names are stored as they are, no limit
   * with {@link #keyNameHasher} (Redis then stores a fixed-length HMAC). A longer key is refused with
   * {@code IllegalArgumentException} on writes and is a miss on reads. For long keys without hiding, use
   * {@link KeyCodec#sha256(KeyCodec)}.
   */
  public RedisCacheBuilder<K, V> maxKeyLength(int length) {
    settings.maxKeyLength(length);
    return this;
  }

  /** The loader used by {@code get(key)}. */
  public RedisCacheBuilder<K, V> loader(CacheLoader<? super K, ? extends V> loader) {
    settings.loader(loader);
    return this;
  }

  /** Runs asynchronous loads; default the common pool. */
  public RedisCacheBuilder<K, V> executor(Executor executor) {
    settings.executor(executor);
    return this;
  }

  /**
   * Where asynchronous reads decrypt, decompress and deserialize what Redis returned (the async view's
   * {@code getIfPresent}, {@code RemoteTier.get(key)}); Lettuce's I/O threads only move bytes, and
   * synchronous reads decode on the calling thread whatever this is. Default: a small pool of daemon
   * threads ({@code cachet-redis-decode-N}, at most the number of cores and 4) shared by every cache on
   * the same {@link RedisConnections}, never {@code ForkJoinPool.commonPool()}. The executor must run
   * every task it accepts; it is not shut down by the cache.
   */
  public RedisCacheBuilder<K, V> decodeExecutor(Executor executor) {
    Preconditions.requireState(decodeExecutor == null, "decodeExecutor was already set");
    decodeExecutor = Objects.requireNonNull(executor, "decodeExecutor must not be null");
    return this;
  }

  /** How often the generation number is re-read; default 1 s (the bound on cross-instance invalidateAll lag). */
  public RedisCacheBuilder<K, V> generationRefreshInterval(Duration interval) {
    Preconditions.requireState(generationRefresh == null, "generationRefreshInterval was already set");
    generationRefresh = Preconditions.requirePositive(interval, "generationRefreshInterval");
    return this;
  }

  /**
   * Puts every Redis call behind Resilience4j retries and a circuit breaker named after the cache (see
   * {@link Resilience#decorate}); default none. For a Redis-only cache, a failure is then thrown after
   * the retries, and an open breaker fails calls at once with a {@code CacheUnavailableException}
   * (reason {@code CIRCUIT_OPEN}) instead of waiting for Redis. When this builder describes the remote
   * tier of a tiered cache, set resilience on one of the two builders only.
   */
  public RedisCacheBuilder<K, V> resilience(ResilienceSettings settings) {
    Preconditions.requireState(resilience == null, "resilience was already set");
    resilience = Objects.requireNonNull(settings, "resilience must not be null");
    return this;
  }

  /**
   * This instance's wall clock; for tests. Default the system UTC clock. Envelope expiry is sealed and
   * checked in the Redis server's time, this clock corrected by its offset to the server's {@code TIME}
   * (learned with every generation refresh), so a skewed clock does not shorten or lengthen other
   * instances' entries; see {@link #EXPIRY_SKEW_ALLOWANCE_MILLIS}.
   */
  public RedisCacheBuilder<K, V> clock(Clock value) {
    Preconditions.requireState(clock == null, "clock was already set");
    clock = Objects.requireNonNull(value, "clock must not be null");
    return this;
  }

  /**
   * Builds a cache backed only by Redis. Never waits for Redis beyond the connections' bounds and never
   * fails because Redis is down.
   *
   * @throws IllegalStateException if the name, connections, key codec or serializer is missing
   * @throws CacheConfigurationException {@code MISSING_ENCRYPTION_KEY} without a key ring; {@code
   *     INCONSISTENT_SETTINGS} for compression with {@code PLAIN_JSON} or closed connections, or for a
   *     {@code CBOR} payload format with {@code PLAIN_JSON} or with a serializer that is not a built-in
   *     JSON one; {@code MISSING_DEPENDENCY} for {@code CBOR} without {@code jackson-dataformat-cbor}
   */
  public Cache<K, V> build() {
    CacheSettings<K, V> s = settings.build(!keyCodecSet && defaultCodec == null);
    if (!keyCodecSet && defaultCodec != null) {
      s = new CacheSettings<>(s.name(), defaultCodec, s.maxKeyLength(), s.defaultTtl(), s.loader(), s.executor());
    }
    if (keyNameHasher != null && !settings.hasMaxKeyLength()) {
      s = s.withMaxKeyLength(CacheSettings.UNLIMITED_KEY_LENGTH);
    }
    CacheInstrumentation instrumentation = new CacheInstrumentation();
    LettuceRedisTier<V> raw = buildTier(s.name(), instrumentation, s.defaultTtl());
    RemoteTier<V> tier = raw;
    Duration awaitBound = connections.commandTimeout().multipliedBy(4).plusSeconds(1);
    if (resilience != null) {
      try {
        tier = Resilience.decorate(raw, resilience);
      } catch (RuntimeException e) {
        raw.close();
        throw e;
      }
      Duration worst = resilience.worstCaseLatency().multipliedBy(2).plusSeconds(1);
      awaitBound = worst.compareTo(awaitBound) > 0 ? worst : awaitBound;
    }
    return new LettuceRedisCache<>(s, instrumentation, raw, tier, awaitBound);
  }

  /**
   * Builds this builder's Redis tier as the remote tier of a composing cache (a tiered cache), with the
   * composing cache's name and TTL; this builder may repeat them only with the same values.
   */
  RemoteTier<V> buildTierFor(CacheSettings<?, ?> composing, CacheInstrumentation instrumentation) {
    requireSameOrUnset("name", settings.name(), composing.name());
    if (settings.hasDefaultTtl()) {
      requireSameOrUnset("defaultTtl", settings.defaultTtl(), composing.defaultTtl());
    }
    if (keyCodecSet) {
      requireSameOrUnset("keyCodec", settings.keyCodecOrNull(), composing.keyCodec());
    }
    Preconditions.requireState(!settings.hasLoader(),
        "set the loader on the tiered cache's builder, not on the RedisCacheBuilder describing its remote tier");
    LettuceRedisTier<V> raw = buildTier(composing.name(), instrumentation, composing.defaultTtl());
    if (resilience == null) {
      return raw;
    }
    try {
      return Resilience.decorate(raw, resilience);
    } catch (RuntimeException e) {
      raw.close();
      throw e;
    }
  }

  private static void requireSameOrUnset(String setting, Object mine, Object composing) {
    if (mine != null && !mine.equals(composing)) {
      throw new CacheConfigurationException(
          Reason.INCONSISTENT_SETTINGS,
          "the RedisCacheBuilder describing the remote tier of cache '" + composing + "' sets " + setting
              + " differently from the tiered cache's builder; set " + setting + " once, on the tiered"
              + " cache's builder");
    }
  }

  /**
   * Builds the bare Redis {@link RemoteTier} (no resilience decorator), recording into a fresh
   * instrumentation: the SPI for code that composes remote tiers itself and for Cachet's tests. A tiered
   * cache is built with {@code TieredCacheBuilder.remote(this)} instead. Closing the tier does not close
   * the connections.
   *
   * @throws CacheConfigurationException as {@link #build()}
   */
  public RemoteTier<V> buildRemoteTier() {
    return buildRemoteTier(new CacheInstrumentation());
  }

  /** {@link #buildRemoteTier()} recording into {@code instrumentation} (tests). */
  RemoteTier<V> buildRemoteTier(CacheInstrumentation instrumentation) {
    Preconditions.requireState(settings.name() != null, "a cache name is required: call name(...)");
    return buildTier(settings.name(), instrumentation, settings.defaultTtl());
  }

  private LettuceRedisTier<V> buildTier(String name, CacheInstrumentation instrumentation, Duration ttl) {
    Preconditions.requireState(name != null, "a cache name is required: call name(...)");
    if (keyRing == null) {
      throw new CacheConfigurationException(
          Reason.MISSING_ENCRYPTION_KEY,
          "Redis cache '" + name + "' needs an encryption key ring: call keyRing(...), e.g. with"
              + " FernetKeyRing.requireFromEnvironment(env) reading CACHET_ENCRYPTION_KEYS (values in"
              + " Redis are always encrypted)");
    }
    int writeFormat = checkPayloadFormat(name);
    Preconditions.requireState(connections != null, "Redis cache '" + name + "' needs connections(...)");
    if (connections.isClosed()) {
      throw new CacheConfigurationException(
          Reason.INCONSISTENT_SETTINGS, "the RedisConnections given to cache '" + name + "' are closed");
    }
    ValueSerializer<V> ser = serializer != null ? serializer : defaultSerializer;
    Preconditions.requireState(
        ser != null,
        "Redis cache '" + name + "' needs a serializer(...), e.g. ValueSerializers.json(Type.class)");
    RedisValueFormat fmt = format == null ? RedisValueFormat.SEALED : format;
    if (fmt == RedisValueFormat.PLAIN_JSON && compressionThreshold != null) {
      throw new CacheConfigurationException(
          Reason.INCONSISTENT_SETTINGS,
          "cache '" + name + "': compression needs the SEALED format (PLAIN_JSON stores bare JSON)");
    }
    Clock c = clock == null ? Clock.systemUTC() : clock;
    RedisKeyLayout layout =
        new RedisKeyLayout(
            keyPrefix == null ? DEFAULT_KEY_PREFIX : keyPrefix,
            name,
            schemaVersion == null ? DEFAULT_SCHEMA_VERSION : schemaVersion,
            null,
            keyNameHasher);
    ValueCodec<V> codec =
        new ValueCodec<>(
            name, keyRing, ser, fmt, compressionThreshold == null ? -1 : compressionThreshold,
            maxValueSize == null ? DEFAULT_MAX_VALUE_SIZE : maxValueSize, instrumentation, writeFormat);
    GenerationTracker generations =
        new GenerationTracker(
            connections, name, layout.generationKey(), layout.tenantGenerationsKey(), c,
            generationRefresh == null ? Duration.ofMillis(DEFAULT_GENERATION_REFRESH_MILLIS) : generationRefresh);
    LettuceRedisTier.Shared<V> shared =
        new LettuceRedisTier.Shared<>(
            name, connections, false, codec, generations, instrumentation, c, ttl,
            deleteBadEntries == null || deleteBadEntries, legacyPrefix, legacyDeadline,
            decodeExecutor != null ? decodeExecutor : connections.decodeExecutor());
    generations.start();
    generations.current(); // learn the generation in the background
    LettuceRedisTier<V> root = new LettuceRedisTier<>(shared, layout);
    // a tenant-scoped cache owns the shared state through its tenant view: closing it stops everything
    return tenant == null ? root : root.owningTenantView(tenant);
  }

  /** The payload format id to write, after checking that this cache can write it. */
  private int checkPayloadFormat(String name) {
    if (payloadFormat == null || payloadFormat == PayloadFormat.JSON) {
      return PayloadFormat.JSON.id();
    }
    if (format == RedisValueFormat.PLAIN_JSON) {
      throw new CacheConfigurationException(
          Reason.INCONSISTENT_SETTINGS,
          "cache '" + name + "': a PLAIN_JSON cache stores bare JSON that other services read as it is, so"
              + " it cannot switch its payload format to " + payloadFormat + "; use the SEALED format (a"
              + " new cache name) to write " + payloadFormat);
    }
    if (!OptionalDependencies.cborPresent()) {
      throw new CacheConfigurationException(
          Reason.MISSING_DEPENDENCY,
          "cache '" + name + "': payloadFormat(CBOR) needs " + OptionalDependencies.CBOR_ARTIFACT
              + " on the class path, which is missing; add it with the version of your jackson-databind"
              + " (Maven: <dependency><groupId>com.fasterxml.jackson.dataformat</groupId><artifactId>"
              + "jackson-dataformat-cbor</artifactId></dependency>), or keep the JSON payload format");
    }
    ValueSerializer<V> ser = serializer != null ? serializer : defaultSerializer;
    if (ser != null
        && !(ser instanceof MultiFormatSerializer<?> m && m.canRead(payloadFormat.id()))) {
      throw new CacheConfigurationException(
          Reason.INCONSISTENT_SETTINGS,
          "cache '" + name + "': payloadFormat(" + payloadFormat + ") needs a Jackson serializer from"
              + " ValueSerializers.json(...), not " + ser + "; the payload format of other serializers is"
              + " their own bytes");
    }
    return payloadFormat.id();
  }

  /** Lists the options that were set, never keys, secrets or URIs. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("RedisCacheBuilder{").append(settings.describe());
    if (connections != null) sb.append(", connections");
    if (keyRing != null) sb.append(", keyRing=").append(keyRing.primaryKeyId());
    if (serializerSet) sb.append(", serializer");
    if (format != null) sb.append(", format=").append(format);
    if (payloadFormat != null) sb.append(", payloadFormat=").append(payloadFormat);
    if (compressionThreshold != null) sb.append(", compressionThreshold=").append(compressionThreshold);
    if (maxValueSize != null) sb.append(", maxValueSize=").append(maxValueSize);
    if (keyPrefix != null) sb.append(", keyPrefix=").append(keyPrefix);
    if (tenant != null) sb.append(", tenant=").append(tenant);
    if (schemaVersion != null) sb.append(", schemaVersion=").append(schemaVersion);
    if (keyNameHasher != null) sb.append(", keyNameHasher");
    if (deleteBadEntries != null) sb.append(", deleteBadEntries=").append(deleteBadEntries);
    if (legacyPrefix != null) sb.append(", legacyPlaintextMigration");
    if (resilience != null) sb.append(", resilience");
    if (decodeExecutor != null) sb.append(", decodeExecutor");
    return sb.append('}').toString();
  }
}
