package dev.kiln.api.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.Model;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.Shape;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * MobileNetV2, ResNet50 and InceptionV3 assembled from the layer catalogue as Keras's applications
 * build them (each layer from its Keras config, through the registry): total, trainable and
 * non-trainable parameter counts equal the figures Keras publishes for them.
 */
class ArchitectureParamsTest {

  /** A layer from its Keras class name and config pairs. */
  private static Layer layer(String className, Object... pairs) {
    Map<String, Object> c = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      c.put((String) pairs[i], pairs[i + 1]);
    }
    return Registry.fromConfig(Kind.LAYER, className, c);
  }

  private static KerasTensor apply(Layer l, KerasTensor... in) {
    return l.applyAll(List.of(in)).get(0);
  }

  private static long count(List<Weight> ws) {
    long n = 0;
    for (Weight w : ws) {
      n += w.size();
    }
    return n;
  }

  private static void assertCounts(Model m, long total, long trainable, long nonTrainable) {
    assertEquals(trainable, count(m.trainableWeights()), m.name() + " trainable parameters");
    assertEquals(
        nonTrainable, count(m.nonTrainableWeights()), m.name() + " non-trainable parameters");
    assertEquals(total, m.countParams(), m.name() + " total parameters");
  }

  // ------------------------------------------------------------------ MobileNetV2

  private static int divisible(double v, int divisor) {
    int n = Math.max(divisor, (int) (v + divisor / 2.0) / divisor * divisor);
    return n < 0.9 * v ? n + divisor : n;
  }

  private static KerasTensor bnRelu6(KerasTensor x) {
    x = apply(layer("BatchNormalization", "epsilon", 1e-3, "momentum", 0.999), x);
    return apply(layer("ReLU", "max_value", 6.0), x);
  }

  private static KerasTensor invertedResidual(
      KerasTensor in, int filters, int stride, int expansion, int blockId) {
    int channels = in.shape().dim(-1);
    int pointwise = divisible(filters, 8);
    KerasTensor x = in;
    if (blockId > 0) {
      x =
          apply(
              layer(
                  "Conv2D",
                  "filters",
                  expansion * channels,
                  "kernel_size",
                  1,
                  "padding",
                  "same",
                  "use_bias",
                  false),
              x);
      x = bnRelu6(x);
    }
    if (stride == 2) {
      x = apply(layer("ZeroPadding2D", "padding", List.of(List.of(0, 1), List.of(0, 1))), x);
    }
    x =
        apply(
            layer(
                "DepthwiseConv2D",
                "kernel_size",
                3,
                "strides",
                stride,
                "use_bias",
                false,
                "padding",
                stride == 1 ? "same" : "valid"),
            x);
    x = bnRelu6(x);
    x =
        apply(
            layer(
                "Conv2D",
                "filters",
                pointwise,
                "kernel_size",
                1,
                "padding",
                "same",
                "use_bias",
                false),
            x);
    x = apply(layer("BatchNormalization", "epsilon", 1e-3, "momentum", 0.999), x);
    if (channels == pointwise && stride == 1) {
      x = apply(layer("Add"), in, x);
    }
    return x;
  }

  static Model mobileNetV2() {
    KerasTensor in = Input.of(224, 224, 3);
    KerasTensor x =
        apply(
            layer(
                "Conv2D",
                "filters",
                32,
                "kernel_size",
                3,
                "strides",
                2,
                "padding",
                "same",
                "use_bias",
                false),
            in);
    x = bnRelu6(x);
    int[][] blocks = {
      {16, 1, 1}, {24, 2, 6}, {24, 1, 6}, {32, 2, 6}, {32, 1, 6}, {32, 1, 6}, {64, 2, 6},
      {64, 1, 6}, {64, 1, 6}, {64, 1, 6}, {96, 1, 6}, {96, 1, 6}, {96, 1, 6}, {160, 2, 6},
      {160, 1, 6}, {160, 1, 6}, {320, 1, 6}
    };
    for (int i = 0; i < blocks.length; i++) {
      x = invertedResidual(x, blocks[i][0], blocks[i][1], blocks[i][2], i);
    }
    x = apply(layer("Conv2D", "filters", 1280, "kernel_size", 1, "use_bias", false), x);
    x = bnRelu6(x);
    x = apply(layer("GlobalAveragePooling2D"), x);
    x = apply(layer("Dense", "units", 1000, "activation", "softmax"), x);
    return Model.of(in, x);
  }

  @Test
  void mobileNetV2HasKerasParameterCounts() {
    Model m = mobileNetV2();
    assertEquals(Shape.of(Shape.UNKNOWN, 1000), m.outputs().get(0).shape());
    assertCounts(m, 3_538_984, 3_504_872, 34_112);
    m.close();
  }

  // ------------------------------------------------------------------ ResNet50

  private static KerasTensor bn(KerasTensor x) {
    return apply(layer("BatchNormalization", "axis", 3, "epsilon", 1.001e-5), x);
  }

  private static KerasTensor relu(KerasTensor x) {
    return apply(layer("Activation", "activation", "relu"), x);
  }

  private static KerasTensor conv(KerasTensor x, int filters, int kernel, int stride) {
    return apply(
        layer(
            "Conv2D",
            "filters",
            filters,
            "kernel_size",
            kernel,
            "strides",
            stride,
            "padding",
            kernel == 1 ? "valid" : "same"),
        x);
  }

  private static KerasTensor bottleneck(
      KerasTensor x, int filters, int stride, boolean convShortcut) {
    KerasTensor shortcut = convShortcut ? bn(conv(x, 4 * filters, 1, stride)) : x;
    KerasTensor y = relu(bn(conv(x, filters, 1, stride)));
    y = relu(bn(conv(y, filters, 3, 1)));
    y = bn(conv(y, 4 * filters, 1, 1));
    return relu(apply(layer("Add"), shortcut, y));
  }

  static Model resNet50() {
    KerasTensor in = Input.of(224, 224, 3);
    KerasTensor x = apply(layer("ZeroPadding2D", "padding", 3), in);
    x =
        apply(
            layer("Conv2D", "filters", 64, "kernel_size", 7, "strides", 2, "padding", "valid"), x);
    x = relu(bn(x));
    x = apply(layer("ZeroPadding2D", "padding", 1), x);
    x = apply(layer("MaxPooling2D", "pool_size", 3, "strides", 2), x);
    int[][] stacks = {{64, 3, 1}, {128, 4, 2}, {256, 6, 2}, {512, 3, 2}};
    for (int[] s : stacks) {
      x = bottleneck(x, s[0], s[2], true);
      for (int b = 1; b < s[1]; b++) {
        x = bottleneck(x, s[0], 1, false);
      }
    }
    x = apply(layer("GlobalAveragePooling2D"), x);
    x = apply(layer("Dense", "units", 1000, "activation", "softmax"), x);
    return Model.of(in, x);
  }

  @Test
  void resNet50HasKerasParameterCounts() {
    Model m = resNet50();
    assertEquals(Shape.of(Shape.UNKNOWN, 1000), m.outputs().get(0).shape());
    assertCounts(m, 25_636_712, 25_583_592, 53_120);
    m.close();
  }

  // ------------------------------------------------------------------ InceptionV3

  private static KerasTensor convBn(
      KerasTensor x, int filters, int rows, int cols, int stride, String padding) {
    x =
        apply(
            layer(
                "Conv2D",
                "filters",
                filters,
                "kernel_size",
                List.of(rows, cols),
                "strides",
                stride,
                "padding",
                padding,
                "use_bias",
                false),
            x);
    x = apply(layer("BatchNormalization", "axis", 3, "scale", false), x);
    return relu(x);
  }

  private static KerasTensor convBn(KerasTensor x, int filters, int rows, int cols) {
    return convBn(x, filters, rows, cols, 1, "same");
  }

  private static KerasTensor concat(KerasTensor... xs) {
    return apply(layer("Concatenate", "axis", 3), xs);
  }

  private static KerasTensor avgPool3(KerasTensor x) {
    return apply(layer("AveragePooling2D", "pool_size", 3, "strides", 1, "padding", "same"), x);
  }

  private static KerasTensor maxPool3s2(KerasTensor x) {
    return apply(layer("MaxPooling2D", "pool_size", 3, "strides", 2), x);
  }

  static Model inceptionV3() {
    KerasTensor in = Input.of(299, 299, 3);
    KerasTensor x = convBn(in, 32, 3, 3, 2, "valid");
    x = convBn(x, 32, 3, 3, 1, "valid");
    x = convBn(x, 64, 3, 3);
    x = maxPool3s2(x);
    x = convBn(x, 80, 1, 1, 1, "valid");
    x = convBn(x, 192, 3, 3, 1, "valid");
    x = maxPool3s2(x);
    for (int poolFilters : new int[] {32, 64, 64}) {
      KerasTensor b1 = convBn(x, 64, 1, 1);
      KerasTensor b5 = convBn(convBn(x, 48, 1, 1), 64, 5, 5);
      KerasTensor b3 = convBn(convBn(convBn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3);
      KerasTensor bp = convBn(avgPool3(x), poolFilters, 1, 1);
      x = concat(b1, b5, b3, bp);
    }
    KerasTensor m3 = convBn(x, 384, 3, 3, 2, "valid");
    KerasTensor m3d = convBn(convBn(convBn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, 2, "valid");
    x = concat(m3, m3d, maxPool3s2(x));
    for (int c : new int[] {128, 160, 160, 192}) {
      KerasTensor b1 = convBn(x, 192, 1, 1);
      KerasTensor b7 = convBn(convBn(convBn(x, c, 1, 1), c, 1, 7), 192, 7, 1);
      KerasTensor b7d = convBn(x, c, 1, 1);
      b7d = convBn(convBn(convBn(convBn(b7d, c, 7, 1), c, 1, 7), c, 7, 1), 192, 1, 7);
      KerasTensor bp = convBn(avgPool3(x), 192, 1, 1);
      x = concat(b1, b7, b7d, bp);
    }
    KerasTensor b33 = convBn(convBn(x, 192, 1, 1), 320, 3, 3, 2, "valid");
    KerasTensor b773 = convBn(convBn(convBn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1);
    b773 = convBn(b773, 192, 3, 3, 2, "valid");
    x = concat(b33, b773, maxPool3s2(x));
    for (int i = 0; i < 2; i++) {
      KerasTensor b1 = convBn(x, 320, 1, 1);
      KerasTensor b3a = convBn(x, 384, 1, 1);
      KerasTensor b3 = concat(convBn(b3a, 384, 1, 3), convBn(b3a, 384, 3, 1));
      KerasTensor bd = convBn(convBn(x, 448, 1, 1), 384, 3, 3);
      KerasTensor b3dbl = concat(convBn(bd, 384, 1, 3), convBn(bd, 384, 3, 1));
      KerasTensor bp = convBn(avgPool3(x), 192, 1, 1);
      x = concat(b1, b3, b3dbl, bp);
    }
    x = apply(layer("GlobalAveragePooling2D"), x);
    x = apply(layer("Dense", "units", 1000, "activation", "softmax"), x);
    return Model.of(in, x);
  }

  @Test
  void inceptionV3HasKerasParameterCounts() {
    Model m = inceptionV3();
    assertEquals(Shape.of(Shape.UNKNOWN, 1000), m.outputs().get(0).shape());
    assertCounts(m, 23_851_784, 23_817_352, 34_432);
    m.close();
  }
}
