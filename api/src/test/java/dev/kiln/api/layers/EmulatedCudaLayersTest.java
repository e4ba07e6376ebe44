package dev.kiln.api.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.api.Kiln;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The layer tests again on the Kiln engine's CUDA executor, on an emulated {@code cuda:0} that runs
 * every kernel launch on the host by the kernels' documented ABI ({@link
 * LayerTestSupport#EMULATED_CUDA}): each layer test class's dynamic tests, made for that backend
 * alone ({@link LayerTestSupport#onBackends}), so each case builds, predicts, trains a step and
 * meets its golden values there as on the CPU; then their plain tests, with the emulated device as
 * Kiln's backend.
 */
class EmulatedCudaLayersTest {
  /** The dynamic tests of the layer test classes' factories, on {@code backend}. */
  static Stream<DynamicTest> layerTests(String backend) {
    List<Supplier<Stream<DynamicTest>>> factories =
        List.of(
            () -> new CoreLayersTest().runLayerTests(),
            () -> new ActivationLayersTest().runLayerTests(),
            () -> new ActivationLayersTest().goldenValues(),
            () -> new ActivityPenaltyTest().penalties(),
            () -> new AttentionLayersTest().runLayerTests(),
            () -> new AttentionLayersTest().goldenValues(),
            () -> new BidirectionalTest().initialStates(),
            () -> new ConvolutionLayersTest().runLayerTests(),
            () -> new ConvolutionLayersTest().goldenForwardValues(),
            () -> new ConvolutionLayersTest().leNetTrainsWithFallingLoss(),
            () -> new NormalizationLayersTest().runLayerTests(),
            () -> new NormalizationLayersTest().goldenValues(),
            () -> new PoolingLayersTest().runLayerTests(),
            () -> new PoolingLayersTest().goldenForwardValues(),
            () -> new RecurrentLayersTest().runLayerTests(),
            () -> new RecurrentLayersTest().goldenForwardValues(),
            () -> new RecurrentLayersTest().lstmKernelGradientMatchesFiniteDifferences(),
            () -> new RegularizationLayersTest().runLayerTests(),
            () -> new RegularizationLayersTest().trainingBehaviour(),
            () -> new ReshapingImageLayersTest().runLayerTests(),
            () -> new ReshapingImageLayersTest().goldenValues(),
            () -> new StackedDropoutTest().stackedDropout(),
            () -> new LayerCatalogueTest().everyLayerRunsUnderTheMixedPolicies());
    return Stream.concat(
        factories.stream()
            .flatMap(f -> LayerTestSupport.onBackends(List.of(backend), f).toList().stream()),
        plainTests(backend));
  }

  /** The layer test classes whose plain {@code @Test} methods run again on a CUDA device. */
  private static final List<Class<?>> CLASSES =
      List.of(
          ActivationLayersTest.class,
          AttentionLayersTest.class,
          BidirectionalTest.class,
          ConvolutionLayersTest.class,
          CoreLayersTest.class,
          NormalizationLayersTest.class,
          PoolingLayersTest.class,
          RecurrentLayersTest.class,
          RegularizationLayersTest.class,
          RescalingTest.class,
          ReshapingImageLayersTest.class);

  /**
   * Each plain {@code @Test} method of {@link #CLASSES} as a dynamic test with {@code backend} as
   * Kiln's backend, so the values they check by hand are computed there. These classes have no
   * lifecycle methods and their tests no parameters, so a new instance and a call is what JUnit
   * would do; a method that picks its backends itself (the native-against-nd4j comparisons) is left
   * out.
   */
  private static Stream<DynamicTest> plainTests(String backend) {
    return CLASSES.stream()
        .flatMap(
            c ->
                Arrays.stream(c.getDeclaredMethods())
                    .filter(m -> m.isAnnotationPresent(Test.class) && m.getParameterCount() == 0)
                    .filter(m -> !m.getName().endsWith("OnBothBackends"))
                    .sorted(Comparator.comparing(Method::getName))
                    .map(
                        m ->
                            DynamicTest.dynamicTest(
                                c.getSimpleName() + "." + m.getName() + " on " + backend,
                                () -> invoke(c, m, backend))));
  }

  private static void invoke(Class<?> c, Method m, String backend) throws Throwable {
    LayerTestSupport.useBackend(backend);
    try {
      var ctor = c.getDeclaredConstructor();
      ctor.setAccessible(true);
      m.setAccessible(true);
      m.invoke(ctor.newInstance());
    } catch (InvocationTargetException e) {
      throw e.getCause();
    } finally {
      LayerTestSupport.useDefaultBackend();
    }
  }

  /**
   * Every layer's runLayerTest case on {@code backend} and on the CPU from the same seed: the
   * predictions, the loss of the training step and the weights after it must agree within {@code
   * tolerance} (relative, absolute below 1). The cases' own checks accept any finite numbers; this
   * is where a wrong result on the device shows.
   */
  static Stream<DynamicTest> sameAsCpu(String backend, double tolerance) {
    return LayerCatalogueTest.allCases().stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.name() + " on " + backend + " as on the CPU",
                    () -> {
                      List<double[]> cpu = observe(LayerTestSupport.CPU, c);
                      List<double[]> device = observe(backend, c);
                      assertEquals(cpu.size(), device.size(), c.name() + ": values reported");
                      for (int i = 0; i < cpu.size(); i++) {
                        ApiTestSupport.assertClose(
                            c.name() + " on " + backend + ", value set " + i,
                            cpu.get(i),
                            device.get(i),
                            tolerance);
                      }
                    }));
  }

  private static List<double[]> observe(String backend, LayerCase c) {
    LayerTestSupport.useBackend(backend);
    Kiln.clearSession();
    Kiln.setRandomSeed(1234);
    try {
      return LayerTestSupport.observe(c.check());
    } finally {
      LayerTestSupport.useDefaultBackend();
    }
  }

  @TestFactory
  Stream<DynamicTest> layerTestsOnEmulatedCuda() {
    return layerTests(LayerTestSupport.EMULATED_CUDA);
  }

  @TestFactory
  Stream<DynamicTest> layerValuesAsOnTheCpu() {
    // The emulator rounds each kernel's double result once; the CPU adds in float.
    return sameAsCpu(LayerTestSupport.EMULATED_CUDA, 1e-4);
  }
}
