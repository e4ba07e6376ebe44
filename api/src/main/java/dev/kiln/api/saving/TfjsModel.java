package dev.kiln.api.saving;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.models.Model;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * TF.js layers models: a {@code model.json} ({@code format: "layers-model"}, {@code modelTopology},
 * {@code weightsManifest}) beside binary weight shards.
 *
 * <p>Reading decodes every manifest group (its shards concatenated, in order) with dtypes float32
 * and int32, {@code uint8}/{@code uint16} quantization ({@code value * scale + min}, rounded for
 * int32 originals) and float16. Shard paths are untrusted: one that is absolute or leads out of the
 * model's folder (symbolic links included) is refused before anything is read. Weights are matched
 * by name ({@code dense_Dense1/kernel}) when every weight of the model is in the manifest, else in
 * the order TF.js writes them (the model's weights, trainable first).
 *
 * <p>Writing produces what {@code tf.loadLayersModel} reads: the topology in the Keras 2 form TF.js
 * understands, the weights little-endian in shards of at most 4 MiB ({@code group1-shard1of2.bin}),
 * every shard written atomically and {@code model.json} last, so a model folder never points to
 * shards that are not there yet.
 */
public final class TfjsModel {
  private TfjsModel() {}

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int SHARD_BYTES = 4 * 1024 * 1024;
  private static final long MAX_JSON_BYTES = 256L << 20;

  /** The model.json of a path naming a folder or the file itself. */
  static Path modelJson(Path path) {
    return Files.isDirectory(path) ? path.resolve("model.json") : path;
  }

  /**
   * Reads {@code model.json} (a folder means its {@code model.json}) as a map.
   *
   * @throws KilnException if it is not valid JSON or not a layers model
   */
  static Map<String, Object> readJson(Path path) throws IOException {
    Path file = modelJson(path);
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString());
    }
    if (Files.size(file) > MAX_JSON_BYTES) {
      throw new KilnException(
          "TF.js model " + file + " is larger than " + MAX_JSON_BYTES + " bytes; refused");
    }
    Object v;
    try {
      v = JSON.readValue(Files.readAllBytes(file), Object.class);
    } catch (JacksonException e) {
      throw new KilnException(
          "TF.js model " + file + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (!(v instanceof Map<?, ?> m) || !m.containsKey("modelTopology")) {
      throw new KilnException(
          "TF.js model " + file + " has no 'modelTopology': it is not a TF.js layers model");
    }
    Object format = m.get("format");
    if (format != null && !"layers-model".equals(format)) {
      throw new KilnException(
          "TF.js model "
              + file
              + " has format '"
              + format
              + "'; only layers models ('layers-model') hold a Keras topology");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> out = (Map<String, Object>) m;
    return out;
  }

  /**
   * The topology as a Keras envelope ({@code class_name}, {@code config}): the converter's {@code
   * model_config} unwrapped, tfjs-layers' form as it is.
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> topology(Map<String, Object> modelJson, Path file) {
    Object t = modelJson.get("modelTopology");
    if (t instanceof Map<?, ?> m && m.get("model_config") instanceof Map<?, ?> inner) {
      t = inner;
    }
    if (!(t instanceof Map<?, ?> env) || !env.containsKey("class_name")) {
      throw new KilnException("TF.js model " + file + ": modelTopology has no 'class_name'");
    }
    return (Map<String, Object>) env;
  }

  /**
   * The manifest names of a model's weights as tfjs-layers names them, {@code <layer>/<variable>}:
   * it loads weights by these names, and names a recurrent layer's weights by the layer, not by its
   * cell (Kiln's path {@code lstm_cell/kernel} is {@code lstm/kernel} there). Where that naming
   * would give two weights one name (wrappers such as Bidirectional), Kiln's paths stay.
   */
  private static Map<Weight, String> tfjsNames(Model model, List<Weight> ws) {
    Map<Weight, String> out = new java.util.IdentityHashMap<>();
    Map<String, Integer> uses = new HashMap<>();
    for (dev.kiln.api.layers.Layer l : model.layers()) {
      for (Weight w : l.weights()) {
        String p = w.path();
        String name = l.name() + "/" + p.substring(p.lastIndexOf('/') + 1);
        out.putIfAbsent(w, name);
      }
    }
    for (Weight w : ws) {
      out.putIfAbsent(w, w.path());
      uses.merge(out.get(w), 1, Integer::sum);
    }
    for (Weight w : ws) {
      if (uses.get(out.get(w)) > 1) {
        out.put(w, w.path());
      }
    }
    return out;
  }

  /**
   * Reads a TF.js layers model: builds it from its topology and loads its weights.
   *
   * @throws KilnException if the topology cannot be built or the weights do not fit
   */
  public static Model read(Path path) throws IOException {
    Path file = modelJson(path);
    Map<String, Object> json = readJson(file);
    Model m = ModelFiles.fromConfig(topology(json, file), file.toString());
    loadWeights(m, file, json);
    return m;
  }

  /**
   * Loads the weights of a TF.js layers model into {@code model}; nothing is assigned unless every
   * weight fits.
   *
   * @throws KilnException if a shard is missing, too short or outside the model's folder, if a
   *     dtype or quantization is not supported, or if names, counts or shapes differ
   */
  public static void loadWeights(Model model, Path path) throws IOException {
    Path file = modelJson(path);
    loadWeights(model, file, readJson(file));
  }

  private static void loadWeights(Model model, Path file, Map<String, Object> json)
      throws IOException {
    Map<String, Tensor> byName = decode(file, json);
    List<Weight> ws = model.weights();
    List<String> names = new ArrayList<>(byName.keySet());
    Set<String> paths = new HashSet<>();
    ws.forEach(w -> paths.add(w.path()));
    boolean matchByName = paths.size() == ws.size() && byName.keySet().containsAll(paths);
    if (!matchByName && names.size() != ws.size()) {
      List<String> modelNames = new ArrayList<>(paths);
      throw new KilnException(
          "TF.js model "
              + file
              + " holds "
              + names.size()
              + " weights "
              + abbreviate(names)
              + " but model \""
              + model.name()
              + "\" has "
              + ws.size()
              + " "
              + abbreviate(modelNames));
    }
    List<Tensor> values = new ArrayList<>();
    for (int i = 0; i < ws.size(); i++) {
      Weight w = ws.get(i);
      String key = matchByName ? w.path() : names.get(i);
      Tensor t = byName.get(key);
      if (!t.shape().equals(w.type().shape())) {
        throw new KilnException(
            "TF.js model "
                + file
                + " does not fit model \""
                + model.name()
                + "\": weight '"
                + w.path()
                + "' has shape "
                + w.type().shape()
                + " but the manifest's '"
                + key
                + "' has shape "
                + t.shape()
                + (matchByName ? "" : " (matched by order, as the names differ)"));
      }
      values.add(t);
    }
    for (int i = 0; i < ws.size(); i++) {
      ws.get(i).assign(values.get(i));
    }
  }

  private static String abbreviate(List<String> names) {
    return names.size() > 12 ? names.subList(0, 12) + "... (" + names.size() + ")" : "" + names;
  }

  /** Every weight of the manifest, by name, in manifest order. */
  static Map<String, Tensor> decode(Path file, Map<String, Object> json) throws IOException {
    Object manifest = json.get("weightsManifest");
    Map<String, Tensor> out = new LinkedHashMap<>();
    if (manifest == null) {
      return out;
    }
    if (!(manifest instanceof List<?> groups)) {
      throw new KilnException("TF.js model " + file + ": weightsManifest is not a list");
    }
    // Normalized, so that a model.json path spelt with ".." still compares with its shards.
    Path dir = file.toAbsolutePath().normalize().getParent();
    for (int g = 0; g < groups.size(); g++) {
      String where = "weightsManifest[" + g + "]";
      if (!(groups.get(g) instanceof Map<?, ?> group)
          || !(group.get("paths") instanceof List<?> shardNames)
          || !(group.get("weights") instanceof List<?> entries)) {
        throw new KilnException(
            "TF.js model " + file + ": " + where + " needs 'paths' and 'weights' lists");
      }
      long need = 0;
      for (int i = 0; i < entries.size(); i++) {
        need += entryBytes(entries.get(i), file, where + ".weights[" + i + "]");
      }
      byte[] data = readShards(dir, shardNames, need, file, where);
      ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < entries.size(); i++) {
        Map<?, ?> e = (Map<?, ?>) entries.get(i);
        String name = (String) e.get("name");
        if (out.containsKey(name)) {
          throw new KilnException(
              "TF.js model " + file + ": weight '" + name + "' appears twice in the manifest");
        }
        out.put(name, decodeEntry(e, buf, file, where + ".weights[" + i + "]"));
      }
    }
    return out;
  }

  /** The bytes one manifest entry takes, checking its keys. */
  private static long entryBytes(Object o, Path file, String where) {
    if (!(o instanceof Map<?, ?> e) || !(e.get("name") instanceof String)) {
      throw new KilnException("TF.js model " + file + ": " + where + " has no 'name'");
    }
    long n = shape(e, file, where).size();
    String stored = storedDtype(e, file, where);
    int size =
        switch (stored) {
          case "float32", "int32" -> 4;
          case "uint16", "float16" -> 2;
          case "uint8", "bool" -> 1;
          default ->
              throw new KilnException(
                  "TF.js model "
                      + file
                      + ": "
                      + where
                      + " ('"
                      + e.get("name")
                      + "') has dtype '"
                      + stored
                      + "'; Kiln reads float32, int32, bool and the uint8, uint16 and float16"
                      + " quantizations");
        };
    return n * size;
  }

  private static Shape shape(Map<?, ?> e, Path file, String where) {
    if (!(e.get("shape") instanceof List<?> s)) {
      throw new KilnException("TF.js model " + file + ": " + where + " has no 'shape' list");
    }
    int[] dims = new int[s.size()];
    long total = 1;
    for (int i = 0; i < dims.length; i++) {
      if (!(s.get(i) instanceof Integer d) || d < 0) {
        throw new KilnException(
            "TF.js model "
                + file
                + ": "
                + where
                + " has a bad shape "
                + s
                + " (dimension "
                + i
                + ")");
      }
      dims[i] = d;
      total *= d;
      if (total > Integer.MAX_VALUE - 8) {
        throw new KilnException(
            "TF.js model " + file + ": " + where + " has shape " + s + ", too many elements");
      }
    }
    return Shape.of(dims);
  }

  /** The dtype the bytes are stored in: the quantization's when there is one. */
  private static String storedDtype(Map<?, ?> e, Path file, String where) {
    if (e.get("quantization") instanceof Map<?, ?> q) {
      if (!(q.get("dtype") instanceof String d)) {
        throw new KilnException(
            "TF.js model " + file + ": " + where + ".quantization has no dtype");
      }
      return d;
    }
    return e.get("dtype") instanceof String d ? d : "float32";
  }

  private static Tensor decodeEntry(Map<?, ?> e, ByteBuffer buf, Path file, String where) {
    Shape shape = shape(e, file, where);
    int n = (int) shape.size();
    String dtype = e.get("dtype") instanceof String d ? d : "float32";
    String stored = storedDtype(e, file, where);
    if (e.get("quantization") instanceof Map<?, ?> q) {
      String original = q.get("original_dtype") instanceof String o ? o : dtype;
      boolean intOut = original.equals("int32");
      if (stored.equals("float16")) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = Float.float16ToFloat(buf.getShort());
        }
        return Tensor.wrap(HostTensor.of(shape, v));
      }
      if (!(q.get("scale") instanceof Number scale) || !(q.get("min") instanceof Number min)) {
        throw new KilnException(
            "TF.js model " + file + ": " + where + ".quantization needs 'scale' and 'min'");
      }
      double s = scale.doubleValue();
      double m = min.doubleValue();
      float[] f = intOut ? null : new float[n];
      int[] iv = intOut ? new int[n] : null;
      for (int i = 0; i < n; i++) {
        int raw = stored.equals("uint8") ? buf.get() & 0xff : buf.getShort() & 0xffff;
        double v = raw * s + m;
        if (intOut) {
          iv[i] = (int) Math.round(v);
        } else {
          f[i] = (float) v;
        }
      }
      return Tensor.wrap(intOut ? HostTensor.of(shape, iv) : HostTensor.of(shape, f));
    }
    switch (stored) {
      case "float32" -> {
        float[] v = new float[n];
        buf.asFloatBuffer().get(v);
        buf.position(buf.position() + 4 * n);
        return Tensor.wrap(HostTensor.of(shape, v));
      }
      case "int32" -> {
        int[] v = new int[n];
        buf.asIntBuffer().get(v);
        buf.position(buf.position() + 4 * n);
        return Tensor.wrap(HostTensor.of(shape, v));
      }
      case "bool" -> {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          v[i] = buf.get() != 0 ? 1 : 0;
        }
        return Tensor.wrap(HostTensor.of(shape, v));
      }
      default ->
          throw new KilnException(
              "TF.js model " + file + ": " + where + " has unquantized dtype '" + stored + "'");
    }
  }

  /**
   * The group's shards concatenated: each must lie inside the model's folder; together exactly
   * {@code need} bytes (no more is read).
   */
  private static byte[] readShards(Path dir, List<?> shardNames, long need, Path file, String where)
      throws IOException {
    if (need > Integer.MAX_VALUE - 8) {
      throw new KilnException(
          "TF.js model " + file + ": " + where + " needs " + need + " bytes, more than Kiln reads");
    }
    Path realDir = dir.toRealPath();
    List<Path> shards = new ArrayList<>();
    for (Object o : shardNames) {
      if (!(o instanceof String s) || s.isEmpty()) {
        throw new KilnException("TF.js model " + file + ": " + where + ".paths has a bad entry");
      }
      Path p;
      try {
        p = Path.of(s);
      } catch (java.nio.file.InvalidPathException e) {
        throw new KilnException(
            "TF.js model " + file + ": shard path '" + s + "' is not a valid path");
      }
      Path resolved = dir.resolve(p).normalize();
      if (p.isAbsolute() || s.startsWith("/") || s.contains("\\") || !resolved.startsWith(dir)) {
        throw new KilnException(
            "TF.js model "
                + file
                + ": shard path '"
                + s
                + "' leads out of the model's folder "
                + dir
                + "; refused");
      }
      if (!Files.isRegularFile(resolved)) {
        throw new KilnException(
            "TF.js model " + file + ": shard '" + s + "' of " + where + " is missing");
      }
      if (!resolved.toRealPath().startsWith(realDir)) {
        throw new KilnException(
            "TF.js model "
                + file
                + ": shard '"
                + s
                + "' is a link to a file outside the model's folder; refused");
      }
      shards.add(resolved);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(need, 1 << 26));
    long total = 0;
    for (Path p : shards) {
      total += Files.size(p);
    }
    if (total != need) {
      throw new KilnException(
          "TF.js model "
              + file
              + ": the shards of "
              + where
              + " hold "
              + total
              + " bytes but its weights need "
              + need
              + (total < need ? " (a shard is truncated or missing)" : ""));
    }
    for (Path p : shards) {
      try (InputStream in = Files.newInputStream(p)) {
        KerasArchive.copyLimited(in, out, need - out.size(), file, p.getFileName().toString());
      }
    }
    return out.toByteArray();
  }

  // ---------------------------------------------------------------- writing

  /**
   * Writes {@code model} as a TF.js layers model: into the folder {@code path} names (or, for a
   * path ending in {@code .json}, beside that file), shards first and the model JSON last, each
   * atomically.
   */
  public static void write(Model model, Path path) throws IOException {
    Path file = path.getFileName().toString().endsWith(".json") ? path : path.resolve("model.json");
    // Normalized, so that a model.json path spelt with ".." still compares with its shards.
    Path dir = file.toAbsolutePath().normalize().getParent();
    Files.createDirectories(dir);
    List<Weight> ws = model.weights();
    Map<Weight, String> names = tfjsNames(model, ws);
    List<Map<String, Object>> entries = new ArrayList<>();
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (Weight w : ws) {
      HostTensor h = w.read().host();
      String dtype;
      ByteBuffer b;
      if (h.dtype().isFloating()) {
        float[] v = h.toFloatArray();
        b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        dtype = "float32";
      } else {
        int[] v = Tensor.wrap(h).toIntArray();
        b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(v);
        dtype = "int32";
      }
      all.write(b.array(), 0, b.capacity());
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", names.get(w));
      List<Integer> shape = new ArrayList<>();
      for (int d : h.shape().dims()) {
        shape.add(d);
      }
      e.put("shape", shape);
      e.put("dtype", dtype);
      entries.add(e);
    }
    byte[] bytes = all.toByteArray();
    int count = Math.max(1, (bytes.length + SHARD_BYTES - 1) / SHARD_BYTES);
    List<String> paths = new ArrayList<>();
    String stem =
        file.getFileName().toString().equals("model.json")
            ? "group1"
            : file.getFileName().toString().replaceFirst("\\.json$", "") + ".group1";
    for (int i = 0; i < count; i++) {
      String name = stem + "-shard" + (i + 1) + "of" + count + ".bin";
      int from = i * SHARD_BYTES;
      int to = Math.min(bytes.length, from + SHARD_BYTES);
      AtomicFiles.write(
          dir.resolve(name),
          tmp -> {
            try (var out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW)) {
              out.write(bytes, from, to - from);
            }
          });
      paths.add(name);
    }
    Map<String, Object> group = new LinkedHashMap<>();
    group.put("paths", paths);
    group.put("weights", entries);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("format", "layers-model");
    json.put("generatedBy", "Kiln");
    json.put("convertedBy", null);
    json.put("modelTopology", TfjsTopology.fromKeras3(model));
    json.put("weightsManifest", List.of(group));
    byte[] text = JSON.writeValueAsBytes(json);
    AtomicFiles.write(
        file,
        tmp -> Files.write(tmp, text, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
  }

  /** Reads a model.json's manifest names (tests and tools). */
  static List<String> manifestNames(Path path) throws IOException {
    return new ArrayList<>(decode(modelJson(path), readJson(path)).keySet());
  }
}
