package dev.kiln.api.models;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static dev.kiln.api.GoldenJson.matrix;
import static dev.kiln.api.GoldenJson.num;
import static dev.kiln.api.GoldenJson.obj;
import static dev.kiln.api.GoldenJson.tensor;
import static dev.kiln.api.GoldenJson.vec;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.GoldenJson;
import dev.kiln.api.KerasTensor;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.optimizers.SGD;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The trainer's weighted means against TensorFlow.js ({@code golden/tfjs-weighted.json}, from
 * {@code src/test/golden/make_golden.js}): the epoch loss weights each batch by its size (10 rows
 * in batches of 4, 4 and 2), sample weights enter each batch's loss, and a model with two outputs
 * adds their losses times the compiled loss weights, in the reported loss and in the gradients.
 */
class WeightedTrainingTest {
  private static final double TOL = 1e-5;
  private static Map<String, Object> g;

  @BeforeAll
  static void load() {
    g = GoldenJson.resource("/golden/tfjs-weighted.json");
  }

  private static void assertApart(String what, double golden, double nearMiss) {
    assertTrue(
        Math.abs(golden - nearMiss) > 100 * TOL * Math.max(1, Math.abs(golden)),
        what + ": the data must tell " + golden + " from the near miss " + nearMiss);
  }

  /** x (3 features) -> Dense(1) without bias, kernel from the golden, SGD with rate 0, mse. */
  private static Sequential linearModel(Map<String, Object> e) {
    Dense d = new Dense(1).useBias(false);
    Sequential m = new Sequential(Input.of(3), d);
    d.setWeights(List.of(matrix(e, "kernel")));
    // A zero learning rate keeps the weights, so every batch sees the same model.
    m.compile(new SGD(0.0), Losses.get("mse"));
    return m;
  }

  @Test
  void epochLossWeightsEachBatchByItsSize() {
    Map<String, Object> e = obj(g, "epoch_loss");
    double golden = num(e, "evaluate_loss");
    assertApart("epoch loss", golden, num(obj(e, "near_miss"), "unweighted_mean_of_batches"));
    assertClose("tfjs fit and evaluate agree", golden, num(e, "fit_loss"), 1e-6);
    Tensor x = matrix(e, "x");
    Tensor y = matrix(e, "y");
    int batch = (int) num(e, "batch_size");

    Sequential fitted = linearModel(e);
    History h =
        fitted.fit(x, y, new FitOptions().epochs(1).batchSize(batch).shuffle(false).verbose(0));
    assertClose("fit epoch loss", golden, h.last("loss"), TOL);

    Sequential evaluated = linearModel(e);
    double loss =
        evaluated
            .evaluate(List.of(x), List.of(y), new FitOptions().batchSize(batch).verbose(0))
            .get("loss");
    assertClose("evaluate loss", golden, loss, TOL);
  }

  @Test
  void sampleWeightsEnterEachBatchLossThenBatchesWeighByTheirSize() {
    Map<String, Object> e = obj(g, "epoch_loss");
    double golden = num(e, "weighted_loss");
    assertApart(
        "weighted epoch loss",
        golden,
        num(obj(e, "near_miss"), "weighted_unweighted_mean_of_batches"));
    assertApart("weights matter", golden, num(e, "evaluate_loss"));
    Tensor x = matrix(e, "x");
    Tensor y = matrix(e, "y");
    Tensor sw = tensor(e, "sample_weight");
    int batch = (int) num(e, "batch_size");
    // sum(w l) / N: each batch reduces to sum(w l) / rows, and rows weigh the batches.
    Sequential fitted = linearModel(e);
    History h =
        fitted.fit(
            x,
            y,
            new FitOptions().epochs(1).batchSize(batch).shuffle(false).sampleWeight(sw).verbose(0));
    assertClose("fit, sample weights", golden, h.last("loss"), TOL);
    Sequential evaluated = linearModel(e);
    double loss =
        evaluated
            .evaluate(
                List.of(x),
                List.of(y),
                new FitOptions().batchSize(batch).sampleWeight(sw).verbose(0))
            .get("loss");
    assertClose("evaluate, sample weights", golden, loss, TOL);
  }

  // ---------------------------------------------------------------- loss weights

  private record TwoOutputs(Model model, Dense h, Dense o1, Dense o2) {}

  /** x -> h (2 units) -> o1 (1 unit, mse) and o2 (2 units, mae); no biases; golden kernels. */
  private static TwoOutputs twoOutputs(Map<String, Object> t, List<Double> lossWeights) {
    KerasTensor in = Input.of(3);
    Dense h = new Dense(2).useBias(false);
    Dense o1 = new Dense(1).useBias(false);
    Dense o2 = new Dense(2).useBias(false);
    KerasTensor hidden = h.apply(in);
    Model m = Model.of(List.of(in), List.of(o1.apply(hidden), o2.apply(hidden)));
    Map<String, Object> k = obj(t, "kernels");
    h.setWeights(List.of(matrix(k, "h")));
    o1.setWeights(List.of(matrix(k, "o1")));
    o2.setWeights(List.of(matrix(k, "o2")));
    m.compile(
        new SGD(num(t, "learning_rate")),
        List.of(Losses.get("mse"), Losses.get("mae")),
        lossWeights,
        List.of());
    return new TwoOutputs(m, h, o1, o2);
  }

  private static List<Double> goldenLossWeights(Map<String, Object> t) {
    double[] w = vec(t, "loss_weights");
    return List.of(w[0], w[1]);
  }

  @Test
  void lossWeightsScaleEachOutputsLossInTheTotal() {
    Map<String, Object> t = obj(g, "two_outputs");
    double golden = num(t, "total_loss");
    Map<String, Object> near = obj(t, "near_miss");
    assertApart("total", golden, num(near, "total_ignoring_weights"));
    assertApart("total", golden, num(near, "total_weights_swapped"));
    Tensor x = matrix(t, "x");
    List<Tensor> ys = List.of(matrix(t, "y1"), matrix(t, "y2"));
    // 0.3 * mse + 2.0 * mae, evaluated in one batch and in batches of 2, 2 and 1
    for (int batch : new int[] {5, 2}) {
      Model m = twoOutputs(t, goldenLossWeights(t)).model();
      double loss =
          m.evaluate(List.of(x), ys, new FitOptions().batchSize(batch).verbose(0)).get("loss");
      assertClose("weighted total, batch " + batch, golden, loss, TOL);
    }
    // Without loss weights the total is the plain sum.
    Model plain = twoOutputs(t, null).model();
    assertClose(
        "unweighted total",
        num(near, "total_ignoring_weights"),
        plain.evaluate(List.of(x), ys, new FitOptions().batchSize(5).verbose(0)).get("loss"),
        TOL);
  }

  @Test
  void lossWeightsScaleTheGradients() {
    Map<String, Object> t = obj(g, "two_outputs");
    Map<String, Object> after = obj(t, "after_one_sgd_step");
    Map<String, Object> nearAfter = obj(obj(t, "near_miss"), "after_one_sgd_step_ignoring_weights");
    TwoOutputs net = twoOutputs(t, goldenLossWeights(t));
    // One SGD step on the whole batch; the logged loss is the weighted total before the step.
    History h =
        net.model()
            .fit(
                List.of(matrix(t, "x")),
                List.of(matrix(t, "y1"), matrix(t, "y2")),
                new FitOptions().epochs(1).batchSize(5).shuffle(false).verbose(0));
    assertClose("loss of the step", num(t, "total_loss"), h.last("loss"), TOL);
    String[] names = {"h", "o1", "o2"};
    Dense[] layers = {net.h(), net.o1(), net.o2()};
    for (int i = 0; i < names.length; i++) {
      double[] golden = matrix(after, names[i]).toDoubleArray();
      double[] wrong = matrix(nearAfter, names[i]).toDoubleArray();
      double gap = 0;
      for (int j = 0; j < golden.length; j++) {
        gap = Math.max(gap, Math.abs(golden[j] - wrong[j]));
      }
      assertTrue(gap > 100 * TOL, names[i] + ": loss weights must change this step");
      assertClose(
          "kernel " + names[i] + " after one step",
          golden,
          layers[i].getWeights().get(0).toDoubleArray(),
          TOL);
    }
  }
}
