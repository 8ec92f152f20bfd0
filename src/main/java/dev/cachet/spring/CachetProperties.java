package dev.cachet.spring;

import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.tiered.FailurePolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code cachet.*} properties of the Spring Boot auto-configuration ({@link
 * CachetAutoConfiguration}). Secrets ({@code cachet.encryption.keys}, {@code
 * cachet.encryption.key-naming-secret}, credentials in {@code cachet.redis.url}) may come from any
 * property source (a secrets store, an environment variable through relaxed binding); when a property
 * is unset, Cachet's own environment variables ({@code CACHET_ENCRYPTION_KEYS}, {@code
 * CACHET_ENCRYPTION_KEY}, {@code REDIS_ENCRYPTION_KEY}, {@code CACHET_REDIS_URL}, ...) are read. They are
 * never logged, never in {@link #toString()}, and masked in the actuator's {@code /env} and {@code
 * /configprops}. Mutable bean for Spring's binder; not thread-safe while being bound.
 */
@ConfigurationProperties(prefix = "cachet")
public class CachetProperties {

  /** Where a cache lives. */
  public enum Preset {
    /** Memory only (Caffeine): nothing leaves the process. */
    MEMORY,
    /** Memory in front of Redis, coherent across instances, values sealed. Needs Redis and a key. */
    TIERED
  }

  /** Turns the auto-configuration on; it does nothing unless this is {@code true}. */
  private boolean enabled;

  /** Whether {@code null} method results are cached (as a sealed marker, for the entry's TTL). */
  private boolean allowNullValues = true;

  /**
   * Whether caches not listed under {@code cachet.caches} are created on first use from {@code
   * cachet.defaults}; when {@code false}, using one fails ("Cannot find cache named ...").
   */
  private boolean dynamic = true;

  /** Failure policy of tiered caches; the health indicator reports DOWN only under STRICT. */
  private FailurePolicy failurePolicy = FailurePolicy.SERVE_DEGRADED;

  /**
   * Resilience profile of the Redis tier (retries and circuit breaker); unset: {@code
   * CACHET_RESILIENCE_PROFILE}, else {@code PRODUCTION}.
   */
  private ResilienceSettings.Profile resilienceProfile;

  private final Redis redis = new Redis();

  private final Encryption encryption = new Encryption();

  private final Serialization serialization = new Serialization();

  /** Settings of every cache that is not listed under {@code cachet.caches}, and their defaults. */
  private final CacheSettings defaults = new CacheSettings();

  /** Per-cache settings by cache name; these caches are created at start-up. */
  private Map<String, CacheSettings> caches = new LinkedHashMap<>();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public boolean isAllowNullValues() {
    return allowNullValues;
  }

  public void setAllowNullValues(boolean allowNullValues) {
    this.allowNullValues = allowNullValues;
  }

  public boolean isDynamic() {
    return dynamic;
  }

  public void setDynamic(boolean dynamic) {
    this.dynamic = dynamic;
  }

  public FailurePolicy getFailurePolicy() {
    return failurePolicy;
  }

  public void setFailurePolicy(FailurePolicy failurePolicy) {
    this.failurePolicy = failurePolicy;
  }

  public ResilienceSettings.Profile getResilienceProfile() {
    return resilienceProfile;
  }

  public void setResilienceProfile(ResilienceSettings.Profile resilienceProfile) {
    this.resilienceProfile = resilienceProfile;
  }

  public Redis getRedis() {
    return redis;
  }

  public Encryption getEncryption() {
    return encryption;
  }

  public Serialization getSerialization() {
    return serialization;
  }

  public CacheSettings getDefaults() {
    return defaults;
  }

  public Map<String, CacheSettings> getCaches() {
    return caches;
  }

  public void setCaches(Map<String, CacheSettings> caches) {
    this.caches = caches;
  }

  @Override
  public String toString() {
    return "CachetProperties{enabled="
        + enabled
        + ", caches="
        + caches.keySet()
        + ", redis="
        + (redis.isConfigured() ? "configured" : "unset")
        + '}';
  }

  /** {@code cachet.redis.*}. */
  public static class Redis {
    /**
     * Redis URI of a standalone or Sentinel deployment ({@code redis://}, {@code rediss://}, {@code
     * redis-sentinel://}); may hold a password. Unset: {@code CACHET_REDIS_URL}.
     */
    private String url;

    /** Seed nodes of a Redis Cluster; preferred over {@code url}. Unset: {@code CACHET_REDIS_CLUSTER_NODES}. */
    private List<String> clusterNodes = new ArrayList<>();

    /** Timeout of one Redis command. */
    private Duration commandTimeout;

    /** Timeout of establishing a connection. */
    private Duration connectTimeout;

    /** Prefix of every Redis key this application's caches write. */
    private String keyPrefix;

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }

    public List<String> getClusterNodes() {
      return clusterNodes;
    }

    public void setClusterNodes(List<String> clusterNodes) {
      this.clusterNodes = clusterNodes;
    }

    public Duration getCommandTimeout() {
      return commandTimeout;
    }

    public void setCommandTimeout(Duration commandTimeout) {
      this.commandTimeout = commandTimeout;
    }

    public Duration getConnectTimeout() {
      return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    public String getKeyPrefix() {
      return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
    }

    boolean isConfigured() {
      return (url != null && !url.isBlank()) || (clusterNodes != null && !clusterNodes.isEmpty());
    }

    @Override
    public String toString() {
      return "Redis{" + (isConfigured() ? "configured" : "unset") + '}';
    }
  }

  /** {@code cachet.encryption.*}: secrets, masked in the actuator. */
  public static class Encryption {
    /**
     * Fernet key ring, comma-separated, primary first. Unset: {@code CACHET_ENCRYPTION_KEYS}, {@code
     * CACHET_ENCRYPTION_KEY} or {@code REDIS_ENCRYPTION_KEY}. Required when a cache uses Redis.
     */
    private String keys;

    /**
     * Secret (URL-safe base64, at least 32 bytes) that hides key names in Redis behind an HMAC. Unset:
     * {@code CACHET_KEY_NAMING_SECRET}; neither set: key names stay readable.
     */
    private String keyNamingSecret;

    public String getKeys() {
      return keys;
    }

    public void setKeys(String keys) {
      this.keys = keys;
    }

    public String getKeyNamingSecret() {
      return keyNamingSecret;
    }

    public void setKeyNamingSecret(String keyNamingSecret) {
      this.keyNamingSecret = keyNamingSecret;
    }

    @Override
    public String toString() {
      return "Encryption{******}";
    }
  }

  /** {@code cachet.serialization.*}. */
  public static class Serialization {
    /**
     * Packages whose classes may be cached in Redis (values are JSON tagged with their class; only
     * these packages, and String, boxed numbers, Boolean, BigDecimal, BigInteger, are read back).
     */
    private List<String> allowedPackages = new ArrayList<>();

    public List<String> getAllowedPackages() {
      return allowedPackages;
    }

    public void setAllowedPackages(List<String> allowedPackages) {
      this.allowedPackages = allowedPackages;
    }
  }

  /** Settings of one cache ({@code cachet.caches.NAME.*}) or of the defaults. */
  public static class CacheSettings {
    /** Where the cache lives; unset: TIERED when Redis is configured, else MEMORY. */
    private Preset preset;

    /** Time to live of an entry. */
    private Duration ttl;

    /** Memory-tier TTL of a tiered cache (at most {@code ttl}). */
    private Duration memoryTtl;

    /** Most entries in memory. */
    private Long maximumSize;

    /**
     * Cross-instance single flight of a tiered cache: lease time of the Redis lock an instance takes
     * while it loads a key, so that {@code @Cacheable(sync = true)} loads once across instances. Unset:
     * off (once per instance).
     */
    private Duration crossInstanceLease;

    /** How long other instances wait for the lease holder's value before loading themselves. */
    private Duration crossInstanceWait;

    public Preset getPreset() {
      return preset;
    }

    public void setPreset(Preset preset) {
      this.preset = preset;
    }

    public Duration getTtl() {
      return ttl;
    }

    public void setTtl(Duration ttl) {
      this.ttl = ttl;
    }

    public Duration getMemoryTtl() {
      return memoryTtl;
    }

    public void setMemoryTtl(Duration memoryTtl) {
      this.memoryTtl = memoryTtl;
    }

    public Long getMaximumSize() {
      return maximumSize;
    }

    public void setMaximumSize(Long maximumSize) {
      this.maximumSize = maximumSize;
    }

    public Duration getCrossInstanceLease() {
      return crossInstanceLease;
    }

    public void setCrossInstanceLease(Duration crossInstanceLease) {
      this.crossInstanceLease = crossInstanceLease;
    }

    public Duration getCrossInstanceWait() {
      return crossInstanceWait;
    }

    public void setCrossInstanceWait(Duration crossInstanceWait) {
      this.crossInstanceWait = crossInstanceWait;
    }
  }
}
