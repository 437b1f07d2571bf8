package berth.runtime;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The Java function runtime (docs/function-runtimes.md §2): loads {@code BERTH_HANDLER} from the
 * working directory once, answers {@code L} (or {@code E} and exits 1), then serves {@code C} lines
 * from fd 3 one at a time until EOF (exit 0). Per call: run the handler, map its value, flush
 * System.out/System.err, write the marker to fd 1 and fd 2, then the {@code R}/{@code E} reply to fd 4.
 */
public final class Main {
  /** The process's real stdout/stderr, kept in case a handler replaces System.out/System.err. */
  private static final PrintStream STDOUT = System.out;
  private static final PrintStream STDERR = System.err;

  private Main() {}

  public static void main(String[] args) throws IOException {
    Wire wire = Wire.open();
    Invocable handler;
    try {
      handler = HandlerLoader.load(System.getenv("BERTH_HANDLER"), Path.of("").toAbsolutePath());
    } catch (LoadError e) {
      flushStreams();
      wire.error(e.getMessage(), e.detail);
      System.exit(1);
      return;
    } catch (Throwable t) {
      Throwable e = unwrap(t);
      if (e instanceof ExceptionInInitializerError && e.getCause() != null) e = e.getCause();
      flushStreams();
      wire.error("loading the handler failed: " + e, stackText(e));
      System.exit(1);
      return;
    }
    flushStreams();
    wire.loaded();
    serve(wire, handler);
    System.exit(0);
  }

  /** The call loop; returns at EOF on fd 3. */
  static void serve(Wire wire, Invocable handler) throws IOException {
    while (wire.next()) {
      Wire.Call call;
      try {
        call = wire.parse();
      } catch (Wire.BadLine bad) {
        if (bad.marker != null) markers(bad.marker);
        wire.error("berth runtime: " + bad.getMessage(), "");
        continue;
      }
      String kind = null;
      byte[] value = null;
      String errMessage = null;
      String errStack = null;
      try {
        Object v = handler.call(call.payload(), new CallContext(call.taskId(), call.attempt(), call.labels(),
            call.deadlineMs(), wire));
        if (v == null) {
          kind = "null";
        } else if (v instanceof byte[] b) {
          kind = "bytes";
          value = b;
        } else if (v instanceof String s) {
          kind = "string";
          value = s.getBytes(StandardCharsets.UTF_8);
        } else {
          value = Json.write(v);
          kind = "json";
        }
      } catch (Json.NotSerializable e) {
        errMessage = e.getMessage();
        errStack = "";
      } catch (Throwable t) {
        Throwable e = unwrap(t);
        errMessage = e.toString();
        errStack = stackText(e);
      }
      markers(call.marker());
      if (kind != null) {
        wire.result(kind, value);
      } else {
        wire.error(errMessage, errStack);
      }
    }
  }

  /** Flushes the handler's streams, then writes {@code \x1e marker \x1e} to fd 1 and fd 2. */
  private static void markers(byte[] marker) {
    flushStreams();
    byte[] m = new byte[marker.length + 2];
    m[0] = 0x1e;
    System.arraycopy(marker, 0, m, 1, marker.length);
    m[m.length - 1] = 0x1e;
    STDOUT.write(m, 0, m.length);
    STDOUT.flush();
    STDERR.write(m, 0, m.length);
    STDERR.flush();
  }

  private static void flushStreams() {
    System.out.flush();
    System.err.flush();
    STDOUT.flush();
    STDERR.flush();
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof InvocationTargetException || t instanceof UndeclaredThrowableException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * The stack trace text of {@code t}, without the runtime's own frames at its bottom (the runtime's
   * loop, reflection and method-handle plumbing below the handler's first frame).
   */
  static String stackText(Throwable t) {
    StackTraceElement[] st = t.getStackTrace();
    int keep = st.length;
    while (keep > 0 && plumbing(st[keep - 1].getClassName())) keep--;
    if (keep > 0 && keep < st.length) t.setStackTrace(Arrays.copyOf(st, keep));
    StringWriter sw = new StringWriter();
    t.printStackTrace(new PrintWriter(sw));
    return sw.toString();
  }

  private static boolean plumbing(String cls) {
    return cls.startsWith("berth.runtime.") || cls.startsWith("jdk.internal.reflect.")
        || cls.startsWith("java.lang.reflect.") || cls.startsWith("java.lang.invoke.")
        || cls.startsWith("com.sun.tools.javac.") || cls.startsWith("java.lang.Class");
  }
}
