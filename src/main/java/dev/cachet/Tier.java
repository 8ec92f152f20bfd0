package dev.cachet;

/** The storage tiers a cache may have. Names are lowercase in metric tags ({@code tier=memory}). */
public enum Tier {
  /** The in-process tier (Caffeine). */
  MEMORY,
  /** The shared remote tier (Redis). */
  REDIS;

  /** The lowercase tag value of this tier. */
  public String tagValue() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
