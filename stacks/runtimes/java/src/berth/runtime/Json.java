package berth.runtime;

import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A small JSON serializer for handler results (no libraries). Supported, nested: null, String /
 * CharSequence / Character, Boolean, Number (non-finite doubles are an error), Map (keys via
 * String.valueOf), Iterable, Object and primitive arrays, records (component name → value), enums
 * (name), Optional (value or null), UUID and java.time values (toString), byte[] nested inside
 * another value (a base64 string, as Jackson does). Anything else, or nesting deeper than
 * {@link #MAX_DEPTH} (a cycle), throws {@link NotSerializable}.
 */
final class Json {
  static final int MAX_DEPTH = 512;

  /** A value that cannot be written as JSON; the message names its type and where it was found. */
  static final class NotSerializable extends Exception {
    NotSerializable(String message) {
      super(message);
    }
  }

  private final StringBuilder sb = new StringBuilder(256);

  private Json() {}

  /** The UTF-8 JSON text of {@code value}. */
  static byte[] write(Object value) throws NotSerializable {
    Json j = new Json();
    j.value(value, "$", 0);
    return j.sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private void value(Object v, String path, int depth) throws NotSerializable {
    if (depth > MAX_DEPTH) throw new NotSerializable("value nested deeper than " + MAX_DEPTH + " at " + path);
    if (v == null) {
      sb.append("null");
    } else if (v instanceof CharSequence || v instanceof Character) {
      string(v.toString());
    } else if (v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new NotSerializable("cannot serialise " + d + " to JSON at " + path);
      }
      sb.append(v);
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
        || v instanceof BigInteger || v instanceof java.util.concurrent.atomic.AtomicInteger
        || v instanceof java.util.concurrent.atomic.AtomicLong) {
      sb.append(v);
    } else if (v instanceof BigDecimal b) {
      sb.append(b.toString());
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) sb.append(',');
        first = false;
        String key = String.valueOf(e.getKey());
        string(key);
        sb.append(':');
        value(e.getValue(), path + "." + key, depth + 1);
      }
      sb.append('}');
    } else if (v instanceof Iterable<?> it) {
      sb.append('[');
      int i = 0;
      for (Object o : it) {
        if (i > 0) sb.append(',');
        value(o, path + "[" + i + "]", depth + 1);
        i++;
      }
      sb.append(']');
    } else if (v instanceof byte[] bytes) {
      string(Base64.getEncoder().encodeToString(bytes));
    } else if (v.getClass().isArray()) {
      sb.append('[');
      int n = Array.getLength(v);
      for (int i = 0; i < n; i++) {
        if (i > 0) sb.append(',');
        value(Array.get(v, i), path + "[" + i + "]", depth + 1);
      }
      sb.append(']');
    } else if (v instanceof Record) {
      record(v, path, depth);
    } else if (v instanceof Enum<?> e) {
      string(e.name());
    } else if (v instanceof Optional<?> o) {
      value(o.orElse(null), path, depth);
    } else if (v instanceof UUID || v.getClass().getName().startsWith("java.time.")) {
      string(v.toString());
    } else {
      throw new NotSerializable("cannot serialise " + v.getClass().getName() + " to JSON at " + path
          + " (return a Map, List, array, record, String, Number, Boolean, byte[] or null)");
    }
  }

  private void record(Object v, String path, int depth) throws NotSerializable {
    sb.append('{');
    boolean first = true;
    for (RecordComponent c : v.getClass().getRecordComponents()) {
      Object cv;
      try {
        var accessor = c.getAccessor();
        accessor.setAccessible(true);
        cv = accessor.invoke(v);
      } catch (ReflectiveOperationException | RuntimeException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        throw new NotSerializable("cannot read record component " + c.getName() + " at " + path + ": " + cause);
      }
      if (!first) sb.append(',');
      first = false;
      string(c.getName());
      sb.append(':');
      value(cv, path + "." + c.getName(), depth + 1);
    }
    sb.append('}');
  }

  private void string(String s) {
    sb.append('"');
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029 || Character.isSurrogate(c) && !validSurrogate(s, i)) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  /** True when the surrogate at {@code i} is half of a well-formed pair (kept as UTF-8); lone halves are escaped. */
  private static boolean validSurrogate(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
