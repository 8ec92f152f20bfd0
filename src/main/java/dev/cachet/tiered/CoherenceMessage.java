package dev.cachet.tiered;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A message on a cache's invalidation channel. Plain text, so any instance (or a Python service) can
 * read and write it. The current version:
 *
 * <pre>
 *   cachet2 SP origin SP sequence SP kind SP flags [SP length ":" item]...
 * </pre>
 *
 * <ul>
 *   <li>{@code origin}: the sender's random id, {@code [0-9a-z]+}.
 *   <li>{@code sequence}: decimal. Kinds that change state ({@code I}, {@code C} and any future kind)
 *       take the next number of the sender; they reach Redis in that order (one publisher per cache,
 *       one message in flight). {@code H} and {@code B} carry the last number the sender <em>sent and
 *       Redis acknowledged</em>, so a receiver holding fewer lost a message.
 *   <li>{@code kind}: one letter. {@code I} invalidate the items, {@code C} clear the whole cache,
 *       {@code H} heartbeat, {@code B} goodbye (the sender closed; forget it), {@code T} clear one
 *       tenant (one item: {@code t.<tenant id>}, or {@code h.<HMAC>} when key names are hidden, see
 *       {@code RemoteTier.announcedTenantId}). A receiver that does not know a kind, or a flag, treats
 *       the message as a {@code C}: safe, never silently ignored.
 *   <li>{@code flags}: letters, or {@code -} for none. {@code h}: the items carry hidden key names.
 *   <li>{@code item} (for {@code I}): {@code tenant ":" name}, where {@code tenant} is {@code -} (no
 *       tenant) or {@code t.<tenant id>} ({@code h.<HMAC>} with flag {@code h}, under either naming
 *       scheme), and {@code name} is the encoded key
 *       or, with flag {@code h}, its hidden name (the URL-safe base64 HMAC the Redis key names use, see
 *       {@code KeyNameHasher}). Items are length-prefixed (UTF-16 code units), so they may contain any
 *       character.
 * </ul>
 *
 * <p>Example: {@code cachet2 k3x9 17 I - 9:-:user:42} or, hiding names, {@code cachet2 k3x9 18 I h
 * 45:-:Zm9vYmFy...}. The previous version ({@code cachet1 origin sequence I|C|H [length:memoryKey]...},
 * items being memory keys: {@code key}, or {@code \0 tenant \0 key}) is still read; {@link #version()}
 * tells them apart.
 *
 * @param version 2 for this format, 1 for the previous one
 * @param origin the sending instance's random id
 * @param sequence see above
 * @param kind the kind letter
 * @param flags the flag letters, empty for none
 * @param items the items ({@code I} only)
 */
record CoherenceMessage(int version, String origin, long sequence, char kind, String flags, List<String> items) {

  static final String PREFIX = "cachet2 ";
  static final String PREFIX_V1 = "cachet1 ";

  static final char INVALIDATE = 'I';
  static final char CLEAR = 'C';
  static final char HEARTBEAT = 'H';
  static final char GOODBYE = 'B';
  /** Clear one tenant: one item, the tenant as {@code RemoteTier.announcedTenantId} names it. */
  static final char TENANT_CLEAR = 'T';

  /** Flag: items carry hidden key names. */
  static final char HIDDEN = 'h';

  CoherenceMessage {
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(flags, "flags");
    items = List.copyOf(items);
  }

  static CoherenceMessage invalidate(String origin, long sequence, boolean hidden, List<String> items) {
    return new CoherenceMessage(2, origin, sequence, INVALIDATE, hidden ? "h" : "", items);
  }

  static CoherenceMessage of(String origin, long sequence, char kind) {
    return new CoherenceMessage(2, origin, sequence, kind, "", List.of());
  }

  /** Whether the kind consumes a sequence number (everything but heartbeats and goodbyes). */
  boolean isSequenced() {
    return kind != HEARTBEAT && kind != GOODBYE;
  }

  boolean hidden() {
    return flags.indexOf(HIDDEN) >= 0;
  }

  /** Whether this receiver understands the kind and every flag. */
  boolean understood() {
    boolean kindKnown =
        kind == INVALIDATE || kind == CLEAR || kind == HEARTBEAT || kind == GOODBYE || kind == TENANT_CLEAR;
    for (int i = 0; i < flags.length(); i++) {
      if (flags.charAt(i) != HIDDEN) {
        return false;
      }
    }
    return kindKnown;
  }

  String encode() {
    StringBuilder sb = new StringBuilder(40 + items.size() * 24);
    if (version == 1) {
      sb.append(PREFIX_V1).append(origin).append(' ').append(sequence).append(' ').append(kind);
    } else {
      sb.append(PREFIX).append(origin).append(' ').append(sequence).append(' ').append(kind).append(' ')
          .append(flags.isEmpty() ? "-" : flags);
    }
    for (String item : items) {
      sb.append(' ').append(item.length()).append(':').append(item);
    }
    return sb.toString();
  }

  /** Parses a message of either version; returns null for anything malformed (ignored and counted). */
  static CoherenceMessage decode(String text) {
    try {
      if (text == null) {
        return null;
      }
      int version;
      if (text.startsWith(PREFIX)) {
        version = 2;
      } else if (text.startsWith(PREFIX_V1)) {
        version = 1;
      } else {
        return null;
      }
      int pos = PREFIX.length();
      int space = text.indexOf(' ', pos);
      String origin = text.substring(pos, space);
      pos = space + 1;
      space = text.indexOf(' ', pos);
      long sequence = Long.parseLong(text.substring(pos, space));
      pos = space + 1;
      char kind = text.charAt(pos);
      if (origin.isEmpty() || sequence < 0 || kind < 'A' || kind > 'Z') {
        return null;
      }
      pos++;
      String flags = "";
      if (version == 2) {
        if (pos >= text.length() || text.charAt(pos) != ' ') {
          return null;
        }
        int end = text.indexOf(' ', pos + 1);
        end = end < 0 ? text.length() : end;
        flags = text.substring(pos + 1, end);
        if (flags.equals("-")) {
          flags = "";
        } else if (flags.isEmpty() || !flags.chars().allMatch(c -> c >= 'a' && c <= 'z')) {
          return null;
        }
        pos = end;
      } else if (kind != INVALIDATE && kind != CLEAR && kind != HEARTBEAT) {
        return null;
      }
      List<String> items = new ArrayList<>();
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
        items.add(text.substring(start, start + length));
        pos = start + length;
      }
      if ((kind == CLEAR || kind == HEARTBEAT || kind == GOODBYE) && !items.isEmpty()) {
        return null;
      }
      if (kind == TENANT_CLEAR && items.size() != 1) {
        return null;
      }
      return new CoherenceMessage(version, origin, sequence, kind, flags, items);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
