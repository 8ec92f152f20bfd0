package dev.cachet.spring;

import dev.cachet.Cache;
import dev.cachet.CacheConfigurationException;
import dev.cachet.KeyCodec;
import dev.cachet.factory.CacheFactory;
import dev.cachet.serialization.ValueSerializer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.springframework.cache.CacheManager;

/**
 * A Spring {@link CacheManager} whose caches are Cachet caches, adapted by {@link CachetSpringCache}.
 * Caches are made by a function from a {@link SpringCacheSpec} (name, key codec, value serializer) to
 * a Cachet cache, so any builder works: memory-only, Redis-only or tiered.
 *
 * <pre>{@code
 * @Bean
 * CachetCacheManager cacheManager(RedisConnections redis, FernetKeyRing ring) {
 *   return CachetCacheManager.newBuilder(spec -> TieredCacheBuilder.<Object, Object>newBuilder()
 *           .name(spec.name()).keyCodec(spec.keyCodec())
 *           .remote(RedisCacheBuilder.<Object, Object>newBuilder().connections(redis).keyRing(ring)
 *               .serializer(spec.valueSerializer()))
 *           .build())
 *       .cacheNames("users", "orders").allowedValuePackages("com.example")
 *       .build();
 * }
 * }</pre>
 *
 * <p>Over a {@link CacheFactory}, whose preset and environment decide every cache's tiers, TTL and
 * size: {@code CachetCacheManager.newBuilder(factory).build()} ({@link #newBuilder(CacheFactory)}).
 *
 * <p><b>Unknown names.</b> With {@link Builder#dynamic(boolean) dynamic} on (the default) a name not
 * listed is created on first use; with it off {@link #getCache} returns {@code null} for it, and Spring
 * fails the call with "Cannot find cache named ...".
 *
 * <p><b>Metrics.</b> The manager binds no meters: under Spring Boot the auto-configuration's {@code
 * CacheMeterBinderProvider} binds each cache once, with the {@code cache.manager} tag; elsewhere call
 * {@code TieredCacheMetrics.monitor} on {@link CachetSpringCache#getNativeCache()}.
 *
 * <p><b>Lifecycle.</b> {@link #close()} closes every Cachet cache the manager created (Spring calls it
 * when the context closes); it does not close what the function borrowed (a {@code RedisConnections}).
 * Thread-safe.
 */
public final class CachetCacheManager implements CacheManager, AutoCloseable {

  private final Function<SpringCacheSpec, Cache<Object, Object>> cacheFunction;
  private final CacheFactory factory;
  private final KeyCodec<Object> keyCodec;
  private final ValueSerializer<Object> valueSerializer;
  private final boolean allowNullValues;
  private final boolean dynamic;
  private final Consumer<CachetSpringCache> onCreate;
  /** Set once by the Boot auto-configuration after start-up, to bind meters of caches made later. */
  private volatile Consumer<CachetSpringCache> lateListener;
  private final ConcurrentMap<String, CachetSpringCache> caches = new ConcurrentHashMap<>();
  private final Set<String> names = Collections.synchronizedSet(new LinkedHashSet<>());
  private volatile boolean closed;

  private CachetCacheManager(Builder builder) {
    this.cacheFunction = builder.cacheFunction;
    this.factory = builder.factory;
    this.keyCodec = builder.keyCodec == null ? SpringKeyCodec.INSTANCE : builder.keyCodec;
    ValueSerializer<Object> values =
        builder.valueSerializer != null
            ? builder.valueSerializer
            : new TypedJsonSerializer(builder.allowedValuePackages, builder.classLoader());
    this.valueSerializer = new NullAwareSerializer(values);
    this.allowNullValues = builder.allowNullValues;
    this.dynamic = builder.dynamic;
    this.onCreate = builder.onCreate;
  }

  /**
   * A builder for a manager whose caches {@code cacheFunction} makes.
   *
   * @throws NullPointerException if {@code cacheFunction} is null
   */
  public static Builder newBuilder(Function<SpringCacheSpec, Cache<Object, Object>> cacheFunction) {
    return new Builder(cacheFunction, null);
  }

  /**
   * A builder for a manager whose caches {@code factory} makes: each Spring cache is {@code
   * factory.cache(name, keyCodec, valueSerializer)} with this manager's key codec and value serializer,
   * so the factory's preset and its {@code CACHET_CACHE_<NAME>_*} variables decide the tiers, TTL and
   * size. The factory is borrowed: {@link #close()} closes the caches the manager made (the factory
   * forgets them), never the factory. Under Spring Boot, give the factory no {@code MeterRegistry}:
   * Boot's {@code CacheMeterBinderProvider} binds the meters, and a factory with a registry would bind
   * them again.
   *
   * @throws NullPointerException if {@code factory} is null
   */
  public static Builder newBuilder(CacheFactory factory) {
    Objects.requireNonNull(factory, "factory must not be null");
    return new Builder(
        spec -> factory.cache(spec.name(), spec.keyCodec(), spec.valueSerializer()), factory);
  }

  /** The factory this manager's caches come from, if it was built over one. */
  public Optional<CacheFactory> factory() {
    return Optional.ofNullable(factory);
  }


  @Override
  public org.springframework.cache.Cache getCache(String name) {
    Objects.requireNonNull(name, "name must not be null");
    CachetSpringCache cache = caches.get(name);
    if (cache != null || !dynamic) {
      return cache;
    }
    return getOrCreate(name);
  }

  @Override
  public Collection<String> getCacheNames() {
    synchronized (names) {
      return List.copyOf(names);
    }
  }

  /** Whether null values are cached. */
  public boolean isAllowNullValues() {
    return allowNullValues;
  }

  private CachetSpringCache getOrCreate(String name) {
    if (closed) {
      throw new IllegalStateException("CachetCacheManager is closed: cache '" + name + "' not made");
    }
    CachetSpringCache[] created = new CachetSpringCache[1];
    CachetSpringCache cache =
        caches.computeIfAbsent(
            name,
            n -> {
              Cache<Object, Object> nativeCache =
                  cacheFunction.apply(new SpringCacheSpec(n, keyCodec, valueSerializer));
              if (nativeCache == null) {
                throw new CacheConfigurationException(
                    CacheConfigurationException.Reason.INVALID_SETTING,
                    "the cache function of the CachetCacheManager returned null for cache '"
                        + n
                        + "'");
              }
              if (!n.equals(nativeCache.name())) {
                nativeCache.close();
                throw new CacheConfigurationException(
                    CacheConfigurationException.Reason.INCONSISTENT_SETTINGS,
                    "the cache function made a cache named '"
                        + nativeCache.name()
                        + "' for Spring cache '"
                        + n
                        + "': name it spec.name()");
              }
              created[0] = new CachetSpringCache(nativeCache, allowNullValues);
              return created[0];
            });
    if (created[0] != null) {
      names.add(name);
      if (onCreate != null) {
        onCreate.accept(created[0]);
      }
      Consumer<CachetSpringCache> late = lateListener;
      if (late != null) {
        late.accept(created[0]);
      }
    }
    return cache;
  }

  /** For the auto-configuration: called for every cache created from now on. */
  void lateListener(Consumer<CachetSpringCache> listener) {
    this.lateListener = listener;
  }

  /** The caches made so far. */
  List<CachetSpringCache> caches() {
    return List.copyOf(caches.values());
  }

  /** Closes every cache this manager created. Idempotent. */
  @Override
  public void close() {
    closed = true;
    List<CachetSpringCache> toClose = new ArrayList<>(caches.values());
    caches.clear();
    for (CachetSpringCache cache : toClose) {
      cache.getNativeCache().close();
    }
  }

  @Override
  public String toString() {
    return "CachetCacheManager{caches="
        + getCacheNames()
        + ", allowNullValues="
        + allowNullValues
        + ", dynamic="
        + dynamic
        + '}';
  }

  /**
   * Builds a {@link CachetCacheManager}. Each setter may be called once. Not thread-safe.
   */
  public static final class Builder {
    private final Function<SpringCacheSpec, Cache<Object, Object>> cacheFunction;
    private final CacheFactory factory;
    private final Set<String> cacheNames = new LinkedHashSet<>();
    private final List<String> allowedValuePackages = new ArrayList<>();
    private KeyCodec<Object> keyCodec;
    private ValueSerializer<Object> valueSerializer;
    private boolean allowNullValues = true;
    private boolean dynamic = true;
    private ClassLoader classLoader;
    private Consumer<CachetSpringCache> onCreate;

    private Builder(
        Function<SpringCacheSpec, Cache<Object, Object>> cacheFunction, CacheFactory factory) {
      this.cacheFunction = Objects.requireNonNull(cacheFunction, "cacheFunction must not be null");
      this.factory = factory;
    }

    /** Caches made when the manager is built (so they exist for metrics and health at start-up). */
    public Builder cacheNames(String... names) {
      return cacheNames(List.of(names));
    }

    /** Caches made when the manager is built. */
    public Builder cacheNames(Collection<String> names) {
      for (String name : names) {
        cacheNames.add(Objects.requireNonNull(name, "cache name must not be null"));
      }
      return this;
    }

    /** Whether {@code null} results are cached (default {@code true}, as Spring's own managers). */
    public Builder allowNullValues(boolean allow) {
      this.allowNullValues = allow;
      return this;
    }

    /**
     * Whether names not given to {@link #cacheNames} are created on first use (default {@code true})
     * or refused ({@link #getCache} returns {@code null}).
     */
    public Builder dynamic(boolean value) {
      this.dynamic = value;
      return this;
    }

    /**
     * Replaces the default key codec, which encodes {@code SimpleKey}, strings, numbers, UUIDs, enums
     * and records one-to-one and hashes long keys.
     */
    public Builder keyCodec(KeyCodec<Object> codec) {
      if (keyCodec != null) {
        throw new IllegalStateException("keyCodec was already set");
      }
      this.keyCodec = Objects.requireNonNull(codec, "codec must not be null");
      return this;
    }

    /**
     * Packages whose classes may be stored in Redis by the default value serializer (JSON tagged with
     * the class name; {@code String}, boxed numbers, {@code Boolean}, {@code BigDecimal} and {@code
     * BigInteger} are always allowed). Ignored when {@link #valueSerializer} is set.
     *
     * @throws IllegalArgumentException for an empty name or a {@code java.} package
     */
    public Builder allowedValuePackages(String... packages) {
      return allowedValuePackages(List.of(packages));
    }

    /** See {@link #allowedValuePackages(String...)}. */
    public Builder allowedValuePackages(Collection<String> packages) {
      for (String p : packages) {
        allowedValuePackages.add(Objects.requireNonNull(p, "package must not be null"));
      }
      return this;
    }

    /** Replaces the default value serializer; the manager still adds its null marker around it. */
    public Builder valueSerializer(ValueSerializer<Object> serializer) {
      if (valueSerializer != null) {
        throw new IllegalStateException("valueSerializer was already set");
      }
      this.valueSerializer = Objects.requireNonNull(serializer, "serializer must not be null");
      return this;
    }

    /** The class loader the default serializer resolves stored types with (default: this class's). */
    public Builder classLoader(ClassLoader loader) {
      this.classLoader = Objects.requireNonNull(loader, "loader must not be null");
      return this;
    }

    /** Called once for each cache the manager creates, after it is made (e.g. to bind meters). */
    public Builder onCacheCreated(Consumer<CachetSpringCache> listener) {
      this.onCreate = Objects.requireNonNull(listener, "listener must not be null");
      return this;
    }

    private ClassLoader classLoader() {
      if (classLoader != null) {
        return classLoader;
      }
      ClassLoader context = Thread.currentThread().getContextClassLoader();
      return context != null ? context : CachetCacheManager.class.getClassLoader();
    }

    /**
     * Builds the manager and the caches named in {@link #cacheNames}.
     *
     * @throws IllegalArgumentException if an allowed value package is not accepted
     * @throws RuntimeException whatever the cache function throws for a listed name
     */
    public CachetCacheManager build() {
      CachetCacheManager manager = new CachetCacheManager(this);
      try {
        for (String name : cacheNames) {
          manager.getOrCreate(name);
        }
      } catch (RuntimeException | Error e) {
        manager.close();
        throw e;
      }
      return manager;
    }
  }
}
