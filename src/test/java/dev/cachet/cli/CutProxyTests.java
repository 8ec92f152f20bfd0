package dev.cachet.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The demo's outage switch: cut closes every proxied connection and refuses new ones; restore reopens. */
class CutProxyTests {
  private ServerSocket upstream;

  @BeforeEach
  void startEchoServer() throws IOException {
    upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      while (!upstream.isClosed()) {
        try {
          Socket s = upstream.accept();
          Thread echo = new Thread(() -> {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
              in.transferTo(out);
            } catch (IOException e) {
              // closed
            }
          });
          echo.setDaemon(true);
          echo.start();
        } catch (IOException e) {
          return;
        }
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @AfterEach
  void stopEchoServer() throws IOException {
    upstream.close();
  }

  private static void assertEchoes(Socket s, int b) throws IOException {
    s.getOutputStream().write(b);
    s.getOutputStream().flush();
    assertThat(s.getInputStream().read()).isEqualTo(b);
  }

  @Test
  void cut_closesConnectionsAndRefusesNewOnes_restore_acceptsAgainOnTheSamePort() throws Exception {
    try (CutProxy proxy = new CutProxy("127.0.0.1", upstream.getLocalPort())) {
      int port = proxy.port();
      try (Socket before = new Socket(InetAddress.getLoopbackAddress(), port)) {
        assertEchoes(before, 7);

        proxy.cut();

        before.setSoTimeout(10_000);
        int read;
        try {
          before.getOutputStream().write(8);
          read = before.getInputStream().read();
        } catch (IOException e) {
          read = -1;
        }
        assertThat(read).as("a cut connection reads end of stream or fails").isEqualTo(-1);
        assertThatThrownBy(() -> {
          try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            throw new AssertionError("connected: local port " + s.getLocalPort() + " to " + s.getPort());
          }
        }).isInstanceOf(ConnectException.class);
      }

      proxy.restore();

      assertThat(proxy.port()).isEqualTo(port);
      try (Socket after = new Socket(InetAddress.getLoopbackAddress(), port)) {
        assertEchoes(after, 9);
      }
    }
  }
}
