package dev.kiln.api.saving;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.convolutional.Conv2D;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.merging.Add;
import dev.kiln.api.layers.merging.Concatenate;
import dev.kiln.api.layers.pooling.MaxPooling2D;
import dev.kiln.api.layers.reshaping.Flatten;
import dev.kiln.api.layers.rnn.LSTM;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Sequential;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * The models whose files TF.js must read (kiln_in_tfjs.js) and that must round-trip through Kiln's
 * own writers: Sequential ones (MLP, CNN, LSTM) and Functional ones (two inputs, a shared layer, a
 * nested Sequential, two outputs), each with the input shapes it is checked on.
 */
final class InteropModels {
  private InteropModels() {}

  /** A model to build and the shapes of its inputs, batch first. */
  record Case(Supplier<Model> build, int[]... inputShapes) {
    /** Fixed inputs in [-1, 1), the same in every run. */
    List<Tensor> inputs(String name) {
      Random r = new Random(name.hashCode());
      List<Tensor> out = new ArrayList<>();
      for (int[] shape : inputShapes) {
        int n = 1;
        for (int d : shape) {
          n *= d;
        }
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
          x[i] = (float) (2 * r.nextDouble() - 1);
        }
        out.add(Tensor.of(x, shape));
      }
      return out;
    }
  }

  static Map<String, Case> sequential() {
    Map<String, Case> m = new LinkedHashMap<>();
    m.put(
        "mlp",
        new Case(
            () -> new Sequential(Input.of(4), new Dense(8, "relu"), new Dense(3, "softmax")),
            new int[] {2, 4}));
    m.put(
        "cnn",
        new Case(
            () ->
                new Sequential(
                    Input.of(8, 8, 2),
                    new Conv2D(4, 3, 3).activation("relu"),
                    new MaxPooling2D(2, 2),
                    new Flatten(),
                    new Dense(2)),
            new int[] {2, 8, 8, 2}));
    m.put(
        "lstm",
        new Case(
            () -> new Sequential(Input.of(5, 3), new LSTM(4), new Dense(1)), new int[] {2, 5, 3}));
    return m;
  }

  static Map<String, Case> functional() {
    Map<String, Case> m = new LinkedHashMap<>();
    m.put("two_inputs", new Case(InteropModels::twoInputs, new int[] {2, 4}, new int[] {2, 3}));
    m.put("shared_layer", new Case(InteropModels::sharedLayer, new int[] {2, 4}, new int[] {2, 4}));
    m.put("nested", new Case(InteropModels::nested, new int[] {2, 5}));
    m.put("two_outputs", new Case(InteropModels::twoOutputs, new int[] {2, 4}));
    return m;
  }

  /** Two inputs concatenated, then two Dense layers. */
  static Model twoInputs() {
    KerasTensor a = Input.of(4);
    KerasTensor b = Input.of(3);
    KerasTensor h = new Dense(5, "relu").apply(new Concatenate().apply(a, b));
    return Model.of(List.of(a, b), List.of(new Dense(2).apply(h)));
  }

  /** One Dense applied to both inputs (one set of weights, two nodes), the results added. */
  static Model sharedLayer() {
    KerasTensor a = Input.of(4);
    KerasTensor b = Input.of(4);
    Dense shared = new Dense(3, "tanh");
    KerasTensor sum = new Add().apply(shared.apply(a), shared.apply(b));
    return Model.of(List.of(a, b), List.of(new Dense(1).apply(sum)));
  }

  /**
   * A Sequential called as a layer on two branches of a Functional model (its nodes 0 and 1 in
   * Keras 3, 1 and 2 in Keras 2 and TF.js), the results added.
   */
  static Model nested() {
    KerasTensor in = Input.of(5);
    Sequential inner = new Sequential(Input.of(4), new Dense(6, "relu"), new Dense(3));
    KerasTensor a = inner.apply(new Dense(4, "relu").apply(in));
    KerasTensor b = inner.apply(new Dense(4, "tanh").apply(in));
    return Model.of(in, new Dense(2).apply(new Add().apply(a, b)));
  }

  /** One trunk, two heads: class probabilities and a value. */
  static Model twoOutputs() {
    KerasTensor in = Input.of(4);
    KerasTensor h = new Dense(6, "relu").apply(in);
    return Model.of(List.of(in), List.of(new Dense(2, "softmax").apply(h), new Dense(1).apply(h)));
  }
}
