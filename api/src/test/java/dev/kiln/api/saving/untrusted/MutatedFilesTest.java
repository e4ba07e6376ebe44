package dev.kiln.api.saving.untrusted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.KilnException;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Models;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.saving.ModelFiles;
import dev.kiln.api.saving.configs.JsonText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutation fuzzing of every reader: valid files (Kiln-written and third-party samples) are
 * damaged by bit flips, truncations, JSON type swaps, deleted and duplicated keys, huge and
 * negative numbers, and each mutant must load or fail with a clear error in bounded time, leaving
 * every other file as it was.
 */
class MutatedFilesTest {
  private static final long SEED = 0x5EED14L;

  /** Guards against hangs; no case comes near it when the readers bound their work. */
  private static final long CASE_LIMIT_SECONDS = 2;

  private static ExecutorService runner;

  @BeforeAll
  static void start() {
    runner =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "mutated-files");
              t.setDaemon(true);
              return t;
            });
  }

  @AfterAll
  static void stop() {
    runner.shutdownNow();
  }

  interface Load {
    void run() throws Exception;
  }

  /** The failures of a run of cases, grouped by kind so a report stays short. */
  static final class Outcomes {
    final Map<String, String> crashes = new TreeMap<>();
    int cases;
    int loaded;
    int refused;

    void run(String label, Load load) {
      cases++;
      Future<?> f =
          runner.submit(
              () -> {
                load.run();
                return null;
              });
      try {
        f.get(CASE_LIMIT_SECONDS, TimeUnit.SECONDS);
        loaded++;
      } catch (TimeoutException e) {
        f.cancel(true);
        crashes.putIfAbsent("timeout", label);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      } catch (ExecutionException e) {
        String bad = unclear(e.getCause());
        if (bad == null) {
          refused++;
        } else {
          crashes.putIfAbsent(bad, label + ": " + trace(e.getCause()));
        }
      }
    }

    private static String trace(Throwable t) {
      StringBuilder s = new StringBuilder(String.valueOf(t));
      for (Throwable c = t; c != null; c = c.getCause()) {
        s.append("\n  caused by ").append(c);
        StackTraceElement[] st = c.getStackTrace();
        for (int i = 0; i < Math.min(8, st.length); i++) {
          s.append("\n    at ").append(st[i]);
        }
        if (c.getCause() == c) {
          break;
        }
      }
      return s.toString();
    }

    void assertClean() {
      assertTrue(crashes.isEmpty(), "unclear failures (kind -> first case):\n" + report());
    }

    String report() {
      StringBuilder s = new StringBuilder();
      crashes.forEach((k, v) -> s.append(k).append(" -> ").append(v).append('\n'));
      return s.toString();
    }
  }

  private static final List<Class<? extends Throwable>> CRASHES =
      List.of(
          NullPointerException.class,
          ClassCastException.class,
          IndexOutOfBoundsException.class,
          NegativeArraySizeException.class,
          ArithmeticException.class,
          ArrayStoreException.class,
          IllegalStateException.class,
          UnsupportedOperationException.class,
          VirtualMachineError.class);

  /**
   * Null when {@code t} is a clear refusal: a KilnException, IOException or
   * IllegalArgumentException with a message that is not just a parser's class name, caused by
   * nothing that is itself a programming error (a wrapped NullPointerException is still a crash).
   */
  static String unclear(Throwable t) {
    if (!(t instanceof KilnException
        || t instanceof IOException
        || t instanceof IllegalArgumentException)) {
      return t.getClass().getName();
    }
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      return t.getClass().getSimpleName() + " without a message";
    }
    if (m.matches("^[a-z]+(\\.[a-zA-Z0-9_$]+)+(Exception|Error).*")) {
      return t.getClass().getSimpleName() + " whose message is a raw class name";
    }
    // A programming error that Kiln's own code caught and wrapped is still a crash; one a library
    // wrapped in its own exception (jhdf's HdfException) was already turned into a message.
    Throwable c = t.getCause();
    while (c instanceof KilnException && c.getCause() != c) {
      c = c.getCause();
    }
    for (Class<? extends Throwable> k : CRASHES) {
      if (k.isInstance(c) && !fromHdf5Parser(c)) {
        return t.getClass().getSimpleName() + " wrapping " + c.getClass().getName();
      }
    }
    return null;
  }

  /** True when io.jhdf threw it while parsing bytes: Kiln reported the file as damaged. */
  private static boolean fromHdf5Parser(Throwable c) {
    for (StackTraceElement e : c.getStackTrace()) {
      String k = e.getClassName();
      if (!k.startsWith("java.") && !k.startsWith("jdk.")) {
        return k.startsWith("io.jhdf.");
      }
    }
    return false;
  }

  // ---- inputs

  private static Model functional() {
    KerasTensor in = Input.of(4);
    KerasTensor h = new Dense(6, "tanh").apply(in);
    return Model.of(in, new Dense(2).apply(h));
  }

  private static Model sequential() {
    return new Sequential(Input.of(3), new Dense(5, "relu"), new Dense(1));
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in =
        MutatedFilesTest.class.getResourceAsStream("/keras-config-samples/" + name)) {
      if (in == null) {
        throw new IllegalStateException("no test resource " + name);
      }
      return in.readAllBytes();
    }
  }

  // ---- mutations

  /** One byte-level mutation: bit flips, a truncation, a cut-out, or a run of 0xFF bytes. */
  static byte[] mutateBytes(byte[] in, Random r) {
    byte[] b = in.clone();
    switch (r.nextInt(4)) {
      case 0 -> {
        int flips = 1 + r.nextInt(8);
        for (int i = 0; i < flips; i++) {
          int at = r.nextInt(b.length);
          b[at] ^= (byte) (1 << r.nextInt(8));
        }
        return b;
      }
      case 1 -> {
        return java.util.Arrays.copyOf(b, r.nextInt(b.length));
      }
      case 2 -> {
        int from = r.nextInt(b.length);
        int to = Math.min(b.length, from + 1 + r.nextInt(64));
        byte[] out = new byte[b.length - (to - from)];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(b, to, out, from, b.length - to);
        return out;
      }
      default -> {
        int at = r.nextInt(b.length);
        int n = Math.min(b.length - at, 1 + r.nextInt(8));
        for (int i = 0; i < n; i++) {
          b[at + i] = (byte) 0xFF;
        }
        return b;
      }
    }
  }

  private static final Object[] ODD_VALUES = {
    -1,
    0,
    -7,
    Integer.MAX_VALUE,
    Long.MAX_VALUE,
    1e300,
    -1e300,
    Double.NaN,
    1_000_000_000_000L,
    "",
    "x",
    "relu",
    null,
    true,
    List.of(),
    List.of(-1, -1),
    Map.of(),
    List.of(List.of())
  };

  /** One structural mutation of a parsed JSON tree, in place; returns what it did. */
  @SuppressWarnings("unchecked")
  static String mutateTree(Object root, Random r) {
    List<Object[]> slots = new ArrayList<>();
    collect(root, slots);
    if (slots.isEmpty()) {
      return "none";
    }
    Object[] slot = slots.get(r.nextInt(slots.size()));
    Object parent = slot[0];
    Object key = slot[1];
    Object old =
        parent instanceof Map<?, ?> m ? m.get(key) : ((List<Object>) parent).get((int) key);
    Object repl;
    String what;
    switch (r.nextInt(5)) {
      case 0 -> {
        if (parent instanceof Map<?, ?> m) {
          ((Map<Object, Object>) m).remove(key);
        } else {
          ((List<Object>) parent).remove((int) key);
        }
        return "delete " + key;
      }
      case 1 -> {
        repl = swapType(old, r);
        what = "swap type of " + key;
      }
      case 2 -> {
        repl = ODD_VALUES[r.nextInt(ODD_VALUES.length)];
        what = "odd value at " + key;
      }
      case 3 -> {
        repl = old instanceof Number n ? -Math.abs(n.longValue()) - 1 : List.of(-1, 10_000_000);
        what = "negative at " + key;
      }
      default -> {
        repl = old instanceof Number ? 10_000_000_000L : List.of(10_000_000, 10_000_000);
        what = "huge at " + key;
      }
    }
    // Later mutations may edit inside the replacement, so it must be a mutable copy.
    repl = deepCopy(repl);
    if (parent instanceof Map<?, ?> m) {
      ((Map<Object, Object>) m).put(key, repl);
    } else {
      ((List<Object>) parent).set((int) key, repl);
    }
    return what;
  }

  private static Object swapType(Object v, Random r) {
    if (v instanceof Number n) {
      return r.nextBoolean() ? String.valueOf(n) : List.of(n);
    }
    if (v instanceof String s) {
      return r.nextBoolean() ? (Object) s.length() : Map.of("value", s);
    }
    if (v instanceof List<?> l) {
      return r.nextBoolean() ? l.size() : Map.of("0", l.isEmpty() ? 0 : String.valueOf(l.get(0)));
    }
    if (v instanceof Map<?, ?> m) {
      return r.nextBoolean() ? new ArrayList<>(m.values()) : String.valueOf(m.keySet());
    }
    return r.nextBoolean() ? "null" : 0;
  }

  @SuppressWarnings("unchecked")
  private static void collect(Object node, List<Object[]> slots) {
    if (node instanceof Map<?, ?> m) {
      for (Object k : new ArrayList<>(m.keySet())) {
        slots.add(new Object[] {m, k});
        collect(m.get(k), slots);
      }
    } else if (node instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        slots.add(new Object[] {l, i});
        collect(l.get(i), slots);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Object deepCopy(Object v) {
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> c = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        c.put(e.getKey(), deepCopy(e.getValue()));
      }
      return c;
    }
    if (v instanceof List<?> l) {
      List<Object> c = new ArrayList<>();
      for (Object x : l) {
        c.add(deepCopy(x));
      }
      return c;
    }
    return v;
  }

  /** A JSON text mutant: structural most of the time, sometimes textual (bytes, duplicate key). */
  static String mutateJson(String text, Object tree, Random r) {
    int kind = r.nextInt(10);
    if (kind < 6) {
      Object copy = deepCopy(tree);
      int n = 1 + r.nextInt(3);
      for (int i = 0; i < n; i++) {
        mutateTree(copy, r);
      }
      return JsonText.write(copy, false);
    }
    if (kind < 8) {
      return new String(
          mutateBytes(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), r),
          java.nio.charset.StandardCharsets.UTF_8);
    }
    // A duplicated key: repeat the first member of some object.
    int brace = text.indexOf('{', r.nextInt(Math.max(1, text.length() / 2)));
    if (brace < 0) {
      brace = text.indexOf('{');
    }
    int colon = text.indexOf(':', brace);
    int comma = text.indexOf(',', colon);
    if (colon < 0 || comma < 0) {
      return text + "}";
    }
    String member = text.substring(brace + 1, comma);
    return text.substring(0, brace + 1) + member + "," + text.substring(brace + 1);
  }

  // ---- file snapshot

  private static Map<String, String> hashes(Path dir) throws Exception {
    Map<String, String> out = new TreeMap<>();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        out.put(
            dir.relativize(p).toString(),
            HexFormat.of().formatHex(sha.digest(Files.readAllBytes(p))));
      }
    }
    return out;
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  // ---- the cases

  @Test
  void mutatedConfigsBuildOrFailClearly() throws Exception {
    Map<String, String> sources = new LinkedHashMap<>();
    sources.put("kiln functional", functional().toJson());
    sources.put("kiln sequential", sequential().toJson());
    sources.put("keras2", new String(resource("keras2-json/dl4j_simple_add_tf_keras_2.json")));
    sources.put("keras2 lstm", new String(resource("keras2-json/kotlindl_lstm_model.json")));
    sources.put("keras1", new String(resource("keras1-json/dl4j_keras1_mlp_fapi_config.json")));
    Random r = new Random(SEED);
    Outcomes o = new Outcomes();
    for (Map.Entry<String, String> e : sources.entrySet()) {
      Object tree = JsonText.parse(e.getValue(), e.getKey());
      for (int i = 0; i < 300; i++) {
        String mutant = mutateJson(e.getValue(), tree, r);
        o.run(e.getKey() + " #" + i + " " + abbreviate(mutant), () -> Models.fromJson(mutant));
      }
    }
    System.out.println(
        "configs: "
            + o.cases
            + " cases, "
            + o.loaded
            + " built, "
            + o.refused
            + " refused\n"
            + o.report());
    o.assertClean();
  }

  @Test
  void mutatedModelFilesLoadOrFailClearly(@TempDir Path dir) throws Exception {
    Path originals = Files.createDirectories(dir.resolve("originals"));
    Path cases = Files.createDirectories(dir.resolve("cases"));
    Model f = functional();
    f.save(originals.resolve("m.keras"));
    f.saveWeights(originals.resolve("m.weights.h5"));
    Files.write(originals.resolve("keras2.h5"), resource("keras2-hdf5/dl4j_tfkeras_cnn2d_40.h5"));
    Path web = originals.resolve("web");
    f.save(web);
    Map<String, String> before = hashes(originals);

    Random r = new Random(SEED + 1);
    Outcomes o = new Outcomes();
    byte[] keras = Files.readAllBytes(originals.resolve("m.keras"));
    byte[] weights = Files.readAllBytes(originals.resolve("m.weights.h5"));
    byte[] keras2 = Files.readAllBytes(originals.resolve("keras2.h5"));
    String modelJson = Files.readString(web.resolve("model.json"));
    Object modelTree = JsonText.parse(modelJson, "model.json");
    byte[] shard = Files.readAllBytes(web.resolve("group1-shard1of1.bin"));
    for (int i = 0; i < 250; i++) {
      Path k = cases.resolve("k" + i + ".keras");
      Files.write(k, mutateBytes(keras, r));
      o.run("keras #" + i, () -> ModelFiles.load(k));

      Path w = cases.resolve("w" + i + ".weights.h5");
      Files.write(w, mutateBytes(weights, r));
      Model target = functional();
      o.run("weights.h5 #" + i, () -> target.loadWeights(w));

      if (i < 120) {
        Path h = cases.resolve("k2_" + i + ".h5");
        Files.write(h, mutateBytes(keras2, r));
        o.run("keras2 h5 #" + i, () -> ModelFiles.load(h));
      }

      Path folder = Files.createDirectories(cases.resolve("web" + i));
      boolean onManifest = r.nextInt(3) > 0;
      Files.writeString(
          folder.resolve("model.json"),
          onManifest ? mutateJson(modelJson, modelTree, r) : modelJson);
      Files.write(
          folder.resolve("group1-shard1of1.bin"), onManifest ? shard : mutateBytes(shard, r));
      o.run(
          "tfjs #" + i + (onManifest ? " manifest" : " shard"),
          () -> ModelFiles.load(folder.resolve("model.json")));
    }
    System.out.println(
        "files: "
            + o.cases
            + " cases, "
            + o.loaded
            + " loaded, "
            + o.refused
            + " refused\n"
            + o.report());
    assertEquals(before, hashes(originals), "a reader changed a file it read");
    assertEquals(
        0,
        names(cases).stream().filter(n -> n.contains(".tmp") || n.contains("~")).count(),
        "readers left files behind: " + names(cases));
    o.assertClean();
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}
