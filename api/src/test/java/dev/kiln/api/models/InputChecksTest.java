package dev.kiln.api.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.slf4j.LoggerFactory;

/** Inputs that used to give silently wrong results: out-of-range labels, no rows, short data. */
class InputChecksTest {
  @AfterEach
  void reset() {
    Kiln.clearSession();
  }

  private static Sequential binaryModel() {
    Sequential m = new Sequential(Input.of(3), new Dense(1, "sigmoid"));
    m.compile("sgd", "binary_crossentropy");
    return m;
  }

  private static Tensor rows(int n) {
    float[] v = new float[n * 3];
    for (int i = 0; i < v.length; i++) {
      v[i] = (i % 5) * 0.25f - 0.5f;
    }
    return Tensor.of(v, n, 3);
  }

  @Test
  void binaryCrossentropyLabelOutsideZeroOneIsAnError() {
    Sequential m = binaryModel();
    Tensor bad = Tensor.of(new float[] {0f, 1f, 2f, 0.5f}, 4, 1);
    for (Executable call :
        List.<Executable>of(
            () -> m.fit(rows(4), bad, new FitOptions().batchSize(4).shuffle(false).verbose(0)),
            () -> m.evaluate(rows(4), bad),
            () -> m.trainOnBatch(rows(4), bad))) {
      KilnException e = assertThrows(KilnException.class, call);
      assertTrue(
          e.getMessage().contains("label value of 2.0")
              && e.getMessage().contains("[0, 1] for loss binary_crossentropy")
              && e.getMessage().contains("label index 2"),
          e.getMessage());
    }
    Tensor negative = Tensor.of(new float[] {0f, -0.1f, 1f, 1f}, 4, 1);
    KilnException e = assertThrows(KilnException.class, () -> m.evaluate(rows(4), negative));
    assertTrue(e.getMessage().contains("label value of -0.1"), e.getMessage());
    // Soft labels and the bounds themselves are valid, as in Keras.
    double loss =
        m.evaluate(rows(4), Tensor.of(new float[] {0f, 1f, 0.3f, 0.99f}, 4, 1)).get("loss");
    assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
  }

  @Test
  void emptyInputIsAnErrorNamingTheMethod() {
    Sequential m = binaryModel();
    Tensor x = Tensor.of(new float[0], 0, 3);
    Tensor y = Tensor.of(new float[0], 0, 1);
    List<Supplier<Object>> calls =
        List.of(
            () -> m.evaluate(x, y),
            () -> m.trainOnBatch(x, y),
            () -> m.testOnBatch(x, y),
            () -> m.predict(x),
            () -> m.predictOnBatch(x));
    List<String> names =
        List.of("evaluate", "trainOnBatch", "testOnBatch", "predict", "predictOnBatch");
    for (int i = 0; i < calls.size(); i++) {
      Supplier<Object> call = calls.get(i);
      KilnException e = assertThrows(KilnException.class, call::get, names.get(i));
      assertTrue(
          e.getMessage().startsWith(names.get(i) + ": input 0 has no samples (shape (0, 3))")
              && e.getMessage().contains("non-empty"),
          e.getMessage());
    }
  }

  @Test
  void stepsPerEpochBeyondTheDataWarnsAsKeras() {
    Logger log = (Logger) LoggerFactory.getLogger(Trainer.class);
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.start();
    log.addAppender(seen);
    try {
      Sequential m = binaryModel();
      Tensor y = Tensor.of(new float[] {0f, 1f, 1f, 0f, 1f, 0f, 0f, 1f}, 8, 1);
      m.fit(rows(8), y, new FitOptions().batchSize(4).stepsPerEpoch(2).verbose(0));
      assertEquals(List.of(), seen.list, "two batches fill two steps");
      History h =
          m.fit(rows(8), y, new FitOptions().batchSize(4).stepsPerEpoch(5).epochs(2).verbose(0));
      assertEquals(2, h.get("loss").size());
      assertEquals(2, seen.list.size(), seen.list.toString());
      String msg = seen.list.get(0).getFormattedMessage();
      assertTrue(
          msg.startsWith("Your input ran out of data") && msg.contains("epoch 1 ran 2 of 5 steps"),
          msg);
      assertEquals("WARN", seen.list.get(0).getLevel().toString());
    } finally {
      log.detachAppender(seen);
    }
  }
}
