package berth.runtime;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;

import com.sun.source.tree.Tree;
import com.sun.source.util.JavacTask;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;
import javax.lang.model.element.Modifier;

/**
 * Compiles a handler's {@code .java} file in memory with the JVM's own compiler (javax.tools, module
 * jdk.compiler — present in the JRE images, which have no javac binary) and loads it. Class path:
 * the runtime jar (the berth API) plus the package's dependencies; source path: the file's source
 * root, so other sources of the package it references are compiled along with it. The class
 * returned is the file's public top-level class (else the one named like the file, else its first).
 */
final class SourceCompiler {
  private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
  private static final Pattern COMMENTS = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

  private SourceCompiler() {}

  static Class<?> compile(Path file, List<Path> classPath, ClassLoader parent) throws LoadError, IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac == null) throw new LoadError("this JVM has no Java compiler (module jdk.compiler) to compile " + file);
    String source = Files.readString(file, StandardCharsets.UTF_8);
    Path root = sourceRoot(file, packageOf(source));

    DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
    StandardJavaFileManager std = javac.getStandardFileManager(diags, Locale.ROOT, StandardCharsets.UTF_8);
    List<File> cp = new ArrayList<>();
    for (String p : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
      if (!p.isEmpty()) cp.add(new File(p));
    }
    for (Path p : classPath) cp.add(p.toFile());
    std.setLocation(StandardLocation.CLASS_PATH, cp);
    std.setLocation(StandardLocation.SOURCE_PATH, List.of(root.toFile()));
    MemoryFileManager fm = new MemoryFileManager(std);

    List<String> options = List.of("-proc:none", "-g", "-parameters", "-implicit:class", "-Xlint:none", "-nowarn");
    StringWriter extra = new StringWriter();
    JavacTask task = (JavacTask) javac.getTask(extra, fm, diags, options, null, std.getJavaFileObjects(file.toFile()));
    String className = null;
    boolean ok;
    try {
      for (CompilationUnitTree unit : task.parse()) className = mainClass(unit, file);
      task.generate();
      ok = diags.getDiagnostics().stream().noneMatch(d -> d.getKind() == Diagnostic.Kind.ERROR);
    } catch (RuntimeException e) {
      throw new LoadError("the Java compiler failed on " + file.getFileName() + ": " + e, report(diags, extra));
    }
    if (!ok) throw new LoadError("compilation of " + file.getFileName() + " failed", report(diags, extra));
    if (className == null) throw new LoadError(file.getFileName() + " declares no class");
    MemoryClassLoader loader = new MemoryClassLoader(fm.classes, parent);
    try {
      return Class.forName(className, true, loader);
    } catch (ClassNotFoundException e) {
      throw new LoadError("compiled " + file.getFileName() + " but found no class " + className);
    }
  }

  /** The package a source declares ("" for none), read before parsing to pick the source root. */
  static String packageOf(String source) {
    Matcher m = PACKAGE.matcher(COMMENTS.matcher(source).replaceAll(" "));
    return m.find() ? m.group(1) : "";
  }

  /** The directory the package's directories start from when the file sits where its package says, else its own. */
  static Path sourceRoot(Path file, String pkg) {
    Path dir = file.toAbsolutePath().getParent();
    if (pkg.isEmpty()) return dir;
    Path rel = Path.of(pkg.replace('.', File.separatorChar));
    return dir.endsWith(rel) ? dir.getRoot().resolve(dir.subpath(0, dir.getNameCount() - rel.getNameCount())) : dir;
  }

  private static String mainClass(CompilationUnitTree unit, Path file) {
    String pkg = unit.getPackageName() == null ? "" : unit.getPackageName().toString() + ".";
    String base = file.getFileName().toString().replaceFirst("\\.java$", "");
    String first = null;
    String named = null;
    for (Tree t : unit.getTypeDecls()) {
      if (!(t instanceof ClassTree c)) continue;
      String name = c.getSimpleName().toString();
      if (c.getModifiers().getFlags().contains(Modifier.PUBLIC)) return pkg + name;
      if (name.equals(base)) named = name;
      if (first == null) first = name;
    }
    String pick = named != null ? named : first;
    return pick == null ? null : pkg + pick;
  }

  private static String report(DiagnosticCollector<JavaFileObject> diags, StringWriter extra) {
    StringBuilder sb = new StringBuilder();
    for (Diagnostic<? extends JavaFileObject> d : diags.getDiagnostics()) {
      if (d.getKind() != Diagnostic.Kind.ERROR) continue;
      String where = d.getSource() == null ? "" : Path.of(d.getSource().toUri()).getFileName() + ":" + d.getLineNumber() + ": ";
      sb.append(where).append("error: ").append(d.getMessage(Locale.ROOT)).append('\n');
    }
    sb.append(extra);
    return sb.toString();
  }

  /** Keeps class files in memory instead of writing them. */
  private static final class MemoryFileManager extends ForwardingJavaFileManager<JavaFileManager> {
    final Map<String, byte[]> classes = new ConcurrentHashMap<>();

    MemoryFileManager(JavaFileManager inner) {
      super(inner);
    }

    @Override
    public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
        FileObject sibling) throws IOException {
      if (kind != JavaFileObject.Kind.CLASS) return super.getJavaFileForOutput(location, className, kind, sibling);
      URI uri = URI.create("mem:///" + className.replace('.', '/') + ".class");
      return new SimpleJavaFileObject(uri, kind) {
        @Override
        public OutputStream openOutputStream() {
          return new ByteArrayOutputStream() {
            @Override
            public void close() {
              classes.put(className, toByteArray());
            }
          };
        }
      };
    }
  }

  /** Defines the compiled classes; everything else comes from the parent (dependencies, then the runtime). */
  private static final class MemoryClassLoader extends ClassLoader {
    private final Map<String, byte[]> classes;

    MemoryClassLoader(Map<String, byte[]> classes, ClassLoader parent) {
      super("berth-handler", parent);
      this.classes = classes;
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
      byte[] b = classes.get(name);
      if (b == null) throw new ClassNotFoundException(name);
      return defineClass(name, b, 0, b.length);
    }
  }
}
