package dev.cachet.testing.redis;

import java.util.Locale;

/** The role a node reports in {@code ROLE}. */
public enum RedisRole {
  MASTER,
  REPLICA,
  SENTINEL;

  static RedisRole parse(String role) {
    switch (role.toLowerCase(Locale.ROOT)) {
      case "master":
        return MASTER;
      case "slave":
      case "replica":
        return REPLICA;
      case "sentinel":
        return SENTINEL;
      default:
        throw new IllegalArgumentException("unknown redis role: " + role);
    }
  }
}
