package dev.cachet;

import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable health report of a cache: an overall {@link Status}, the status of each tier, and
 * details for operators (breaker state, last error class and time, encryption key id, ...). Details
 * never contain secrets or cached values.
 */
public final class CacheHealth {

  /** Overall or per-tier health. */
  public enum Status {
    /** Every tier serves normally. */
    UP,
    /** The cache serves, but without one of its tiers (e.g. from memory while Redis is down). */
    DEGRADED,
    /** The cache cannot serve from any tier (only loaders are called), or it is closed. */
    DOWN
  }

  private final Status status;
  private final Map<Tier, Status> tiers;
  private final Map<String, String> details;

  private CacheHealth(Status status, Map<Tier, Status> tiers, Map<String, String> details) {
    this.status = status;
    this.tiers = tiers;
    this.details = details;
  }

  /** A healthy report with one tier and no details. */
  public static CacheHealth up(Tier tier) {
    return newBuilder(Status.UP).tier(tier, Status.UP).build();
  }

  /** A builder for a report with overall status {@code status}. */
  public static Builder newBuilder(Status status) {
    return new Builder(status);
  }

  /** The overall status. */
  public Status status() {
    return status;
  }

  /** The status of each tier the cache has, in tier order. */
  public Map<Tier, Status> tiers() {
    return tiers;
  }

  /** Operator details in insertion order, e.g. {@code breaker.state=OPEN}. */
  public Map<String, String> details() {
    return details;
  }

  @Override
  public String toString() {
    return "CacheHealth{" + status + ", tiers=" + tiers + ", details=" + details + '}';
  }

  /** Builds a report. Not thread-safe. */
  public static final class Builder {
    private final Status status;
    private final Map<Tier, Status> tiers = new EnumMap<>(Tier.class);
    private final Map<String, String> details = new LinkedHashMap<>();

    private Builder(Status status) {
      this.status = Objects.requireNonNull(status, "status must not be null");
    }

    /** Sets the status of {@code tier}. */
    public Builder tier(Tier tier, Status tierStatus) {
      tiers.put(
          Objects.requireNonNull(tier, "tier must not be null"),
          Objects.requireNonNull(tierStatus, "tierStatus must not be null"));
      return this;
    }

    /** Adds a detail; must not carry secrets. */
    public Builder detail(String key, Object value) {
      details.put(
          Objects.requireNonNull(key, "key must not be null"), String.valueOf(value));
      return this;
    }

    /** Adds every detail of {@code other} and its tiers. */
    public Builder merge(CacheHealth other) {
      tiers.putAll(other.tiers);
      details.putAll(other.details);
      return this;
    }

    /** The health report built so far; the builder may go on being used. */
    public CacheHealth build() {
      return new CacheHealth(
          status,
          tiers.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(tiers)),
          Collections.unmodifiableMap(new LinkedHashMap<>(details)));
    }
  }
}
