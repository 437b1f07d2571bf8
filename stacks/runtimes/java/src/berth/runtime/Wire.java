package berth.runtime;

import java.io.BufferedOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The launcher side of docs/function-runtimes.md §2: call lines from fd 3, replies to fd 4. One
 * line per message, tab-separated, variable fields base64. Reading is not thread-safe (one call at
 * a time); the writes are synchronized.
 */
final class Wire {
  /** One decoded {@code C} line. */
  record Call(String taskId, int attempt, long deadlineMs, Map<String, String> labels, byte[] payload,
      byte[] marker) {}

  /** A line that is not a well-formed {@code C} line; {@code marker} is null when none was found. */
  static final class BadLine extends Exception {
    final byte[] marker;

    BadLine(String message, byte[] marker) {
      super(message);
      this.marker = marker;
    }
  }

  private static final Base64.Decoder B64D = Base64.getDecoder();
  private static final Base64.Encoder B64E = Base64.getEncoder();

  private final InputStream in;
  private final OutputStream out;
  private final byte[] buf = new byte[64 * 1024];
  private int pos;
  private int end;
  private byte[] line = new byte[16 * 1024];
  private int len;

  Wire(InputStream in, OutputStream out) {
    this.in = in;
    this.out = out;
  }

  /** fd 3 (read through this class's own buffer) and fd 4 (buffered, flushed per message). */
  static Wire open() throws IOException {
    return new Wire(new FileInputStream("/proc/self/fd/3"), new BufferedOutputStream(new FileOutputStream("/proc/self/fd/4"), 64 * 1024));
  }

  /** Reads the next line (without its newline); false at end of input (a partial last line is dropped). */
  boolean next() throws IOException {
    len = 0;
    for (;;) {
      if (pos == end) {
        int n = in.read(buf, 0, buf.length);
        if (n < 0) return false;
        pos = 0;
        end = n;
      }
      int nl = pos;
      while (nl < end && buf[nl] != '\n') nl++;
      int take = nl - pos;
      if (len + take > line.length) line = Arrays.copyOf(line, Math.max(line.length * 2, len + take));
      System.arraycopy(buf, pos, line, len, take);
      len += take;
      pos = nl;
      if (nl < end) {
        pos++;
        return true;
      }
    }
  }

  /** Decodes the current line as {@code C\tb64 taskId\tattempt\tdeadlineMs\tlabels\tb64 payload\tmarker}. */
  Call parse() throws BadLine {
    int[] tabs = new int[6];
    int count = 0;
    int lastTab = -1;
    for (int i = 0; i < len; i++) {
      if (line[i] == '\t') {
        if (count < 6) tabs[count] = i;
        count++;
        lastTab = i;
      }
    }
    byte[] marker = lastTab >= 0 && len - lastTab - 1 == 32 ? field(lastTab + 1, len) : null;
    if (count != 6 || line[0] != 'C' || tabs[0] != 1) throw new BadLine("not a call line", marker);
    try {
      String taskId = new String(b64(tabs[0] + 1, tabs[1]), StandardCharsets.UTF_8);
      int attempt = Integer.parseInt(ascii(tabs[1] + 1, tabs[2]));
      long deadline = Long.parseLong(ascii(tabs[2] + 1, tabs[3]));
      Map<String, String> labels = labels(tabs[3] + 1, tabs[4]);
      byte[] payload = b64(tabs[4] + 1, tabs[5]);
      return new Call(taskId, attempt, deadline, labels, payload, field(tabs[5] + 1, len));
    } catch (IllegalArgumentException e) {
      throw new BadLine("malformed call line: " + e.getMessage(), marker);
    }
  }

  private byte[] field(int from, int to) {
    return Arrays.copyOfRange(line, from, to);
  }

  private String ascii(int from, int to) {
    return new String(line, from, to - from, StandardCharsets.ISO_8859_1);
  }

  private byte[] b64(int from, int to) {
    return from == to ? new byte[0] : B64D.decode(field(from, to));
  }

  /** {@code b64(key):b64(value)} pairs separated by commas; empty → no labels. */
  private Map<String, String> labels(int from, int to) {
    if (from == to) return Collections.emptyMap();
    Map<String, String> m = new LinkedHashMap<>();
    int start = from;
    for (int i = from; i <= to; i++) {
      if (i == to || line[i] == ',') {
        int colon = -1;
        for (int j = start; j < i; j++) {
          if (line[j] == ':') {
            colon = j;
            break;
          }
        }
        if (colon < 0) throw new IllegalArgumentException("label pair without ':'");
        m.put(new String(b64(start, colon), StandardCharsets.UTF_8),
            new String(b64(colon + 1, i), StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    return Collections.unmodifiableMap(m);
  }

  /**
   * {@code P\tpct\tb64 msg} — progress of the running call; pct empty when NaN or infinite. Errors
   * are swallowed (progress is best effort). Synchronized with the other writes: a handler may
   * report from its own threads.
   */
  synchronized void progress(double pct, String msg) {
    try {
      out.write('P');
      out.write('\t');
      if (Double.isFinite(pct)) {
        String p = pct == Math.rint(pct) && Math.abs(pct) < 1e15 ? Long.toString((long) pct) : Double.toString(pct);
        out.write(p.getBytes(StandardCharsets.US_ASCII));
      }
      out.write('\t');
      out.write(B64E.encode(msg.getBytes(StandardCharsets.UTF_8)));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      // fd 4 gone: the call's reply will fail the same way and end the runtime.
    }
  }

  /** {@code L} — the handler is loaded. */
  synchronized void loaded() throws IOException {
    out.write('L');
    out.write('\n');
    out.flush();
  }

  /** {@code R\tkind\tb64 value}. */
  synchronized void result(String kind, byte[] value) throws IOException {
    out.write('R');
    out.write('\t');
    out.write(kind.getBytes(StandardCharsets.US_ASCII));
    out.write('\t');
    if (value != null && value.length > 0) out.write(B64E.encode(value));
    out.write('\n');
    out.flush();
  }

  /** {@code E\tb64 message\tb64 stack} — a load failure or a failed call. */
  synchronized void error(String message, String stack) throws IOException {
    out.write('E');
    out.write('\t');
    out.write(B64E.encode(message.getBytes(StandardCharsets.UTF_8)));
    out.write('\t');
    out.write(B64E.encode(stack.getBytes(StandardCharsets.UTF_8)));
    out.write('\n');
    out.flush();
  }
}
