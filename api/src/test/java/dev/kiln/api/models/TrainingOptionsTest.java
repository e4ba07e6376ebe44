package dev.kiln.api.models;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Dataset;
import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Embedding;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.optimizers.SGD;
import dev.kiln.spi.DType;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sample and class weights, masks in the loss, validation split, datasets, steps per epoch. */
class TrainingOptionsTest {
  /** y = 0 everywhere, prediction = x (a fixed identity Dense): the MSE is the mean of x^2. */
  private static Sequential identity() {
    Dense d = new Dense(1).useBias(false).kernelInitializer(Initializers.ones());
    Sequential m = new Sequential(Input.of(1), d);
    m.compile(new SGD(0), Losses.get("mse"));
    return m;
  }

  @Test
  void sampleAndClassWeights() {
    Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 4, 1);
    Tensor y = Tensor.of(new float[] {0, 0, 0, 0}, 4, 1);
    Sequential m = identity();
    // weights 1, 0, 0, 1: (1 + 16) / 4
    History h =
        m.fit(
            x,
            y,
            new FitOptions()
                .batchSize(4)
                .verbose(0)
                .sampleWeight(Tensor.of(new float[] {1, 0, 0, 1})));
    assertClose("weighted loss", 17.0 / 4, h.last("loss"), 1e-6);
    Tensor ids = Tensor.of(new int[] {0, 1, 1, 0});
    Sequential c = new Sequential(Input.of(1), new Dense(2, "softmax"));
    c.compile(new SGD(0), Losses.get("sparse_categorical_crossentropy"));
    Map<String, Double> plain = c.evaluate(x, ids);
    History weighted =
        c.fit(x, ids, new FitOptions().batchSize(4).verbose(0).classWeight(Map.of(1, 0.0)));
    // With class 1 weighted 0, the loss is the class-0 rows' loss summed over 4 rows.
    assertTrue(weighted.last("loss") < plain.get("loss"), weighted + " vs " + plain);
  }

  @Test
  void maskedTimestepsDoNotCount() {
    // Embedding with mask_zero: id 0 is padding. A fixed table makes the per-step output the id.
    Kiln.setRandomSeed(1);
    KerasTensor in = Input.of(DType.INT32, 3);
    Embedding e = new Embedding(5, 1).maskZero(true);
    e.embeddingsInitializer((s, t) -> dev.kiln.spi.HostTensor.of(s, new float[] {0, 1, 2, 3, 4}));
    Model m = Model.of(in, e.apply(in));
    m.compile(new SGD(0), Losses.get("mse"));
    Tensor ids = Tensor.of(new int[] {2, 3, 0}, 1, 3);
    Tensor zero = Tensor.of(new float[3], 1, 3, 1);
    // steps 2 and 3 count, the padding step does not: (4 + 9) / 2
    assertClose("masked mse", 6.5, m.testOnBatch(ids, zero).get("loss"), 1e-5);
  }

  @Test
  void validationSplitTakesTheLastRows() {
    Tensor x = Tensor.of(new float[] {1, 1, 1, 10}, 4, 1);
    Tensor y = Tensor.of(new float[4], 4, 1);
    History h =
        identity().fit(x, y, new FitOptions().batchSize(2).validationSplit(0.25).verbose(0));
    assertClose("train rows 1, 1, 1", 1, h.last("loss"), 1e-6);
    assertClose("validation row 10", 100, h.last("val_loss"), 1e-6);
  }

  @Test
  void datasetsAndStepsPerEpoch() {
    Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 6, 1);
    Tensor y = Tensor.of(new float[6], 6, 1);
    Sequential m = identity();
    Dataset d = Dataset.fromTensors(x, y).batch(2);
    int[] batches = {0};
    m.fit(
        d.repeat(10),
        new FitOptions()
            .epochs(2)
            .stepsPerEpoch(2)
            .verbose(0)
            .callbacks(
                new dev.kiln.api.callbacks.LambdaCallback().onBatchEnd((b, l) -> batches[0]++)));
    assertEquals(4, batches[0]);
    Map<String, Double> r = m.evaluate(d, new FitOptions().verbose(0));
    assertClose("evaluate on a dataset", 91.0 / 6, r.get("loss"), 1e-5);
  }
}
