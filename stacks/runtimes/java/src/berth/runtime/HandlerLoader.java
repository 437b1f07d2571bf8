package berth.runtime;

import berth.Context;
import berth.Handler;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Resolves {@code BERTH_HANDLER} = {@code FILE[:FUNCTION]} against the code directory (see README.md):
 * FILE is a {@code .java} source (compiled in memory) or a binary class name found in the package's
 * {@code classes/}, {@code *.jar} or {@code lib/*.jar}; FUNCTION names a
 * {@code public static Object FUNCTION(byte[], berth.Context)} method of that class (non-public static
 * ones are accepted too), or is empty and
 * the class implements {@link Handler} with a no-arg constructor.
 */
final class HandlerLoader {
  private static final MethodType CALL = MethodType.methodType(Object.class, byte[].class, Context.class);

  private HandlerLoader() {}

  static Invocable load(String spec, Path codeDir) throws Throwable {
    if (spec == null || spec.isBlank()) throw new LoadError("BERTH_HANDLER is not set (expected FILE[:FUNCTION])");
    int colon = spec.indexOf(':');
    String file = (colon < 0 ? spec : spec.substring(0, colon)).trim();
    String function = colon < 0 ? "" : spec.substring(colon + 1).trim();
    if (file.isEmpty()) throw new LoadError("handler \"" + spec + "\" names no file or class");

    List<Path> deps = dependencies(codeDir);
    URL[] urls = new URL[deps.size()];
    for (int i = 0; i < urls.length; i++) urls[i] = deps.get(i).toUri().toURL();
    ClassLoader depLoader = new URLClassLoader("berth-deps", urls, HandlerLoader.class.getClassLoader());

    Class<?> cls;
    if (file.endsWith(".java")) {
      Path src = codeDir.resolve(file).normalize();
      if (!Files.isRegularFile(src)) throw new LoadError("handler file " + file + " not found in " + codeDir);
      cls = SourceCompiler.compile(src, deps, depLoader);
    } else {
      try {
        cls = Class.forName(file, true, depLoader);
      } catch (ClassNotFoundException e) {
        throw new LoadError("class " + file + " not found (looked in " + codeDir + "/classes/, *.jar and lib/*.jar)");
      }
    }
    Thread.currentThread().setContextClassLoader(cls.getClassLoader());
    return function.isEmpty() ? instance(cls) : staticMethod(cls, function);
  }

  /** {@code classes/} (when present), then {@code *.jar}, then {@code lib/*.jar}, each sorted by name. */
  static List<Path> dependencies(Path codeDir) throws IOException {
    List<Path> out = new ArrayList<>();
    Path classes = codeDir.resolve("classes");
    if (Files.isDirectory(classes)) out.add(classes);
    out.addAll(jars(codeDir));
    out.addAll(jars(codeDir.resolve("lib")));
    return out;
  }

  private static List<Path> jars(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p)).sorted().toList();
    }
  }

  private static Invocable instance(Class<?> cls) throws Throwable {
    if (!Handler.class.isAssignableFrom(cls)) {
      throw new LoadError(cls.getName() + " does not implement berth.Handler (or name a method: FILE:METHOD)");
    }
    Constructor<?> ctor;
    try {
      ctor = cls.getDeclaredConstructor();
    } catch (NoSuchMethodException e) {
      throw new LoadError(cls.getName() + " has no no-arg constructor");
    }
    ctor.setAccessible(true);
    Handler h;
    try {
      h = (Handler) ctor.newInstance();
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
    return h::handle;
  }

  private static Invocable staticMethod(Class<?> cls, String name) throws LoadError, IllegalAccessException {
    // Public ones (inherited included) first, then the class's own non-public ones.
    Method found = null;
    for (Method m : cls.getMethods()) {
      if (m.getName().equals(name) && Modifier.isStatic(m.getModifiers()) && takesCall(m)) found = m;
    }
    for (Method m : cls.getDeclaredMethods()) {
      if (found == null && m.getName().equals(name) && Modifier.isStatic(m.getModifiers()) && takesCall(m)) found = m;
    }
    if (found == null) {
      boolean named = false;
      for (Method m : cls.getDeclaredMethods()) named |= m.getName().equals(name);
      throw new LoadError((named ? "method " + name + " of " + cls.getName() + " has the wrong signature"
          : "no method " + name + " in " + cls.getName())
          + ": expected public static Object " + name + "(byte[] payload, berth.Context ctx)");
    }
    found.setAccessible(true);
    MethodHandle mh = MethodHandles.lookup().unreflect(found).asType(CALL);
    return (payload, ctx) -> mh.invokeExact(payload, ctx);
  }

  private static boolean takesCall(Method m) {
    Class<?>[] p = m.getParameterTypes();
    return p.length == 2 && p[0] == byte[].class && p[1].isAssignableFrom(Context.class);
  }
}
