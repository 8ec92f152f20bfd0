package dev.cachet.factory;

import dev.cachet.Cache;
import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import dev.cachet.CacheHealth;
import dev.cachet.CachetEnvironment;
import dev.cachet.KeyCodec;
import dev.cachet.Ticker;
import dev.cachet.Tier;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.internal.Instrumented;
import dev.cachet.memory.MemoryCacheBuilder;
import dev.cachet.memory.ValueWeigher;
import dev.cachet.metrics.TieredCacheMetrics;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.serialization.PayloadFormat;
import dev.cachet.serialization.ValueSerializer;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.tiered.TieredCacheBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named presets that combine Cachet's builders into a correct, sealed, observable cache in two lines:
 *
 * <pre>{@code
 * CacheFactory caches = CacheFactory.forWebApp(meterRegistry);       // reads CACHET_* variables
 * Cache<String, User> users = caches.cache("users", User.class);
 * }</pre>
 *
 * <ul>
 *   <li>{@link #forWebApp()}: many small entries, short TTLs, memory bounded by count, key names hidden
 *       whenever {@value CachetEnvironment#KEY_NAMING_SECRET} is set;
 *   <li>{@link #forAiApp()}: LLM responses and embeddings: large values, long TTLs, memory bounded by
 *       bytes, compression, key-name hiding required, cross-instance single flight (one model call per
 *       prompt across the fleet), and {@link #promptCache} keyed by {@link PromptKey};
 *   <li>{@link #forTesting()}: memory only (or {@link #forTesting(RedisConnections) a given Redis}), an
 *       ephemeral key, no retries, a {@link ManualTicker};
 *   <li>{@link #fromEnvironment()}: the preset {@value CachetEnvironment#PRESET} names, and {@link
 *       #newBuilder()} for everything else.
 * </ul>
 *
 * Every value of every preset is listed in {@code docs/configuration.md}. A preset uses Redis when
 * {@value CachetEnvironment#REDIS_URL} or {@value CachetEnvironment#REDIS_CLUSTER_NODES} is set (or
 * connections are given), and then refuses to start without an encryption key, except {@code
 * forTesting}, the only preset that makes one. Errors name the variable, the problem and the accepted
 * form, never a secret. Unknown {@code CACHET_*} variables are logged once per factory (an error under
 * {@value CachetEnvironment#STRICT_ENV}{@code =true}).
 *
 * <p><b>Ownership.</b> The factory owns the {@link RedisConnections} it creates (one per factory, shared
 * by all its caches) and every cache it builds: {@link #close()} closes the caches, then those
 * connections. Connections given to it are borrowed. A cache closed by its user is forgotten, and its
 * name may be used again.
 *
 * <p><b>Metrics.</b> With a {@code MeterRegistry}, each cache is bound once, when it is built ({@link
 * TieredCacheMetrics}); closing the cache removes its meters.
 *
 * <p>Thread-safe. Methods throw {@link NullPointerException} for null arguments.
 */
public final class CacheFactory implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CacheFactory.class);

  /** The presets. */
  public enum Preset {
    /** {@link CacheFactory#forWebApp()}. */
    WEB_APP,
    /** {@link CacheFactory#forAiApp()}. */
    AI_APP,
    /** {@link CacheFactory#forTesting()}. */
    TESTING
  }

  private final Preset preset;
  private final Presets.Values values;
  private final CachetEnvironment env;
  private final MeterRegistry registry;
  private final RedisConnections connections;
  private final boolean ownsConnections;
  private final FernetKeyRing keyRing;
  private final KeyNameHasher keyNameHasher;
  private final String keyPrefix;
  private final PayloadFormat payloadFormat;
  private final ResilienceSettings resilience;
  private final Duration defaultTtl;
  private final Ticker ticker;
  private final Map<String, Cache<?, ?>> caches = new LinkedHashMap<>();
  private boolean closed;

  private CacheFactory(Builder b, Setup setup) {
    this.preset = b.preset;
    this.values = Presets.of(b.preset);
    this.env = setup.env;
    this.registry = b.registry;
    this.connections = setup.connections;
    this.ownsConnections = setup.ownsConnections;
    this.keyRing = setup.keyRing;
    this.keyNameHasher = setup.keyNameHasher;
    this.keyPrefix = setup.keyPrefix;
    this.payloadFormat = setup.payloadFormat;
    this.resilience = setup.resilience;
    this.defaultTtl = b.defaultTtl != null ? b.defaultTtl : values.defaultTtl();
    this.ticker = b.ticker != null ? b.ticker : (values.manualTicker() ? new ManualTicker() : null);
  }

  // ---------------------------------------------------------------- presets

  /**
   * The web-app preset, configured by the process environment.
   *
   * @throws CacheConfigurationException naming the variable for a malformed or missing setting
   */
  public static CacheFactory forWebApp() {
    return newBuilder().preset(Preset.WEB_APP).build();
  }

  /** {@link #forWebApp()} with every cache bound to {@code registry}. */
  public static CacheFactory forWebApp(MeterRegistry registry) {
    return newBuilder().preset(Preset.WEB_APP).meterRegistry(registry).build();
  }

  /**
   * The AI-app preset, configured by the process environment.
   *
   * @throws CacheConfigurationException naming the variable for a malformed or missing setting; with
   *     Redis, also without {@value CachetEnvironment#KEY_NAMING_SECRET}
   */
  public static CacheFactory forAiApp() {
    return newBuilder().preset(Preset.AI_APP).build();
  }

  /** {@link #forAiApp()} with every cache bound to {@code registry}. */
  public static CacheFactory forAiApp(MeterRegistry registry) {
    return newBuilder().preset(Preset.AI_APP).meterRegistry(registry).build();
  }

  /**
   * The testing preset, memory only: a {@link ManualTicker} ({@link #ticker()}) drives expiry. Reads no
   * environment variable.
   */
  public static CacheFactory forTesting() {
    return newBuilder().preset(Preset.TESTING).environment(CachetEnvironment.of(Map.of())).build();
  }

  /**
   * The testing preset over {@code redis} (borrowed, not closed by the factory): an ephemeral encryption
   * key and naming secret, a random key prefix (factories never see each other's entries), no retries.
   * Reads no environment variable.
   */
  public static CacheFactory forTesting(RedisConnections redis) {
    return newBuilder()
        .preset(Preset.TESTING)
        .environment(CachetEnvironment.of(Map.of()))
        .connections(redis)
        .build();
  }

  /**
   * The preset {@value CachetEnvironment#PRESET} names ({@code web-app} when unset, or {@code ai-app}),
   * configured by the process environment.
   */
  public static CacheFactory fromEnvironment() {
    return fromEnvironment(CachetEnvironment.system());
  }

  /**
   * The preset {@value CachetEnvironment#PRESET} names in {@code env} ({@code web-app} when unset, or
   * {@code ai-app}), configured by {@code env}.
   *
   * @throws CacheConfigurationException naming the variable for a malformed or missing setting
   */
  public static CacheFactory fromEnvironment(CachetEnvironment env) {
    Objects.requireNonNull(env, "env must not be null");
    return newBuilder().environment(env).preset(presetFrom(env)).build();
  }

  private static Preset presetFrom(CachetEnvironment env) {
    Optional<String> named = env.string(CachetEnvironment.PRESET);
    if (named.isEmpty()) {
      return Preset.WEB_APP;
    }
    switch (named.get().toLowerCase(Locale.ROOT).replace('_', '-')) {
      case "web-app":
        return Preset.WEB_APP;
      case "ai-app":
        return Preset.AI_APP;
      default:
        throw new CacheConfigurationException(
            Reason.INVALID_ENVIRONMENT_VARIABLE,
            "environment variable " + CachetEnvironment.PRESET + " is '" + named.get()
                + "'; expected web-app or ai-app (the testing preset is CacheFactory.forTesting(), which"
                + " never reads the environment)");
    }
  }

  /** A builder starting from the web-app preset and the process environment. */
  public static Builder newBuilder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- caches

  /**
   * A cache with {@code String} keys and {@code valueType} values (JSON in Redis; {@code byte[]} as is).
   *
   * @throws IllegalArgumentException if {@code name} is not a valid cache name
   * @throws IllegalStateException if this factory already has an open cache of that name, or is closed
   * @throws CacheConfigurationException for a malformed {@code CACHET_CACHE_<NAME>_*} variable
   */
  public <V> Cache<String, V> cache(String name, Class<V> valueType) {
    return cache(name, KeyCodec.strings(), serializerFor(valueType));
  }

  /**
   * A cache with {@code keyType} keys ({@code String}, {@code UUID}, {@code Long} or {@code Integer})
   * and {@code valueType} values.
   *
   * @see #cache(String, Class)
   */
  public <K, V> Cache<K, V> cache(String name, Class<K> keyType, Class<V> valueType) {
    Objects.requireNonNull(keyType, "keyType must not be null");
    return cache(name, KeyCodec.forType(keyType), serializerFor(valueType));
  }

  /**
   * A cache of LLM answers keyed by {@link PromptKey} (the key's digest names the entry); use it with
   * {@link #forAiApp()}.
   *
   * @see #cache(String, Class)
   */
  public <V> Cache<PromptKey, V> promptCache(String name, Class<V> valueType) {
    return cache(name, PromptKey.keyCodec(), serializerFor(valueType));
  }

  /**
   * A cache with any key codec and value serializer.
   *
   * @see #cache(String, Class)
   */
  public <K, V> Cache<K, V> cache(
      String name, KeyCodec<? super K> keyCodec, ValueSerializer<V> serializer) {
    return cache(name, keyCodec, serializer, memory -> {}, tiered -> {});
  }

  /**
   * {@link #cache(String, KeyCodec, ValueSerializer)}, with a last word on the builder (the contract
   * tests set a loader and a key length limit).
   */
  synchronized <K, V> Cache<K, V> cache(
      String name, KeyCodec<? super K> keyCodec, ValueSerializer<V> serializer,
      Consumer<MemoryCacheBuilder<K, V>> memoryTweak, Consumer<TieredCacheBuilder<K, V>> tieredTweak) {
    Objects.requireNonNull(name, "name must not be null");
    Objects.requireNonNull(keyCodec, "keyCodec must not be null");
    Objects.requireNonNull(serializer, "serializer must not be null");
    if (closed) {
      throw new IllegalStateException("this CacheFactory is closed");
    }
    if (caches.containsKey(name)) {
      throw new IllegalStateException(
          "this factory already has an open cache named '" + name + "': reuse it, or close it first");
    }
    Duration ttl = env.cacheTtl(name).orElse(defaultTtl);
    OptionalLong maximumSize = env.cacheMaximumSize(name);
    Cache<K, V> cache =
        connections == null
            ? memoryCache(name, keyCodec, serializer, ttl, maximumSize, memoryTweak)
            : tieredCache(name, keyCodec, serializer, ttl, maximumSize, tieredTweak);
    try {
      if (registry != null) {
        TieredCacheMetrics.monitor(registry, cache, Tags.of("preset", preset.name().toLowerCase(Locale.ROOT)));
      }
    } catch (RuntimeException e) {
      cache.close();
      throw e;
    }
    caches.put(name, cache);
    if (cache instanceof Instrumented) {
      ((Instrumented) cache).addCloseHook(() -> forget(name, cache));
    }
    return cache;
  }

  private synchronized void forget(String name, Cache<?, ?> cache) {
    caches.remove(name, cache);
  }

  private <K, V> Cache<K, V> memoryCache(
      String name, KeyCodec<? super K> keyCodec, ValueSerializer<V> serializer, Duration ttl,
      OptionalLong maximumSize, Consumer<MemoryCacheBuilder<K, V>> tweak) {
    MemoryCacheBuilder<K, V> b =
        MemoryCacheBuilder.<K, V>newBuilder().name(name).keyCodec(keyCodec).defaultTtl(ttl);
    if (maximumSize.isPresent()) {
      b.maximumSize(maximumSize.getAsLong());
    } else if (values.boundedByBytes()) {
      b.maximumBytes(values.memoryMaximumBytes()).weigher(weigher(serializer));
    } else {
      b.maximumSize(values.memoryMaximumSize());
    }
    if (ticker != null) {
      b.ticker(ticker);
    }
    tweak.accept(b);
    return b.build();
  }

  private <K, V> Cache<K, V> tieredCache(
      String name, KeyCodec<? super K> keyCodec, ValueSerializer<V> serializer, Duration ttl,
      OptionalLong maximumSize, Consumer<TieredCacheBuilder<K, V>> tweak) {
    RedisCacheBuilder<K, V> redis =
        RedisCacheBuilder.<K, V>newBuilder()
            .connections(connections)
            .keyRing(keyRing)
            .serializer(serializer)
            .maxValueSize(values.maxValueSize());
    if (keyPrefix != null) {
      redis.keyPrefix(keyPrefix);
    }
    if (keyNameHasher != null) {
      redis.keyNameHasher(keyNameHasher);
    }
    if (values.compressionThreshold() > 0) {
      redis.compressionThreshold(values.compressionThreshold());
    }
    if (payloadFormat != null) {
      redis.payloadFormat(payloadFormat);
    }
    TieredCacheBuilder<K, V> b =
        TieredCacheBuilder.<K, V>newBuilder()
            .name(name)
            .keyCodec(keyCodec)
            .defaultTtl(ttl)
            .memoryTtl(ttl.compareTo(values.memoryTtl()) < 0 ? ttl : values.memoryTtl())
            .remote(redis)
            .resilience(resilience)
            .failurePolicy(values.failurePolicy());
    if (maximumSize.isPresent()) {
      b.memoryMaximumSize(maximumSize.getAsLong());
    } else if (values.boundedByBytes()) {
      b.memoryMaximumBytes(values.memoryMaximumBytes()).memoryWeigher(weigher(serializer));
    } else {
      b.memoryMaximumSize(values.memoryMaximumSize());
    }
    if (values.crossInstanceLoading()) {
      b.crossInstanceLoading(values.leaseTime(), values.leaseWait());
    }
    if (ticker != null) {
      b.ticker(ticker);
    }
    tweak.accept(b);
    return b.build();
  }

  /** Exact for {@code String} (UTF-8) and {@code byte[]}; otherwise the serialized size. */
  private static <V> ValueWeigher<V> weigher(ValueSerializer<V> serializer) {
    return value -> {
      if (value instanceof byte[]) {
        return ((byte[]) value).length;
      }
      if (value instanceof String) {
        return ((String) value).getBytes(StandardCharsets.UTF_8).length;
      }
      return serializer.serialize(value).length;
    };
  }

  private static <V> ValueSerializer<V> serializerFor(Class<V> valueType) {
    Objects.requireNonNull(valueType, "valueType must not be null");
    return ValueSerializers.forType(valueType); // byte[] as is, JSON otherwise
  }

  // ---------------------------------------------------------------- state

  ResilienceSettings resilience() {
    return resilience;
  }

  KeyNameHasher keyNameHasher() {
    return keyNameHasher;
  }

  String keyPrefix() {
    return keyPrefix;
  }

  RedisConnections connections() {
    return connections;
  }

  /** This factory's preset. */
  public Preset preset() {
    return preset;
  }

  /** Whether this factory's caches have a Redis tier. */
  public boolean hasRedis() {
    return connections != null;
  }

  /** The {@link ManualTicker} of the testing preset (or the ticker given to the builder); else empty. */
  public Optional<ManualTicker> ticker() {
    return ticker instanceof ManualTicker ? Optional.of((ManualTicker) ticker) : Optional.empty();
  }

  /**
   * One health summary over every open cache of this factory: the worst status of any cache (the
   * factory itself is {@code UP} with no cache, {@code DOWN} once closed), each tier's worst status, a
   * {@code cache.<name>} detail per cache and, with Redis, {@code redis.connected}.
   */
  public synchronized CacheHealth health() {
    if (closed) {
      return CacheHealth.newBuilder(CacheHealth.Status.DOWN).detail("factory", "closed").build();
    }
    CacheHealth.Status overall = CacheHealth.Status.UP;
    Map<Tier, CacheHealth.Status> tiers = new LinkedHashMap<>();
    Map<String, String> details = new LinkedHashMap<>();
    for (Map.Entry<String, Cache<?, ?>> e : caches.entrySet()) {
      CacheHealth h = e.getValue().health();
      overall = worse(overall, h.status());
      h.tiers().forEach((tier, status) -> tiers.merge(tier, status, CacheFactory::worse));
      details.put("cache." + e.getKey(), h.status().name());
    }
    CacheHealth.Builder b = CacheHealth.newBuilder(overall);
    tiers.forEach(b::tier);
    details.forEach(b::detail);
    b.detail("preset", preset.name().toLowerCase(Locale.ROOT));
    if (connections != null) {
      b.detail("redis.connected", connections.isConnected());
    }
    return b.build();
  }

  private static CacheHealth.Status worse(CacheHealth.Status a, CacheHealth.Status b) {
    return a.ordinal() >= b.ordinal() ? a : b;
  }

  /** Closes every open cache of this factory, then the connections it created. Idempotent. */
  @Override
  public void close() {
    List<Cache<?, ?>> toClose;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      toClose = new ArrayList<>(caches.values());
      caches.clear();
    }
    for (int i = toClose.size() - 1; i >= 0; i--) {
      try {
        toClose.get(i).close();
      } catch (RuntimeException e) {
        log.warn("closing cache '{}' failed: {}", toClose.get(i).name(), e.toString());
      }
    }
    if (ownsConnections) {
      connections.close();
    }
  }

  /** Preset, tiers and the names of open caches; never keys, secrets or URIs. */
  @Override
  public synchronized String toString() {
    return "CacheFactory{" + preset.name().toLowerCase(Locale.ROOT)
        + (connections == null ? ", memory only" : ", redis")
        + (closed ? ", closed" : ", caches=" + caches.keySet()) + '}';
  }

  // ---------------------------------------------------------------- building

  /** What the builder resolved from its settings and the environment. */
  private static final class Setup {
    CachetEnvironment env;
    RedisConnections connections;
    boolean ownsConnections;
    FernetKeyRing keyRing;
    KeyNameHasher keyNameHasher;
    String keyPrefix;
    PayloadFormat payloadFormat;
    ResilienceSettings resilience;
  }

  /**
   * Builds a {@link CacheFactory}: a preset (default {@link Preset#WEB_APP}) with any of its values
   * overridden. Each setter may be called once ({@code IllegalStateException} otherwise). Not
   * thread-safe.
   */
  public static final class Builder {
    private Preset preset = Preset.WEB_APP;
    private boolean presetSet;
    private CachetEnvironment env;
    private MeterRegistry registry;
    private RedisConnections connections;
    private FernetKeyRing keyRing;
    private KeyNameHasher keyNameHasher;
    private String keyPrefix;
    private PayloadFormat payloadFormat;
    private ResilienceSettings resilience;
    private Duration defaultTtl;
    private Ticker ticker;

    private Builder() {}

    private static void once(boolean unset, String setting) {
      if (!unset) {
        throw new IllegalStateException(setting + " was already set");
      }
    }

    /** The preset whose values apply where this builder sets none; default {@link Preset#WEB_APP}. */
    public Builder preset(Preset value) {
      once(!presetSet, "preset");
      preset = Objects.requireNonNull(value, "preset must not be null");
      presetSet = true;
      return this;
    }

    /** Where {@code CACHET_*} variables are read; default {@link CachetEnvironment#system()}. */
    public Builder environment(CachetEnvironment value) {
      once(env == null, "environment");
      env = Objects.requireNonNull(value, "environment must not be null");
      return this;
    }

    /** Binds every cache's meters to {@code value} once, when the cache is built. */
    public Builder meterRegistry(MeterRegistry value) {
      once(registry == null, "meterRegistry");
      registry = Objects.requireNonNull(value, "meterRegistry must not be null");
      return this;
    }

    /** Redis connections to borrow (never closed by the factory), instead of the environment's. */
    public Builder connections(RedisConnections value) {
      once(connections == null, "connections");
      connections = Objects.requireNonNull(value, "connections must not be null");
      return this;
    }

    /** The encryption key ring, instead of the environment's. */
    public Builder keyRing(FernetKeyRing value) {
      once(keyRing == null, "keyRing");
      keyRing = Objects.requireNonNull(value, "keyRing must not be null");
      return this;
    }

    /** The key-name hasher, instead of the one {@value CachetEnvironment#KEY_NAMING_SECRET} configures. */
    public Builder keyNameHasher(KeyNameHasher value) {
      once(keyNameHasher == null, "keyNameHasher");
      keyNameHasher = Objects.requireNonNull(value, "keyNameHasher must not be null");
      return this;
    }

    /** The Redis key prefix, {@code [A-Za-z0-9_.-]{1,64}}. */
    public Builder keyPrefix(String value) {
      once(keyPrefix == null, "keyPrefix");
      keyPrefix = Objects.requireNonNull(value, "keyPrefix must not be null");
      return this;
    }

    /**
     * The payload format the Redis-backed caches write, instead of {@value
     * CachetEnvironment#PAYLOAD_FORMAT} (default {@link PayloadFormat#JSON}); every cache reads both.
     * {@link PayloadFormat#CBOR} needs {@code jackson-dataformat-cbor} and the default value
     * serializer: a cache with its own serializer, or a factory without the JAR, fails when the cache
     * is built ({@link CacheConfigurationException} naming the reason). Write CBOR only once every
     * reader of the caches runs a release that reads it. Memory-only caches ignore it (their values
     * never leave the process).
     */
    public Builder payloadFormat(PayloadFormat value) {
      once(payloadFormat == null, "payloadFormat");
      payloadFormat = Objects.requireNonNull(value, "payloadFormat must not be null");
      return this;
    }

    /** Retry and circuit-breaker settings, instead of the preset's. */
    public Builder resilience(ResilienceSettings value) {
      once(resilience == null, "resilience");
      resilience = Objects.requireNonNull(value, "resilience must not be null");
      return this;
    }

    /** The default TTL of every cache (a {@code CACHET_CACHE_<NAME>_TTL} still wins). */
    public Builder defaultTtl(Duration value) {
      once(defaultTtl == null, "defaultTtl");
      Objects.requireNonNull(value, "defaultTtl must not be null");
      if (value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException("defaultTtl must be positive: " + value);
      }
      defaultTtl = value;
      return this;
    }

    /** The memory tiers' time source, instead of the preset's. */
    public Builder ticker(Ticker value) {
      once(ticker == null, "ticker");
      ticker = Objects.requireNonNull(value, "ticker must not be null");
      return this;
    }

    /**
     * Builds the factory: checks the environment's {@code CACHET_*} names (a warning per unknown one),
     * then reads and checks every setting this builder was not given. Connects to Redis (bounded by the
     * connect timeout; never fails because Redis is down).
     *
     * @throws CacheConfigurationException naming the variable for a malformed or missing setting
     */
    public CacheFactory build() {
      Presets.Values values = Presets.of(preset);
      Setup s = new Setup();
      s.env = env != null ? env : CachetEnvironment.system();
      for (String warning : s.env.checkVariables()) {
        log.warn(warning);
      }
      s.resilience = resilience != null ? resilience : resilienceFor(values, s.env);
      // read (and so checked) even when no Redis is configured
      s.payloadFormat =
          payloadFormat != null
              ? payloadFormat
              : s.env.enumValue(CachetEnvironment.PAYLOAD_FORMAT, PayloadFormat.class).orElse(null);
      boolean testing = values.ephemeralEncryptionKey();
      try {
        if (connections != null) {
          s.connections = connections;
        } else if (!testing) {
          s.connections = connectionsFrom(s.env, s.resilience, resilience == null);
          s.ownsConnections = s.connections != null;
          if (s.ownsConnections && resilience == null) {
            Optional<Duration> commandTimeout = s.env.duration(CachetEnvironment.REDIS_COMMAND_TIMEOUT);
            if (commandTimeout.isPresent()
                && commandTimeout.get().compareTo(s.resilience.commandTimeout()) > 0) {
              s.resilience =
                  ResilienceSettings.newBuilder(s.resilience).commandTimeout(commandTimeout.get()).build();
            }
          }
        }
        if (s.connections != null) {
          s.keyRing = keyRingFor(s.env, testing);
          s.keyNameHasher = keyNameHasher != null ? keyNameHasher : hasherFor(values, s.env);
          s.keyPrefix = keyPrefix != null ? keyPrefix : testing ? randomTestPrefix() : null;
        } else if (preset == Preset.AI_APP || preset == Preset.WEB_APP) {
          if (s.env.deployment() == CachetEnvironment.Deployment.PRODUCTION) {
            log.warn(
                "CacheFactory ({}): no Redis configured ({} or {}): caches are memory-only, and each"
                    + " instance loads and caches alone",
                preset.name().toLowerCase(Locale.ROOT), CachetEnvironment.REDIS_URL,
                CachetEnvironment.REDIS_CLUSTER_NODES);
          }
        }
        return new CacheFactory(this, s);
      } catch (RuntimeException | Error e) {
        if (s.ownsConnections) {
          s.connections.close();
        }
        throw e;
      }
    }

    private FernetKeyRing keyRingFor(CachetEnvironment env, boolean testing) {
      if (keyRing != null) {
        return keyRing;
      }
      if (testing) {
        return FernetKeyRing.ephemeralForTesting("CacheFactory.forTesting");
      }
      return FernetKeyRing.requireFromEnvironment(env);
    }

    private KeyNameHasher hasherFor(Presets.Values values, CachetEnvironment env) {
      Optional<KeyNameHasher> configured = KeyNameHasher.fromEnvironment(env);
      switch (values.keyNaming()) {
        case REQUIRED:
          return configured.orElseThrow(
              () ->
                  new CacheConfigurationException(
                      Reason.INCONSISTENT_SETTINGS,
                      "the " + preset.name().toLowerCase(Locale.ROOT).replace('_', '-') + " preset hides"
                          + " Redis key names (they are derived from prompts): set "
                          + CachetEnvironment.KEY_NAMING_SECRET + " to at least 32 random bytes as"
                          + " URL-safe base64 with padding, e.g. the output of 'java -jar cachet-cli.jar"
                          + " keygen'"));
        case EPHEMERAL:
          return configured.orElseGet(() -> KeyNameHasher.of(randomBytes(32)));
        default:
          return configured.orElse(null);
      }
    }

    private static ResilienceSettings resilienceFor(Presets.Values values, CachetEnvironment env) {
      if (values.noRetries()) {
        // the testing windows with one attempt, and the connections' default command timeout
        return ResilienceSettings.newBuilder(ResilienceSettings.testing())
            .maxAttempts(1)
            .commandTimeout(Duration.ofMillis(RedisConnections.DEFAULT_COMMAND_TIMEOUT_MILLIS))
            .build();
      }
      Optional<ResilienceSettings.Profile> named =
          env.enumValue(CachetEnvironment.RESILIENCE_PROFILE, ResilienceSettings.Profile.class);
      if (named.isPresent()) {
        return ResilienceSettings.of(named.get());
      }
      switch (env.deployment()) {
        case DEVELOPMENT:
          return ResilienceSettings.development();
        case TESTING:
          return ResilienceSettings.testing();
        default:
          return ResilienceSettings.production();
      }
    }

    /**
     * The environment's Redis connections, or null when none is configured. Every URI is checked first,
     * so that an error names its variable (and nothing is allocated for a malformed one).
     */
    private static RedisConnections connectionsFrom(
        CachetEnvironment env, ResilienceSettings resilience, boolean matchResilience) {
      List<String> seeds = env.redisClusterNodes();
      Optional<String> url = seeds.isEmpty() ? env.redisUrl() : Optional.empty();
      if (seeds.isEmpty() && url.isEmpty()) {
        return null;
      }
      String variable = seeds.isEmpty() ? CachetEnvironment.REDIS_URL : CachetEnvironment.REDIS_CLUSTER_NODES;
      RedisConnections.Builder b =
          seeds.isEmpty() ? RedisConnections.newBuilder().uri(url.get()) : RedisConnections.newBuilder().clusterSeeds(seeds);
      b.settingsFrom(env);
      if (env.duration(CachetEnvironment.REDIS_COMMAND_TIMEOUT).isEmpty() && matchResilience) {
        b.commandTimeout(resilience.commandTimeout());
      }
      try {
        return b.build();
      } catch (CacheConfigurationException e) {
        if (e.reason() != Reason.INVALID_REDIS_URI) {
          throw e;
        }
        throw new CacheConfigurationException(
            Reason.INVALID_REDIS_URI, "environment variable " + variable + ": " + e.getMessage(), e);
      }
    }

    private static String randomTestPrefix() {
      byte[] bytes = randomBytes(6);
      StringBuilder sb = new StringBuilder("cachet-test-");
      for (byte x : bytes) {
        sb.append(String.format("%02x", x));
      }
      return sb.toString();
    }

    private static byte[] randomBytes(int n) {
      byte[] bytes = new byte[n];
      new SecureRandom().nextBytes(bytes);
      return bytes;
    }

    /** The options that were set, never secrets or URIs. */
    @Override
    public String toString() {
      return "CacheFactory.Builder{" + preset.name().toLowerCase(Locale.ROOT)
          + (env != null ? ", environment" : "") + (registry != null ? ", meterRegistry" : "")
          + (connections != null ? ", connections" : "") + (keyRing != null ? ", keyRing" : "")
          + (keyNameHasher != null ? ", keyNameHasher" : "") + (keyPrefix != null ? ", keyPrefix" : "")
          + (payloadFormat != null ? ", payloadFormat=" + payloadFormat : "")
          + (resilience != null ? ", resilience" : "") + (defaultTtl != null ? ", defaultTtl=" + defaultTtl : "")
          + (ticker != null ? ", ticker" : "") + '}';
    }
  }
}
