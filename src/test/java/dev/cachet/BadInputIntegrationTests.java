package dev.cachet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.serialization.SerializationException;
import dev.cachet.serialization.ValueSerializer;
import dev.cachet.testing.ReliabilityFigures;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import dev.cachet.tiered.TieredCacheBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input, table-driven, over the public API and configuration, against a tiered cache on real
 * Redis: every row's input raises the typed exception it names, whose message names the input (and,
 * for configuration, the fix) and holds no secret, and the cache stays usable and unchanged (a
 * sentinel entry keeps its value, the row's key stays absent). Closed-cache rows run last on their own
 * cache.
 */
class BadInputIntegrationTests {

  private static final String SECRET_VALUE = "SECRET-VALUE-MARKER";
  private static final String PASSWORD = "Pw-SECRET-123";

  @RedisStandaloneServer static RedisServer redis;
  static RedisConnections connections;
  static final FernetKeyRing RING = FernetKeyRing.of(FernetKey.generate());

  /** A serializer that refuses one value, as an application's would refuse an unserializable object. */
  static final ValueSerializer<String> PICKY =
      new ValueSerializer<>() {
        @Override
        public byte[] serialize(String value) {
          if (value.startsWith("UNSERIALIZABLE")) {
            throw new SerializationException("cannot serialize this value", null);
          }
          return value.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String deserialize(byte[] bytes) {
          return new String(bytes, StandardCharsets.UTF_8);
        }
      };

  @BeforeAll
  static void connect() {
    connections = RedisConnections.create(redis.uri());
  }

  @AfterAll
  static void close() {
    connections.close();
  }

  static Cache<String, String> newCache(String name) {
    String prefix = redis.keyPrefix().replaceAll("[^A-Za-z0-9_.-]", "_");
    return TieredCacheBuilder.<String, String>newBuilder()
        .name(name)
        .keyCodec(KeyCodec.strings())
        .maxKeyLength(64)
        .remote(
            RedisCacheBuilder.<String, String>newBuilder()
                .connections(connections)
                .keyRing(RING)
                .serializer(PICKY)
                .maxValueSize(1_024)
                .keyPrefix(prefix.isEmpty() ? "bad" : prefix))
        .build();
  }

  record Row(String input, Consumer<Cache<String, String>> call, Class<? extends Throwable> type, String... names) {}

  static Row row(String input, Consumer<Cache<String, String>> call, Class<? extends Throwable> type, String... names) {
    return new Row(input, call, type, names);
  }

  static List<Row> cacheRows() {
    Duration overflow = Duration.ofSeconds(Long.MAX_VALUE);
    return List.of(
        row("null key to put", c -> c.put(null, "v"), NullPointerException.class, "key"),
        row("null value to put", c -> c.put("row", null), NullPointerException.class, "value"),
        row("null ttl to put", c -> c.put("row", "v", null), NullPointerException.class, "ttl"),
        row("null key to get", c -> c.getIfPresent(null), NullPointerException.class, "key"),
        row("null loader", c -> c.get("row", null), NullPointerException.class, "loader"),
        row("null key in getAll", c -> c.getAllPresent(Collections.singletonList(null)), NullPointerException.class, "key"),
        row("null value in putAll", c -> c.putAll(Collections.singletonMap("row", null)), NullPointerException.class, "value"),
        row("null keys to invalidateAll", c -> c.invalidateAll((Iterable<String>) null), NullPointerException.class, "keys"),
        row("null key to async get", c -> c.async().getIfPresent(null), NullPointerException.class, "key"),
        row("key over maxKeyLength", c -> c.put("x".repeat(65), "v"), IllegalArgumentException.class, "64"),
        row("key over maxKeyLength on load", c -> c.get("x".repeat(65), k -> "v"), IllegalArgumentException.class, "64"),
        row("key over maxKeyLength in putAll", c -> c.putAll(Map.of("x".repeat(65), "v")), IllegalArgumentException.class, "64"),
        row("value over maxValueSize", c -> c.put("row", SECRET_VALUE + "x".repeat(2_000)), InvalidValueException.class, "1024"),
        row("value over maxValueSize from a loader", c -> c.get("row", k -> SECRET_VALUE + "x".repeat(2_000)), InvalidValueException.class, "1024"),
        row("unserializable value", c -> c.put("row", "UNSERIALIZABLE " + SECRET_VALUE), InvalidValueException.class, "serializ"),
        row("zero ttl", c -> c.put("row", "v", Duration.ZERO), IllegalArgumentException.class, "ttl"),
        row("negative ttl", c -> c.put("row", "v", Duration.ofSeconds(-1)), IllegalArgumentException.class, "ttl"),
        row("overflowing ttl", c -> c.put("row", "v", overflow), IllegalArgumentException.class, "ttl"),
        row("loader without a build-time loader", c -> c.get("row"), IllegalStateException.class, "loader"));
  }

  static List<Row> configurationRows() {
    return List.of(
        row("Redis URI with a port that is not a number", c -> RedisConnections.create("redis://127.0.0.1:notaport"),
            CacheConfigurationException.class, "INVALID_REDIS_URI", "port"),
        row("Redis URI with an unescaped '@' in the password",
            c -> RedisConnections.create("redis://app:" + PASSWORD + "@x@127.0.0.1:6379"),
            CacheConfigurationException.class, "INVALID_REDIS_URI", "%40"),
        row("Redis URI with an empty host", c -> RedisConnections.create("redis://:" + PASSWORD + "@"),
            CacheConfigurationException.class, "INVALID_REDIS_URI", "host"),
        row("cluster seed with a bad port", c -> RedisConnections.createCluster(List.of("127.0.0.1:99999")),
            CacheConfigurationException.class, "INVALID_REDIS_URI", "port"),
        row("malformed CACHET_REDIS_COMMAND_TIMEOUT",
            c -> RedisConnections.newBuilder().uri(redis.uri()).settingsFrom(
                CachetEnvironment.of(Map.of(CachetEnvironment.REDIS_COMMAND_TIMEOUT, "soon"))),
            CacheConfigurationException.class, "INVALID_ENVIRONMENT_VARIABLE", CachetEnvironment.REDIS_COMMAND_TIMEOUT),
        row("unknown CACHET_RESILIENCE_PROFILE",
            c -> ResilienceSettings.fromEnvironment(CachetEnvironment.of(Map.of(CachetEnvironment.RESILIENCE_PROFILE, "fast"))),
            CacheConfigurationException.class, "INVALID_ENVIRONMENT_VARIABLE", CachetEnvironment.RESILIENCE_PROFILE),
        row("malformed encryption key", c -> FernetKey.parse("not-a-key-" + PASSWORD),
            CacheConfigurationException.class, "INVALID_ENCRYPTION_KEY"),
        row("maxAttempts 0", c -> ResilienceSettings.newBuilder(ResilienceSettings.production()).maxAttempts(0).build(),
            CacheConfigurationException.class, "INVALID_SETTING", "maxAttempts"),
        row("open-state backoff longer first than last",
            c -> ResilienceSettings.newBuilder(ResilienceSettings.production())
                .openStateBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build(),
            CacheConfigurationException.class, "INCONSISTENT_SETTINGS", "openStateBackoff"),
        row("cache name with a space", c -> TieredCacheBuilder.newBuilder().name("Bad Name"),
            IllegalArgumentException.class, "cache name"),
        row("key prefix with ':'", c -> RedisCacheBuilder.newBuilder().keyPrefix("a:b"),
            IllegalArgumentException.class, "keyPrefix"),
        row("negative maxValueSize", c -> RedisCacheBuilder.newBuilder().maxValueSize(-1),
            IllegalArgumentException.class, "maxValueSize"));
  }

  @Test
  void everyBadInput_typedExceptionNamingIt_cacheUsableAndUnchanged() {
    List<String> failures = new ArrayList<>();
    int tried = 0;
    try (Cache<String, String> cache = newCache("badinput")) {
      cache.put("sentinel", "kept");
      List<Row> rows = new ArrayList<>(cacheRows());
      rows.addAll(configurationRows());
      for (Row row : rows) {
        tried++;
        Throwable thrown = catchThrowable(() -> row.call().accept(cache));
        String problem = check(row, thrown);
        if (problem == null && !"kept".equals(cache.getIfPresent("sentinel"))) {
          problem = "the sentinel entry changed";
        }
        if (problem == null && cache.getIfPresent("row") != null) {
          problem = "the row's key was stored";
        }
        if (problem == null) {
          cache.put("usable", "yes");
          if (!"yes".equals(cache.getIfPresent("usable"))) {
            problem = "the cache is not usable afterwards";
          }
          cache.invalidate("usable");
        }
        if (problem != null) {
          failures.add(row.input() + ": " + problem);
        }
      }
    }
    Cache<String, String> closed = newCache("badinput-closed");
    closed.close();
    for (Row row :
        List.of(
            row("get on a closed cache", c -> c.getIfPresent("k"), IllegalStateException.class, "badinput-closed", "closed"),
            row("put on a closed cache", c -> c.put("k", "v"), IllegalStateException.class, "badinput-closed", "closed"))) {
      tried++;
      String problem = check(row, catchThrowable(() -> row.call().accept(closed)));
      if (problem != null) {
        failures.add(row.input() + ": " + problem);
      }
    }
    ReliabilityFigures.record("BadInputIntegrationTests", "badInputsTried", tried);
    ReliabilityFigures.record("BadInputIntegrationTests", "badInputsMishandled", failures.size());
    assertThat(failures).as("rows whose handling falls short").isEmpty();
  }

  private static String check(Row row, Throwable thrown) {
    if (thrown == null) {
      return "accepted (expected " + row.type().getSimpleName() + ")";
    }
    if (!row.type().isInstance(thrown)) {
      return "threw " + thrown + " (expected " + row.type().getSimpleName() + ")";
    }
    String text = thrown.getMessage() == null ? "" : thrown.getMessage();
    if (thrown instanceof CacheConfigurationException) {
      text = ((CacheConfigurationException) thrown).reason() + " " + text;
    }
    for (String name : row.names()) {
      if (!text.toLowerCase(java.util.Locale.ROOT).contains(name.toLowerCase(java.util.Locale.ROOT))) {
        return "message does not name '" + name + "': " + thrown;
      }
    }
    if (text.contains(SECRET_VALUE) || text.contains(PASSWORD)) {
      return "message echoes a secret: " + thrown;
    }
    return null;
  }

}
