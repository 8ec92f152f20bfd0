package dev.cachet.testing.redis;

import dev.cachet.testing.Deadline;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One {@code redis-server} process (a data node or a Sentinel) that the harness started on
 * 127.0.0.1, in its own temporary directory, logging to {@link #logFile()}. It keeps its port across
 * {@link #stop()}/{@link #kill()} and {@link #start()}, so clients reconnect to the same address.
 *
 * <p>Process control ({@code kill}, {@code stop}, {@code start}, {@code restart}, {@code pause}, {@code
 * resume}) is refused with {@link IllegalStateException} on nodes of shared servers: declare an owned
 * server for fault injection. {@link #command} works on any running node and is safe to call while other
 * clients are connected. Thread-safe.
 */
public final class RedisNode {

  /** How long {@link #command} waits for a reply before throwing. */
  public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
  /** How long a start waits for {@code PING} to answer. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  /** How long {@link #stop()} waits after SIGTERM before SIGKILL. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

  private static final Set<RedisNode> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (RedisNode node : LIVE) {
                    node.destroyNow();
                  }
                },
                "cachet-redis-harness-shutdown"));
  }

  /** Builds the command-line arguments (after the binary) for a node on {@code port} in {@code dir}. */
  @FunctionalInterface
  interface Arguments {
    List<String> of(int port, Path dir) throws IOException;
  }

  private final String name;
  private final RedisBinaries.Binary binary;
  private final int port;
  private final Path dir;
  private final Path logFile;
  private final List<String> arguments;
  private volatile String sharedBy;
  private Process process;
  private boolean paused;
  private boolean closed;

  private RedisNode(String name, RedisBinaries.Binary binary, int port, Path dir, List<String> arguments) {
    this.name = name;
    this.binary = binary;
    this.port = port;
    this.dir = dir;
    this.logFile = dir.resolve("redis.log");
    this.arguments = List.copyOf(arguments);
  }

  /**
   * Starts a node on a fresh port and waits until it answers {@code PING}; retries on another port when
   * the chosen one was taken meanwhile.
   */
  static RedisNode launch(String name, RedisBinaries.Binary binary, boolean clusterBus, Arguments arguments) {
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = Ports.allocate(clusterBus);
      Path dir;
      try {
        dir = Files.createTempDirectory("cachet-redis-" + name + "-" + port + "-");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a directory for redis " + name, e);
      }
      RedisNode node;
      try {
        node = new RedisNode(name, binary, port, dir, arguments.of(port, dir));
      } catch (IOException e) {
        Files2.deleteRecursively(dir);
        throw new UncheckedIOException("cannot prepare redis " + name, e);
      }
      try {
        node.startProcess();
        return node;
      } catch (IllegalStateException e) {
        node.close();
        last = e;
        if (!String.valueOf(e.getMessage()).contains("Address already in use")) {
          throw e;
        }
      }
    }
    throw last;
  }

  /**
   * Arguments every data node gets: loopback only, no persistence, replicas sync at once (the default
   * diskless-sync delay is 5 s), DEBUG allowed locally (Redis 7+).
   */
  static List<String> baseArguments(RedisBinaries.Binary binary, int port, Path dir) {
    List<String> args = new ArrayList<>();
    args.add("--port");
    args.add(Integer.toString(port));
    args.add("--bind");
    args.add("127.0.0.1");
    args.add("--save");
    args.add("");
    args.add("--appendonly");
    args.add("no");
    args.add("--dir");
    args.add(dir.toString());
    args.add("--logfile");
    args.add("");
    args.add("--repl-diskless-sync-delay");
    args.add("0");
    if (binary.majorVersion() >= 7) {
      args.add("--enable-debug-command");
      args.add("local");
    }
    return args;
  }

  /** A name for messages, e.g. {@code standalone} or {@code cluster-2}. */
  public String name() {
    return name;
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:port}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** The binary this node runs. */
  public RedisBinaries.Binary binary() {
    return binary;
  }

  /** The node's working directory (removed when the node is closed). */
  public Path dir() {
    return dir;
  }

  /** stdout and stderr of every run of this node. */
  public Path logFile() {
    return logFile;
  }

  /** The last {@code lines} lines of {@link #logFile()}. */
  public String logTail(int lines) {
    return Files2.tail(logFile, lines);
  }

  /**
   * The PID of the current process.
   *
   * @throws IllegalStateException if the node is not running
   */
  public synchronized long pid() {
    if (process == null || !process.isAlive()) {
      throw new IllegalStateException("redis " + name + " on port " + port + " is not running");
    }
    return process.pid();
  }

  /** Whether the process is alive (a paused process is alive). */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Whether the process is stopped with SIGSTOP by {@link #pause()}. */
  public synchronized boolean isPaused() {
    return paused && isRunning();
  }

  /** Kills the process with SIGKILL and waits for it to exit. The port is reused by {@link #start()}. */
  public synchronized void kill() {
    requireOwned("kill");
    killProcess();
  }

  /** Stops the process with SIGTERM, then SIGKILL after 5 s, and waits for it to exit. */
  public synchronized void stop() {
    requireOwned("stop");
    stopProcess();
  }

  /**
   * Starts the process again on the same port, in the same directory, and waits until it answers
   * {@code PING}. Does nothing if it is running.
   */
  public synchronized void start() {
    requireOwned("start");
    if (!isRunning()) {
      startProcess();
    }
  }

  /** {@link #stop()} then {@link #start()}. */
  public synchronized void restart() {
    requireOwned("restart");
    stopProcess();
    startProcess();
  }

  /** Suspends the process with SIGSTOP: connections stay open, nothing is answered. */
  public synchronized void pause() {
    requireOwned("pause");
    signal("STOP");
    paused = true;
  }

  /** Resumes a process suspended by {@link #pause()} with SIGCONT. */
  public synchronized void resume() {
    requireOwned("resume");
    signal("CONT");
    paused = false;
  }

  /**
   * Runs one command on a new connection and returns the reply as text: a string or bulk reply as is, an
   * integer in decimal, nil as {@code null}, an array flattened to its elements joined by {@code \n}.
   *
   * @throws RedisReplyException if Redis answers with an error
   * @throws UncheckedIOException if the node cannot be reached within {@link #COMMAND_TIMEOUT}
   */
  public String command(String... args) {
    return RespClient.format(call(args));
  }

  /**
   * Runs one command and returns the raw reply: {@code String}, {@code Long}, {@code null} or {@code
   * List<Object>}.
   */
  public Object call(String... args) {
    Objects.requireNonNull(args, "args must not be null");
    if (args.length == 0) {
      throw new IllegalArgumentException("a command needs at least its name");
    }
    try {
      return new RespClient(host(), port, COMMAND_TIMEOUT).call(args);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "redis " + name + " on port " + port + " did not answer " + args[0] + ": " + e, e);
    }
  }

  /** {@code INFO section} parsed into {@code field -> value}. */
  public Map<String, String> info(String section) {
    return parseInfo(command("INFO", section));
  }

  /** The role from {@code ROLE}. */
  public RedisRole role() {
    Object reply = call("ROLE");
    String role = reply instanceof List && !((List<?>) reply).isEmpty()
        ? String.valueOf(((List<?>) reply).get(0))
        : String.valueOf(reply);
    return RedisRole.parse(role);
  }

  /** Whether {@code PING} answers {@code PONG} within a second. */
  public boolean answersPing() {
    return new RespClient(host(), port, Duration.ofSeconds(1)).ping();
  }

  static Map<String, String> parseInfo(String info) {
    Map<String, String> fields = new LinkedHashMap<>();
    if (info == null) {
      return fields;
    }
    for (String line : info.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("#")) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return fields;
  }

  /** Marks this node as part of a shared server: process control is refused from then on. */
  void markShared(String description) {
    this.sharedBy = description;
  }

  private void requireOwned(String operation) {
    String shared = sharedBy;
    if (shared != null) {
      throw new IllegalStateException(
          "cannot "
              + operation
              + " redis "
              + name
              + ": it belongs to the shared "
              + shared
              + "; declare an owned one (owned = true) for fault injection");
    }
    if (closed) {
      throw new IllegalStateException("redis " + name + " on port " + port + " is closed");
    }
  }

  private synchronized void startProcess() {
    List<String> command = new ArrayList<>();
    command.add(binary.path().toString());
    command.addAll(arguments);
    try {
      Files.writeString(
          logFile,
          "---- starting " + String.join(" ", command) + System.lineSeparator(),
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
      process =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + command + ": " + e, e);
    }
    paused = false;
    LIVE.add(this);
    Deadline deadline = Deadline.after(START_TIMEOUT);
    RespClient client = new RespClient(host(), port, Duration.ofMillis(500));
    while (true) {
      if (!process.isAlive()) {
        throw startFailure("exited with status " + process.exitValue());
      }
      if (client.ping()) {
        return;
      }
      if (deadline.isExpired()) {
        killProcess();
        throw startFailure("did not answer PING within " + START_TIMEOUT.toSeconds() + " s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  private IllegalStateException startFailure(String what) {
    return new IllegalStateException(
        "redis "
            + name
            + " ("
            + binary
            + ") on port "
            + port
            + " "
            + what
            + "; last lines of "
            + logFile
            + ":"
            + System.lineSeparator()
            + logTail(30));
  }

  private synchronized void killProcess() {
    Process current = process;
    if (current == null) {
      return;
    }
    current.destroyForcibly();
    awaitExit(current, STOP_TIMEOUT);
    paused = false;
  }

  private synchronized void stopProcess() {
    Process current = process;
    if (current == null || !current.isAlive()) {
      return;
    }
    current.destroy();
    if (paused) {
      signal("CONT");
      paused = false;
    }
    if (!awaitExit(current, STOP_TIMEOUT)) {
      current.destroyForcibly();
      awaitExit(current, STOP_TIMEOUT);
    }
  }

  private static boolean awaitExit(Process process, Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }

  private void signal(String signal) {
    long pid = pid();
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
      if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run kill -" + signal + " " + pid, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted sending SIG" + signal + " to " + pid, e);
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL) and deletes the directory. Idempotent. */
  synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopProcess();
    LIVE.remove(this);
    Files2.deleteRecursively(dir);
  }

  private void destroyNow() {
    Process current = process;
    if (current != null) {
      current.destroyForcibly();
    }
    Files2.deleteRecursively(dir);
  }

  @Override
  public String toString() {
    return "RedisNode{" + name + ", port=" + port + (sharedBy != null ? ", shared" : ", owned") + "}";
  }

}
