package dev.kiln.api.models;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pairs the arrays of a weights file with a model's weights, as Keras 3 does: by the model's
 * structure (the order of its weights), not by layer names, which differ between two builds of one
 * architecture in the same program. A file whose names are exactly the model's is paired by name,
 * so files written in another order (before weights were saved in structural order, or with other
 * layers frozen) still load. Every error names the file and says what differs: counts, the extra or
 * missing weights, or the first weight whose shape differs, with its layer.
 */
final class WeightsMatch {
  private WeightsMatch() {}

  /** Caps how many weights an error lists, so a large model's message stays readable. */
  private static final int LISTED = 12;

  /**
   * The file's array for each of {@code ws}, in that order.
   *
   * @throws KilnException if the counts or a shape differ, naming the file, the weights and layers
   */
  static List<Tensor> pair(Model model, List<Weight> ws, Map<String, Tensor> file, Path path) {
    List<String> keys = new ArrayList<>(file.keySet());
    Set<String> paths = new HashSet<>();
    for (Weight w : ws) {
      paths.add(w.path());
    }
    boolean byName = paths.size() == ws.size() && paths.equals(file.keySet());
    if (keys.size() != ws.size()) {
      throw new KilnException(countMessage(model, ws, file, keys, paths, path));
    }
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < ws.size(); i++) {
      Weight w = ws.get(i);
      String key = byName ? w.path() : keys.get(i);
      Tensor t = file.get(key);
      if (!t.shape().equals(w.type().shape())) {
        throw new KilnException(
            "weights file "
                + path
                + " does not fit model \""
                + model.name()
                + "\": "
                + (byName ? "" : "matched by order, ")
                + "the model's weight #"
                + i
                + ", "
                + describe(model, w)
                + ", has shape "
                + w.type().shape()
                + " but the file's weight #"
                + keys.indexOf(key)
                + " '"
                + key
                + "' has shape "
                + t.shape()
                + ". The model's weights are "
                + modelList(model, ws)
                + "; the file's are "
                + fileList(file, keys));
      }
      out.add(t);
    }
    return out;
  }

  /**
   * The error for an unbuilt model: it has no weights yet, so nothing of the file could be loaded.
   */
  static KilnException unbuilt(Model model, Map<String, Tensor> file, Path path) {
    return new KilnException(
        "model \""
            + model.name()
            + "\" is not built, so it has no weights to load the "
            + file.size()
            + " arrays of weights file "
            + path
            + " into. Build it first: start it with an Input (new Sequential(Input.of(...), ...))"
            + " or give its first layer inputShape(...), or run it once on a batch"
            + " (predictOnBatch), then call loadWeights");
  }

  private static String countMessage(
      Model model,
      List<Weight> ws,
      Map<String, Tensor> file,
      List<String> keys,
      Set<String> paths,
      Path path) {
    StringBuilder s = new StringBuilder();
    s.append("weights file ")
        .append(path)
        .append(" holds ")
        .append(keys.size())
        .append(" weights but model \"")
        .append(model.name())
        .append("\" has ")
        .append(ws.size());
    if (keys.size() > ws.size()) {
      // Extra arrays: those whose names the model lacks when every model weight is named in the
      // file, else the ones past the model's count (matching is by order).
      List<String> extra = new ArrayList<>();
      if (file.keySet().containsAll(paths)) {
        for (String k : keys) {
          if (!paths.contains(k)) {
            extra.add(k);
          }
        }
      } else {
        extra.addAll(keys.subList(ws.size(), keys.size()));
      }
      s.append("; the file's extra weights: ").append(fileList(file, extra));
    } else {
      List<Weight> missing = new ArrayList<>();
      if (paths.containsAll(file.keySet())) {
        for (Weight w : ws) {
          if (!file.containsKey(w.path())) {
            missing.add(w);
          }
        }
      } else {
        missing.addAll(ws.subList(keys.size(), ws.size()));
      }
      s.append("; the model's weights with no value in the file: ")
          .append(modelList(model, missing));
    }
    s.append(". Was it saved from a model with other layers?");
    return s.toString();
  }

  private static String fileList(Map<String, Tensor> file, List<String> keys) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < keys.size() && i < LISTED; i++) {
      if (i > 0) {
        s.append(", ");
      }
      s.append('\'').append(keys.get(i)).append("' ").append(file.get(keys.get(i)).shape());
    }
    if (keys.size() > LISTED) {
      s.append(", ... ").append(keys.size() - LISTED).append(" more");
    }
    return s.append(']').toString();
  }

  private static String modelList(Model model, List<Weight> ws) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < ws.size() && i < LISTED; i++) {
      if (i > 0) {
        s.append(", ");
      }
      s.append(describe(model, ws.get(i))).append(' ').append(ws.get(i).type().shape());
    }
    if (ws.size() > LISTED) {
      s.append(", ... ").append(ws.size() - LISTED).append(" more");
    }
    return s.append(']').toString();
  }

  /** {@code 'dense_3/kernel' of layer #1 "dense_3" (Dense)}. */
  private static String describe(Model model, Weight w) {
    List<Layer> layers = model.layers();
    Map<Weight, Integer> owner = new IdentityHashMap<>();
    for (int k = 0; k < layers.size(); k++) {
      for (Weight lw : layers.get(k).weights()) {
        owner.putIfAbsent(lw, k);
      }
    }
    Integer k = owner.get(w);
    if (k == null) {
      return "'" + w.path() + "' of the model itself";
    }
    Layer l = layers.get(k);
    return "'" + w.path() + "' of layer #" + k + " \"" + l.name() + "\" (" + l.className() + ")";
  }
}
