package dev.cachet.factory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@link PromptKey} against the vectors shared with {@code python/cachet_keys.py}, and Python itself. */
class PromptKeyTests {

  static final Path VECTORS = Path.of("python/prompt_key_vectors.json");
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static JsonNode vectors() throws Exception {
    return MAPPER.readTree(VECTORS.toFile());
  }

  @Test
  void jsonVectors_canonicalFormAndDigest_matchTheSharedVectors() throws Exception {
    for (JsonNode v : vectors().get("json")) {
      PromptKey key = PromptKey.ofJson(v.get("input").asText());
      assertThat(key.canonicalJson()).as(v.get("name").asText()).isEqualTo(v.get("canonical").asText());
      assertThat(key.digest()).as(v.get("name").asText()).isEqualTo(v.get("sha256").asText());
    }
  }

  @Test
  void promptVectors_of_matchTheSharedVectors() throws Exception {
    for (JsonNode v : vectors().get("prompts")) {
      Object messages = MAPPER.convertValue(v.get("messages"), Object.class);
      @SuppressWarnings("unchecked")
      Map<String, Object> parameters = MAPPER.convertValue(v.get("parameters"), Map.class);
      PromptKey key = PromptKey.of(v.get("model").asText(), messages, parameters);
      assertThat(key.digest()).as(v.get("name").asText()).isEqualTo(v.get("sha256").asText());
    }
  }

  @Test
  void invalidVectors_areRejectedNamingTheProblem() throws Exception {
    for (JsonNode v : vectors().get("invalid")) {
      assertThatThrownBy(() -> PromptKey.ofJson(v.get("input").asText()))
          .as(v.get("name").asText())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(v.get("error").asText());
    }
  }

  @Test
  void of_rejectsFloatsWithThePath_neverTheValue() {
    assertThatThrownBy(
            () -> PromptKey.of("m", List.of(Map.of("role", "user", "content", "secret prompt")),
                Map.of("temperature", 0.123)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("float")
        .hasMessageContaining("$.parameters.temperature")
        .hasMessageNotContaining("0.123")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> PromptKey.of("m", List.of(), Map.of("n", BigInteger.TWO.pow(60))))
        .hasMessageContaining("2^53");
    assertThatThrownBy(() -> PromptKey.of("m", List.of("\ud800"), Map.of()))
        .hasMessageContaining("lone surrogate")
        .hasMessageContaining("$.messages[0]");
    assertThatThrownBy(() -> PromptKey.of("m", List.of(new Object()), Map.of()))
        .hasMessageContaining("Object");
  }

  @Test
  void ofJson_rejectsMalformedText() {
    for (String bad : List.of("", "{", "{\"a\":1,}", "[1] x", "{\"a\" 1}", "\"\u0001\"", "01")) {
      assertThatThrownBy(() -> PromptKey.ofJson(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void keys_equalByDigest_toStringHidesThePrompt() {
    PromptKey a = PromptKey.of("m", List.of(Map.of("role", "user", "content", "hi")), Map.of("k", 1));
    PromptKey b = PromptKey.ofJson("{\"parameters\":{\"k\":1},\"model\":\"m\",\"messages\":[{\"content\":\"hi\",\"role\":\"user\"}]}");
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.digest()).hasSize(64).matches("[0-9a-f]{64}");
    assertThat(a.toString()).startsWith("PromptKey[sha256=" + a.digest().substring(0, 12)).doesNotContain("hi");
    assertThat(PromptKey.keyCodec().encode(a)).isEqualTo(a.digest());
  }

  // ---------------------------------------------------------------- Python

  static String python() {
    for (String candidate : List.of("python3", "/usr/bin/python3")) {
      try {
        Process p = new ProcessBuilder(candidate, "-c", "import json, hashlib").redirectErrorStream(true).start();
        if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return candidate;
        }
      } catch (Exception e) {
        // try the next one
      }
    }
    if (System.getenv("CI") != null) {
      fail("no python3 on this machine; CI is set, so the Python twin must be checked");
    }
    Assumptions.abort("no python3 on this machine");
    return null;
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String text = new String(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(text).isZero();
    return text;
  }

  @Test
  void pythonTwin_passesTheSharedVectors() throws Exception {
    String output = run(python(), "python/cachet_keys.py", VECTORS.toString());
    assertThat(output).contains("0 failure(s)");
  }

  @Test
  void randomDocuments_javaAndPythonWriteTheSameCanonicalBytes() throws Exception {
    Random random = new Random(20261203);
    List<String> documents = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      documents.add(PromptKey.canonicalJson(randomValue(random, 0)));
    }
    Path dir = Files.createTempDirectory("cachet-prompt-keys");
    try {
      Path in = dir.resolve("in.json");
      Files.writeString(in, MAPPER.writeValueAsString(documents), StandardCharsets.UTF_8);
      String script =
          "import json, sys\n"
              + "sys.path.insert(0, 'python')\n"
              + "import cachet_keys\n"
              + "docs = json.load(open(sys.argv[1], encoding='utf-8'))\n"
              + "out = [cachet_keys.canonical_json_of(d) for d in docs]\n"
              + "open(sys.argv[2], 'w', encoding='utf-8').write(json.dumps(out))\n";
      Path out = dir.resolve("out.json");
      run(python(), "-c", script, in.toString(), out.toString());
      List<?> fromPython = MAPPER.readValue(out.toFile(), List.class);
      for (int i = 0; i < documents.size(); i++) {
        // a canonical document is a fixed point in both languages
        assertThat(fromPython.get(i)).as("document %d", i).isEqualTo(documents.get(i));
        assertThat(PromptKey.ofJson(documents.get(i)).canonicalJson()).isEqualTo(documents.get(i));
      }
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
  }

  private static Object randomValue(Random random, int depth) {
    int kind = random.nextInt(depth > 3 ? 4 : 6);
    switch (kind) {
      case 0:
        return randomString(random);
      case 1:
        return random.nextBoolean();
      case 2:
        return null;
      case 3:
        return random.nextBoolean() ? (long) random.nextInt() : (random.nextLong() >> 11);
      case 4:
        List<Object> list = new ArrayList<>();
        for (int i = random.nextInt(4); i > 0; i--) {
          list.add(randomValue(random, depth + 1));
        }
        return list;
      default:
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = random.nextInt(5); i > 0; i--) {
          map.put(randomString(random), randomValue(random, depth + 1));
        }
        return map;
    }
  }

  private static String randomString(Random random) {
    int[] pool = {'a', 'Z', '"', '\\', '/', '\n', 0x01, 0x1f, 0x7f, 0xe9, 0x2028, 0xfeff, 0xffff, 0x65e5, 0x1f600, 0x10ffff};
    StringBuilder sb = new StringBuilder();
    for (int i = random.nextInt(6); i > 0; i--) {
      sb.appendCodePoint(pool[random.nextInt(pool.length)]);
    }
    return sb.toString();
  }
}
