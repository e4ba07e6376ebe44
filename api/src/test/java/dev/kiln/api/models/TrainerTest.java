package dev.kiln.api.models;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static dev.kiln.api.models.ModelTest.labels;
import static dev.kiln.api.models.ModelTest.randomX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.optimizers.Adam;
import dev.kiln.api.optimizers.SGD;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.Executable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The trainer's contracts: options only read, defaults, per-output dicts and logs, close. */
class TrainerTest {
  /** Prediction = x through a fixed identity Dense, target 0: the MSE is the mean of x^2. */
  private static Sequential identity() {
    Dense d = new Dense(1).useBias(false).kernelInitializer(Initializers.ones());
    Sequential m = new Sequential(Input.of(1), d);
    m.compile(new SGD(0), Losses.get("mse"));
    return m;
  }

  @Test
  void fitReadsItsOptionsAndNeverWritesThem() {
    FitOptions o = new FitOptions().batchSize(2).validationSplit(0.25).shuffle(false).verbose(0);
    Tensor zeros = Tensor.of(new float[4], 4, 1);
    History first = identity().fit(Tensor.of(new float[] {1, 1, 1, 10}, 4, 1), zeros, o);
    assertClose("held-out row 10", 100, first.last("val_loss"), 1e-6);
    assertNull(o.validationData, "fit left the options' validation data alone");
    assertNull(o.validationX);
    assertEquals(2, o.batchSize);
    // The same options on other arrays hold out those arrays' last row, not the first call's.
    History second = identity().fit(Tensor.of(new float[] {1, 1, 1, 3}, 4, 1), zeros, o);
    assertClose("held-out row 3", 9, second.last("val_loss"), 1e-6);
    assertClose("train rows", 1, second.last("loss"), 1e-6);
  }

  @Test
  void fitWithoutOptionsUsesKerasDefaults() {
    Sequential m = new Sequential(Input.of(4), new Dense(2, "softmax"));
    m.compile("sgd", "sparse_categorical_crossentropy");
    Tensor x = randomX(70, 4, 1);
    History h = m.fit(x, labels(x));
    assertEquals(List.of(0), h.epochs(), "one epoch");
    assertEquals(3, m.optimizer().iterations(), "batches of 32: 32, 32, 6");
    m.fit(List.of(x), List.of(labels(x)));
    assertEquals(6, m.optimizer().iterations());
  }

  private static Model twoOutputs() {
    KerasTensor in = Input.of(3);
    KerasTensor h = new Dense(4, "relu").apply(in);
    KerasTensor reg = new Dense(1).name("reg").apply(h);
    KerasTensor cls = new Dense(2, "softmax").name("cls").apply(h);
    return Model.of(List.of(in), List.of(reg, cls));
  }

  @Test
  void lossesWeightsAndMetricsKeyedByOutputName() {
    Kiln.setRandomSeed(9);
    Model m = twoOutputs();
    m.compile(
        new SGD(0),
        Map.of("reg", "mse", "cls", Losses.get("sparse_categorical_crossentropy")),
        Map.of("reg", 2.0, "cls", 0.5),
        Map.of("cls", List.of("accuracy")));
    Tensor x = randomX(30, 3, 1);
    List<Tensor> ys = List.of(randomX(30, 1, 2), labels(randomX(30, 2, 3)));
    FitOptions o = new FitOptions().batchSize(10).verbose(0).validationData(List.of(x), ys);
    History h = m.fit(List.of(x), ys, o);
    assertEquals(
        List.of(
            "loss",
            "reg_loss",
            "cls_loss",
            "cls_accuracy",
            "val_loss",
            "val_reg_loss",
            "val_cls_loss",
            "val_cls_accuracy"),
        List.copyOf(h.history().keySet()));
    // With a learning rate of 0 the weights stay, so the total is the weighted sum of the means.
    assertClose(
        "weighted total",
        2.0 * h.last("reg_loss") + 0.5 * h.last("cls_loss"),
        h.last("loss"),
        1e-5);
    assertClose("validation on the same rows", h.last("loss"), h.last("val_loss"), 1e-5);

    KilnException unknown =
        assertThrows(
            KilnException.class, () -> m.compile(new SGD(0), Map.of("regg", "mse"), null, null));
    assertTrue(unknown.getMessage().contains("'regg'"), unknown.getMessage());
    assertTrue(unknown.getMessage().contains("[reg, cls]"), unknown.getMessage());
    assertThrows(
        KilnException.class,
        () -> m.compile(new SGD(0), Map.of("reg", "mse"), Map.of("clss", 1.0), null));
    assertThrows(KilnException.class, () -> m.compile(new SGD(0), Map.of("reg", 3), null, null));

    // An output missing from the dict has no loss: the total is the other output's.
    m.compile(new SGD(0), Map.of("reg", "mse"), null, null);
    History only = m.fit(List.of(x), ys, new FitOptions().batchSize(10).verbose(0));
    assertEquals(List.of("loss", "reg_loss"), List.copyOf(only.history().keySet()));
    assertClose("reg only", only.last("reg_loss"), only.last("loss"), 1e-6);
  }

  @Test
  void closeFreesTheCompiledStepsAndTheWeights() {
    Sequential m = new Sequential(Input.of(4), new Dense(3, "relu"), new Dense(2, "softmax"));
    m.compile(new Adam(0.01), Losses.get("sparse_categorical_crossentropy"), "accuracy");
    Tensor x = randomX(20, 4, 1);
    m.fit(x, labels(x), new FitOptions().batchSize(8).verbose(0));
    m.predict(x);
    List<Executable> executables = m.trainer().steps().executables();
    assertEquals(3, executables.size(), "train steps for 8 and 4 rows, predict for 20");
    List<String> ids = new ArrayList<>();
    for (Weight w : m.weights()) {
      ids.add(w.id());
    }
    for (Weight w : m.optimizer().variables()) {
      ids.add(w.id());
    }
    for (Weight w : m.metrics().get(0).state()) {
      ids.add(w.id());
    }
    assertTrue(ids.size() > 8, "model, optimizer and metric variables: " + ids);

    m.close();
    assertTrue(m.isClosed());
    for (Executable e : executables) {
      HostTensor one = HostTensor.zeros(dev.kiln.spi.DType.FLOAT32, dev.kiln.spi.Shape.of(1));
      BackendException closed = assertThrows(BackendException.class, () -> e.runHost(List.of(one)));
      assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }
    for (String id : ids) {
      assertFalse(Kiln.backend().variable(id).isPresent(), "variable " + id + " was freed");
    }
    KilnException use = assertThrows(KilnException.class, () -> m.predict(x));
    assertEquals(
        "Model \""
            + m.name()
            + "\" is closed: close() freed its compiled steps and its weights. Build the model"
            + " again (and load saved weights) to use it.",
        use.getMessage());
    assertThrows(KilnException.class, () -> m.fit(x, labels(x)));
    assertThrows(KilnException.class, () -> m.compile("sgd", "mse"));
    assertThrows(KilnException.class, m::getWeights);
    m.close();
  }

  @Test
  void compilingAgainClosesTheStepsCompiledBefore() {
    Sequential m = identity();
    Tensor x = Tensor.of(new float[] {1, 2}, 2, 1);
    m.predict(x);
    List<Executable> before = m.trainer().steps().executables();
    assertEquals(1, before.size());
    m.compile(new SGD(0), Losses.get("mae"));
    assertEquals(0, m.trainer().cacheSize());
    HostTensor in = x.host();
    assertThrows(BackendException.class, () -> before.get(0).runHost(List.of(in)));
    assertClose("predicts again", new double[] {1, 2}, m.predict(x).toDoubleArray(), 0);
  }
}
