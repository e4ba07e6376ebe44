package dev.kiln.api.registry;

import dev.kiln.api.KilnException;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Every serializable class by kind and Keras class name: layers, activations, losses, metrics,
 * optimizers, schedules, initializers, regularizers and constraints. Kiln's own classes are found
 * by themselves: each declares a {@code public static final KerasClass} field (or a list of them),
 * and the registry reads those fields from every class of the api. Users add their own classes with
 * {@link #register}.
 *
 * {@snippet :
 * Layer d = Registry.fromConfig(Kind.LAYER, "Dense", Map.of("units", 8));
 * Loss l = Registry.get(Kind.LOSS, "mse");
 * Registry.register(MyLayer.KERAS);
 * }
 */
public final class Registry {
  private Registry() {}

  private static final String ROOT = "dev/kiln/api/";

  private static final Map<Kind, Map<String, KerasClass<?>>> BY_NAME = new EnumMap<>(Kind.class);
  private static final Map<Kind, Map<String, KerasClass<?>>> BY_ALIAS = new EnumMap<>(Kind.class);
  private static final Map<Class<?>, KerasClass<?>> BY_TYPE = new HashMap<>();
  // Declarations registered by users: their serialized form names them in `registered_name`.
  private static final Set<KerasClass<?>> REGISTERED = new java.util.HashSet<>();
  private static final Map<Kind, Set<String>> COMMON =
      Map.of(
          Kind.LAYER,
          Set.of("name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape"),
          Kind.LOSS,
          Set.of("name", "reduction", "dtype"),
          Kind.METRIC,
          Set.of("name", "dtype"),
          Kind.OPTIMIZER,
          Set.of("name"));

  /** The keys every config of {@code kind} may have besides its declared arguments. */
  static Set<String> commonKeys(Kind kind) {
    return COMMON.getOrDefault(kind, Set.of());
  }

  private static final Set<Kind> DISCOVERED = java.util.EnumSet.noneOf(Kind.class);
  private static List<String> candidates;

  static {
    for (Kind k : Kind.values()) {
      BY_NAME.put(k, new TreeMap<>());
      BY_ALIAS.put(k, new LinkedHashMap<>());
    }
  }

  /**
   * Registers a class: its class name and aliases then find it, and configs of it can be read.
   * Registering a name again replaces the earlier class (a user's class may take a built-in's
   * name).
   */
  public static synchronized void register(KerasClass<?> declaration) {
    ensureDiscovered(declaration.kind());
    BY_NAME.get(declaration.kind()).put(declaration.className(), declaration);
    for (String a : declaration.aliases()) {
      BY_ALIAS.get(declaration.kind()).put(a, declaration);
    }
    BY_TYPE.put(declaration.type(), declaration);
    REGISTERED.add(declaration);
  }

  // A built-in declaration never replaces one a user registered under the same name.
  private static void putBuiltIn(KerasClass<?> d) {
    BY_NAME.get(d.kind()).putIfAbsent(d.className(), d);
    for (String a : d.aliases()) {
      BY_ALIAS.get(d.kind()).putIfAbsent(a, d);
    }
    BY_TYPE.putIfAbsent(d.type(), d);
  }

  /** The class names of one kind, sorted. */
  public static synchronized Set<String> classNames(Kind kind) {
    ensureDiscovered(kind);
    return Set.copyOf(BY_NAME.get(kind).keySet());
  }

  /** The class names of one kind that Kiln declares itself (not {@link #register}ed), sorted. */
  public static synchronized Set<String> builtInClassNames(Kind kind) {
    ensureDiscovered(kind);
    Set<String> out = new java.util.TreeSet<>();
    for (Map.Entry<String, KerasClass<?>> e : BY_NAME.get(kind).entrySet()) {
      if (!REGISTERED.contains(e.getValue())) {
        out.add(e.getKey());
      }
    }
    return out;
  }

  /** Every declaration of one kind. */
  public static synchronized List<KerasClass<?>> declarations(Kind kind) {
    ensureDiscovered(kind);
    return List.copyOf(BY_NAME.get(kind).values());
  }

  /**
   * The declaration of this class name or alias.
   *
   * @throws KilnException for an unknown name, naming the nearest known ones
   */
  public static synchronized KerasClass<?> declaration(Kind kind, String name) {
    ensureDiscovered(kind);
    KerasClass<?> d = BY_NAME.get(kind).get(name);
    if (d == null) {
      d = BY_ALIAS.get(kind).get(name);
    }
    if (d == null) {
      List<String> known = new ArrayList<>(BY_NAME.get(kind).keySet());
      known.addAll(BY_ALIAS.get(kind).keySet());
      throw new KilnException(
          "Unknown "
              + kind.noun()
              + " '"
              + name
              + "'"
              + Names.suggest(name, known)
              + ". Known: "
              + String.join(", ", BY_NAME.get(kind).keySet())
              + (BY_ALIAS.get(kind).isEmpty()
                  ? ""
                  : " (also by the names " + String.join(", ", BY_ALIAS.get(kind).keySet()) + ")")
              + (kind == Kind.LAYER ? "; register custom layers with Registry.register" : ""));
    }
    return d;
  }

  /** The declaration of a Java class (or its nearest declared superclass), or null. */
  public static synchronized KerasClass<?> declarationOf(Class<?> type) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      KerasClass<?> d = BY_TYPE.get(c);
      if (d == null) {
        d = declaredIn(c);
      }
      if (d != null) {
        return d;
      }
    }
    return null;
  }

  /**
   * The declaration of a Java class of {@code kind}, or, for a class that declares none (a user's
   * custom layer or loss), a declaration without arguments whose configs cannot rebuild it.
   */
  public static KerasClass<?> declarationOrBare(Kind kind, Class<?> type) {
    KerasClass<?> d = declarationOf(type);
    if (d != null) {
      return d;
    }
    String n = type.getSimpleName().isEmpty() ? kind.noun() : type.getSimpleName();
    return KerasClass.of(
        kind,
        n,
        type,
        a -> {
          throw new KilnException(
              kind.noun()
                  + " class "
                  + type.getName()
                  + " declares no KerasClass; declare one and Registry.register it to read its"
                  + " configs");
        });
  }

  /** An instance of this name or alias with default arguments ({@code "mse"}). */
  public static <T> T get(Kind kind, String name) {
    return fromConfig(kind, name, Map.of());
  }

  /**
   * An instance from its class name (or alias) and config, every value checked.
   *
   * @throws KilnException for an unknown class
   * @throws ArgumentException for a config the class does not take, naming the key
   */
  @SuppressWarnings("unchecked")
  public static <T> T fromConfig(Kind kind, String name, Map<String, Object> config) {
    if (name == null) {
      throw new KilnException(
          "a "
              + kind.noun()
              + " config needs a class name, got null"
              + (config == null ? "" : " (config " + config + ")"));
    }
    // A missing config means the defaults, as in deserialize.
    return (T) build(declaration(kind, name), name, config == null ? Map.of() : config);
  }

  /** An instance of {@code d} from a config; {@code name} is what the caller called the class. */
  static <T> T build(KerasClass<T> d, String name, Map<String, Object> config) {
    Object n = config.get("name");
    String owner = d.kind().noun() + " '" + (n instanceof String s ? s : name) + "'";
    Args args = Args.fromConfig(d, config, COMMON.getOrDefault(d.kind(), Set.of()), owner);
    T obj = d.create(args);
    if (obj instanceof KerasObject k) {
      k.args().setAll(args);
      k.readCommonConfig(config);
    }
    return obj;
  }

  /**
   * Reads Keras's serialized form: a name ({@code "relu"}, {@code "l2"}) or a map with {@code
   * class_name} and {@code config}; null stays null; an object of the kind passes through.
   *
   * @throws KilnException for anything else
   */
  @SuppressWarnings("unchecked")
  public static <T> T deserialize(Kind kind, Object spec) {
    if (spec == null) {
      return null;
    }
    if (spec instanceof String s) {
      return get(kind, s);
    }
    // Keras writes a registered activation function as {"class_name": "function", "config": name}.
    if (kind == Kind.ACTIVATION
        && spec instanceof Map<?, ?> m
        && m.get("config") instanceof String s) {
      return get(kind, s);
    }
    if (spec instanceof Map<?, ?> m && m.get("class_name") instanceof String cls) {
      Object c = m.get("config");
      if (c != null && !(c instanceof Map)) {
        throw new KilnException(
            "the config of " + kind.noun() + " '" + cls + "' must be a JSON object, got " + c);
      }
      return fromConfig(kind, cls, c == null ? Map.of() : (Map<String, Object>) c);
    }
    Class<?> base = baseOf(kind);
    if (base != null && base.isInstance(spec)) {
      return (T) spec;
    }
    throw new KilnException("cannot read a " + kind.noun() + " from " + spec);
  }

  /**
   * Keras's serialized form of an object: {@code {module, class_name, config, registered_name}}.
   */
  public static Map<String, Object> serialize(Kind kind, KerasObject obj) {
    if (obj == null) {
      return null;
    }
    return serialize(kind, obj.className(), obj.getConfig());
  }

  /**
   * Keras's serialized form of an object given by its class name and config (an initializer written
   * as a lambda, which has no declared arguments).
   */
  public static synchronized Map<String, Object> serialize(
      Kind kind, String className, Map<String, Object> config) {
    ensureDiscovered(kind);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("module", kind.module());
    m.put("class_name", className);
    m.put("config", config);
    KerasClass<?> d = BY_NAME.get(kind).get(className);
    boolean builtIn = d != null && !REGISTERED.contains(d);
    m.put("registered_name", builtIn ? null : className);
    return m;
  }

  /**
   * The config form of an object of {@code kind}: an activation's name, else {@link #serialize}.
   */
  public static Object write(Kind kind, Object obj) {
    if (obj == null) {
      return null;
    }
    if (obj instanceof KerasObject k) {
      return serialize(kind, k);
    }
    if (obj instanceof dev.kiln.api.activations.ActivationFunction f) {
      return f.name();
    }
    // Objects of the kinds whose interface admits lambdas: their own class name and config.
    if (obj instanceof dev.kiln.api.initializers.Initializer i) {
      return serialize(kind, i.className(), i.config());
    }
    if (obj instanceof dev.kiln.api.regularizers.Regularizer r) {
      return serialize(kind, r.className(), r.config());
    }
    if (obj instanceof dev.kiln.api.constraints.Constraint c) {
      return serialize(kind, c.className(), c.config());
    }
    if (obj instanceof dev.kiln.api.optimizers.schedules.LearningRateSchedule s) {
      return serialize(kind, s.className(), s.config());
    }
    throw new KilnException("cannot write " + obj + " as a " + kind.noun());
  }

  private static Class<?> baseOf(Kind kind) {
    Class<?> base =
        switch (kind) {
          case ACTIVATION -> dev.kiln.api.activations.ActivationFunction.class;
          case LOSS -> dev.kiln.api.losses.Loss.class;
          case METRIC -> dev.kiln.api.metrics.Metric.class;
          case OPTIMIZER -> dev.kiln.api.optimizers.Optimizer.class;
          case SCHEDULE -> dev.kiln.api.optimizers.schedules.LearningRateSchedule.class;
          case INITIALIZER -> dev.kiln.api.initializers.Initializer.class;
          case REGULARIZER -> dev.kiln.api.regularizers.Regularizer.class;
          case CONSTRAINT -> dev.kiln.api.constraints.Constraint.class;
          default -> null;
        };
    if (base != null) {
      return base;
    }
    for (KerasClass<?> d : BY_NAME.get(kind).values()) {
      Class<?> c = d.type();
      while (c.getSuperclass() != null
          && c.getSuperclass() != Object.class
          && !c.getSuperclass().getName().startsWith("java.")) {
        c = c.getSuperclass();
      }
      return c.isInterface() ? d.type() : c;
    }
    return null;
  }

  // ---------------------------------------------------------------- discovery

  /**
   * Loads the declarations of one kind: those of the classes in its package that name {@code
   * KerasClass} (the layers in {@code dev.kiln.api.layers}, the losses in {@code
   * dev.kiln.api.losses}, ...), so that a program that only builds layers never loads the metrics.
   */
  private static void ensureDiscovered(Kind kind) {
    if (!DISCOVERED.add(kind)) {
      return;
    }
    if (candidates == null) {
      candidates = apiClassNames();
    }
    String prefix = packageOf(kind);
    for (String cls : candidates) {
      if (!cls.startsWith(prefix)) {
        continue;
      }
      try {
        Class<?> c = Class.forName(cls, false, Registry.class.getClassLoader());
        KerasClass<?> own = declaredIn(c);
        if (own != null) {
          putBuiltIn(own);
        }
        for (KerasClass<?> d : listedIn(c)) {
          putBuiltIn(d);
        }
      } catch (ReflectiveOperationException | LinkageError e) {
        throw new KilnException("cannot read the declarations of " + cls + ": " + e, e);
      }
    }
  }

  /** The package whose classes declare the built-ins of {@code kind}. */
  static String packageOf(Kind kind) {
    return "dev.kiln.api."
        + switch (kind) {
          case LAYER -> "layers.";
          case ACTIVATION -> "activations.";
          case LOSS -> "losses.";
          case METRIC -> "metrics.";
          case OPTIMIZER -> "optimizers.";
          case SCHEDULE -> "optimizers.schedules.";
          case INITIALIZER -> "initializers.";
          case REGULARIZER -> "regularizers.";
          case CONSTRAINT -> "constraints.";
        };
  }

  private static KerasClass<?> declaredIn(Class<?> c) {
    for (Field f : c.getDeclaredFields()) {
      int mod = f.getModifiers();
      if (Modifier.isStatic(mod)
          && Modifier.isPublic(mod)
          && f.getType() == KerasClass.class
          && Modifier.isPublic(c.getModifiers())) {
        try {
          KerasClass<?> d = (KerasClass<?>) f.get(null);
          if (d != null && d.type() == c) {
            return d;
          }
        } catch (IllegalAccessException e) {
          throw new KilnException("cannot read " + c.getName() + "." + f.getName(), e);
        }
      }
    }
    return null;
  }

  private static List<KerasClass<?>> listedIn(Class<?> c) throws IllegalAccessException {
    List<KerasClass<?>> out = new ArrayList<>();
    for (Field f : c.getDeclaredFields()) {
      int mod = f.getModifiers();
      if (Modifier.isStatic(mod)
          && Modifier.isPublic(mod)
          && Collection.class.isAssignableFrom(f.getType())
          && f.getGenericType().getTypeName().contains(KerasClass.class.getName())) {
        for (Object o : (Collection<?>) f.get(null)) {
          out.add((KerasClass<?>) o);
        }
      }
    }
    return out;
  }

  private static List<String> apiClassNames() {
    List<String> out = new ArrayList<>();
    Path where;
    try {
      where = Path.of(Registry.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | NullPointerException | IllegalArgumentException e) {
      throw new KilnException("cannot locate the api's classes to find its declarations", e);
    }
    try {
      if (Files.isDirectory(where)) {
        Path root = where.resolve(ROOT);
        try (Stream<Path> files = Files.walk(root)) {
          for (Path p : files.toList()) {
            String rel = where.relativize(p).toString().replace('\\', '/');
            if (isClassFile(rel) && mentionsDeclarations(Files.readAllBytes(p))) {
              out.add(className(rel));
            }
          }
        }
      } else {
        try (JarFile jar = new JarFile(where.toFile())) {
          for (JarEntry e : java.util.Collections.list(jar.entries())) {
            if (e.getName().startsWith(ROOT) && isClassFile(e.getName())) {
              try (java.io.InputStream in = jar.getInputStream(e)) {
                if (mentionsDeclarations(in.readAllBytes())) {
                  out.add(className(e.getName()));
                }
              }
            }
          }
        }
      }
    } catch (IOException e) {
      throw new KilnException("cannot list the api's classes in " + where, e);
    }
    java.util.Collections.sort(out);
    return out;
  }

  private static final byte[] DECLARATION_TYPE =
      "Ldev/kiln/api/registry/KerasClass".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /**
   * Whether a class file names the declaration type in a descriptor or signature: only those
   * classes are loaded, so discovery neither loads the whole api nor links classes whose optional
   * dependencies are missing.
   */
  private static boolean mentionsDeclarations(byte[] classFile) {
    outer:
    for (int i = 0; i + DECLARATION_TYPE.length <= classFile.length; i++) {
      for (int j = 0; j < DECLARATION_TYPE.length; j++) {
        if (classFile[i + j] != DECLARATION_TYPE[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static boolean isClassFile(String p) {
    return p.endsWith(".class") && !p.endsWith("package-info.class") && !p.contains("$$");
  }

  private static String className(String path) {
    return path.substring(0, path.length() - ".class".length()).replace('/', '.');
  }
}
