package dev.cachet.tiered;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A message on a cache's invalidation channel. Text, so any instance (or a Python service) can read it:
 *
 * <pre>
 *   cachet1 SP origin SP sequence SP kind [SP length ":" key]...
 * </pre>
 *
 * where {@code kind} is {@code I} (invalidate the listed memory keys), {@code C} (clear the whole
 * memory tier), {@code T} (clear one tenant's memory: one item, the tenant as the remote tier announces
 * it, {@code t.<id>} or, with hidden key names, {@code h.<keyed hash>}) or {@code H} (heartbeat: carries
 * the origin's latest sequence, no keys). An instance that does not know {@code T} ignores it as
 * malformed and, seeing the sender's sequence jump with its next message or heartbeat, clears its whole
 * memory tier instead. Keys are
 * length-prefixed (UTF-16 length), so they may contain any character. An invalidation of one key is
 * a few dozen bytes.
 *
 * @param origin the sending instance's random id ({@code [0-9a-z]+})
 * @param sequence the sender's sequence number: incremented per {@code I}/{@code C} message,
 *     repeated unchanged by heartbeats
 * @param kind what the message asks
 * @param keys the memory keys (tenant-qualified) for {@code I}; empty otherwise
 */
record CoherenceMessage(String origin, long sequence, Kind kind, List<String> keys) {

  static final String PREFIX = "cachet1 ";

  enum Kind {
    INVALIDATE('I'),
    CLEAR('C'),
    TENANT_CLEAR('T'),
    HEARTBEAT('H');

    final char code;

    Kind(char code) {
      this.code = code;
    }

    static Kind of(char code) {
      for (Kind k : values()) {
        if (k.code == code) {
          return k;
        }
      }
      return null;
    }
  }

  CoherenceMessage {
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(kind, "kind");
    keys = List.copyOf(keys);
  }

  String encode() {
    StringBuilder sb = new StringBuilder(32 + keys.size() * 24);
    sb.append(PREFIX).append(origin).append(' ').append(sequence).append(' ').append(kind.code);
    for (String key : keys) {
      sb.append(' ').append(key.length()).append(':').append(key);
    }
    return sb.toString();
  }

  /** Parses a message; returns null for anything malformed (ignored and counted by the caller). */
  static CoherenceMessage decode(String text) {
    try {
      if (text == null || !text.startsWith(PREFIX)) {
        return null;
      }
      int pos = PREFIX.length();
      int space = text.indexOf(' ', pos);
      String origin = text.substring(pos, space);
      pos = space + 1;
      space = text.indexOf(' ', pos);
      long sequence = Long.parseLong(text.substring(pos, space));
      pos = space + 1;
      Kind kind = Kind.of(text.charAt(pos));
      if (kind == null || origin.isEmpty()) {
        return null;
      }
      pos++;
      List<String> keys = new ArrayList<>();
      while (pos < text.length()) {
        if (text.charAt(pos) != ' ') {
          return null;
        }
        int colon = text.indexOf(':', pos + 1);
        int length = Integer.parseInt(text.substring(pos + 1, colon));
        int start = colon + 1;
        if (length < 0 || start + length > text.length()) {
          return null;
        }
        keys.add(text.substring(start, start + length));
        pos = start + length;
      }
      if (kind == Kind.TENANT_CLEAR ? keys.size() != 1 : kind != Kind.INVALIDATE && !keys.isEmpty()) {
        return null;
      }
      return new CoherenceMessage(origin, sequence, kind, keys);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
