package dev.cachet.testing.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on a free 127.0.0.1 port that forwards to a port on 127.0.0.1 and injects network faults:
 * added latency, connection resets, a black hole, refused connections. Point a client at {@link #uri()}
 * instead of the server.
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.forward(redis.port())) {
 *   RedisClient client = RedisClient.create(proxy.uri());
 *   proxy.setLatency(Duration.ofMillis(200)); // every chunk, each direction
 *   proxy.blackhole(true);                    // accepted, never answered: commands time out
 *   proxy.resetAll();                         // every open connection gets an RST
 * }
 * }</pre>
 *
 * <p>Two daemon threads per connection copy bytes; faults apply to open and new connections alike. It only
 * ever binds and connects to 127.0.0.1. Thread-safe.
 */
public final class FaultProxy implements AutoCloseable {

  private static final AtomicInteger IDS = new AtomicInteger();

  private final int targetPort;
  private final int port;
  private final String id;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket server;
  private volatile Thread acceptor;
  private volatile long latencyNanos;
  private volatile boolean blackhole;
  private volatile boolean refuseNew;
  private volatile boolean closed;
  private volatile boolean resetNextReply;
  private volatile double resetReplyProbability;
  private final AtomicInteger repliesCut = new AtomicInteger();

  private FaultProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.id = "fault-proxy-" + IDS.incrementAndGet();
    // A port outside the ephemeral range: once refuseNew closes the listener, an outgoing connection could
    // otherwise take the port as its source port and connect to itself.
    ServerSocket socket = null;
    IOException failure = null;
    for (int attempt = 0; attempt < 5 && socket == null; attempt++) {
      try {
        socket = bind(Ports.allocate(false));
      } catch (IOException e) {
        failure = e;
      }
    }
    if (socket == null) {
      throw failure;
    }
    this.port = socket.getLocalPort();
    this.server = socket;
    startAcceptor(socket);
  }

  /**
   * A proxy forwarding to {@code 127.0.0.1:targetPort}.
   *
   * @throws IllegalArgumentException if the port is not in 1-65535
   */
  public static FaultProxy forward(int targetPort) {
    if (targetPort < 1 || targetPort > 65535) {
      throw new IllegalArgumentException("target port must be in 1-65535: " + targetPort);
    }
    try {
      return new FaultProxy(targetPort);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot open a fault proxy to port " + targetPort, e);
    }
  }

  /** A proxy in front of {@code server}, which must be local. */
  public static FaultProxy forward(RedisServer server) {
    Objects.requireNonNull(server, "server must not be null");
    if (server.isExternal()) {
      throw new IllegalStateException("the fault proxy only forwards to 127.0.0.1, not to an external server");
    }
    return forward(server.port());
  }

  public String host() {
    return "127.0.0.1";
  }

  /** The port clients connect to. */
  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:port} of the proxy. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  public int targetPort() {
    return targetPort;
  }

  /** Delay added before forwarding each chunk read, in both directions; zero removes it. */
  public void setLatency(Duration latency) {
    Objects.requireNonNull(latency, "latency must not be null");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency cannot be negative: " + latency);
    }
    this.latencyNanos = latency.toNanos();
  }

  /**
   * When on, nothing is forwarded in either direction: connections (also new ones) are accepted and stay
   * open, requests get no answer. Bytes are held, not dropped, like a stalled network path: when turned
   * off, what was held is delivered, so clients stay in step with the protocol.
   */
  public void blackhole(boolean on) {
    this.blackhole = on;
  }

  /**
   * When on, the listening socket is closed so new connections are refused (ECONNREFUSED); open ones keep
   * working. When turned off, the proxy listens on the same port again.
   */
  public synchronized void refuseNew(boolean on) {
    if (closed || on == refuseNew) {
      return;
    }
    refuseNew = on;
    if (on) {
      stopListening();
    } else {
      try {
        ServerSocket socket = bind(port);
        server = socket;
        startAcceptor(socket);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot listen on port " + port + " again", e);
      }
    }
  }

  /** Closes every open connection with an RST (SO_LINGER 0) on both sides. New ones are still accepted. */
  public void resetAll() {
    for (Link link : links) {
      link.reset();
    }
  }

  /**
   * The next chunk the server sends on any connection is cut: its first half is forwarded, then that
   * connection is reset, as when a connection breaks in the middle of a reply.
   */
  public void resetMidNextReply() {
    this.resetNextReply = true;
  }

  /**
   * From now on, each chunk the server sends is cut with {@code probability} as by {@link
   * #resetMidNextReply()}: the commands it answers ran, but their replies are lost with the connection
   * (a client that replays unanswered commands after reconnecting sends them again). 0 turns it off.
   *
   * @throws IllegalArgumentException if {@code probability} is not in [0, 1]
   */
  public void resetRepliesAtRandom(double probability) {
    if (!(probability >= 0 && probability <= 1)) {
      throw new IllegalArgumentException("probability must be in [0, 1]: " + probability);
    }
    this.resetReplyProbability = probability;
  }

  /** How many server chunks were cut so far (by either reply-cutting fault). */
  public int repliesCut() {
    return repliesCut.get();
  }

  /** Open client connections. */
  public int connectionCount() {
    return links.size();
  }

  /** Stops listening and resets every connection. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopListening();
    resetAll();
  }

  @Override
  public String toString() {
    return "FaultProxy{127.0.0.1:" + port + " -> 127.0.0.1:" + targetPort + ", connections=" + links.size()
        + (blackhole ? ", blackhole" : "") + (refuseNew ? ", refusing" : "")
        + (latencyNanos > 0 ? ", latency=" + Duration.ofNanos(latencyNanos) : "") + "}";
  }

  private static ServerSocket bind(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(Ports.loopback(), port), 50);
    return socket;
  }

  private void startAcceptor(ServerSocket socket) {
    Thread thread = new Thread(() -> acceptLoop(socket), id + "-accept");
    thread.setDaemon(true);
    acceptor = thread;
    thread.start();
  }

  /**
   * Closes the listener and waits for the accepting thread to leave {@code accept()}: the JDK defers the
   * real close of a socket until its blocked thread returns, and until then the kernel still completes
   * new connections.
   */
  private void stopListening() {
    closeQuietly(server);
    Thread thread = acceptor;
    if (thread != null && thread != Thread.currentThread()) {
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void acceptLoop(ServerSocket socket) {
    while (!socket.isClosed()) {
      Socket client;
      try {
        client = socket.accept();
      } catch (IOException e) {
        return;
      }
      if (socket.isClosed() || closed || refuseNew) {
        Link.reset(client);
        return;
      }
      Socket upstream = new Socket();
      try {
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        upstream.connect(new InetSocketAddress(Ports.loopback(), targetPort), 2000);
      } catch (IOException e) {
        // The target is down: the client sees a reset, as it would without the proxy.
        Link.reset(client);
        closeQuietly(upstream);
        continue;
      }
      Link link = new Link(client, upstream);
      links.add(link);
      link.start();
    }
  }

  private static void closeQuietly(java.io.Closeable closeable) {
    try {
      if (closeable != null) {
        closeable.close();
      }
    } catch (IOException e) {
      // nothing to do
    }
  }

  /** One proxied connection: client <-> upstream, one pump thread per direction. */
  private final class Link {
    private final Socket client;
    private final Socket upstream;
    private final AtomicInteger pumpsRunning = new AtomicInteger(2);

    Link(Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
    }

    void start() {
      String name = id + "-" + client.getPort();
      Thread up = new Thread(() -> pump(client, upstream, false), name + "-up");
      Thread down = new Thread(() -> pump(upstream, client, true), name + "-down");
      up.setDaemon(true);
      down.setDaemon(true);
      up.start();
      down.start();
    }

    private void pump(Socket from, Socket to, boolean downstream) {
      byte[] buffer = new byte[16 * 1024];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        while (true) {
          holdWhileBlackholed();
          int read = in.read(buffer);
          if (read < 0) {
            break;
          }
          long latency = latencyNanos;
          if (latency > 0) {
            LockSupport.parkNanos(latency);
          }
          holdWhileBlackholed();
          double p = resetReplyProbability;
          if (downstream
              && (resetNextReply
                  || (p > 0 && java.util.concurrent.ThreadLocalRandom.current().nextDouble() < p))) {
            resetNextReply = false;
            repliesCut.incrementAndGet();
            out.write(buffer, 0, Math.max(1, read / 2));
            out.flush();
            reset();
            return;
          }
          out.write(buffer, 0, read);
          out.flush();
        }
        // Orderly close: pass the half-close on.
        try {
          to.shutdownOutput();
        } catch (IOException e) {
          // already closed
        }
      } catch (SocketException e) {
        // reset or closed by the other pump
      } catch (IOException e) {
        // broken connection
      } finally {
        if (pumpsRunning.decrementAndGet() == 0) {
          closeQuietly(client);
          closeQuietly(upstream);
          links.remove(this);
        }
      }
    }

    /** Bytes are held, not dropped, so the protocol stays in step once the black hole is lifted. */
    private void holdWhileBlackholed() {
      while (blackhole && !closed && !client.isClosed()) {
        LockSupport.parkNanos(5_000_000L);
      }
    }

    void reset() {
      reset(client);
      reset(upstream);
      links.remove(this);
    }

    static void reset(Socket socket) {
      try {
        socket.setSoLinger(true, 0);
      } catch (SocketException e) {
        // closed already
      }
      closeQuietly(socket);
    }
  }
}
