package dev.kiln.api.layers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.GoldenJson;
import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Golden-value helpers for the layer family tests: tensors of a golden case ({@code {"shape",
 * "values"}}), a forward pass in inference (through {@code Model.predict}) or training mode (a
 * traced graph with {@code training} on), and a comparison that also checks the case's near miss is
 * told apart.
 */
final class FamilyGolden {
  /** Relative tolerance of the golden comparisons. */
  static final double TOL = 2e-5;

  private FamilyGolden() {}

  /** The cases of a golden file. */
  static Map<String, Object> cases(String resource) {
    return GoldenJson.obj(GoldenJson.resource(resource), "cases");
  }

  /** The tensor under {@code key} of a case. */
  @SuppressWarnings("unchecked")
  static Tensor tensor(Map<String, Object> c, String key) {
    Map<String, Object> t = GoldenJson.obj(c, key);
    List<Object> shape = (List<Object>) t.get("shape");
    int[] dims = shape.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    return GoldenJson.tensor(t, "values", dims);
  }

  /** The weights of a case, in Keras's order. */
  @SuppressWarnings("unchecked")
  static List<Tensor> weights(Map<String, Object> c) {
    List<Object> ws = (List<Object>) c.get("weights");
    List<Tensor> out = new ArrayList<>();
    for (Object w : ws) {
      out.add(tensor(Map.of("w", w), "w"));
    }
    return out;
  }

  /**
   * Builds {@code layer} on inputs shaped like {@code xs} (batch axis dropped); returns the model.
   */
  static Model model(Layer layer, Tensor... xs) {
    List<KerasTensor> ins = new ArrayList<>();
    for (Tensor x : xs) {
      int[] d = x.dims();
      ins.add(Input.of(x.dtype(), Arrays.copyOfRange(d, 1, d.length)));
    }
    return Model.of(ins, layer.applyAll(ins));
  }

  /** The inference output, through {@code predict}. */
  static Tensor predict(Model m, Tensor... xs) {
    return m.predict(List.of(xs), new FitOptions().verbose(0)).get(0);
  }

  /**
   * The output of {@code layer} in training mode for inputs {@code xs}, with the random key {@code
   * (seed, 0)}; the layer's weight updates are applied as a train step would.
   */
  static Tensor trainingForward(Layer layer, long seed, Tensor... xs) {
    GraphBuilder b = new GraphBuilder();
    List<Value> in = new ArrayList<>();
    List<HostTensor> hosts = new ArrayList<>();
    for (Tensor x : xs) {
      in.add(b.input(x.host().type()));
      hosts.add(x.host());
    }
    Ops ops = new Ops(b, true, b.constant(HostTensor.of(Shape.of(2), new long[] {seed, 0})));
    List<Value> out = layer.trace(ops, in);
    ops.assignments().forEach((w, v) -> b.update(w.id(), v));
    try (var ex = Kiln.backend().compile(b.output(out.get(0)).build(), CompileOptions.defaults())) {
      return Tensor.wrap(ex.runHost(hosts).get(0));
    }
  }

  /** Asserts {@code actual} matches the case's {@code key}, and differs from its near miss. */
  static void check(
      String what, Map<String, Object> c, String key, String nearMiss, Tensor actual) {
    double[] expected = tensor(c, key).toDoubleArray();
    assertClose(what, expected, actual.toDoubleArray(), TOL);
    if (nearMiss != null) {
      double[] miss = tensor(c, nearMiss).toDoubleArray();
      double worst = 0;
      for (int i = 0; i < miss.length; i++) {
        worst = Math.max(worst, Math.abs(miss[i] - expected[i]));
      }
      assertTrue(
          worst > 100 * TOL, what + ": the golden data does not tell " + nearMiss + " apart");
    }
  }
}
