package dev.cachet.benchmarks.shared;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The Redis a benchmark talks to. By default a throwaway {@code redis-server} (from {@code PATH}) that
 * this class starts on a free loopback port ({@code --bind 127.0.0.1 --save "" --appendonly no}) and
 * stops on {@link #close()} or, failing that, at JVM exit.
 *
 * <p>An existing server can be used instead with the system property {@code cachet.bench.redis.url}
 * or the environment variable {@value #URL_ENV} ({@code redis://host:port}, no credentials). It must be
 * on a loopback address: any other host is refused unless {@value #ALLOW_REMOTE_ENV}{@code =true} (or
 * the system property {@code cachet.bench.redis.allowRemote=true}) says it is meant. A shared server
 * makes the {@code INFO commandstats} deltas of {@link #commandCalls()} include other clients' traffic.
 */
public final class BenchRedis implements AutoCloseable {
  /** Environment variable naming an existing Redis to use instead of starting one. */
  public static final String URL_ENV = "CACHET_BENCH_REDIS_URL";
  /** Environment variable that allows a non-loopback {@link #URL_ENV}. */
  public static final String ALLOW_REMOTE_ENV = "CACHET_BENCH_ALLOW_REMOTE_REDIS";

  private final Process process;
  private final Path dir;
  private final Thread shutdownHook;
  private final String host;
  private final int port;

  private BenchRedis(Process process, Path dir, String host, int port) {
    this.process = process;
    this.dir = dir;
    this.host = host;
    this.port = port;
    if (process != null) {
      shutdownHook = new Thread(this::stopAtExit, "bench-redis-stop");
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    } else {
      shutdownHook = null;
    }
  }

  /** The configured server, or a new loopback {@code redis-server} when none is configured. */
  public static BenchRedis acquire() throws IOException, InterruptedException {
    String url = setting("cachet.bench.redis.url", URL_ENV);
    if (url == null || url.isBlank()) {
      return start();
    }
    URI uri = URI.create(url.trim());
    if (!"redis".equals(uri.getScheme()) || uri.getHost() == null || uri.getUserInfo() != null) {
      throw new IllegalArgumentException(
          URL_ENV + " must be redis://host:port without credentials (got scheme "
              + uri.getScheme() + "); unset it to let the benchmark start its own redis-server");
    }
    int port = uri.getPort() > 0 ? uri.getPort() : 6379;
    boolean allowRemote = Boolean.parseBoolean(setting("cachet.bench.redis.allowRemote", ALLOW_REMOTE_ENV));
    if (!allowRemote) {
      for (InetAddress address : InetAddress.getAllByName(uri.getHost())) {
        if (!address.isLoopbackAddress()) {
          throw new IllegalStateException(
              "refusing non-loopback Redis host " + uri.getHost() + " from " + URL_ENV
                  + ": benchmarks write 100,000 keys and measure round trips; set " + ALLOW_REMOTE_ENV
                  + "=true if this server is meant for it");
        }
      }
    }
    return new BenchRedis(null, null, uri.getHost(), port);
  }

  private static String setting(String property, String env) {
    String value = System.getProperty(property);
    return value != null ? value : System.getenv(env);
  }

  private static BenchRedis start() throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path dir = Files.createTempDirectory("cachet-bench-redis");
    Process p =
        new ProcessBuilder(
                "redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return new BenchRedis(p, dir, "127.0.0.1", port);
      } catch (IOException e) {
        if (System.nanoTime() > deadline || !p.isAlive()) {
          p.destroyForcibly();
          throw new IOException("redis-server did not start on port " + port + " (is it on PATH?)", e);
        }
        Thread.sleep(20);
      }
    }
  }

  /** {@code redis://host:port}. */
  public String uri() {
    return "redis://" + host + ":" + port;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  /** Whether this process started the server (and so owns its whole {@code INFO commandstats}). */
  public boolean owned() {
    return process != null;
  }

  /**
   * {@code INFO commandstats} as command name (lower case, subcommands as {@code client|setname}) to
   * its cumulative {@code calls}, over a connection of its own (which adds one {@code info} call).
   */
  public Map<String, Long> commandCalls() throws IOException {
    String info = new String(command("INFO", "commandstats"), StandardCharsets.UTF_8);
    Map<String, Long> calls = new TreeMap<>();
    for (String line : info.split("\r\n")) {
      if (!line.startsWith("cmdstat_")) {
        continue;
      }
      int colon = line.indexOf(':');
      String name = line.substring("cmdstat_".length(), colon);
      for (String field : line.substring(colon + 1).split(",")) {
        if (field.startsWith("calls=")) {
          calls.put(name, Long.parseLong(field.substring("calls=".length())));
        }
      }
    }
    return calls;
  }

  /** Sends one command and returns its bulk-string reply (or the simple-string reply's text). */
  private byte[] command(String... args) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 5_000);
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
      for (String arg : args) {
        request.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n")
            .append(arg).append("\r\n");
      }
      out.write(request.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      String header = readLine(in);
      if (header.startsWith("+")) {
        return header.substring(1).getBytes(StandardCharsets.UTF_8);
      }
      if (!header.startsWith("$")) {
        throw new IOException("unexpected reply to " + args[0] + ": " + header);
      }
      int length = Integer.parseInt(header.substring(1));
      byte[] body = in.readNBytes(length);
      if (body.length != length) {
        throw new IOException("short reply to " + args[0]);
      }
      return body;
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\r') {
        in.read(); // '\n'
        return line.toString();
      }
      line.append((char) c);
    }
    throw new IOException("connection closed");
  }

  @Override
  public void close() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    deleteDir();
  }

  private void stopAtExit() {
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    deleteDir();
  }

  private void deleteDir() {
    File[] files = dir.toFile().listFiles();
    if (files != null) {
      for (File f : files) {
        f.delete();
      }
    }
    dir.toFile().delete();
  }
}
