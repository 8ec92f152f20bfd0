package dev.cachet.testing.redis;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocketFactory;

/**
 * A minimal blocking RESP2 client: one short-lived socket per call, explicit connect and read timeouts.
 * The harness uses it instead of Lettuce or {@code redis-cli} so that it needs no event loops, works
 * against the embedded binary (which ships no {@code redis-cli}), talks to Sentinels, and never queues a
 * command behind a paused server.
 *
 * <p>Replies: simple string and bulk string as {@link String} (UTF-8), integer as {@link Long}, nil as
 * {@code null}, array as {@code List<Object>}; an error reply throws {@link RedisReplyException}.
 */
final class RespClient {

  private final String host;
  private final int port;
  private final Duration timeout;
  private final boolean tls;
  private final String username;
  private final String password;
  private final int database;

  RespClient(String host, int port, Duration timeout) {
    this(host, port, timeout, false, null, null, 0);
  }

  RespClient(
      String host,
      int port,
      Duration timeout,
      boolean tls,
      String username,
      String password,
      int database) {
    this.host = host;
    this.port = port;
    this.timeout = timeout;
    this.tls = tls;
    this.username = username;
    this.password = password;
    this.database = database;
  }

  /** Runs one command on a fresh connection. */
  Object call(String... args) throws IOException {
    try (Socket socket = open()) {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      if (password != null) {
        if (username != null) {
          send(out, "AUTH", username, password);
        } else {
          send(out, "AUTH", password);
        }
        read(in);
      }
      if (database != 0) {
        send(out, "SELECT", Integer.toString(database));
        read(in);
      }
      send(out, args);
      return read(in);
    }
  }

  /** Whether the server answers {@code PING} with {@code PONG} within the timeout. */
  boolean ping() {
    try {
      return "PONG".equals(call("PING"));
    } catch (IOException | RedisReplyException e) {
      return false;
    }
  }

  private Socket open() throws IOException {
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(host, port), millis);
      socket.setSoTimeout(millis);
      socket.setTcpNoDelay(true);
      if (tls) {
        return ((SSLSocketFactory) SSLSocketFactory.getDefault())
            .createSocket(socket, host, port, true);
      }
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private static void send(OutputStream out, String... args) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    buffer.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (String arg : args) {
      byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
      buffer.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      buffer.writeBytes(bytes);
      buffer.writeBytes(new byte[] {'\r', '\n'});
    }
    out.write(buffer.toByteArray());
    out.flush();
  }

  private static Object read(InputStream in) throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new EOFException("connection closed before a reply");
    }
    String line = readLine(in);
    switch (type) {
      case '+':
        return line;
      case '-':
        throw new RedisReplyException(line);
      case ':':
        return Long.parseLong(line);
      case '$':
        {
          int length = Integer.parseInt(line);
          if (length < 0) {
            return null;
          }
          byte[] bytes = in.readNBytes(length);
          if (bytes.length < length) {
            throw new EOFException("connection closed inside a bulk reply");
          }
          readLine(in);
          return new String(bytes, StandardCharsets.UTF_8);
        }
      case '*':
        {
          int count = Integer.parseInt(line);
          if (count < 0) {
            return null;
          }
          List<Object> items = new ArrayList<>(count);
          for (int i = 0; i < count; i++) {
            try {
              items.add(read(in));
            } catch (RedisReplyException e) {
              items.add(e);
            }
          }
          return items;
        }
      default:
        throw new IOException("unexpected RESP type byte " + type + " followed by '" + line + "'");
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed inside a reply line");
      }
      if (b == '\r') {
        int next = in.read();
        if (next == '\n') {
          return line.toString(StandardCharsets.UTF_8);
        }
        line.write(b);
        if (next < 0) {
          throw new EOFException("connection closed inside a reply line");
        }
        line.write(next);
      } else {
        line.write(b);
      }
    }
  }

  /** Formats a reply the way {@code redis-cli --no-raw} would not, but plain: see {@link RedisNode#command}. */
  static String format(Object reply) {
    if (reply == null) {
      return null;
    }
    if (reply instanceof List) {
      StringBuilder text = new StringBuilder();
      appendFlat(text, (List<?>) reply);
      return text.toString();
    }
    return reply.toString();
  }

  private static void appendFlat(StringBuilder text, List<?> items) {
    for (Object item : items) {
      if (item instanceof List) {
        appendFlat(text, (List<?>) item);
        continue;
      }
      if (text.length() > 0) {
        text.append('\n');
      }
      if (item instanceof RedisReplyException) {
        text.append(((RedisReplyException) item).getMessage());
      } else if (item != null) {
        text.append(item);
      }
    }
  }
}
