package dev.kiln.api.layers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static dev.kiln.api.layers.LayerTestSupport.runLayerTest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.GoldenJson;
import dev.kiln.api.KerasTensor;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.LayerTestSupport.Expect;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.layers.convolutional.Conv1D;
import dev.kiln.api.layers.convolutional.Conv1DTranspose;
import dev.kiln.api.layers.convolutional.Conv2D;
import dev.kiln.api.layers.convolutional.Conv2DTranspose;
import dev.kiln.api.layers.convolutional.Conv3D;
import dev.kiln.api.layers.convolutional.Conv3DTranspose;
import dev.kiln.api.layers.convolutional.DepthwiseConv1D;
import dev.kiln.api.layers.convolutional.DepthwiseConv2D;
import dev.kiln.api.layers.convolutional.SeparableConv1D;
import dev.kiln.api.layers.convolutional.SeparableConv2D;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.core.Masking;
import dev.kiln.api.layers.pooling.MaxPooling2D;
import dev.kiln.api.layers.reshaping.Flatten;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.api.optimizers.SGD;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.api.regularizers.Regularizers;
import dev.kiln.spi.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * runLayerTest for every convolution layer, then forward values against TF.js ({@code
 * golden/tfjs-conv.json} from {@code src/test/golden/make_golden_conv.js}) on every backend.
 */
class ConvolutionLayersTest {
  private static final List<Map<String, Object>> GOLDEN = golden();

  private static Expect out(int weights, int... shape) {
    return new Expect(shape, weights, true);
  }

  @TestFactory
  Stream<DynamicTest> runLayerTests() {
    return LayerTestSupport.onEveryBackend(cases());
  }

  @TestFactory
  Stream<DynamicTest> goldenForwardValues() {
    return LayerTestSupport.onEveryBackend(goldenCases("Conv", "Depthwise", "Separable"));
  }

  /** A runLayerTest case per convolution layer and its main variants. */
  static List<LayerCase> cases() {
    return List.of(
        new LayerCase(
            "Conv1D", () -> runLayerTest(() -> new Conv1D(4, 3), new int[] {6, 2}, out(2, 4, 4))),
        new LayerCase(
            "Conv1D [causal, dilated]",
            () ->
                runLayerTest(
                    () -> new Conv1D(3, 3).padding("causal").dilationRate(2),
                    new int[] {5, 2},
                    out(2, 5, 3))),
        new LayerCase(
            "Conv2D",
            () ->
                runLayerTest(
                    () -> new Conv2D(4, 3).activation("relu"),
                    new int[] {5, 5, 2},
                    out(2, 3, 3, 4))),
        new LayerCase(
            "Conv2D [same, strides 2, groups 2, no bias, regularized]",
            () ->
                runLayerTest(
                    () ->
                        new Conv2D(4, 2, 3)
                            .strides(2)
                            .padding("same")
                            .groups(2)
                            .useBias(false)
                            .kernelRegularizer(Regularizers.l2(0.01)),
                    new int[] {5, 6, 2},
                    out(1, 3, 3, 4))),
        new LayerCase(
            "Conv2D [channels_first]",
            () ->
                runLayerTest(
                    () -> new Conv2D(3, 2).dataFormat("channels_first"),
                    new int[] {2, 4, 5},
                    out(2, 3, 3, 4))),
        new LayerCase(
            "Conv3D",
            () ->
                runLayerTest(
                    () -> new Conv3D(2, 2).padding("same"),
                    new int[] {3, 3, 3, 2},
                    out(2, 3, 3, 3, 2))),
        new LayerCase(
            "Conv1DTranspose",
            () ->
                runLayerTest(
                    () -> new Conv1DTranspose(2, 3).strides(2), new int[] {4, 3}, out(2, 9, 2))),
        new LayerCase(
            "Conv2DTranspose",
            () ->
                runLayerTest(
                    () -> new Conv2DTranspose(3, 3).strides(2).padding("same").outputPadding(1),
                    new int[] {3, 4, 2},
                    out(2, 6, 8, 3))),
        new LayerCase(
            "Conv3DTranspose",
            () ->
                runLayerTest(
                    () -> new Conv3DTranspose(2, 2).strides(2).padding("same"),
                    new int[] {2, 2, 3, 2},
                    out(2, 4, 4, 6, 2))),
        new LayerCase(
            "DepthwiseConv1D",
            () ->
                runLayerTest(
                    () -> new DepthwiseConv1D(3).depthMultiplier(2),
                    new int[] {6, 2},
                    out(2, 4, 4))),
        new LayerCase(
            "DepthwiseConv2D",
            () ->
                runLayerTest(
                    () -> new DepthwiseConv2D(3).depthMultiplier(2).padding("same").strides(2),
                    new int[] {5, 5, 3},
                    out(2, 3, 3, 6))),
        new LayerCase(
            "SeparableConv1D",
            () ->
                runLayerTest(
                    () -> new SeparableConv1D(3, 2).padding("same"),
                    new int[] {5, 2},
                    out(3, 5, 3))),
        new LayerCase(
            "SeparableConv2D",
            () ->
                runLayerTest(
                    () -> new SeparableConv2D(4, 3).depthMultiplier(2),
                    new int[] {5, 5, 2},
                    out(3, 3, 3, 4))));
  }

  @Test
  void weightNamesShapesAndOrderAreKeras() {
    SeparableConv2D sep = new SeparableConv2D(4, 3, 2).depthMultiplier(2);
    sep.apply(Input.of(DType.FLOAT32, 6, 6, 5));
    assertEquals(List.of("depthwise_kernel", "pointwise_kernel", "bias"), names(sep));
    assertArrayEquals(new int[] {3, 2, 5, 2}, sep.weights().get(0).type().shape().dims());
    assertArrayEquals(new int[] {1, 1, 10, 4}, sep.weights().get(1).type().shape().dims());
    assertArrayEquals(new int[] {4}, sep.weights().get(2).type().shape().dims());

    DepthwiseConv2D dw = new DepthwiseConv2D(3).depthMultiplier(3);
    dw.apply(Input.of(DType.FLOAT32, 6, 6, 2));
    assertEquals(List.of("kernel", "bias"), names(dw));
    assertArrayEquals(new int[] {3, 3, 2, 3}, dw.weights().get(0).type().shape().dims());
    assertArrayEquals(new int[] {6}, dw.weights().get(1).type().shape().dims());

    Conv2DTranspose t = new Conv2DTranspose(7, 3, 2);
    t.apply(Input.of(DType.FLOAT32, 4, 4, 5));
    assertArrayEquals(new int[] {3, 2, 7, 5}, t.weights().get(0).type().shape().dims());

    Conv2D g = new Conv2D(6, 3).groups(3);
    g.apply(Input.of(DType.FLOAT32, 4, 4, 9));
    assertArrayEquals(new int[] {3, 3, 3, 6}, g.weights().get(0).type().shape().dims());

    Conv2D cf = new Conv2D(6, 3).dataFormat("channels_first");
    cf.apply(Input.of(DType.FLOAT32, 4, 5, 5));
    assertArrayEquals(new int[] {3, 3, 4, 6}, cf.weights().get(0).type().shape().dims());
  }

  @Test
  void defaultNamesAndConfigAreKeras() {
    assertEquals("conv2d", snakePrefix(new Conv2D(1, 1).name()));
    assertEquals("conv2d_transpose", snakePrefix(new Conv2DTranspose(1, 1).name()));
    assertEquals("depthwise_conv2d", snakePrefix(new DepthwiseConv2D(1).name()));
    assertEquals("separable_conv1d", snakePrefix(new SeparableConv1D(1, 1).name()));
    Map<String, Object> c = new Conv2D(8, 3).getConfig();
    assertEquals(List.of(3, 3), c.get("kernel_size"));
    assertEquals(List.of(1, 1), c.get("strides"));
    assertEquals(List.of(1, 1), c.get("dilation_rate"));
    assertEquals("valid", c.get("padding"));
    assertEquals("channels_last", c.get("data_format"));
    assertEquals(1, c.get("groups"));
    assertEquals("linear", c.get("activation"));
    Map<String, Object> keras = new LinkedHashMap<>();
    keras.put("filters", 2);
    keras.put("kernel_size", 5);
    keras.put("strides", List.of(2));
    Layer fromKeras = Layers.fromConfig("Conv1D", keras);
    assertEquals(List.of(5), fromKeras.getConfig().get("kernel_size"));
    assertEquals(List.of(2), fromKeras.getConfig().get("strides"));
    assertEquals(List.of(2, 2, 2), new Conv3DTranspose(1, 2).getConfig().get("kernel_size"));
    // Keras's aliases find the same classes.
    assertEquals("Conv2D", Layers.fromConfig("Convolution2D", keras("filters", 1)).className());
    assertEquals(
        "SeparableConv1D",
        Layers.fromConfig("SeparableConvolution1D", keras("filters", 1)).className());
  }

  private static Map<String, Object> keras(String key, Object value) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put(key, value);
    c.put("kernel_size", 3);
    return c;
  }

  @Test
  void badArgumentsFailWhenTheLayerIsDefined() {
    assertMessage(ArgumentException.class, () -> new Conv2D(0, 3), "`filters`", "positive");
    assertMessage(ArgumentException.class, () -> new Conv2D(2, 3, 0), "`kernel_size`", "[3, 0]");
    assertMessage(
        ArgumentException.class, () -> new Conv2D(2, 3).padding("causal"), "`padding`", "causal");
    assertMessage(
        ArgumentException.class,
        () -> new Conv2D(5, 3).groups(2),
        "divisible by the number of groups",
        "groups=2",
        "filters=5");
    assertMessage(
        ArgumentException.class,
        () -> new Conv2D(2, 3).strides(2).dilationRate(2),
        "strides=[2, 2]",
        "dilation_rate=[2, 2]");
    assertMessage(
        ArgumentException.class,
        () -> new Conv2DTranspose(2, 3).strides(2).outputPadding(2),
        "`output_padding` must be < `strides`");
    assertMessage(ArgumentException.class, () -> new Conv3D(2, 3, 3), "`kernel_size`", "list of 3");
  }

  @Test
  void badShapesFailWhenTheLayerIsFirstCalled() {
    KerasTensor small = Input.of(DType.FLOAT32, 3, 3, 2);
    Layer big = new Conv2D(4, 5, 2).name("too_big");
    assertMessage(
        KilnException.class,
        () -> big.apply(small),
        "\"too_big\"",
        "(None, 3, 3, 2)",
        "kernel shape=(5, 2, 2, 4)",
        "negative");
    assertMessage(
        KilnException.class,
        () -> new Conv2D(4, 3).groups(2).name("grouped").apply(Input.of(DType.FLOAT32, 5, 5, 3)),
        "\"grouped\"",
        "evenly divisible",
        "3 channels");
    assertMessage(
        KilnException.class,
        () -> new Conv2D(4, 2).name("flat").apply(Input.of(DType.FLOAT32, 5, 3)),
        "\"flat\"",
        "expected ndim=4");
    assertMessage(
        KilnException.class,
        () -> new MaxPooling2D(4).name("pool").apply(small),
        "\"pool\"",
        "pool_size [4, 4]",
        "(None, 3, 3, 2)");
    Conv2D once = new Conv2D(4, 2);
    once.apply(Input.of(DType.FLOAT32, 5, 5, 3));
    assertMessage(
        KilnException.class,
        () -> once.apply(Input.of(DType.FLOAT32, 5, 5, 2)),
        once.name(),
        "axis");
  }

  private static void assertMessage(Class<? extends Throwable> type, Runnable r, String... parts) {
    Throwable e = assertThrows(type, r::run);
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
    }
  }

  @TestFactory
  Stream<DynamicTest> leNetTrainsWithFallingLoss() {
    return LayerTestSupport.onEveryBackend(
        List.of(new LayerCase("LeNet [Conv2D, MaxPooling2D, Flatten, Dense]", () -> leNet())));
  }

  private static void leNet() {
    // Its own seed: the starting weights must not depend on which tests ran before.
    dev.kiln.api.Kiln.setRandomSeed(17);
    KerasTensor in = Input.of(DType.FLOAT32, 10, 10, 1);
    KerasTensor h = new Conv2D(4, 3).activation("relu").apply(in);
    h = new MaxPooling2D(2).apply(h);
    h = new Conv2D(6, 2).activation("relu").padding("same").apply(h);
    h = new MaxPooling2D(2).apply(h);
    h = new Flatten().apply(h);
    KerasTensor out = new Dense(3, "softmax").apply(h);
    Model m = Model.of(List.of(in), List.of(out));
    assertEquals((3 * 3 * 1 * 4 + 4) + (2 * 2 * 4 * 6 + 6) + (2 * 2 * 6 * 3 + 3), m.countParams());
    m.compile(new SGD(0.5), Losses.get("categorical_crossentropy"));
    Tensor x = LayerTestSupport.random(DType.FLOAT32, new int[] {6, 10, 10, 1}, 5);
    float[] labels = new float[6 * 3];
    for (int i = 0; i < 6; i++) {
      labels[i * 3 + i % 3] = 1;
    }
    Tensor y = Tensor.of(labels, 6, 3);
    double first = m.trainOnBatch(x, y).get("loss");
    double second = m.trainOnBatch(x, y).get("loss");
    double third = m.trainOnBatch(x, y).get("loss");
    assertTrue(Double.isFinite(first), "loss " + first);
    assertTrue(
        second < first && third < second,
        "the loss should fall step by step: " + first + ", " + second + ", " + third);
  }

  // A unique name such as conv2d_3 without its counter.
  private static String snakePrefix(String name) {
    return name.replaceAll("_[0-9]+$", "");
  }

  private static List<String> names(Layer l) {
    List<String> out = new ArrayList<>();
    for (Weight w : l.weights()) {
      out.add(w.name());
    }
    return out;
  }

  // ---------------------------------------------------------------- golden values

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> golden() {
    return (List<Map<String, Object>>) GoldenJson.resource("/golden/tfjs-conv.json").get("cases");
  }

  /** One case per golden entry whose class starts with one of {@code prefixes}. */
  static List<LayerCase> goldenCases(String... prefixes) {
    List<LayerCase> out = new ArrayList<>();
    for (Map<String, Object> c : GOLDEN) {
      String cls = (String) c.get("class_name");
      if (Arrays.stream(prefixes).anyMatch(cls::startsWith)) {
        out.add(new LayerCase((String) c.get("name"), () -> checkGolden(c)));
      }
    }
    return out;
  }

  /** Builds the layer from the golden Keras config, loads the weights and compares the output. */
  @SuppressWarnings("unchecked")
  static void checkGolden(Map<String, Object> c) {
    String name = (String) c.get("name");
    Layer layer =
        Layers.fromConfig(
            (String) c.get("class_name"),
            new LinkedHashMap<>((Map<String, Object>) c.get("config")));
    int[] inShape = ints(c.get("input_shape"));
    KerasTensor in = Input.of(DType.FLOAT32, Arrays.copyOfRange(inShape, 1, inShape.length));
    KerasTensor h = Boolean.TRUE.equals(c.get("masking_before")) ? new Masking().apply(in) : in;
    Model model = Model.of(List.of(in), List.of(layer.apply(h)));
    List<Tensor> weights = new ArrayList<>();
    for (Map<String, Object> w : (List<Map<String, Object>>) c.get("weights")) {
      weights.add(tensor(w.get("values"), ints(w.get("shape"))));
    }
    layer.setWeights(weights);
    Tensor x = tensor(c.get("input"), inShape);
    Tensor y = model.predict(List.of(x), new FitOptions().verbose(0)).get(0);
    assertArrayEquals(ints(c.get("output_shape")), y.dims(), name + ": output shape");
    assertClose(name, GoldenJson.vec(c, "output"), y.toDoubleArray(), 1e-5);
  }

  private static int[] ints(Object list) {
    return ((List<?>) list).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
  }

  private static Tensor tensor(Object values, int[] shape) {
    List<?> v = (List<?>) values;
    float[] f = new float[v.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = ((Number) v.get(i)).floatValue();
    }
    return Tensor.of(f, shape);
  }
}
