package dev.cachet.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on a loopback port that the demo puts between its caches and Redis, so that it can cut
 * Redis off (close every connection and refuse new ones) and restore it without touching the server:
 * the demo never stops or pauses a Redis it did not start. Thread-safe; daemon threads only.
 */
final class CutProxy implements AutoCloseable {
  private final InetSocketAddress target;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket listener;
  private Thread acceptor;
  private volatile boolean closed;

  CutProxy(String targetHost, int targetPort) throws IOException {
    this.target = new InetSocketAddress(targetHost, targetPort);
    ServerSocket first = new ServerSocket();
    first.setReuseAddress(true);
    first.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.port = first.getLocalPort();
    listen(first);
  }

  int port() {
    return port;
  }

  /**
   * Closes every proxied connection and refuses new ones until {@link #restore()}. Returns once the
   * port is really closed: the JDK completes closing a listening socket only when the thread blocked
   * in {@code accept} has woken up, so this waits for that thread.
   */
  synchronized void cut() throws IOException {
    ServerSocket l = listener;
    listener = null;
    if (l != null) {
      l.close();
      try {
        acceptor.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while closing the proxy", e);
      }
    }
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    sockets.clear();
  }

  /** Accepts connections again, on the same port. */
  synchronized void restore() throws IOException {
    if (listener != null || closed) {
      return;
    }
    ServerSocket l = new ServerSocket();
    l.setReuseAddress(true);
    l.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    listen(l);
  }

  private void listen(ServerSocket l) {
    listener = l;
    acceptor = new Thread(() -> acceptLoop(l), "cachet-demo-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void acceptLoop(ServerSocket l) {
    while (!l.isClosed()) {
      Socket client;
      try {
        client = l.accept();
      } catch (IOException e) {
        return;
      }
      if (l.isClosed()) {
        closeQuietly(client); // accepted while being cut
        return;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(target, 2_000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      sockets.add(client);
      sockets.add(upstream);
      pump(client, upstream);
      pump(upstream, client);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  out.write(buffer, 0, n);
                  out.flush();
                }
              } catch (IOException e) {
                // the connection was cut or closed
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
              }
            },
            "cachet-demo-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public synchronized void close() throws IOException {
    closed = true;
    cut();
  }
}
