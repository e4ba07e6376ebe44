package dev.kiln.api.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.Model;
import dev.kiln.api.optimizers.SGD;
import dev.kiln.engine.CudaTestBackends;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.Backends;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * The {@code runLayerTest} helper: for a layer factory and input shapes it checks the config round
 * trip (the registry rebuilds an equal config), the output shape and dtype, the weight count, and
 * one training step (finite loss; trainable weights move).
 */
public final class LayerTestSupport {
  private static final Map<String, Backend> OPEN = new java.util.HashMap<>();

  private LayerTestSupport() {}

  /**
   * The system property that replaces the backends the layer tests run on: backend names,
   * comma-separated, such as {@code -Dkiln.test.backends=cuda-emulated} to run every layer case on
   * the Kiln engine's CUDA executor on an emulated device. Besides the backends' own names it
   * accepts {@link #EMULATED_CUDA}, {@link #CUDA} and {@link #CPU}.
   */
  public static final String BACKENDS_PROPERTY = "kiln.test.backends";

  /**
   * The Kiln engine on an emulated {@code cuda:0}, which runs each kernel launch on the host by the
   * kernels' documented ABI.
   */
  public static final String EMULATED_CUDA = "cuda-emulated";

  /** The Kiln engine on this machine's real {@code cuda:0}, through the CUDA executor. */
  public static final String CUDA = "cuda";

  /**
   * The Kiln engine on the CPU whatever {@code -Dkiln.device} or {@code -Dkiln.cuda.executor} say:
   * the reference of the CUDA tests.
   */
  public static final String CPU = "cpu";

  private static List<String> override;

  /**
   * The backends every layer test runs on, for {@code @MethodSource}: a layer whose op a backend
   * lacks fails there rather than being skipped. {@code native} and {@code nd4j}, unless {@link
   * #BACKENDS_PROPERTY} or {@link #onBackends} says otherwise.
   */
  public static synchronized List<String> backends() {
    if (override != null) {
      return override;
    }
    String names = System.getProperty(BACKENDS_PROPERTY);
    if (names != null && !names.isBlank()) {
      return Arrays.stream(names.split(",")).map(String::strip).filter(n -> !n.isEmpty()).toList();
    }
    return List.of("native", "nd4j");
  }

  /**
   * Calls {@code factory} (a layer test's {@code @TestFactory} method, say) with {@link
   * #backends()} giving {@code names}, so that the dynamic tests it makes run there: how the CUDA
   * tests rerun the layer tests on a CUDA device.
   */
  public static synchronized <T> T onBackends(List<String> names, Supplier<T> factory) {
    List<String> before = override;
    override = List.copyOf(names);
    try {
      return factory.get();
    } finally {
      override = before;
    }
  }

  /**
   * Makes {@code name} the backend of the models built from now on (opened once per JVM); call it
   * first in a test parametrized by {@link #backends()}. {@link #useDefaultBackend()} goes back.
   */
  public static synchronized void useBackend(String name) {
    Kiln.useBackend(OPEN.computeIfAbsent(name, LayerTestSupport::open));
  }

  private static Backend open(String name) {
    return switch (name) {
      case EMULATED_CUDA -> CudaTestBackends.emulated();
      case CUDA -> CudaTestBackends.gpu();
      case CPU -> CudaTestBackends.cpu();
      default -> Backends.open(name);
    };
  }

  /** Back to the default backend (the Kiln engine), for an {@code @AfterEach}. */
  public static void useDefaultBackend() {
    useBackend("native");
  }

  /**
   * A named layer test: the name starts with the layer's Keras class name, then an optional {@code
   * [variant]}.
   */
  public record LayerCase(String name, Runnable check) {}

  /** Each case once per backend, named {@code "Dense [variant] on nd4j"}. */
  public static Stream<DynamicTest> onEveryBackend(List<LayerCase> cases) {
    return backends().stream()
        .flatMap(
            b ->
                cases.stream()
                    .map(
                        c ->
                            DynamicTest.dynamicTest(
                                c.name() + " on " + b,
                                () -> {
                                  useBackend(b);
                                  try {
                                    c.check().run();
                                  } catch (AssertionError | RuntimeException e) {
                                    throw new AssertionError(
                                        c.name() + " on " + b + ": " + e.getMessage(), e);
                                  } finally {
                                    useDefaultBackend();
                                  }
                                })));
  }

  private static List<double[]> observed;

  /**
   * Runs {@code check} and returns what each {@link #runLayerTest} in it computed, in order: the
   * predictions, then after the training step its loss and every weight. Two backends running the
   * same case from the same seed must compute the same values; the CUDA tests compare them.
   */
  public static synchronized List<double[]> observe(Runnable check) {
    List<double[]> before = observed;
    observed = new ArrayList<>();
    try {
      check.run();
      return observed;
    } finally {
      observed = before;
    }
  }

  private static synchronized void report(double... values) {
    if (observed != null) {
      observed.add(values);
    }
  }

  /** What {@link #runLayerTest} checks. */
  public record Expect(int[] outputShape, int weights, boolean trainStep) {}

  /** Random data of a shape (batch first); int32 ids in [0, 10) for int inputs. */
  public static Tensor random(DType dtype, int[] shape, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    HostTensor h = HostTensor.zeros(dtype, Shape.of(shape));
    for (int i = 0; i < h.size(); i++) {
      h.setDouble(i, dtype == DType.INT32 ? r.nextInt(10) : r.nextDouble() * 2 - 1);
    }
    return Tensor.wrap(h);
  }

  /**
   * Runs the checks.
   *
   * @param inputShapes per input, without the batch axis
   * @param inputDtypes per input
   */
  public static Model runLayerTest(
      Supplier<Layer> factory, List<int[]> inputShapes, List<DType> inputDtypes, Expect expect) {
    Layer layer = factory.get();
    Map<String, Object> config = layer.getConfig();
    Layer copy = Layers.fromConfig(layer.className(), config);
    Map<String, Object> again = copy.getConfig();
    assertEquals(config, again, "config round trip of " + layer.className());

    List<KerasTensor> ins = new ArrayList<>();
    for (int i = 0; i < inputShapes.size(); i++) {
      ins.add(Input.of(inputDtypes.get(i), inputShapes.get(i)));
    }
    List<KerasTensor> outs = layer.applyAll(ins);
    KerasTensor out = outs.get(0);
    int[] expected = new int[expect.outputShape().length + 1];
    expected[0] = Shape.UNKNOWN;
    System.arraycopy(expect.outputShape(), 0, expected, 1, expect.outputShape().length);
    assertEquals(Shape.of(expected), out.shape(), "output shape of " + layer.className());
    assertEquals(layer.computeDtype(), out.dtype(), "output dtype");
    assertEquals(expect.weights(), layer.weights().size(), "weight count of " + layer.className());

    Model model = Model.of(ins, List.of(out));
    int batch = 3;
    List<Tensor> xs = new ArrayList<>();
    for (int i = 0; i < ins.size(); i++) {
      int[] s = new int[inputShapes.get(i).length + 1];
      s[0] = batch;
      System.arraycopy(inputShapes.get(i), 0, s, 1, s.length - 1);
      xs.add(random(inputDtypes.get(i), s, 7 + i));
    }
    int[] ys = expected.clone();
    ys[0] = batch;
    Tensor y = random(DType.FLOAT32, ys, 99);
    Tensor pred = model.predict(xs, new dev.kiln.api.models.FitOptions().verbose(0)).get(0);
    assertTrue(Arrays.equals(ys, pred.dims()), "predicted shape " + pred.shape());
    report(pred.toDoubleArray());
    if (expect.trainStep()) {
      List<Tensor> before = layer.getWeights();
      model.compile(new SGD(0.1), Losses.get("mse"));
      double loss = model.trainOnBatch(xs.get(0), y).get("loss");
      report(loss);
      for (Tensor w : layer.getWeights()) {
        report(w.toDoubleArray());
      }
      if (xs.size() == 1) {
        assertTrue(Double.isFinite(loss), "loss after one step: " + loss);
        List<Tensor> after = layer.getWeights();
        for (int i = 0; i < before.size(); i++) {
          if (layer.weights().get(i).trainable()) {
            assertFalse(
                before.get(i).equals(after.get(i)),
                "weight " + layer.weights().get(i).path() + " did not change in a train step");
          }
        }
      }
    }
    return model;
  }

  /** One float32 input. */
  public static Model runLayerTest(Supplier<Layer> factory, int[] inputShape, Expect expect) {
    return runLayerTest(factory, List.of(inputShape), List.of(DType.FLOAT32), expect);
  }
}
