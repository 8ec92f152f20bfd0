package dev.cachet.cli;

import dev.cachet.CachetEnvironment;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} the demo starts for itself on a free loopback port when no Redis is
 * configured: from the {@code PATH} when there is one, else the Redis 6.2 binary the {@code -cli} JAR
 * ships (from the {@code embedded-redis} artifact), extracted to a temporary directory. No persistence,
 * loopback only; {@link #close()} (and a shutdown hook, for Ctrl-C) stops it and deletes its files.
 */
final class DemoRedis implements AutoCloseable {
  private static final long START_TIMEOUT_MILLIS = 10_000;

  private final Process process;
  private final Path workDir;
  private final int port;
  private final String description;
  private final Thread shutdownHook;

  private DemoRedis(Process process, Path workDir, int port, String description) {
    this.process = process;
    this.workDir = workDir;
    this.port = port;
    this.description = description;
    this.shutdownHook = new Thread(this::stop, "cachet-demo-redis-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts a server; the binary is found on {@code PATH} (as {@code env} gives it), else embedded. */
  static DemoRedis start(CachetEnvironment env) throws IOException, InterruptedException {
    Path workDir = Files.createTempDirectory("cachet-demo-redis-");
    Optional<Path> onPath = findOnPath(env.string("PATH").orElse(""));
    Path binary;
    String source;
    if (onPath.isPresent()) {
      binary = onPath.get();
      source = "from the PATH";
    } else {
      binary = extractEmbedded(workDir);
      source = "embedded in the -cli JAR (no redis-server on the PATH)";
    }
    IOException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = freePort();
      List<String> command = new ArrayList<>(List.of(binary.toString(),
          "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
          "--dir", workDir.toString(), "--daemonize", "no", "--loglevel", "warning"));
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(workDir.resolve("redis.log").toFile()).start();
      if (awaitPing(process, port)) {
        return new DemoRedis(process, workDir, port, "redis-server " + version(port) + " " + source);
      }
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      last = new IOException("redis-server " + binary + " did not answer PING on port " + port
          + " within " + START_TIMEOUT_MILLIS + " ms: " + tail(workDir.resolve("redis.log")));
    }
    throw last;
  }

  int port() {
    return port;
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public String toString() {
    return description + " on 127.0.0.1:" + port;
  }

  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs stop() anyway
    }
  }

  private void stop() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    deleteRecursively(workDir);
  }

  static Optional<Path> findOnPath(String path) {
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isBlank()) {
        continue;
      }
      Path candidate = Path.of(dir, "redis-server");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** The embedded-redis resource for this OS and architecture, or empty if the JAR has none. */
  static Optional<String> embeddedResource(String osName, String osArch) {
    String os = osName.toLowerCase(Locale.ROOT);
    String arch = osArch.toLowerCase(Locale.ROOT);
    boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
    boolean arm64 = arch.equals("aarch64") || arch.equals("arm64");
    boolean x86 = arch.equals("x86") || arch.equals("i386") || arch.equals("i686");
    if (os.startsWith("linux")) {
      if (x64) {
        return Optional.of("/redis-server-6.2.6-v5-linux-amd64");
      }
      if (arm64) {
        return Optional.of("/redis-server-6.2.7-linux-arm64");
      }
      if (x86) {
        return Optional.of("/redis-server-6.2.7-linux-386");
      }
    } else if (os.startsWith("mac") || os.startsWith("darwin")) {
      if (x64) {
        return Optional.of("/redis-server-6.2.6-v5-darwin-amd64");
      }
      if (arm64) {
        return Optional.of("/redis-server-6.2.6-v5-darwin-arm64");
      }
    }
    return Optional.empty();
  }

  private static Path extractEmbedded(Path workDir) throws IOException {
    String osName = System.getProperty("os.name", "");
    String osArch = System.getProperty("os.arch", "");
    String hint = "install redis-server, or set CACHET_REDIS_URL, or run 'demo --memory-only'";
    String resource = embeddedResource(osName, osArch).orElseThrow(
        () -> new IllegalStateException(
            "no redis-server on the PATH and no embedded binary for " + osName + "/" + osArch + ": "
                + hint));
    try (InputStream in = DemoRedis.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "no redis-server on the PATH and the embedded binary is not on the class path (run the"
                + " -cli JAR): " + hint);
      }
      Path binary = workDir.resolve("redis-server");
      Files.copy(in, binary, StandardCopyOption.REPLACE_EXISTING);
      if (!binary.toFile().setExecutable(true, true)) {
        throw new IOException("cannot make " + binary + " executable");
      }
      return binary;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return s.getLocalPort();
    }
  }

  private static boolean awaitPing(Process process, int port) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        return false;
      }
      String reply = command(port, "PING");
      if (reply != null && reply.startsWith("+PONG")) {
        return true;
      }
      Thread.sleep(20);
    }
    return false;
  }

  private static String version(int port) {
    String info = command(port, "INFO", "server");
    if (info != null) {
      for (String line : info.split("\r?\n")) {
        if (line.startsWith("redis_version:")) {
          return line.substring("redis_version:".length()).trim();
        }
      }
    }
    return "(unknown version)";
  }

  /** One RESP command; the raw reply text, or null when the server does not answer. */
  private static String command(int port, String... args) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      s.setSoTimeout(1_000);
      StringBuilder request = new StringBuilder("*" + args.length + "\r\n");
      for (String a : args) {
        request.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n")
            .append(a).append("\r\n");
      }
      s.getOutputStream().write(request.toString().getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      BufferedReader reader =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String first = reader.readLine();
      if (first == null || !first.startsWith("$")) {
        return first;
      }
      int length = Integer.parseInt(first.substring(1));
      char[] body = new char[Math.max(0, length)];
      int read = 0;
      while (read < body.length) {
        int n = reader.read(body, read, body.length - read);
        if (n < 0) {
          break;
        }
        read += n;
      }
      return new String(body, 0, read);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String tail(Path log) {
    try {
      String text = Files.readString(log, StandardCharsets.UTF_8).strip();
      return text.length() > 400 ? text.substring(text.length() - 400) : text;
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static void deleteRecursively(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temporary directory
    }
  }
}
