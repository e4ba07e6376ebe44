package dev.kiln.api.saving;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.models.Model;
import dev.kiln.api.optimizers.Optimizer;
import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.api.WritableGroup;
import io.jhdf.exceptions.HdfException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Weights in Keras 3's HDF5 layout ({@code model.save_weights("x.weights.h5")}, and the {@code
 * model.weights.h5} inside a {@code .keras} archive): a group {@code layers/<key>/vars} per layer
 * holding datasets {@code 0}, {@code 1}, ... in the order the layer created its variables, where
 * {@code <key>} is the layer's class in snake case made unique ({@code dense}, {@code dense_1}),
 * nested objects under their attribute ({@code layers/lstm/cell/vars}, {@code
 * layers/functional/layers/dense/vars}), and the optimizer's state under {@code optimizer/vars}.
 * Each {@code vars} group carries the object's name as attribute {@code name}, as Keras 3.6+ writes
 * it.
 *
 * <p>Loading follows the model's structure, as Keras 3 does: the paths come from the layers'
 * classes and positions, never from their names, so a second model of the same architecture built
 * in the same program (whose layers are {@code dense_3}, {@code dense_4}) loads the first one's
 * file. Reading also accepts Keras 2's HDF5 weights ({@code save_weights("x.h5")} and the {@code
 * model_weights} of a full-model {@code .h5}), matched by layer name as Keras 2 does by default.
 *
 * <p>Groups without variables (a Dropout's {@code vars}) are not written: io.jhdf 0.13 cannot write
 * a group without children. Keras 3 reads a missing group as an empty one.
 */
public final class WeightsH5 {
  private WeightsH5() {}

  /**
   * Writes the model's weights (and its optimizer's state when it has one) to {@code path}
   * atomically.
   *
   * @throws KilnException if a weight cannot be written (an empty one), naming it
   */
  public static void write(Model model, Path path) throws IOException {
    AtomicFiles.write(path, tmp -> writeTo(model, tmp));
  }

  /** Writes into a new file at {@code file}, not atomically (the caller moves it into place). */
  static void writeTo(Model model, Path file) throws IOException {
    List<KerasTree.Group> groups = KerasTree.groups(model, true);
    Map<String, List<Object>> values = new HashMap<>();
    for (KerasTree.Group g : groups) {
      boolean normalization = "Normalization".equals(g.className());
      List<Object> datasets = new ArrayList<>();
      for (Weight w : g.vars()) {
        Tensor t = w.read();
        // Keras 3's Normalization holds its mean and variance with the kept axis only, (C,).
        datasets.add(
            H5Arrays.toJava(
                normalization ? t.reshape((int) w.size()) : t,
                "weight '" + w.path() + "' of " + g.owner()));
      }
      if (normalization) {
        // Its third variable, count, which Keras 3 creates (zero, int64) and expects to load.
        datasets.add(0L);
      }
      values.put(g.path(), datasets);
    }
    try (WritableHdfFile f = HdfFile.write(file)) {
      Map<String, WritableGroup> made = new HashMap<>();
      for (KerasTree.Group g : groups) {
        WritableGroup vars = group(f, made, g.path());
        vars.putAttribute("name", g.objectName());
        List<Object> datasets = values.get(g.path());
        for (int i = 0; i < datasets.size(); i++) {
          vars.putDataset(Integer.toString(i), datasets.get(i));
        }
      }
      if (groups.isEmpty()) {
        // A file needs one child for io.jhdf to write it; Keras reads an empty "vars" as none.
        f.putDataset("kiln_empty", 0);
      }
    } catch (HdfException e) {
      throw new KilnException("cannot write HDF5 weights to " + file + ": " + e.getMessage(), e);
    }
  }

  private static WritableGroup group(
      WritableHdfFile f, Map<String, WritableGroup> made, String path) {
    WritableGroup g = made.get(path);
    if (g != null) {
      return g;
    }
    int slash = path.lastIndexOf('/');
    WritableGroup parent = slash < 0 ? null : group(f, made, path.substring(0, slash));
    String name = path.substring(slash + 1);
    g = parent == null ? f.putGroup(name) : parent.putGroup(name);
    made.put(path, g);
    return g;
  }

  /**
   * Reads an HDF5 weights file into {@code model}: Keras 3's layout by the model's structure
   * (optimizer state too, when the model is compiled), or Keras 2's by layer name. Nothing is
   * assigned unless every weight fits.
   *
   * @throws KilnException if the file is not HDF5 or damaged, if a layer's group or a weight is
   *     missing or extra, or if a shape differs (naming the layer, the variable and both shapes)
   */
  public static void read(Model model, Path path) throws IOException {
    if (!Files.isRegularFile(path)) {
      throw new java.nio.file.NoSuchFileException(path.toString());
    }
    try (HdfFile f = open(path)) {
      if (f.getAttribute("layer_names") != null || f.getChild("model_weights") != null) {
        Keras2H5.load(model, f, path, true);
        return;
      }
      load(model, f, path);
    } catch (HdfException e) {
      throw new KilnException(
          "weights file " + path + " is not a readable HDF5 file: " + e.getMessage(), e);
    }
  }

  /** Opens an HDF5 file, turning io.jhdf's failures into an error that names the file. */
  static HdfFile open(Path path) {
    try {
      return new HdfFile(path);
    } catch (HdfException
        | IllegalArgumentException
        // io.jhdf reports some damaged headers (an offset past 2^63) as arithmetic overflow.
        | ArithmeticException e) {
      throw new KilnException(
          "weights file "
              + path
              + " is not an HDF5 file or is damaged (truncated?): "
              + e.getMessage(),
          e);
    }
  }

  /** Loads Keras 3's layout from an open file. */
  static void load(Model model, HdfFile f, Path path) {
    Optimizer opt = model.optimizer();
    boolean fileHasOptimizer = f.getChild("optimizer") != null;
    if (opt != null && fileHasOptimizer && opt.variables().isEmpty()) {
      // Keras builds the optimizer before loading its state, so a fresh model resumes training.
      opt.build(model.trainableWeights());
    }
    List<KerasTree.Group> groups = KerasTree.groups(model, fileHasOptimizer);
    List<Weight> targets = new ArrayList<>();
    List<Tensor> values = new ArrayList<>();
    Set<String> expected = new HashSet<>();
    for (KerasTree.Group g : groups) {
      expected.add(g.path());
      Node n = child(f, g.path());
      if (!(n instanceof Group vars)) {
        throw new KilnException(
            "weights file "
                + path
                + " has no group '"
                + g.path()
                + "' for "
                + g.owner()
                + ", which has "
                + g.vars().size()
                + " variables; the file's groups with weights are "
                + datasetGroups(f, path)
                + ". Was it saved from a model of another architecture?");
      }
      Map<String, Node> kids = vars.getChildren();
      if (kids.size() != g.vars().size() && !normalizationCount(g, kids)) {
        throw new KilnException(
            "weights file "
                + path
                + ": group '"
                + g.path()
                + "' holds "
                + kids.size()
                + " variables but "
                + g.owner()
                + " has "
                + g.vars().size());
      }
      for (int i = 0; i < g.vars().size(); i++) {
        Weight w = g.vars().get(i);
        Node d = kids.get(Integer.toString(i));
        if (!(d instanceof Dataset ds)) {
          throw new KilnException(
              "weights file "
                  + path
                  + ": group '"
                  + g.path()
                  + "' has no dataset '"
                  + i
                  + "' for variable '"
                  + w.name()
                  + "' of "
                  + g.owner());
        }
        boolean broadcastStat =
            Keras2H5.normalizationStatistic(g.className(), H5Arrays.shape(ds), w);
        if (!H5Arrays.shape(ds).equals(w.type().shape()) && !broadcastStat) {
          throw new KilnException(
              "weights file "
                  + path
                  + " does not fit the model: "
                  + g.owner()
                  + ", variable '"
                  + w.name()
                  + "' ("
                  + w.path()
                  + ") has shape "
                  + w.type().shape()
                  + " but dataset '"
                  + g.path()
                  + "/"
                  + i
                  + "' has shape "
                  + H5Arrays.shape(ds));
        }
        targets.add(w);
        Tensor value = H5Arrays.read(ds, path);
        values.add(broadcastStat ? value.reshape(w.type().shape().dims()) : value);
      }
    }
    List<String> extra = new ArrayList<>();
    for (String p : datasetGroups(f, path)) {
      if (!expected.contains(p) && !(p.startsWith("optimizer/") && opt == null)) {
        extra.add(p);
      }
    }
    if (!extra.isEmpty()) {
      throw new KilnException(
          "weights file "
              + path
              + " holds weights the model \""
              + model.name()
              + "\" has no place for: "
              + extra
              + ". Was it saved from a model with more layers?");
    }
    for (int i = 0; i < targets.size(); i++) {
      targets.get(i).assign(values.get(i));
    }
  }

  /**
   * Whether a group holds one variable more than the layer because it is Keras 3's Normalization
   * with its third variable, {@code count}: an integer scalar it keeps for older files (Keras's
   * EfficientNet files hold it), which the api's layer does not have and inference does not use.
   */
  private static boolean normalizationCount(KerasTree.Group g, Map<String, Node> kids) {
    int n = g.vars().size();
    return "Normalization".equals(g.className())
        && kids.size() == n + 1
        && kids.get(Integer.toString(n)) instanceof Dataset count
        && count.isScalar();
  }

  private static Node child(Group root, String path) {
    Node n = root;
    for (String part : path.split("/")) {
      if (!(n instanceof Group g)) {
        return null;
      }
      n = g.getChild(part);
      if (n == null) {
        return null;
      }
    }
    return n;
  }

  /** Most levels a weights file's groups may nest: deeper (or cyclic) files are refused. */
  private static final int MAX_DEPTH = 64;

  /** The paths of the groups that hold datasets, found without following a group twice. */
  static Set<String> datasetGroups(Group root, Path file) {
    Set<String> out = new LinkedHashSet<>();
    collect(root, "", out, new HashSet<>(), 0, file);
    return out;
  }

  private static void collect(
      Group g, String prefix, Set<String> out, Set<Long> seen, int depth, Path file) {
    if (depth > MAX_DEPTH) {
      throw new KilnException(
          "weights file " + file + ": groups nest deeper than " + MAX_DEPTH + " at '" + prefix);
    }
    if (!g.isLink() && !seen.add(g.getAddress())) {
      return;
    }
    for (Map.Entry<String, Node> e : g.getChildren().entrySet()) {
      Node n = e.getValue();
      if (n.isLink()) {
        // Soft and external links point elsewhere; Keras never writes them.
        continue;
      }
      if (n instanceof Group sub) {
        collect(sub, prefix + e.getKey() + "/", out, seen, depth + 1, file);
      } else if (n instanceof Dataset && !e.getKey().equals("kiln_empty")) {
        out.add(prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1));
      }
    }
  }

  /** The value of a string attribute, or null. */
  static String stringAttribute(Node n, String name) {
    Attribute a = n.getAttribute(name);
    if (a == null) {
      return null;
    }
    Object v = a.getData();
    return v instanceof String s ? s : null;
  }
}
