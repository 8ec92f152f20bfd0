package dev.cachet.spring;

import dev.cachet.Cache;
import dev.cachet.CacheConfigurationException;
import dev.cachet.CacheConfigurationException.Reason;
import dev.cachet.CachetEnvironment;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.memory.MemoryCacheBuilder;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.tiered.TieredCacheBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * What the auto-configuration's caches share, resolved once from {@link CachetProperties} with
 * Cachet's environment variables as the fallback: Redis connections, the key ring, the key-name hasher
 * and the resilience settings. Every configuration error is a {@link CacheConfigurationException}
 * naming the property (and the variable), never a secret. Closing releases the Redis connections.
 */
final class CachetSpringResources implements AutoCloseable {

  /** The default TTL of caches that set none. */
  static final Duration DEFAULT_TTL = Duration.ofMinutes(10);

  private final CachetProperties properties;
  private final RedisConnections redis;
  private final FernetKeyRing keyRing;
  private final KeyNameHasher keyNameHasher;
  private final ResilienceSettings resilience;

  CachetSpringResources(CachetProperties properties, CachetEnvironment env) {
    this.properties = properties;
    this.resilience = resilience(properties, env);
    this.keyNameHasher = keyNameHasher(properties, env);
    RedisConnections connections = connections(properties, env, resilience);
    try {
      String keys = properties.getEncryption().getKeys();
      boolean keysSet = keys != null && !keys.isBlank();
      // a key given as a property is checked even without Redis, so a bad one never waits unnoticed
      this.keyRing = connections == null && !keysSet ? null : keyRing(properties, env);
    } catch (RuntimeException e) {
      if (connections != null) {
        connections.close();
      }
      throw e;
    }
    this.redis = connections;
    for (var entry : properties.getCaches().entrySet()) {
      if (presetOf(entry.getValue()) == CachetProperties.Preset.TIERED && redis == null) {
        throw new CacheConfigurationException(
            Reason.INCONSISTENT_SETTINGS,
            "cachet.caches."
                + entry.getKey()
                + ".preset is TIERED but no Redis is configured: set cachet.redis.url (or"
                + " CACHET_REDIS_URL) or cachet.redis.cluster-nodes");
      }
    }
  }

  boolean hasRedis() {
    return redis != null;
  }

  private static ResilienceSettings resilience(CachetProperties p, CachetEnvironment env) {
    if (p.getResilienceProfile() != null) {
      return ResilienceSettings.of(p.getResilienceProfile());
    }
    return env.string(CachetEnvironment.RESILIENCE_PROFILE).isPresent()
        ? ResilienceSettings.fromEnvironment(env)
        : ResilienceSettings.production();
  }

  private static KeyNameHasher keyNameHasher(CachetProperties p, CachetEnvironment env) {
    String secret = p.getEncryption().getKeyNamingSecret();
    if (secret == null || secret.isBlank()) {
      return KeyNameHasher.fromEnvironment(env).orElse(null);
    }
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(secret.strip().getBytes(StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw new CacheConfigurationException(
          Reason.INVALID_SETTING,
          "cachet.encryption.key-naming-secret is not URL-safe base64 (value not shown)");
    }
    try {
      return KeyNameHasher.of(bytes);
    } catch (IllegalArgumentException e) {
      throw new CacheConfigurationException(
          Reason.INVALID_SETTING,
          "cachet.encryption.key-naming-secret is too short: it needs at least "
              + KeyNameHasher.MIN_SECRET_BYTES
              + " bytes (the output of 'keygen' works)");
    }
  }

  private static RedisConnections connections(
      CachetProperties p, CachetEnvironment env, ResilienceSettings resilience) {
    CachetProperties.Redis r = p.getRedis();
    boolean fromProperties = r.isConfigured();
    boolean fromEnv =
        !env.secretList(CachetEnvironment.REDIS_CLUSTER_NODES).isEmpty()
            || env.secret(CachetEnvironment.REDIS_URL).isPresent();
    if (!fromProperties && !fromEnv) {
      return null;
    }
    String property =
        fromProperties
            ? (r.getClusterNodes().isEmpty() ? "cachet.redis.url" : "cachet.redis.cluster-nodes")
            : CachetEnvironment.REDIS_URL + " / " + CachetEnvironment.REDIS_CLUSTER_NODES;
    try {
      if (!fromProperties) {
        return RedisConnections.fromEnvironment(env);
      }
      RedisConnections.Builder builder = RedisConnections.newBuilder().settingsFrom(env);
      if (!r.getClusterNodes().isEmpty()) {
        builder.clusterSeeds(List.copyOf(r.getClusterNodes()));
      } else {
        builder.uri(r.getUrl().strip());
      }
      if (r.getCommandTimeout() != null) {
        builder.commandTimeout(r.getCommandTimeout());
      } else if (env.string(CachetEnvironment.REDIS_COMMAND_TIMEOUT).isEmpty()) {
        // the resilience profile's retry bound and slow-call threshold assume its command timeout
        builder.commandTimeout(resilience.commandTimeout());
      }
      if (r.getConnectTimeout() != null) {
        builder.connectTimeout(r.getConnectTimeout());
      }
      return builder.build();
    } catch (CacheConfigurationException e) {
      throw new CacheConfigurationException(
          e.reason(), property + " is not valid: " + e.getMessage(), e);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new CacheConfigurationException(
          Reason.INVALID_REDIS_URI, property + " is not valid: " + e.getMessage(), e);
    }
  }

  private static FernetKeyRing keyRing(CachetProperties p, CachetEnvironment env) {
    String keys = p.getEncryption().getKeys();
    if (keys == null || keys.isBlank()) {
      Optional<FernetKeyRing> fromEnv = FernetKeyRing.fromEnvironment(env);
      return fromEnv.orElseThrow(
          () ->
              new CacheConfigurationException(
                  Reason.MISSING_ENCRYPTION_KEY,
                  "Redis is configured but no encryption key is: set cachet.encryption.keys (from a"
                      + " secrets store, or the environment variable "
                      + CachetEnvironment.ENCRYPTION_KEYS
                      + ") to a Fernet key ring, primary first; 'java -jar cachet-cli.jar keygen'"
                      + " prints a key"));
    }
    try {
      return FernetKeyRing.parse(keys);
    } catch (CacheConfigurationException e) {
      throw new CacheConfigurationException(
          e.reason(), "cachet.encryption.keys is not valid: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new CacheConfigurationException(
          Reason.INVALID_ENCRYPTION_KEY,
          "cachet.encryption.keys is not a comma-separated list of Fernet keys (value not shown)");
    }
  }

  CachetProperties.Preset presetOf(CachetProperties.CacheSettings settings) {
    CachetProperties.Preset preset =
        settings != null && settings.getPreset() != null
            ? settings.getPreset()
            : properties.getDefaults().getPreset();
    if (preset != null) {
      return preset;
    }
    return hasRedis() ? CachetProperties.Preset.TIERED : CachetProperties.Preset.MEMORY;
  }

  /** Builds the Cachet cache for {@code spec} from its settings, or the defaults. */
  Cache<Object, Object> create(SpringCacheSpec spec) {
    CachetProperties.CacheSettings own = properties.getCaches().get(spec.name());
    CachetProperties.CacheSettings defaults = properties.getDefaults();
    Duration ttl = first(own == null ? null : own.getTtl(), defaults.getTtl(), DEFAULT_TTL);
    Long maximumSize = first(own == null ? null : own.getMaximumSize(), defaults.getMaximumSize(), null);
    Duration memoryTtl = first(own == null ? null : own.getMemoryTtl(), defaults.getMemoryTtl(), null);
    Duration lease =
        first(own == null ? null : own.getCrossInstanceLease(), defaults.getCrossInstanceLease(), null);
    Duration leaseWait =
        first(own == null ? null : own.getCrossInstanceWait(), defaults.getCrossInstanceWait(), null);
    String where = own == null ? "cachet.defaults" : "cachet.caches." + spec.name();
    try {
      if (presetOf(own) == CachetProperties.Preset.MEMORY) {
        MemoryCacheBuilder<Object, Object> memory =
            MemoryCacheBuilder.newBuilder()
                .name(spec.name())
                .keyCodec(spec.keyCodec())
                .defaultTtl(ttl);
        if (maximumSize != null) {
          memory.maximumSize(maximumSize);
        }
        return memory.build();
      }
      if (redis == null) {
        throw new CacheConfigurationException(
            Reason.INCONSISTENT_SETTINGS,
            where + ".preset is TIERED but no Redis is configured: set cachet.redis.url");
      }
      RedisCacheBuilder<Object, Object> remote =
          RedisCacheBuilder.newBuilder()
              .connections(redis)
              .keyRing(keyRing)
              .serializer(spec.valueSerializer());
      String prefix = properties.getRedis().getKeyPrefix();
      if (prefix != null && !prefix.isBlank()) {
        remote.keyPrefix(prefix.strip());
      }
      if (keyNameHasher != null) {
        remote.keyNameHasher(keyNameHasher);
      }
      TieredCacheBuilder<Object, Object> tiered =
          TieredCacheBuilder.newBuilder()
              .name(spec.name())
              .keyCodec(spec.keyCodec())
              .defaultTtl(ttl)
              .remote(remote)
              .resilience(resilience)
              .failurePolicy(properties.getFailurePolicy());
      if (maximumSize != null) {
        tiered.memoryMaximumSize(maximumSize);
      }
      if (memoryTtl != null) {
        tiered.memoryTtl(memoryTtl);
      }
      if (lease != null) {
        tiered.crossInstanceLoading(lease, leaseWait != null ? leaseWait : lease);
      }
      return tiered.build();
    } catch (CacheConfigurationException e) {
      throw e;
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new CacheConfigurationException(
          Reason.INVALID_SETTING,
          "cache '" + spec.name() + "' (" + where + "): " + e.getMessage(),
          e);
    }
  }

  @SafeVarargs
  private static <T> T first(T... candidates) {
    for (T candidate : candidates) {
      if (candidate != null) {
        return candidate;
      }
    }
    return null;
  }

  @Override
  public void close() {
    if (redis != null) {
      redis.close();
    }
  }

  @Override
  public String toString() {
    return "CachetSpringResources{redis=" + (redis == null ? "none" : "configured") + '}';
  }
}
