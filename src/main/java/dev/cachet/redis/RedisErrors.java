package dev.cachet.redis;

import dev.cachet.spi.RemoteErrorReason;
import dev.cachet.spi.RemoteOperation;
import dev.cachet.spi.RemoteTierException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The one place where Lettuce failures are classified and turned into {@link RemoteTierException}s. The
 * resulting message names the cache, the operation and the reason, plus the first word of a server
 * error ({@code NOAUTH}, {@code LOADING}, ...), never a key, a value or a credential.
 */
final class RedisErrors {

  private RedisErrors() {}

  /** Raised by the tier itself when no connection is established yet. */
  static final class NotConnectedException extends RedisException {
    private static final long serialVersionUID = 1L;

    NotConnectedException(String target) {
      super("not connected to Redis at " + target);
    }

    /**
     * Not connected because the last attempt failed with {@code cause}, kept when it is a permission
     * failure so that the call is classified {@code permission}, not {@code connection}.
     */
    NotConnectedException(String target, Throwable cause) {
      super("not connected to Redis at " + target, cause);
    }
  }

  /** Server error words that mean authentication or authorization failed: not retried, not transient. */
  static final java.util.Set<String> PERMISSION_WORDS = java.util.Set.of("NOAUTH", "WRONGPASS", "NOPERM");

  /**
   * The permission error word ({@code WRONGPASS}, {@code NOAUTH}, {@code NOPERM}) anywhere in {@code
   * failure}'s cause chain (Lettuce wraps a refused {@code HELLO ... AUTH} in a connection exception),
   * or empty.
   */
  static String permissionWord(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < 10; depth++, t = t.getCause()) {
      String word = serverErrorWord(t);
      if (PERMISSION_WORDS.contains(word)) {
        return word;
      }
      String message = t.getMessage();
      if (message != null) {
        for (String w : PERMISSION_WORDS) {
          if (message.startsWith(w + " ") || message.contains(": " + w + " ")) {
            return w;
          }
        }
      }
    }
    return "";
  }

  /**
   * Whether {@code failure} is Lettuce losing a connect handshake's outcome. When the handshake ends (a
   * refused {@code HELLO ... AUTH}, say) before Lettuce's connect listener runs, the listener finds its
   * handshake handler already gone and fails the attempt with {@code IllegalStateException
   * ("RedisHandshakeHandler not registered")}; when Lettuce closes the refused channel before the
   * server's reply reaches the attempt, the attempt fails with {@code RedisConnectionException
   * ("Connection closed prematurely")} instead. Either way the TCP connection was made and the attempt's
   * real outcome is unknown: worth an immediate re-attempt (a server that really went away answers that
   * one with a refused connection, which is recorded).
   */
  static boolean isLostHandshake(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < 10; depth++, t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if ((t instanceof IllegalStateException && message.contains("RedisHandshakeHandler not registered"))
          || (t instanceof RedisConnectionException && message.contains("Connection closed prematurely"))) {
        return true;
      }
    }
    return false;
  }

  static Throwable unwrap(Throwable t) {
    Throwable current = t;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  static RemoteErrorReason classify(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof RemoteTierException) {
      return RemoteErrorReason.valueOf(((RemoteTierException) t).reason().name());
    }
    if (t instanceof RedisCommandTimeoutException || t instanceof TimeoutException) {
      return RemoteErrorReason.TIMEOUT;
    }
    if (!permissionWord(t).isEmpty()) {
      return RemoteErrorReason.PERMISSION;
    }
    if (t instanceof NotConnectedException
        || t instanceof RedisConnectionException
        || t instanceof IOException) {
      return RemoteErrorReason.CONNECTION;
    }
    if (t instanceof RedisCommandExecutionException) {
      String word = serverErrorWord(t);
      switch (word) {
        case "NOAUTH":
        case "WRONGPASS":
        case "NOPERM":
          return RemoteErrorReason.PERMISSION;
        case "OOM":
          return RemoteErrorReason.OOM;
        case "LOADING":
        case "BUSY":
        case "TRYAGAIN":
        case "CLUSTERDOWN":
        case "MASTERDOWN":
        case "READONLY":
          return RemoteErrorReason.SERVER_BUSY;
        default:
          return RemoteErrorReason.OTHER;
      }
    }
    if (t instanceof RedisException) {
      String message = String.valueOf(t.getMessage());
      if (message.contains("not connected") || message.contains("Request queue size exceeded")) {
        return RemoteErrorReason.REJECTED;
      }
      if (message.contains("Connection closed") || message.contains("Connection is closed")) {
        return RemoteErrorReason.CONNECTION;
      }
      return RemoteErrorReason.CONNECTION;
    }
    return RemoteErrorReason.OTHER;
  }

  /** The first word of a server error reply, upper case; empty when there is none. */
  static String serverErrorWord(Throwable t) {
    String message = t.getMessage();
    if (message == null || message.isEmpty()) {
      return "";
    }
    int space = message.indexOf(' ');
    String word = space < 0 ? message : message.substring(0, space);
    return word.length() > 24 ? "" : word.toUpperCase(Locale.ROOT);
  }

  /** Wraps {@code failure} (unless it already is one) for {@code operation} of {@code cacheName}. */
  static RemoteTierException wrap(String cacheName, RemoteOperation operation, Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof RemoteTierException) {
      return (RemoteTierException) t;
    }
    RemoteErrorReason reason = classify(t);
    StringBuilder message =
        new StringBuilder("Redis ")
            .append(operation.tagValue())
            .append(" failed for cache '")
            .append(cacheName)
            .append("': ")
            .append(reason.tagValue());
    String permission = permissionWord(t);
    if (!permission.isEmpty()) {
      message.append(" (server replied ").append(permission)
          .append("; will not fix itself: check the user, password and ACL)");
    } else if (t instanceof RedisCommandExecutionException) {
      String word = serverErrorWord(t);
      if (!word.isEmpty()) {
        message.append(" (server replied ").append(word).append(')');
      }
    } else {
      message.append(" (").append(t.getClass().getSimpleName()).append(')');
    }
    return new RemoteTierException(
        cacheName, operation, reason, message.toString(), t);
  }
}
