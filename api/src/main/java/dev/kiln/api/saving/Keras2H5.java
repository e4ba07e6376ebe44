package dev.kiln.api.saving;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.models.Model;
import dev.kiln.spi.Shape;
import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keras 2's HDF5 weights: a root (or {@code model_weights} group) whose attribute {@code
 * layer_names} lists the layers in model order, one group per layer whose attribute {@code
 * weight_names} lists its weights ({@code dense_1/kernel:0}), each a dataset at that path inside
 * the layer's group. Layers are matched by name when every layer of the model that has weights has
 * a group in the file, else by topological order (the layers with weights, in order), as Keras 2's
 * {@code load_weights(by_name=...)} does; the weights of one layer are matched by position.
 */
final class Keras2H5 {
  private Keras2H5() {}

  /**
   * The node at {@code rel} below {@code g}, or null, found without following a link: Keras writes
   * none, and a soft link may point at itself (io.jhdf resolves such loops by recursion without
   * end).
   */
  private static Node plainPath(Group g, String rel, String layer, Path file) {
    Node n = g;
    for (String part : rel.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      if (!(n instanceof Group parent) || n.isLink()) {
        return null;
      }
      n = parent.getChild(part);
      if (n == null) {
        return null;
      }
      if (n.isLink()) {
        throw new KilnException(
            "HDF5 file "
                + file
                + ": layer '"
                + layer
                + "' lists weight '"
                + rel
                + "', which goes through the link '"
                + part
                + "'; Keras writes no links, refused");
      }
    }
    return n;
  }

  /** One layer of the file: its name and its weights' datasets in order. */
  private record FileLayer(String name, List<String> weightNames, List<Dataset> weights) {}

  /**
   * Loads the file's weights into {@code model}; with {@code byNameFirst}, by name when the names
   * fit, else by order.
   */
  static void load(Model model, HdfFile f, Path path, boolean byNameFirst) {
    Group root = f.getChild("model_weights") instanceof Group g ? g : f;
    List<String> names = stringArray(root, "layer_names", path);
    if (names == null) {
      throw new KilnException(
          "HDF5 file "
              + path
              + " has no 'layer_names' attribute"
              + (root == f ? "" : " on group 'model_weights'")
              + "; it is not a Keras 2 weights file");
    }
    List<FileLayer> fileLayers = new ArrayList<>();
    Map<String, FileLayer> byName = new HashMap<>();
    for (String name : names) {
      Node n = root.getChild(name);
      if (!(n instanceof Group lg)) {
        throw new KilnException(
            "HDF5 file "
                + path
                + ": layer '"
                + name
                + "' is listed in layer_names but has no group");
      }
      List<String> wn = stringArray(lg, "weight_names", path);
      List<Dataset> ds = new ArrayList<>();
      for (String w : wn == null ? List.<String>of() : wn) {
        Node d = plainPath(lg, w, name, path);
        if (!(d instanceof Dataset dataset)) {
          throw new KilnException(
              "HDF5 file "
                  + path
                  + ": layer '"
                  + name
                  + "' lists weight '"
                  + w
                  + "' but has no dataset at that path");
        }
        ds.add(dataset);
      }
      FileLayer fl = new FileLayer(name, wn == null ? List.of() : wn, ds);
      byName.put(name, fl);
      if (!ds.isEmpty()) {
        fileLayers.add(fl);
      }
    }
    List<Layer> modelLayers = new ArrayList<>();
    for (Layer l : model.layers()) {
      if (!l.weights().isEmpty()) {
        modelLayers.add(l);
      }
    }
    boolean matchByName = byNameFirst;
    for (Layer l : modelLayers) {
      FileLayer fl = byName.get(l.name());
      matchByName &= fl != null && !fl.weights().isEmpty();
    }
    if (!matchByName && fileLayers.size() != modelLayers.size()) {
      List<String> fileNames = new ArrayList<>();
      fileLayers.forEach(fl -> fileNames.add(fl.name()));
      List<String> modelNames = new ArrayList<>();
      modelLayers.forEach(l -> modelNames.add(l.name()));
      throw new KilnException(
          "HDF5 file "
              + path
              + " holds weights for "
              + fileLayers.size()
              + " layers "
              + fileNames
              + " but model \""
              + model.name()
              + "\" has "
              + modelLayers.size()
              + " layers with weights "
              + modelNames
              + "; their names differ too, so they cannot be matched by name either");
    }
    List<Weight> targets = new ArrayList<>();
    List<Tensor> values = new ArrayList<>();
    for (int k = 0; k < modelLayers.size(); k++) {
      Layer l = modelLayers.get(k);
      FileLayer fl = matchByName ? byName.get(l.name()) : fileLayers.get(k);
      List<Weight> ws = l.weights();
      fl = withoutNormalizationCount(fl, l);
      if (ws.size() != fl.weights().size()) {
        throw new KilnException(
            "HDF5 file "
                + path
                + ": layer '"
                + fl.name()
                + "' holds "
                + fl.weights().size()
                + " weights "
                + fl.weightNames()
                + " but layer \""
                + l.name()
                + "\" ("
                + l.className()
                + ") of the model has "
                + ws.size());
      }
      for (int i = 0; i < ws.size(); i++) {
        Dataset ds = fl.weights().get(i);
        Weight w = ws.get(i);
        boolean broadcastStat = normalizationStatistic(l.className(), H5Arrays.shape(ds), w);
        if (!H5Arrays.shape(ds).equals(w.type().shape()) && !broadcastStat) {
          throw new KilnException(
              "HDF5 file "
                  + path
                  + " does not fit the model: layer \""
                  + l.name()
                  + "\" ("
                  + l.className()
                  + "), variable '"
                  + w.name()
                  + "' has shape "
                  + w.type().shape()
                  + " but the file's '"
                  + fl.weightNames().get(i)
                  + "' of layer '"
                  + fl.name()
                  + "' has shape "
                  + H5Arrays.shape(ds));
        }
        targets.add(w);
        Tensor value = H5Arrays.read(ds, path);
        values.add(broadcastStat ? value.reshape(w.type().shape().dims()) : value);
      }
    }
    for (int i = 0; i < targets.size(); i++) {
      targets.get(i).assign(values.get(i));
    }
  }

  /**
   * Whether a file's dataset of shape {@code file} is a Normalization statistic for {@code w} that
   * differs only by axes of size one: Keras's Normalization holds its mean and variance with the
   * kept axes only, (3,); the api's with the input's rank, (1, 1, 1, 3): the same values, reshaped.
   */
  static boolean normalizationStatistic(String className, Shape file, Weight w) {
    return "Normalization".equals(className)
        && Arrays.equals(withoutOnes(file.dims()), withoutOnes(w.type().shape().dims()));
  }

  private static int[] withoutOnes(int[] dims) {
    return Arrays.stream(dims).filter(d -> d != 1).toArray();
  }

  /**
   * The file layer without its trailing {@code count} weight when the model's layer is a {@code
   * Normalization}: Keras's Normalization keeps the number of samples it adapted on as a third
   * weight (Keras's own EfficientNet files hold {@code normalization/count:0}), which the api's
   * layer does not have and does not need at inference.
   */
  private static FileLayer withoutNormalizationCount(FileLayer fl, Layer l) {
    int n = fl.weights().size();
    if (!"Normalization".equals(l.className())
        || n != l.weights().size() + 1
        || !fl.weightNames().get(n - 1).replaceFirst(":0$", "").endsWith("count")) {
      return fl;
    }
    return new FileLayer(
        fl.name(), fl.weightNames().subList(0, n - 1), fl.weights().subList(0, n - 1));
  }

  /**
   * A string-array attribute, joining the chunks {@code name0}, {@code name1}... that Keras writes
   * for long lists; null when absent. Fixed-length bytes and variable-length strings both read.
   */
  static List<String> stringArray(Node n, String name, Path path) {
    Attribute a = n.getAttribute(name);
    if (a == null) {
      if (n.getAttribute(name + "0") == null) {
        return null;
      }
      List<String> out = new ArrayList<>();
      for (int i = 0; n.getAttribute(name + i) != null; i++) {
        out.addAll(values(n.getAttribute(name + i), n, name + i, path));
      }
      return out;
    }
    return values(a, n, name, path);
  }

  private static List<String> values(Attribute a, Node n, String name, Path path) {
    Object v = a.getData();
    List<String> out = new ArrayList<>();
    switch (v) {
      case null -> {}
      case String s -> out.add(s);
      case String[] arr -> out.addAll(List.of(arr));
      case float[] arr when arr.length == 0 -> {}
      case double[] arr when arr.length == 0 -> {}
      default ->
          throw new KilnException(
              "HDF5 file "
                  + path
                  + ": attribute '"
                  + name
                  + "' of '"
                  + n.getPath()
                  + "' is not a list of strings");
    }
    return out;
  }
}
