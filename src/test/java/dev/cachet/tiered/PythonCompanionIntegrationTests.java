package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cachet.Cache;
import dev.cachet.KeyCodec;
import dev.cachet.MultiTenantCache;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.crypto.KeyNameHasher;
import dev.cachet.internal.AbstractCache;
import dev.cachet.internal.StatsRecorder.DecryptionFailureReason;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.redis.RedisValueFormat;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.Eventually;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import dev.cachet.testing.redis.RedisNode;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Python companion ({@code python/cachet_compat.py}) against Java, on a Redis from the harness:
 * its unittest suite ({@code python3 -m unittest test_cachet_compat}, Redis passed through {@code
 * CACHET_TEST_REDIS_URL}/{@code _PORT}), and cross-language tests driving the module through {@code
 * src/test/resources/python/companion_driver.py} (one long-lived process, JSON lines). Needs a {@code
 * python3} that imports {@code cryptography} and {@code redis} (Debian: python3-cryptography,
 * python3-redis; python3-cbor2 for the CBOR tests); skipped without one unless {@code CI} is set, then it
 * fails.
 */
class PythonCompanionIntegrationTests {

  private static final Logger log = LoggerFactory.getLogger(PythonCompanionIntegrationTests.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
  /** Generous: waits for an event (a message applied), never a timed performance claim. */
  private static final Duration EVENT_DEADLINE = Duration.ofSeconds(10);
  private static final FernetKey OLD = FernetKey.generate();
  private static final FernetKey NEW = FernetKey.generate();
  private static final String SECRET =
      Base64.getUrlEncoder().encodeToString(FernetKey.generate().revealBase64().getBytes(StandardCharsets.US_ASCII));

  @RedisStandaloneServer static RedisServer redis;

  private static String python;
  private static String prefix;
  private static Driver driver;
  private final List<AutoCloseable> resources = new ArrayList<>();

  @BeforeAll
  static void startPython() throws IOException {
    python = requirePython();
    prefix = TieredTestSupport.prefixFrom(redis.keyPrefix());
    driver = new Driver();
  }

  @AfterAll
  static void stopPython() {
    if (driver != null) {
      driver.close();
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
    resources.clear();
  }

  // ------------------------------------------------------------------------------------ python itself

  static String requirePython() {
    for (String candidate : List.of("python3", "/usr/bin/python3")) {
      try {
        Process p =
            new ProcessBuilder(candidate, "-c", "import cryptography.fernet, redis").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return candidate;
        }
      } catch (IOException e) {
        // next candidate
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    String message = "no python3 with the 'cryptography' and 'redis' packages"
        + " (apt-get install python3-cryptography python3-redis python3-cbor2)";
    if (System.getenv("CI") != null) {
      fail(message + "; CI is set, so the Python companion tests must run");
    }
    Assumptions.abort(message);
    return null;
  }

  private static Map<String, String> redisEnvironment() {
    return Map.of(
        "CACHET_TEST_REDIS_URL", redis.uri(),
        "CACHET_TEST_REDIS_HOST", redis.host(),
        "CACHET_TEST_REDIS_PORT", Integer.toString(redis.port()),
        "CACHET_TEST_REDIS_PREFIX", prefix);
  }

  @Test
  void pythonUnitTests_passAgainstTheHarnessRedis() throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(python, "-m", "unittest", "-v", "test_cachet_compat")
            .directory(Path.of("python").toFile())
            .redirectErrorStream(true);
    pb.environment().putAll(redisEnvironment());
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("python unittest finished").isTrue();
    assertThat(p.exitValue()).as("python -m unittest test_cachet_compat:%n%s", output).isZero();
    assertThat(output)
        .contains("test_round_trip_every_format_and_naming (test_cachet_compat.RedisTests")
        .contains("test_refused_envelopes_fail_for_the_same_reason_as_in_java");
    assertThat(output).doesNotContain("test_round_trip_every_format_and_naming (test_cachet_compat.RedisTests"
        + ".test_round_trip_every_format_and_naming) ... skipped");
  }

  // ------------------------------------------------------------------------------------ the driver

  /** One long-lived Python process running the companion; JSON request line in, JSON reply line out. */
  static final class Driver implements AutoCloseable {
    private final Process process;
    private final BufferedWriter in;
    private final BufferedReader out;

    Driver() throws IOException {
      this(redisEnvironment());
    }

    Driver(Map<String, String> environment) throws IOException {
      ProcessBuilder pb =
          new ProcessBuilder(python, Path.of("src/test/resources/python/companion_driver.py").toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT);
      pb.environment().putAll(environment);
      process = pb.start();
      in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
      out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    synchronized JsonNode call(Map<String, Object> request) {
      try {
        in.write(JSON.writeValueAsString(request));
        in.write('\n');
        in.flush();
        String line = out.readLine();
        assertThat(line).as("the Python driver answered (see its stderr above)").isNotNull();
        JsonNode reply = JSON.readTree(line);
        assertThat(reply.has("error")).as("python: %s", reply).isFalse();
        return reply;
      } catch (IOException e) {
        throw new AssertionError("talking to the Python driver failed", e);
      }
    }

    @Override
    public void close() {
      try {
        in.close();
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (IOException | InterruptedException e) {
        // destroyed below
      }
      process.destroyForcibly();
    }
  }

  /** How one side sees a cache; turned into the Java builder and into the driver's cache config. */
  record Setup(String name, RedisValueFormat format, int scheme, String tenant) {
    Map<String, Object> python(String keys) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("name", name);
      c.put("prefix", prefix);
      c.put("keys", keys);
      c.put("value_format", format == RedisValueFormat.PLAIN_JSON ? "plain_json" : "sealed");
      if (scheme != 0) {
        c.put("naming_secret", SECRET);
        c.put("naming_scheme", scheme);
      }
      if (tenant != null) {
        c.put("tenant", tenant);
      }
      if (format == RedisValueFormat.SEALED) {
        c.put("compression_threshold", 64);
      }
      return c;
    }

    KeyNameHasher hasher() {
      KeyNameHasher h = KeyNameHasher.of(Base64.getUrlDecoder().decode(SECRET));
      return scheme == 1 ? h : h.withScheme(KeyNameHasher.Scheme.BOUND);
    }

    RedisCacheBuilder<String, String> redis(RedisConnections connections, FernetKeyRing ring, Class<String> type) {
      return redis(connections, ring, ValueSerializers.json(type));
    }

    <V> RedisCacheBuilder<String, V> redis(
        RedisConnections connections, FernetKeyRing ring, dev.cachet.serialization.ValueSerializer<V> serializer) {
      RedisCacheBuilder<String, V> b =
          RedisCacheBuilder.<String, V>newBuilder()
              .name(name)
              .connections(connections)
              .keyCodec(KeyCodec.strings())
              .keyPrefix(prefix)
              .keyRing(ring)
              .serializer(serializer)
              .format(format);
      if (scheme != 0) {
        b.keyNameHasher(hasher());
      }
      if (format == RedisValueFormat.SEALED) {
        b.compressionThreshold(64);
      }
      return b;
    }
  }

  private static Map<String, Object> request(String op, Map<String, Object> cache, Object... pairs) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("op", op);
    r.put("cache", cache);
    for (int i = 0; i < pairs.length; i += 2) {
      r.put((String) pairs[i], pairs[i + 1]);
    }
    return r;
  }

  private static String uniqueName(String base) {
    return base + "-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 30), 36);
  }

  private RedisConnections connections() {
    RedisConnections c = RedisConnections.create(redis.uri());
    resources.add(c);
    return c;
  }

  private static Map<String, Object> value(String from, int i) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("from", from);
    v.put("i", i);
    v.put("note", "ünïcødé ✓ " + "compressible ".repeat(20));
    v.put("tags", List.of("a", "b"));
    return v;
  }

  // ------------------------------------------------------------------------------------ both directions

  @Test
  void bothDirections_bothFormats_keyRingMidRotation_namesHiddenOrNot_withAndWithoutTenants() throws Exception {
    RedisConnections connections = connections();
    // mid-rotation: Java already encrypts under NEW, Python still under OLD; each side holds both keys
    FernetKeyRing javaRing = FernetKeyRing.of(NEW, OLD);
    String pythonRing = OLD.revealBase64() + "," + NEW.revealBase64();
    int combinations = 0;
    for (RedisValueFormat format : RedisValueFormat.values()) {
      for (int scheme : new int[] {0, 1, 2}) {
        for (String tenant : new String[] {null, "acme"}) {
          String what = format + ", naming scheme " + scheme + ", tenant " + tenant;
          Setup setup = new Setup(uniqueName("both"), format, scheme, tenant);
          RedisCacheBuilder<String, Map<String, Object>> b =
              setup.redis(connections, javaRing, ValueSerializers.json(MAP));
          if (tenant != null) {
            b.tenant(tenant);
          }
          try (Cache<String, Map<String, Object>> java = b.build()) {
            Map<String, Object> py = setup.python(pythonRing);
            java.put("from-java", value("java", 1));
            JsonNode read = driver.call(request("read", py, "key", "from-java"));
            assertThat(read.get("failure").isNull()).as("%s: %s", what, read).isTrue();
            assertThat(JSON.convertValue(read.get("value"), MAP)).as(what).isEqualTo(value("java", 1));

            driver.call(request("write", py, "key", "from-python", "value", value("python", 2), "ttl", 600));
            assertThat(java.getIfPresent("from-python")).as(what).isEqualTo(value("python", 2));
            // the token Python stored is under OLD, Java's under NEW: both rings were needed
            String pythonEntry = driver.call(request("entry_key", py, "key", "from-python")).get("entry_key").asText();
            String javaEntry = driver.call(request("entry_key", py, "key", "from-java")).get("entry_key").asText();
            assertThat(pythonEntry.contains("from-python")).as(what).isEqualTo(scheme == 0);
            byte[] pythonToken = ((String) redis.call("GET", pythonEntry)).getBytes(StandardCharsets.US_ASCII);
            byte[] javaToken = ((String) redis.call("GET", javaEntry)).getBytes(StandardCharsets.US_ASCII);
            assertThat(FernetKeyRing.of(OLD).decrypt(pythonToken)).isNotEmpty();
            assertThat(FernetKeyRing.of(NEW).decrypt(javaToken)).isNotEmpty();
            long pttl = Long.parseLong(redis.command("PTTL", pythonEntry));
            assertThat(pttl).as(what).isBetween(1L, 600_000L);
          }
          combinations++;
        }
      }
    }
    assertThat(combinations).isEqualTo(12);
  }

  /** Fails under CI, else skips, when the Python found has no {@code cbor2}. */
  private static void requireCbor2() throws IOException, InterruptedException {
    Process p = new ProcessBuilder(python, "-c", "import cbor2").redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    boolean ok = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    String message = python + " has no 'cbor2' (apt-get install python3-cbor2)";
    if (!ok && System.getenv("CI") != null) {
      fail(message + "; CI is set, so the CBOR tests must run");
    }
    Assumptions.assumeTrue(ok, message);
  }

  /**
   * CBOR both ways (payload format id 1, plain and deflated): a Java CBOR writer's entries are read by a
   * JSON-configured Python reader, and Python's CBOR entries by a JSON-writing Java cache (phase 1). An
   * entry in an unassigned payload format is a miss on both sides, which leave it in Redis.
   */
  @Test
  void cborBothDirections_readByJsonConfiguredReaders_unknownPayloadFormatLeftInPlaceByBoth() throws Exception {
    requireCbor2();
    RedisConnections connections = connections();
    FernetKeyRing javaRing = FernetKeyRing.of(NEW, OLD);
    String pythonRing = OLD.revealBase64() + "," + NEW.revealBase64();
    Setup setup = new Setup(uniqueName("cbor"), RedisValueFormat.SEALED, 2, null);
    try (Cache<String, Map<String, Object>> javaCbor =
            setup.redis(connections, javaRing, ValueSerializers.json(MAP))
                .payloadFormat(dev.cachet.serialization.PayloadFormat.CBOR).build();
        Cache<String, Map<String, Object>> javaJson =
            setup.redis(connections, javaRing, ValueSerializers.json(MAP)).build()) {
      Map<String, Object> pyJson = setup.python(pythonRing);
      Map<String, Object> pyCbor = new LinkedHashMap<>(pyJson);
      pyCbor.put("payload_format", "cbor");

      // Java -> Python; the value is compressible, so the envelope is deflated (compression at 64 bytes)
      javaCbor.put("from-java", value("java", 1));
      javaCbor.put("small", Map.of("n", 1));
      String entry = driver.call(request("entry_key", pyJson, "key", "from-java")).get("entry_key").asText();
      byte[] plaintext =
          FernetKeyRing.of(NEW).decrypt(((String) redis.call("GET", entry)).getBytes(StandardCharsets.US_ASCII));
      assertThat(plaintext[1] & 0xff).as("CBOR, deflated").isEqualTo(0b011);
      for (String key : List.of("from-java", "small")) {
        JsonNode read = driver.call(request("read", pyJson, "key", key));
        assertThat(read.get("failure").isNull()).as("%s: %s", key, read).isTrue();
      }
      assertThat(JSON.convertValue(driver.call(request("read", pyJson, "key", "from-java")).get("value"), MAP))
          .isEqualTo(value("java", 1));

      // Python -> Java, read by the JSON-writing cache
      driver.call(request("write", pyCbor, "key", "from-python", "value", value("python", 2), "ttl", 600));
      assertThat(javaJson.getIfPresent("from-python")).isEqualTo(value("python", 2));
      assertThat(javaJson.containsKey("from-python")).isTrue();

      // payload format id 2: a miss for both, deleted by neither
      byte[] unknown = plaintext.clone();
      unknown[1] = 0b100;
      String unknownToken = new String(FernetKeyRing.of(NEW).encrypt(unknown), StandardCharsets.US_ASCII);
      redis.call("SET", entry, unknownToken, "PX", "600000");
      JsonNode read = driver.call(request("read", pyJson, "key", "from-java"));
      assertThat(read.get("value").isNull()).isTrue();
      assertThat(read.get("failure").asText()).isEqualTo("unsupported_format");
      assertThat(javaJson.getIfPresent("from-java")).isNull();
      assertThat(((AbstractCache<?, ?>) javaJson).instrumentation()
              .decryptionFailureCount(DecryptionFailureReason.UNSUPPORTED_FORMAT)).isEqualTo(1);
      assertThat((String) redis.call("GET", entry)).as("still there, untouched").isEqualTo(unknownToken);
    }
  }

  @Test
  void tamperedOrForeignTokens_areRefusedByPythonForTheSameReasonAsByJava() {
    RedisConnections connections = connections();
    Setup setup = new Setup(uniqueName("bad"), RedisValueFormat.SEALED, 2, "acme");
    FernetKeyRing ring = FernetKeyRing.of(NEW, OLD);
    Map<String, Object> py = setup.python(NEW.revealBase64() + "," + OLD.revealBase64());
    py.put("delete_bad_entries", false);
    RedisCacheBuilder<String, String> jb = setup.redis(connections, ring, String.class).deleteBadEntries(false);
    RedisCacheBuilder<String, String> fb =
        setup.redis(connections, FernetKeyRing.of(FernetKey.generate()), String.class).deleteBadEntries(false);
    try (Cache<String, String> java = jb.tenant("acme").build();
        Cache<String, String> foreign = fb.tenant("acme").build()) {
      java.put("k", "v");
      java.put("other", "w");
      String entry = driver.call(request("entry_key", py, "key", "k")).get("entry_key").asText();
      String otherEntry = driver.call(request("entry_key", py, "key", "other")).get("entry_key").asText();
      String token = (String) redis.call("GET", entry);
      int i = token.length() / 2;
      String tampered = token.substring(0, i) + (token.charAt(i) == 'A' ? 'B' : 'A') + token.substring(i + 1);
      List<Object[]> cases = new ArrayList<>();
      cases.add(new Object[] {"tampered", tampered, DecryptionFailureReason.AUTHENTICATION});
      cases.add(new Object[] {"not a token", "not-a-fernet-token", DecryptionFailureReason.FORMAT});
      cases.add(new Object[] {"moved from another key", redis.call("GET", otherEntry), DecryptionFailureReason.KEY_BINDING});
      for (Object[] c : cases) {
        redis.call("SET", entry, (String) c[1], "PX", "600000");
        long before = ((AbstractCache<?, ?>) java).instrumentation().decryptionFailureCount((DecryptionFailureReason) c[2]);
        assertThat(java.getIfPresent("k")).as((String) c[0]).isNull();
        assertThat(((AbstractCache<?, ?>) java).instrumentation().decryptionFailureCount((DecryptionFailureReason) c[2]))
            .as("Java's reason for %s", c[0]).isEqualTo(before + 1);
        JsonNode read = driver.call(request("read", py, "key", "k"));
        assertThat(read.get("value").isNull()).as((String) c[0]).isTrue();
        assertThat(read.get("failure").asText()).as("Python's reason for %s", c[0])
            .isEqualTo(((DecryptionFailureReason) c[2]).name().toLowerCase(Locale.ROOT));
      }
      // a token from a foreign key ring, written by Cachet itself
      foreign.put("k", "foreign");
      long before = ((AbstractCache<?, ?>) java).instrumentation().decryptionFailureCount(DecryptionFailureReason.AUTHENTICATION);
      assertThat(java.getIfPresent("k")).isNull();
      assertThat(((AbstractCache<?, ?>) java).instrumentation().decryptionFailureCount(DecryptionFailureReason.AUTHENTICATION))
          .isEqualTo(before + 1);
      JsonNode read = driver.call(request("read", py, "key", "k"));
      assertThat(read.get("value").isNull()).isTrue();
      assertThat(read.get("failure").asText()).isEqualTo("authentication");
    }
  }

  // ------------------------------------------------------------------------------------ coherence

  /** Two Java tiered instances of one cache, each on its own connections, as two processes would be. */
  private List<TieredCache<String, String>> javaInstances(Setup setup) {
    return javaInstances(setup, this::connections);
  }

  private List<TieredCache<String, String>> javaInstances(
      Setup setup, java.util.function.Supplier<RedisConnections> connect) {
    List<TieredCache<String, String>> out = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      RedisConnections c = connect.get();
      MultiTenantCache<String, String> cache =
          TieredCacheBuilder.<String, String>newBuilder()
              .name(setup.name())
              .keyCodec(KeyCodec.strings())
              .remote(setup.redis(c, FernetKeyRing.of(NEW, OLD), String.class))
              .memoryTtl(Duration.ofMinutes(10))
              .heartbeatInterval(Duration.ofMillis(200))
              .build();
      resources.add(cache);
      out.add((TieredCache<String, String>) cache);
    }
    for (TieredCache<String, String> t : out) {
      // past the start-up confirmation (not "unsure"): a Python origin appearing during it would count as
      // a possible loss. "suspect-older-entries" is fine: a subscription slower than the start-up wait
      // (seen on a fresh cluster) distrusts entries stored before it, and these tests store later
      Eventually.await(EVENT_DEADLINE, "coherence subscribed and sure", () -> {
        Coherence c = t.coherence();
        if (!c.isSubscribed() || c.state().equals("unsure")) {
          throw new AssertionError("subscribed " + c.isSubscribed() + ", state " + c.state() + ", peers "
              + c.peerCount() + ", losses " + c.lossCount() + " (" + c.lastLossReason() + ")");
        }
      });
    }
    return out;
  }

  /**
   * Writes through a Redis-only Java cache, which publishes nothing: no Java message is in flight when
   * the tiered instances then load the value into memory, so only Python's messages can drop it.
   */
  private void seed(Setup setup, String tenant, String key, String value) {
    seed(setup, tenant, key, value, connections());
  }

  private void seed(Setup setup, String tenant, String key, String value, RedisConnections connections) {
    RedisCacheBuilder<String, String> b = setup.redis(connections, FernetKeyRing.of(NEW, OLD), String.class);
    if (tenant != null) {
      b.tenant(tenant);
    }
    try (Cache<String, String> writer = b.build()) {
      writer.put(key, value);
    }
  }

  @SuppressWarnings("unchecked")
  private static TieredCache<String, String> view(TieredCache<String, String> root, String tenant) {
    return tenant == null ? root : (TieredCache<String, String>) root.forTenant(tenant);
  }

  @Test
  void pythonWriteAndInvalidate_reachBothJavaMemoryTiers_namesInClear() {
    pythonWriteAndInvalidate_reachBothJavaMemoryTiers(new Setup(uniqueName("coh"), RedisValueFormat.SEALED, 0, null));
  }

  @Test
  void pythonWriteAndInvalidate_reachBothJavaMemoryTiers_hiddenNamesScheme2_tenant() {
    pythonWriteAndInvalidate_reachBothJavaMemoryTiers(new Setup(uniqueName("cohh"), RedisValueFormat.SEALED, 2, "acme"));
  }

  @Test
  void cluster_pythonWritesWithSpublish_reachBothJavaMemoryTiers_andJavaWritesPythonReads(
      @RedisClusterServers RedisCluster cluster) throws IOException {
    RedisNode seed = cluster.masters().get(0);
    Map<String, String> environment = new java.util.HashMap<>(redisEnvironment());
    environment.put("CACHET_TEST_REDIS_CLUSTER", seed.host() + ":" + seed.port());
    Setup setup = new Setup(uniqueName("clu"), RedisValueFormat.SEALED, 2, "acme");
    java.util.function.Supplier<RedisConnections> connect = () -> {
      RedisConnections c = RedisConnections.createCluster(cluster.seedUris());
      resources.add(c);
      return c;
    };
    try (Driver clusterDriver = new Driver(environment)) {
      pythonWriteAndInvalidate_reachBothJavaMemoryTiers(setup, clusterDriver, javaInstances(setup, connect), connect);
      Map<String, Object> py = setup.python(OLD.revealBase64() + "," + NEW.revealBase64());
      RedisCacheBuilder<String, String> b = setup.redis(connect.get(), FernetKeyRing.of(NEW, OLD), String.class);
      try (Cache<String, String> java = b.tenant("acme").build()) {
        java.put("j", "from java");
        assertThat(clusterDriver.call(request("read", py, "key", "j")).get("value").asText()).isEqualTo("from java");
      }
    }
  }

  private void pythonWriteAndInvalidate_reachBothJavaMemoryTiers(Setup setup) {
    pythonWriteAndInvalidate_reachBothJavaMemoryTiers(setup, driver, javaInstances(setup), this::connections);
  }

  private void pythonWriteAndInvalidate_reachBothJavaMemoryTiers(
      Setup setup, Driver driver, List<TieredCache<String, String>> roots,
      java.util.function.Supplier<RedisConnections> connect) {
    List<TieredCache<String, String>> views = roots.stream().map(r -> view(r, setup.tenant())).toList();
    Map<String, Object> py = setup.python(OLD.revealBase64() + "," + NEW.revealBase64());
    seed(setup, setup.tenant(), "k", "v1", connect.get());
    for (TieredCache<String, String> v : views) {
      Eventually.await(EVENT_DEADLINE, "v1 is held in memory",
          () -> "v1".equals(v.getIfPresent("k")) && "v1".equals(v.peekMemory("k")));
    }
    long[] applied = roots.stream().mapToLong(r -> r.coherence().peerInvalidationsApplied()).toArray();
    long[] losses = roots.stream().mapToLong(r -> r.coherence().lossCount()).toArray();

    long started = System.nanoTime();
    driver.call(request("write", py, "key", "k", "value", "v2", "ttl", 600));
    long written = System.nanoTime();
    for (int i = 0; i < 2; i++) {
      TieredCache<String, String> root = roots.get(i);
      long before = applied[i];
      Eventually.await(EVENT_DEADLINE, Duration.ofMillis(1), "instance " + i + " applied Python's invalidation",
          () -> root.coherence().peerInvalidationsApplied() > before);
      assertThat(views.get(i).peekMemory("k")).as("the message dropped the memory entry").isNull();
      assertThat(views.get(i).getIfPresent("k")).isEqualTo("v2");
    }
    log.info("Python write reached both Java memory tiers {} us after it returned (write took {} us)",
        (System.nanoTime() - written) / 1000, (written - started) / 1000);

    applied = roots.stream().mapToLong(r -> r.coherence().peerInvalidationsApplied()).toArray();
    driver.call(request("invalidate", py, "key", "k"));
    for (int i = 0; i < 2; i++) {
      TieredCache<String, String> root = roots.get(i);
      long before = applied[i];
      Eventually.await(EVENT_DEADLINE, Duration.ofMillis(1), "instance " + i + " applied Python's invalidate",
          () -> root.coherence().peerInvalidationsApplied() > before);
      assertThat(views.get(i).getIfPresent("k")).isNull();
    }
    for (int i = 0; i < 2; i++) {
      TieredCache<String, String> root = roots.get(i);
      // Python said goodbye after each message: no peer left waiting for its heartbeats, nothing lost
      Eventually.await(EVENT_DEADLINE, "instance " + i + " forgot the Python origin",
          () -> root.coherence().peerCount() == 1);
      assertThat(root.coherence().lossCount()).as(root.coherence().lastLossReason()).isEqualTo(losses[i]);
      assertThat(root.coherence().clearCount()).as(root.coherence().lastClearReason()).isZero();
    }
  }

  @Test
  void pythonInvalidateAll_reachesBothJavaMemoryTiers_cacheAndTenant() {
    Setup setup = new Setup(uniqueName("all"), RedisValueFormat.SEALED, 2, null);
    List<TieredCache<String, String>> roots = javaInstances(setup);
    Map<String, Object> py = setup.python(OLD.revealBase64() + "," + NEW.revealBase64());
    Map<String, Object> pyAcme = new LinkedHashMap<>(py);
    pyAcme.put("tenant", "acme");

    // a tenant's invalidate_all: that tenant only, on both instances
    seed(setup, null, "x", "root");
    seed(setup, "acme", "x", "acme");
    seed(setup, "other", "x", "other");
    for (TieredCache<String, String> r : roots) {
      assertThat(r.getIfPresent("x")).isEqualTo("root");
      assertThat(view(r, "acme").getIfPresent("x")).isEqualTo("acme");
      assertThat(view(r, "other").getIfPresent("x")).isEqualTo("other");
      assertThat(view(r, "other").peekMemory("x")).isEqualTo("other");
    }
    long[] tenantClears = roots.stream().mapToLong(r -> r.coherence().tenantClearsReceived()).toArray();
    driver.call(request("invalidate_all", pyAcme));
    for (int i = 0; i < 2; i++) {
      TieredCache<String, String> r = roots.get(i);
      long before = tenantClears[i];
      Eventually.await(EVENT_DEADLINE, "instance " + i + " applied Python's tenant clear",
          () -> r.coherence().tenantClearsReceived() > before);
      Eventually.await(EVENT_DEADLINE, "instance " + i + " no longer serves the tenant's old entry",
          () -> view(r, "acme").getIfPresent("x") == null);
      assertThat(view(r, "other").peekMemory("x")).as("another tenant keeps its memory").isEqualTo("other");
      assertThat(r.peekMemory("x")).isEqualTo("root");
      assertThat(r.coherence().clearCount()).as("a known tenant is cleared alone").isZero();
    }

    // the cache's invalidate_all: everything, on both instances
    long[] clears = roots.stream().mapToLong(r -> r.coherence().clearCount()).toArray();
    driver.call(request("invalidate_all", py));
    for (int i = 0; i < 2; i++) {
      TieredCache<String, String> r = roots.get(i);
      long before = clears[i];
      Eventually.await(EVENT_DEADLINE, "instance " + i + " applied Python's clear",
          () -> r.coherence().clearCount() > before);
      Eventually.await(EVENT_DEADLINE, "instance " + i + " serves nothing of the old generation",
          () -> r.getIfPresent("x") == null && view(r, "other").getIfPresent("x") == null);
    }
    // and what Python writes next, in the new generation, Java reads
    driver.call(request("write", py, "key", "x", "value", "after", "ttl", 600));
    for (TieredCache<String, String> r : roots) {
      Eventually.await(EVENT_DEADLINE, "the new generation's entry is read", () -> "after".equals(r.getIfPresent("x")));
    }
  }
}
