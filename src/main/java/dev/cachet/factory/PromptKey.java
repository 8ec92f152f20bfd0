package dev.cachet.factory;

import dev.cachet.KeyCodec;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A stable cache key for an LLM call, derived from the model, the messages and the parameters, so that
 * the same prompt maps to the same key in every process and in every language.
 *
 * <p><b>Canonical form.</b> The request {@code {"messages": ..., "model": ..., "parameters": ...}} is
 * written as JSON with object members sorted by name (by Unicode code point), no whitespace, and
 * non-ASCII characters written as themselves (UTF-8); the key is the lowercase hex SHA-256 of those
 * bytes. Only strings, booleans, null, integers within ±2<sup>53</sup>, arrays and objects are allowed:
 * floats (which languages print differently: pass {@code "0.7"} as a string, or an integer),
 * strings with lone surrogates, and duplicate member names are rejected with an {@link
 * IllegalArgumentException} naming the path ({@code $.parameters.temperature}), never the value.
 * Python's {@code json.dumps(o, sort_keys=True, separators=(',', ':'), ensure_ascii=False)} writes the
 * same bytes; {@code python/cachet_keys.py} is the Python twin, and both are checked against the same
 * vectors ({@code python/prompt_key_vectors.json}).
 *
 * <pre>{@code
 * PromptKey key = PromptKey.of("gpt-4o",
 *     List.of(Map.of("role", "user", "content", "Summarize: ...")),
 *     Map.of("temperature", "0.2", "max_tokens", 512));
 * String answer = answers.get(key, k -> callTheModel(...));   // Cache<PromptKey, String>
 * }</pre>
 *
 * <p>Immutable and thread-safe. {@link #toString()} shows a prefix of the digest only, never the
 * prompt. Equal keys have equal digests.
 */
public final class PromptKey {

  /** Integers must lie within ±2^53 (inclusive), where every language's JSON numbers agree. */
  public static final long MAX_SAFE_MAGNITUDE = 1L << 53;

  private static final BigInteger MAX = BigInteger.valueOf(MAX_SAFE_MAGNITUDE);
  private static final BigInteger MIN = MAX.negate();
  private static final Comparator<String> BY_CODE_POINT = PromptKey::compareCodePoints;

  private final String canonicalJson;
  private final String digest;

  private PromptKey(String canonicalJson) {
    this.canonicalJson = canonicalJson;
    this.digest = sha256Hex(canonicalJson);
  }

  /**
   * The key of a call to {@code model} with {@code messages} (typically a list of {@code {"role",
   * "content"}} maps) and {@code parameters} (temperature, max tokens, tools, ...; may be empty).
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if a value is not allowed (see the class description)
   */
  public static PromptKey of(String model, Object messages, Map<String, ?> parameters) {
    Objects.requireNonNull(model, "model must not be null");
    Objects.requireNonNull(messages, "messages must not be null");
    Objects.requireNonNull(parameters, "parameters must not be null");
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("messages", messages);
    request.put("model", model);
    request.put("parameters", parameters);
    return new PromptKey(canonicalJson(request));
  }

  /**
   * The key of a request given as JSON text (e.g. the body sent to the model's API), parsed strictly:
   * floats, {@code NaN}, duplicate member names, lone surrogates and anything after the value are
   * rejected.
   *
   * @throws IllegalArgumentException if {@code json} is malformed or holds a value that is not allowed
   */
  public static PromptKey ofJson(String json) {
    Objects.requireNonNull(json, "json must not be null");
    return new PromptKey(canonicalJson(new StrictJsonParser(json).parseDocument()));
  }

  /**
   * The canonical JSON of {@code value}: a {@code Map} with {@code String} keys, a {@code List} (or
   * another {@code Collection}, or an {@code Object[]}), a {@code String}, a {@code Boolean}, {@code
   * null}, or an {@code Integer}, {@code Long}, {@code Short}, {@code Byte} or {@code BigInteger} within
   * ±2^53.
   *
   * @throws IllegalArgumentException if a value is not allowed
   */
  public static String canonicalJson(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, "$", out);
    return out.toString();
  }

  /** The canonical JSON this key digests; it holds the prompt, so treat it as the prompt. */
  public String canonicalJson() {
    return canonicalJson;
  }

  /** The lowercase hex SHA-256 of the canonical JSON's UTF-8 bytes (64 characters). */
  public String digest() {
    return digest;
  }

  /** A key codec writing {@link #digest()}: what a {@code Cache<PromptKey, V>} stores under. */
  public static KeyCodec<PromptKey> keyCodec() {
    return PromptKey::digest;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof PromptKey && ((PromptKey) other).digest.equals(digest);
  }

  @Override
  public int hashCode() {
    return digest.hashCode();
  }

  /** {@code PromptKey[sha256=<first 12 hex digits>...]}; never the prompt. */
  @Override
  public String toString() {
    return "PromptKey[sha256=" + digest.substring(0, 12) + "...]";
  }

  // ---------------------------------------------------------------- writing

  private static void write(Object value, String path, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof Boolean) {
      out.append(((Boolean) value) ? "true" : "false");
    } else if (value instanceof String) {
      writeString((String) value, path, out);
    } else if (value instanceof Integer || value instanceof Long || value instanceof Short
        || value instanceof Byte || value instanceof BigInteger) {
      BigInteger n = value instanceof BigInteger ? (BigInteger) value : BigInteger.valueOf(((Number) value).longValue());
      if (n.compareTo(MIN) < 0 || n.compareTo(MAX) > 0) {
        throw rejected(path, "an integer outside the range ±2^53 (pass large numbers as strings)");
      }
      out.append(n);
    } else if (value instanceof Number) {
      throw rejected(path, "a float (floats print differently across languages: pass it as a string"
          + " such as \"0.7\", or as an integer)");
    } else if (value instanceof Map) {
      writeObject((Map<?, ?>) value, path, out);
    } else if (value instanceof Collection || value instanceof Object[]) {
      Collection<?> items =
          value instanceof Collection ? (Collection<?>) value : Arrays.asList((Object[]) value);
      out.append('[');
      int i = 0;
      for (Object item : items) {
        if (i > 0) {
          out.append(',');
        }
        write(item, path + "[" + i + "]", out);
        i++;
      }
      out.append(']');
    } else {
      throw rejected(path, "a " + value.getClass().getSimpleName() + " (allowed: strings, booleans,"
          + " null, integers, lists and maps with string keys)");
    }
  }

  private static void writeObject(Map<?, ?> map, String path, StringBuilder out) {
    TreeMap<String, Object> sorted = new TreeMap<>(BY_CODE_POINT);
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String)) {
        throw rejected(path, "a map key that is not a string");
      }
      String name = (String) e.getKey();
      if (sorted.put(name, e.getValue()) != null) {
        throw rejected(path, "a duplicate member name");
      }
    }
    out.append('{');
    boolean first = true;
    for (Map.Entry<String, Object> e : sorted.entrySet()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      writeString(e.getKey(), path + "{name}", out);
      out.append(':');
      write(e.getValue(), path + "." + safePathSegment(e.getKey()), out);
    }
    out.append('}');
  }

  /** Member names appear in error paths only when they look like identifiers (never prompt text). */
  private static String safePathSegment(String name) {
    return name.matches("[A-Za-z_][A-Za-z0-9_]{0,40}") ? name : "<member>";
  }

  private static void writeString(String s, String path, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        out.append(c).append(s.charAt(++i));
        continue;
      }
      if (Character.isSurrogate(c)) {
        throw rejected(path, "a string with a lone surrogate (not valid Unicode text)");
      }
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20) {
            out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }

  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  private static String sha256Hex(String canonical) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(canonical.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }

  static IllegalArgumentException rejected(String path, String what) {
    return new IllegalArgumentException("PromptKey: " + what + " at " + path + " is not allowed");
  }

  // ---------------------------------------------------------------- strict parsing

  /** A strict JSON parser producing maps (insertion order), lists, strings, booleans, null, BigIntegers. */
  static final class StrictJsonParser {
    private final String text;
    private int pos;

    StrictJsonParser(String text) {
      this.text = text;
    }

    Object parseDocument() {
      skipWhitespace();
      Object value = parseValue("$");
      skipWhitespace();
      if (pos != text.length()) {
        throw malformed("unexpected content after the JSON value");
      }
      return value;
    }

    private Object parseValue(String path) {
      if (pos >= text.length()) {
        throw malformed("unexpected end of input");
      }
      char c = text.charAt(pos);
      switch (c) {
        case '{':
          return parseObject(path);
        case '[':
          return parseArray(path);
        case '"':
          return parseString(path);
        case 't':
          return literal("true", Boolean.TRUE);
        case 'f':
          return literal("false", Boolean.FALSE);
        case 'n':
          return literal("null", null);
        default:
          if (c == '-' || (c >= '0' && c <= '9')) {
            return parseNumber(path);
          }
          throw malformed("unexpected character");
      }
    }

    private Object literal(String word, Object value) {
      if (!text.startsWith(word, pos)) {
        throw malformed("unexpected character (NaN and Infinity are not JSON)");
      }
      pos += word.length();
      return value;
    }

    private Map<String, Object> parseObject(String path) {
      Map<String, Object> members = new LinkedHashMap<>();
      pos++; // {
      skipWhitespace();
      if (peek() == '}') {
        pos++;
        return members;
      }
      while (true) {
        skipWhitespace();
        if (peek() != '"') {
          throw malformed("expected a member name");
        }
        String name = parseString(path + "{name}");
        if (members.containsKey(name)) {
          throw rejected(path, "a duplicate member name");
        }
        skipWhitespace();
        expect(':');
        skipWhitespace();
        members.put(name, parseValue(path + "." + safePathSegment(name)));
        skipWhitespace();
        char c = next();
        if (c == '}') {
          return members;
        }
        if (c != ',') {
          throw malformed("expected ',' or '}'");
        }
      }
    }

    private List<Object> parseArray(String path) {
      List<Object> items = new ArrayList<>();
      pos++; // [
      skipWhitespace();
      if (peek() == ']') {
        pos++;
        return items;
      }
      while (true) {
        skipWhitespace();
        items.add(parseValue(path + "[" + items.size() + "]"));
        skipWhitespace();
        char c = next();
        if (c == ']') {
          return items;
        }
        if (c != ',') {
          throw malformed("expected ',' or ']'");
        }
      }
    }

    private String parseString(String path) {
      pos++; // "
      StringBuilder sb = new StringBuilder();
      while (true) {
        char c = next();
        if (c == '"') {
          break;
        }
        if (c < 0x20) {
          throw malformed("a control character inside a string (escape it)");
        }
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        char e = next();
        switch (e) {
          case '"':
          case '\\':
          case '/':
            sb.append(e);
            break;
          case 'b':
            sb.append('\b');
            break;
          case 'f':
            sb.append('\f');
            break;
          case 'n':
            sb.append('\n');
            break;
          case 'r':
            sb.append('\r');
            break;
          case 't':
            sb.append('\t');
            break;
          case 'u':
            if (pos + 4 > text.length()) {
              throw malformed("a truncated \\u escape");
            }
            try {
              sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
            } catch (NumberFormatException ex) {
              throw malformed("a malformed \\u escape");
            }
            pos += 4;
            break;
          default:
            throw malformed("an unknown escape");
        }
      }
      String s = sb.toString();
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else if (Character.isSurrogate(c)) {
          throw rejected(path, "a string with a lone surrogate (not valid Unicode text)");
        }
      }
      return s;
    }

    private BigInteger parseNumber(String path) {
      int start = pos;
      if (peek() == '-') {
        pos++;
      }
      if (peek() == '0') {
        pos++;
      } else if (peek() >= '1' && peek() <= '9') {
        while (peek() >= '0' && peek() <= '9') {
          pos++;
        }
      } else {
        throw malformed("a malformed number");
      }
      char c = peek();
      if (c == '.' || c == 'e' || c == 'E') {
        throw rejected(path, "a float (floats print differently across languages: pass it as a string"
            + " such as \"0.7\", or as an integer)");
      }
      BigInteger n = new BigInteger(text.substring(start, pos));
      if (n.compareTo(MIN) < 0 || n.compareTo(MAX) > 0) {
        throw rejected(path, "an integer outside the range ±2^53 (pass large numbers as strings)");
      }
      return n;
    }

    private void skipWhitespace() {
      while (pos < text.length()) {
        char c = text.charAt(pos);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          return;
        }
        pos++;
      }
    }

    private char peek() {
      return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private char next() {
      if (pos >= text.length()) {
        throw malformed("unexpected end of input");
      }
      return text.charAt(pos++);
    }

    private void expect(char c) {
      if (next() != c) {
        throw malformed("expected '" + c + "'");
      }
    }

    private IllegalArgumentException malformed(String what) {
      return new IllegalArgumentException("PromptKey: malformed JSON at offset " + pos + ": " + what);
    }
  }
}
