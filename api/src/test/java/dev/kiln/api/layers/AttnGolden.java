package dev.kiln.api.layers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.GoldenJson;
import dev.kiln.api.KerasTensor;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The golden forward values of {@code golden/tfjs-attn.json} (from {@code
 * src/test/golden/make_golden_attn.js}): each case holds inputs, weights in Keras's order and the
 * expected outputs as {@code {shape, data}}.
 */
final class AttnGolden {
  static final Map<String, Object> CASES =
      GoldenJson.obj(GoldenJson.resource("/golden/tfjs-attn.json"), "cases");

  /** Relative tolerance: float32 against TF.js's float32. */
  static final double TOL = 2e-5;

  private AttnGolden() {}

  static Map<String, Object> golden(String name) {
    return GoldenJson.obj(CASES, name);
  }

  @SuppressWarnings("unchecked")
  static Tensor tensor(Object spec) {
    Map<String, Object> m = (Map<String, Object>) spec;
    int[] shape = ((List<Number>) m.get("shape")).stream().mapToInt(Number::intValue).toArray();
    return GoldenJson.tensor(m, "data", shape.length == 0 ? new int[] {} : shape);
  }

  @SuppressWarnings("unchecked")
  static List<Tensor> tensors(Map<String, Object> c, String key) {
    List<Tensor> out = new ArrayList<>();
    Object v = c.get(key);
    if (v != null) {
      for (Object o : (List<Object>) v) {
        out.add(tensor(o));
      }
    }
    return out;
  }

  /**
   * Runs the golden case {@code name}: inputs shaped as the golden inputs, the graph from {@code
   * wire} (which calls the layer under test), the golden weights loaded into {@code layer}, then
   * each output checked against {@code output} and (if the case has them) {@code scores}.
   *
   * @return the outputs, for further checks
   */
  static List<Tensor> check(
      String name, Layer layer, Function<List<KerasTensor>, List<KerasTensor>> wire) {
    Map<String, Object> c = golden(name);
    List<Tensor> xs = tensors(c, "inputs");
    List<KerasTensor> ins = new ArrayList<>();
    for (Tensor x : xs) {
      int[] d = x.dims();
      ins.add(Input.of(Arrays.copyOfRange(d, 1, d.length)));
    }
    List<KerasTensor> outs = wire.apply(ins);
    Model m = Model.of(ins, outs);
    List<Tensor> weights = tensors(c, "weights");
    if (!weights.isEmpty()) {
      List<Tensor> fixed = new ArrayList<>();
      for (int i = 0; i < weights.size(); i++) {
        // A scalar weight is stored with shape [], which the JSON reader leaves as one value.
        int[] want = layer.weights().get(i).type().shape().dims();
        fixed.add(
            want.length == 0
                ? Tensor.of(weights.get(i).toFloatArray(), new int[0])
                : weights.get(i));
      }
      layer.setWeights(fixed);
    }
    List<Tensor> got = m.predict(xs, new FitOptions().verbose(0));
    Tensor expected = tensor(c.get("output"));
    assertEquals(
        Arrays.toString(expected.dims()), Arrays.toString(got.get(0).dims()), name + ": shape");
    assertClose(name, expected.toDoubleArray(), got.get(0).toDoubleArray(), TOL);
    if (c.get("scores") != null && got.size() > 1) {
      Tensor s = tensor(c.get("scores"));
      assertEquals(Arrays.toString(s.dims()), Arrays.toString(got.get(1).dims()), name + " scores");
      assertClose(name + " scores", s.toDoubleArray(), got.get(1).toDoubleArray(), TOL);
    }
    if (c.get("near_miss") != null) {
      // The data must tell the right formula from the plausible wrong one.
      double[] miss = tensor(c.get("near_miss")).toDoubleArray();
      double[] want = expected.toDoubleArray();
      double worst = 0;
      for (int i = 0; i < Math.min(miss.length, want.length); i++) {
        worst = Math.max(worst, Math.abs(miss[i] - want[i]));
      }
      assertTrue(miss.length != want.length || worst > 1e-3, name + ": near miss too close");
    }
    return got;
  }
}
