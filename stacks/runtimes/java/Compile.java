import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Build-time compiler of the Java runtime, run in source-launcher mode by ./build
 * ({@code java Compile.java SRC_DIR OUT_JAR}): the stack images have a JRE (no javac binary), so this
 * uses the in-process compiler (javax.tools, module jdk.compiler) to compile every .java under
 * SRC_DIR for the running JVM and writes the classes and the sources of the public API (berth/*.java,
 * for reference) into OUT_JAR. Exits non-zero with the compiler's messages on failure.
 */
public class Compile {
  public static void main(String[] args) throws IOException {
    if (args.length != 2) throw new IllegalArgumentException("usage: java Compile.java SRC_DIR OUT_JAR");
    Path src = Path.of(args[0]);
    Path jar = Path.of(args[1]);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac == null) {
      System.err.println("Compile: this JVM has no Java compiler (module jdk.compiler)");
      System.exit(2);
    }
    List<String> sources;
    try (Stream<Path> s = Files.walk(src)) {
      sources = s.filter(p -> p.toString().endsWith(".java")).map(Path::toString).sorted().toList();
    }
    Path classes = Files.createTempDirectory("berth-classes");
    try {
      String[] argv = Stream.concat(Stream.of("-d", classes.toString(), "-g", "-proc:none", "-encoding", "UTF-8",
          "-Xlint:all,-serial"), sources.stream()).toArray(String[]::new);
      if (javac.run(null, null, null, argv) != 0) System.exit(1);
      Manifest mf = new Manifest();
      mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
      mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "berth.runtime.Main");
      Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
      try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(tmp), mf)) {
        add(out, classes, p -> true);
        add(out, src, p -> p.getParent() != null && p.getParent().toString().equals("berth"));
      }
      Files.move(tmp, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } finally {
      try (Stream<Path> s = Files.walk(classes)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Adds the regular files under {@code root} whose relative path passes {@code keep}, sorted. */
  private static void add(JarOutputStream out, Path root, java.util.function.Predicate<Path> keep)
      throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(Files::isRegularFile).filter(p -> keep.test(root.relativize(p))).sorted().toList();
    }
    for (Path p : files) {
      JarEntry e = new JarEntry(root.relativize(p).toString().replace('\\', '/'));
      out.putNextEntry(e);
      Files.copy(p, out);
      out.closeEntry();
    }
  }
}
