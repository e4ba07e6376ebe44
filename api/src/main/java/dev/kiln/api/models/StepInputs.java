package dev.kiln.api.models;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.losses.Loss;
import dev.kiln.api.losses.Losses;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Brings one batch to what a compiled step takes: inputs checked against the model and cast to its
 * dtypes, targets cast, class ids checked, and the host tensors in step order with the sample
 * weights (ones when none are given).
 */
final class StepInputs {
  private final Map<Integer, HostTensor> unitWeights = new HashMap<>();

  /** The step inputs: features, targets, then the sample weights (ones when none are given). */
  List<HostTensor> host(List<Tensor> x, List<Tensor> y, Tensor sw) {
    List<HostTensor> in = new ArrayList<>();
    for (Tensor t : x) {
      in.add(t.host());
    }
    for (Tensor t : y) {
      in.add(t.host());
    }
    in.add(sampleWeights(sw, x.get(0).length()));
    return in;
  }

  private HostTensor sampleWeights(Tensor sw, int batch) {
    if (sw == null) {
      // One tensor of ones per batch size, not one per step.
      return unitWeights.computeIfAbsent(batch, ones());
    }
    Tensor w = sw.cast(DType.FLOAT32);
    if (w.rank() != 1 || w.length() != batch) {
      throw new KilnException(
          "sample weights must have shape ("
              + batch
              + ",) for this batch, but have shape "
              + w.shape());
    }
    return w.host();
  }

  private static Function<Integer, HostTensor> ones() {
    return n -> {
      float[] v = new float[n];
      Arrays.fill(v, 1f);
      return HostTensor.of(Shape.of(n), v);
    };
  }

  /**
   * Checks the inputs against the model's symbolic inputs and casts them to their dtypes. A model
   * without symbolic inputs takes the data's shapes, with float64 brought to float32.
   *
   * @throws KilnException in Keras's words when the count or a shape differs
   */
  static List<Tensor> castInputs(Model model, List<Tensor> xs) {
    int expected = model.inputCount();
    if (expected >= 0 && xs.size() != expected) {
      throw new KilnException(
          "Model \""
              + model.name()
              + "\" expects "
              + expected
              + " input(s), but it received "
              + xs.size()
              + " input arrays");
    }
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < xs.size(); i++) {
      Tensor t = xs.get(i);
      if (model.inputs().isEmpty()) {
        out.add(t.dtype() == DType.FLOAT64 ? t.cast(DType.FLOAT32) : t);
        continue;
      }
      Shape expectedShape = model.inputs().get(i).shape();
      int[] d = t.dims();
      boolean ok = d.length == expectedShape.rank();
      for (int k = 1; ok && k < d.length; k++) {
        ok = expectedShape.dim(k) == Shape.UNKNOWN || expectedShape.dim(k) == d[k];
      }
      if (!ok) {
        throw new KilnException(
            "Input "
                + i
                + " of layer \""
                + model.name()
                + "\" is incompatible with the layer: expected shape="
                + expectedShape
                + ", found shape="
                + Shape.of(d));
      }
      out.add(t.cast(model.inputs().get(i).dtype()));
    }
    return out;
  }

  /**
   * Checks the target count and casts targets: float64 to float32, small integers to int32.
   *
   * @throws KilnException if the count differs from the compiled losses
   */
  static List<Tensor> castTargets(Model model, List<Tensor> ys) {
    int expected = model.compiled().losses.size();
    if (ys.size() != expected) {
      throw new KilnException(
          "Model \""
              + model.name()
              + "\" has "
              + expected
              + " output(s) but "
              + ys.size()
              + " target arrays were given");
    }
    List<Tensor> out = new ArrayList<>();
    for (Tensor t : ys) {
      DType d = t.dtype();
      out.add(
          switch (d) {
            case FLOAT64, BOOL -> t.cast(DType.FLOAT32);
            case UINT8, INT8 -> t.cast(DType.INT32);
            default -> t;
          });
    }
    return out;
  }

  /**
   * Class ids must lie in [0, classes) for sparse losses; a kernel would otherwise read garbage.
   * Binary cross-entropy labels must lie in [0, 1] (soft labels are allowed, as in Keras): a label
   * of 2 gives a loss that trains toward nonsense without a word.
   *
   * @param outputShapes the prediction shapes, computed only when a sparse loss needs them
   * @throws KilnException naming the loss, the label, its index and the output
   */
  static void checkLabels(Model model, List<Tensor> ys, Supplier<List<Shape>> outputShapes) {
    List<Loss> losses = model.compiled().losses;
    List<Shape> shapes = null;
    for (int j = 0; j < ys.size(); j++) {
      Loss loss = losses.get(j);
      if (loss != null && BINARY.contains(loss.name())) {
        checkProbabilities(loss.name(), j, ys.get(j));
        continue;
      }
      if (loss == null || !loss.name().equals("sparse_categorical_crossentropy")) {
        continue;
      }
      if (shapes == null) {
        shapes = outputShapes.get();
      }
      Shape out = shapes.get(j);
      int classes = out.dim(-1);
      Tensor y = ys.get(j);
      Integer ignore =
          loss instanceof Losses.SparseCategoricalCrossentropy s
              ? s.args().get(Losses.SparseCategoricalCrossentropy.IGNORE_CLASS)
              : null;
      for (int i = 0; i < y.size(); i++) {
        double v = y.getDouble(i);
        if (ignore != null && v == ignore) {
          continue;
        }
        if (v < 0 || v >= classes || v != Math.floor(v)) {
          throw new KilnException(
              "Received a label value of "
                  + (v == Math.floor(v) ? Long.toString((long) v) : Double.toString(v))
                  + " which is outside the valid range of [0, "
                  + classes
                  + ") for loss sparse_categorical_crossentropy on output "
                  + j
                  + " (shape "
                  + out
                  + "); label index "
                  + i);
        }
      }
    }
  }

  private static final java.util.Set<String> BINARY =
      java.util.Set.of("binary_crossentropy", "binary_focal_crossentropy");

  /** Labels of a binary loss: probabilities in [0, 1]; NaN passes, to show up in the loss. */
  private static void checkProbabilities(String loss, int output, Tensor y) {
    for (int i = 0; i < y.size(); i++) {
      double v = y.getDouble(i);
      if (v < 0 || v > 1) {
        throw new KilnException(
            "Received a label value of "
                + v
                + " which is outside the valid range of [0, 1] for loss "
                + loss
                + " on output "
                + output
                + "; label index "
                + i);
      }
    }
  }

  /**
   * Rejects inputs of zero samples, as Keras does ("expected input data to be non-empty"): a step
   * on no rows would report a loss of 0 or fail inside the backend.
   *
   * @param method the model method called, for the message
   * @throws KilnException naming the method, the input and its shape
   */
  static void checkNotEmpty(String method, List<Tensor> xs) {
    for (int i = 0; i < xs.size(); i++) {
      Tensor x = xs.get(i);
      if (x != null && x.rank() > 0 && x.shape().dim(0) == 0) {
        throw new KilnException(
            method
                + ": input "
                + i
                + " has no samples (shape "
                + x.shape()
                + "); expected input data to be non-empty");
      }
    }
  }

  /** {@code t} with zero rows appended up to {@code rows} rows. */
  static Tensor padRows(Tensor t, int rows) {
    int[] d = t.dims();
    d[0] = rows;
    HostTensor out = HostTensor.zeros(t.dtype(), Shape.of(d));
    System.arraycopy(t.host().array(), 0, out.array(), 0, t.host().size());
    return Tensor.wrap(out);
  }
}
