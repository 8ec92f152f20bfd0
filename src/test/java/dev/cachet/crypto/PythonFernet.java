package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs Python 3 with the {@code cryptography} package for interop tests. Tries {@code python3} on the
 * PATH, then {@code /usr/bin/python3}. When neither can import {@code cryptography.fernet}, tests are
 * skipped, unless the {@code CI} environment variable is set: then they fail, so CI cannot silently
 * lose the interop check.
 */
final class PythonFernet {
  private static volatile String python;

  private PythonFernet() {}

  /** The interpreter to use; skips (or, in CI, fails) the calling test if there is none. */
  static String requirePython() {
    String found = python;
    if (found == null) {
      for (String candidate : List.of("python3", "/usr/bin/python3")) {
        if (canImportCryptography(candidate)) {
          found = candidate;
          break;
        }
      }
      if (found == null) {
        String message = "no python3 with the 'cryptography' package (apt-get install python3-cryptography)";
        if (System.getenv("CI") != null) {
          fail(message + "; CI is set, so the interop test must run");
        }
        Assumptions.abort(message);
      }
      python = found;
    }
    return found;
  }

  /** Runs {@code script} with a JSON request file as its argument and parses the JSON it prints. */
  static JsonNode run(String script, Object request) throws IOException, InterruptedException {
    String interpreter = requirePython();
    ObjectMapper mapper = new ObjectMapper();
    Path dir = Files.createTempDirectory("cachet-interop");
    try {
      Path scriptFile = dir.resolve("interop.py");
      Path requestFile = dir.resolve("request.json");
      Path responseFile = dir.resolve("response.json");
      Files.writeString(scriptFile, script, StandardCharsets.UTF_8);
      mapper.writeValue(requestFile.toFile(), request);
      Process process =
          new ProcessBuilder(interpreter, scriptFile.toString(), requestFile.toString(),
                  responseFile.toString())
              .redirectErrorStream(true)
              .start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail("python timed out");
      }
      if (process.exitValue() != 0) {
        fail("python failed with exit code " + process.exitValue() + ":\n" + output);
      }
      return mapper.readTree(responseFile.toFile());
    } finally {
      try (var files = Files.list(dir)) {
        for (Path file : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(file);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  private static boolean canImportCryptography(String interpreter) {
    try {
      Process process =
          new ProcessBuilder(interpreter, "-c", "import cryptography.fernet")
              .redirectErrorStream(true)
              .start();
      process.getInputStream().readAllBytes();
      return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
