package berth.runtime;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A training run for the class-data-sharing archive the build script dumps: compiles and loads a
 * sample handler in both forms and serves a few calls of every result kind through an in-memory
 * wire, so that the classes a real runtime start needs (the compiler's included) get listed.
 */
final class Train {
  private static final String SOURCE = """
      import berth.Context;
      import java.util.List;
      import java.util.Map;

      public class Sample implements berth.Handler {
        record Point(int x, double y) {}

        public Object handle(byte[] payload, Context ctx) throws Exception {
          return switch (payload.length) {
            case 0 -> null;
            case 1 -> payload;
            case 2 -> "two " + ctx.taskId() + ctx.labels() + ctx.remainingMs();
            case 3 -> throw new IllegalStateException("three");
            default -> Map.of("n", payload.length, "list", List.of(1, 2.5, true, "s"), "p", new Point(1, 2));
          };
        }

        public static Object run(byte[] payload, Context ctx) throws Exception {
          return new Sample().handle(payload, ctx);
        }
      }
      """;

  private Train() {}

  public static void main(String[] args) throws Throwable {
    Path code = Files.createTempDirectory("berth-train");
    try {
      Files.writeString(code.resolve("Sample.java"), SOURCE);
      for (String spec : new String[] {"Sample.java", "Sample.java:run"}) {
        Main.serve(new Wire(new ByteArrayInputStream(calls()), new ByteArrayOutputStream()),
            HandlerLoader.load(spec, code));
      }
    } finally {
      try (Stream<Path> s = Files.walk(code)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static byte[] calls() throws IOException {
    Base64.Encoder b64 = Base64.getEncoder();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int n = 0; n < 6; n++) {
      String line = "C\t" + b64.encodeToString("task".getBytes(StandardCharsets.UTF_8)) + "\t1\t"
          + (System.currentTimeMillis() + 60_000) + "\t" + b64.encodeToString("k".getBytes(StandardCharsets.UTF_8))
          + ":" + b64.encodeToString("v".getBytes(StandardCharsets.UTF_8)) + "\t" + b64.encodeToString(new byte[n])
          + "\t" + "0".repeat(32) + "\n";
      out.write(line.getBytes(StandardCharsets.US_ASCII));
    }
    out.write("X\tbad\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }
}
