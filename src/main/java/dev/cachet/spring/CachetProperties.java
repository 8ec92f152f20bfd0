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
   * Whether the start fails when Lettuce, Caffeine, Micrometer or Jackson 2 on the class path is older
   * than Cachet supports (the message names the Boot version property to override).
   */
  private boolean verifyDependencyVersions = true;

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

  /** The {@code verify-dependency-versions} setting. */
  public boolean isVerifyDependencyVersions() {
    return verifyDependencyVersions;
  }

  /** Sets {@code verify-dependency-versions} (Spring's binder calls this). */
  public void setVerifyDependencyVersions(boolean verifyDependencyVersions) {
    this.verifyDependencyVersions = verifyDependencyVersions;
  }

  /** The {@code enabled} setting. */
  public boolean isEnabled() {
    return enabled;
  }

  /** Sets {@code enabled} (Spring's binder calls this). */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** The {@code allow-null-values} setting. */
  public boolean isAllowNullValues() {
    return allowNullValues;
  }

  /** Sets {@code allow-null-values} (Spring's binder calls this). */
  public void setAllowNullValues(boolean allowNullValues) {
    this.allowNullValues = allowNullValues;
  }

  /** The {@code dynamic} setting. */
  public boolean isDynamic() {
    return dynamic;
  }

  /** Sets {@code dynamic} (Spring's binder calls this). */
  public void setDynamic(boolean dynamic) {
    this.dynamic = dynamic;
  }

  /** The {@code failure-policy} setting. */
  public FailurePolicy getFailurePolicy() {
    return failurePolicy;
  }

  /** Sets {@code failure-policy} (Spring's binder calls this). */
  public void setFailurePolicy(FailurePolicy failurePolicy) {
    this.failurePolicy = failurePolicy;
  }

  /** The {@code resilience-profile} setting. */
  public ResilienceSettings.Profile getResilienceProfile() {
    return resilienceProfile;
  }

  /** Sets {@code resilience-profile} (Spring's binder calls this). */
  public void setResilienceProfile(ResilienceSettings.Profile resilienceProfile) {
    this.resilienceProfile = resilienceProfile;
  }

  /** The {@code redis} setting. */
  public Redis getRedis() {
    return redis;
  }

  /** The {@code encryption} setting. */
  public Encryption getEncryption() {
    return encryption;
  }

  /** The {@code serialization} setting. */
  public Serialization getSerialization() {
    return serialization;
  }

  /** The {@code defaults} setting. */
  public CacheSettings getDefaults() {
    return defaults;
  }

  /** The {@code caches} setting. */
  public Map<String, CacheSettings> getCaches() {
    return caches;
  }

  /** Sets {@code caches} (Spring's binder calls this). */
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

    /** The {@code url} setting. */
    public String getUrl() {
      return url;
    }

    /** Sets {@code url} (Spring's binder calls this). */
    public void setUrl(String url) {
      this.url = url;
    }

    /** The {@code cluster-nodes} setting. */
    public List<String> getClusterNodes() {
      return clusterNodes;
    }

    /** Sets {@code cluster-nodes} (Spring's binder calls this). */
    public void setClusterNodes(List<String> clusterNodes) {
      this.clusterNodes = clusterNodes;
    }

    /** The {@code command-timeout} setting. */
    public Duration getCommandTimeout() {
      return commandTimeout;
    }

    /** Sets {@code command-timeout} (Spring's binder calls this). */
    public void setCommandTimeout(Duration commandTimeout) {
      this.commandTimeout = commandTimeout;
    }

    /** The {@code connect-timeout} setting. */
    public Duration getConnectTimeout() {
      return connectTimeout;
    }

    /** Sets {@code connect-timeout} (Spring's binder calls this). */
    public void setConnectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    /** The {@code key-prefix} setting. */
    public String getKeyPrefix() {
      return keyPrefix;
    }

    /** Sets {@code key-prefix} (Spring's binder calls this). */
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

    /** The {@code keys} setting. */
    public String getKeys() {
      return keys;
    }

    /** Sets {@code keys} (Spring's binder calls this). */
    public void setKeys(String keys) {
      this.keys = keys;
    }

    /** The {@code key-naming-secret} setting. */
    public String getKeyNamingSecret() {
      return keyNamingSecret;
    }

    /** Sets {@code key-naming-secret} (Spring's binder calls this). */
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

    /** The {@code allowed-packages} setting. */
    public List<String> getAllowedPackages() {
      return allowedPackages;
    }

    /** Sets {@code allowed-packages} (Spring's binder calls this). */
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

    /** Whether any setting is given. */
    boolean isSet() {
      return preset != null || ttl != null || memoryTtl != null || maximumSize != null
          || crossInstanceLease != null || crossInstanceWait != null;
    }

    /** The {@code preset} setting. */
    public Preset getPreset() {
      return preset;
    }

    /** Sets {@code preset} (Spring's binder calls this). */
    public void setPreset(Preset preset) {
      this.preset = preset;
    }

    /** The {@code ttl} setting. */
    public Duration getTtl() {
      return ttl;
    }

    /** Sets {@code ttl} (Spring's binder calls this). */
    public void setTtl(Duration ttl) {
      this.ttl = ttl;
    }

    /** The {@code memory-ttl} setting. */
    public Duration getMemoryTtl() {
      return memoryTtl;
    }

    /** Sets {@code memory-ttl} (Spring's binder calls this). */
    public void setMemoryTtl(Duration memoryTtl) {
      this.memoryTtl = memoryTtl;
    }

    /** The {@code maximum-size} setting. */
    public Long getMaximumSize() {
      return maximumSize;
    }

    /** Sets {@code maximum-size} (Spring's binder calls this). */
    public void setMaximumSize(Long maximumSize) {
      this.maximumSize = maximumSize;
    }

    /** The {@code cross-instance-lease} setting. */
    public Duration getCrossInstanceLease() {
      return crossInstanceLease;
    }

    /** Sets {@code cross-instance-lease} (Spring's binder calls this). */
    public void setCrossInstanceLease(Duration crossInstanceLease) {
      this.crossInstanceLease = crossInstanceLease;
    }

    /** The {@code cross-instance-wait} setting. */
    public Duration getCrossInstanceWait() {
      return crossInstanceWait;
    }

    /** Sets {@code cross-instance-wait} (Spring's binder calls this). */
    public void setCrossInstanceWait(Duration crossInstanceWait) {
      this.crossInstanceWait = crossInstanceWait;
    }
  }
}
