package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cachet.Cache;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Both value formats against Python's {@code cryptography.fernet}, both directions. The sealed format
 * is read by the Python reader printed in {@code docs/security.md}, extracted from the document itself
 * so the documentation cannot drift from the format; {@code PLAIN_JSON} by a plain {@code Fernet}
 * reader. Redis is driven from Java; tokens go to and from Python over stdin/stdout (the Python {@code
 * redis} package is not needed). Skipped without a Python that can import {@code cryptography}, unless
 * {@code CI} is set: then it fails.
 */
class RedisPythonInteropIntegrationTests {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
  private static final FernetKey A = FernetKey.generate();
  private static final FernetKey B = FernetKey.generate();

  private static String python;
  private static String docReader;

  /** The driver around the documented reader: a JSON list of requests on stdin, results on stdout. */
  private static final String DRIVER =
      String.join(
          "\n",
          "",
          "import sys",
          "",
          "def write_sealed(value, redis_key, key, expires_ms, compress):",
          "    payload = json.dumps(value).encode('utf-8')",
          "    flags = 0",
          "    if compress:",
          "        payload = zlib.compress(payload)",
          "        flags = 1",
          "    digest = hashlib.sha256(redis_key.encode('utf-8')).digest()[:16]",
          "    plaintext = bytes([0xC1, flags]) + struct.pack('>q', expires_ms) + digest + payload",
          "    return Fernet(key).encrypt(plaintext).decode('ascii')",
          "",
          "out = []",
          "for r in json.load(sys.stdin):",
          "    op = r['op']",
          "    try:",
          "        if op == 'read_sealed':",
          "            out.append({'value': read_sealed(r['token'].encode('ascii'), r['redis_key'], r['keys'])})",
          "        elif op == 'read_plain':",
          "            out.append({'value': json.loads(Fernet(r['key']).decrypt(r['token'].encode('ascii')))})",
          "        elif op == 'write_plain':",
          "            out.append({'token': Fernet(r['key']).encrypt(json.dumps(r['value']).encode('utf-8')).decode('ascii')})",
          "        elif op == 'write_sealed':",
          "            out.append({'token': write_sealed(r['value'], r['redis_key'], r['key'], r['expires_ms'], r['compress'])})",
          "        else:",
          "            out.append({'error': 'unknown op ' + op})",
          "    except Exception as e:",
          "        out.append({'error': type(e).__name__ + ': ' + str(e)})",
          "json.dump(out, sys.stdout)",
          "");

  @BeforeAll
  static void findPythonAndReader() throws IOException {
    docReader = extractSealedReader(Files.readString(Path.of("docs", "security.md")));
    for (String candidate : List.of("python3", "/usr/bin/python3")) {
      if (canImportCryptography(candidate)) {
        python = candidate;
        return;
      }
    }
    String message = "no python3 with the 'cryptography' package (apt-get install python3-cryptography)";
    if (System.getenv("CI") != null) {
      fail(message + "; CI is set, so the interop test must run");
    }
    Assumptions.abort(message);
  }

  /** The first python block after the sealed-reader sentence of docs/security.md. */
  static String extractSealedReader(String doc) {
    int at = doc.indexOf("A Python reader for the sealed format");
    assertThat(at).as("docs/security.md documents a Python reader for the sealed format").isNotNegative();
    Matcher m = Pattern.compile("```python\\n(.*?)```", Pattern.DOTALL).matcher(doc);
    assertThat(m.find(at)).as("a ```python block follows").isTrue();
    String code = m.group(1);
    assertThat(code).contains("def read_sealed(token: bytes, redis_key: str, keys: list[str]):");
    return code;
  }

  private static boolean canImportCryptography(String interpreter) {
    try {
      Process p =
          new ProcessBuilder(interpreter, "-c", "import cryptography.fernet").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static JsonNode python(List<Map<String, Object>> requests) throws Exception {
    Path script = Files.createTempFile("cachet-redis-interop", ".py");
    try {
      Files.writeString(script, docReader + DRIVER, StandardCharsets.UTF_8);
      Process p = new ProcessBuilder(python, script.toString()).start();
      try (OutputStream in = p.getOutputStream()) {
        JSON.writeValue(in, requests);
      }
      byte[] out = p.getInputStream().readAllBytes();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("python timed out");
      }
      assertThat(p.exitValue()).as("python exit code; stderr:%n%s", err).isZero();
      return JSON.readTree(out);
    } finally {
      Files.deleteIfExists(script);
    }
  }

  private static Map<String, Object> request(String op, Object... pairs) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("op", op);
    for (int i = 0; i < pairs.length; i += 2) {
      r.put((String) pairs[i], pairs[i + 1]);
    }
    return r;
  }

  private static Map<String, Object> value(int i) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", "order-" + i);
    v.put("quantity", i);
    v.put("note", "ünïcødé ✓ " + "x".repeat(i * 50));
    v.put("tags", List.of("a", "b" + i));
    return v;
  }

  private static Cache<String, Map<String, Object>> cache(
      RedisConnections c, String name, RedisValueFormat format, FernetKeyRing ring, int compression) {
    RedisCacheBuilder<String, Map<String, Object>> b =
        RedisCacheBuilder.<String, Map<String, Object>>newBuilder()
            .name(name)
            .connections(c)
            .keyCodec(dev.cachet.KeyCodec.strings())
            .keyPrefix("interop")
            .keyRing(ring)
            .serializer(ValueSerializers.json(MAP))
            .format(format)
            .deleteBadEntries(false);
    if (compression >= 0) {
      b.compressionThreshold(compression);
    }
    return b.build();
  }

  private static String redisKey(Cache<String, ?> cache, String key) {
    LettuceRedisTier<?> tier = ((LettuceRedisCache<?, ?>) cache).tier();
    tier.shared().generations.current().join();
    return tier.layout().entryKey(tier.shared().generations.known(), key);
  }

  @Test
  void sealed_javaWrites_documentedPythonReaderReads(@RedisStandaloneServer RedisServer redis)
      throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, Map<String, Object>> plain = cache(c, "sealed-j2p", RedisValueFormat.SEALED, FernetKeyRing.of(A), -1);
        Cache<String, Map<String, Object>> deflating = cache(c, "sealed-j2p-z", RedisValueFormat.SEALED, FernetKeyRing.of(A), 64)) {
      List<Map<String, Object>> requests = new ArrayList<>();
      List<Map<String, Object>> expected = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        Cache<String, Map<String, Object>> cache = i % 2 == 0 ? plain : deflating;
        cache.put("k" + i, value(i));
        String rk = redisKey(cache, "k" + i);
        String token = (String) redis.call("GET", rk);
        // Reader gets the ring [B, A]: MultiFernet tries every key.
        requests.add(request("read_sealed", "token", token, "redis_key", rk,
            "keys", List.of(B.revealBase64(), A.revealBase64())));
        expected.add(value(i));
      }
      String rk0 = redisKey(plain, "k0");
      String token0 = (String) redis.call("GET", rk0);
      requests.add(request("read_sealed", "token", token0, "redis_key", rk0 + "-moved",
          "keys", List.of(A.revealBase64())));
      JsonNode results = python(requests);
      for (int i = 0; i < expected.size(); i++) {
        assertThat(results.get(i).has("value")).as("result %d: %s", i, results.get(i)).isTrue();
        assertThat(JSON.convertValue(results.get(i).get("value"), Map.class)).isEqualTo(expected.get(i));
      }
      assertThat(results.get(expected.size()).get("error").asText()).contains("sealed for another key");
    }
  }

  @Test
  void sealed_pythonWritesWithSetPx_javaReads(@RedisStandaloneServer RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, Map<String, Object>> cache = cache(c, "sealed-p2j", RedisValueFormat.SEALED, FernetKeyRing.of(A), -1)) {
      long expires = System.currentTimeMillis() + 600_000;
      List<Map<String, Object>> requests = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        requests.add(request("write_sealed", "value", value(i), "redis_key", redisKey(cache, "k" + i),
            "key", A.revealBase64(), "expires_ms", expires, "compress", i % 2 == 1));
      }
      JsonNode results = python(requests);
      for (int i = 0; i < 4; i++) {
        redis.call("SET", redisKey(cache, "k" + i), results.get(i).get("token").asText(), "PX", "600000");
      }
      for (int i = 0; i < 4; i++) {
        assertThat(cache.getIfPresent("k" + i)).isEqualTo(value(i));
      }
    }
  }

  @Test
  void plainJson_javaWrites_plainFernetReads(@RedisStandaloneServer RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, Map<String, Object>> cache = cache(c, "plain-j2p", RedisValueFormat.PLAIN_JSON, FernetKeyRing.of(A), -1)) {
      List<Map<String, Object>> requests = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        cache.put("k" + i, value(i));
        String token = (String) redis.call("GET", redisKey(cache, "k" + i));
        requests.add(request("read_plain", "token", token, "key", A.revealBase64()));
      }
      JsonNode results = python(requests);
      for (int i = 0; i < 4; i++) {
        assertThat(JSON.convertValue(results.get(i).get("value"), Map.class))
            .as("result %d: %s", i, results.get(i))
            .isEqualTo(value(i));
      }
    }
  }

  @Test
  void plainJson_pythonWritesWithSetPx_javaReadsWithTheServersExpiry(
      @RedisStandaloneServer RedisServer redis) throws Exception {
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, Map<String, Object>> cache = cache(c, "plain-p2j", RedisValueFormat.PLAIN_JSON, FernetKeyRing.of(B, A), -1)) {
      List<Map<String, Object>> requests = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        requests.add(request("write_plain", "value", value(i), "key", A.revealBase64()));
      }
      JsonNode results = python(requests);
      for (int i = 0; i < 4; i++) {
        redis.call("SET", redisKey(cache, "k" + i), results.get(i).get("token").asText(), "PX", "300000");
      }
      LettuceRedisTier<Map<String, Object>> tier =
          ((LettuceRedisCache<String, Map<String, Object>>) cache).tier();
      long now = System.currentTimeMillis();
      for (int i = 0; i < 4; i++) {
        assertThat(cache.getIfPresent("k" + i)).isEqualTo(value(i));
        var entry = tier.get("k" + i).get(5, TimeUnit.SECONDS);
        assertThat(entry.expiresAtEpochMillis()).isBetween(now + 290_000, now + 301_000);
      }
    }
  }

  @Test
  void docReader_isWhatTheDocumentSays() throws IOException {
    String doc = Files.readString(Path.of("docs", "security.md"));
    assertThat(doc).contains("```python\n" + docReader + "```");
    assertThat(docReader).contains("MultiFernet").contains("0xC1").contains("zlib.decompress");
  }
}
