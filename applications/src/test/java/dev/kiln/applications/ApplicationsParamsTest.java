package dev.kiln.applications;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.models.Model;
import dev.kiln.spi.Shape;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every architecture's parameter counts equal Keras's figures, for the default build (top included,
 * the family's default input size, 1000 classes) and for {@code includeTop(false)} with average
 * pooling.
 *
 * <p>Where the figures come from. Totals: Keras 3's {@code model.summary()} of each {@code
 * keras.applications} model with its defaults ("Total params"); the table at
 * https://keras.io/api/applications/ lists the same totals rounded to 0.1M (ResNet50 25.6M,
 * ResNet101 44.7M, ResNet152 60.4M, ResNet50V2 25.6M, ResNet101V2 44.7M, ResNet152V2 60.4M, VGG16
 * 138.4M, VGG19 143.7M, MobileNet 4.3M, MobileNetV2 3.5M, DenseNet121 8.1M, DenseNet169 14.3M,
 * DenseNet201 20.2M, Xception 22.9M, InceptionV3 23.9M, InceptionResNetV2 55.9M, EfficientNetB0
 * 5.3M, B1 7.9M, B2 9.2M, B3 12.3M, B4 19.5M, B5 30.6M, B6 43.3M, B7 66.7M, EfficientNetV2B0 7.2M,
 * B1 8.2M, B2 10.2M, B3 14.5M, S 21.6M, M 54.4M, L 119.0M, ConvNeXtTiny 28.6M, ConvNeXtSmall 50.2M,
 * ConvNeXtBase 88.5M, ConvNeXtLarge 197.7M, ConvNeXtXLarge 350.1M), which the exact figures below
 * agree with. Non-trainable: the BatchNormalization layers' moving means and variances (two per
 * channel), the summary's "Non-trainable params"; trainable is total minus non-trainable. Headless
 * totals: the default total less the classifier (for VGG the fc1, fc2 and predictions Dense layers;
 * for MobileNet the conv_preds 1x1 convolution), computed from the layer sizes: features x classes
 * + classes.
 */
class ApplicationsParamsTest {
  /** Marks a row whose non-trainable count is computed from the BN layers' widths. */
  private static final long BN_COUNT = -1;

  private static long count(List<Weight> ws) {
    long n = 0;
    for (Weight w : ws) {
      n += w.size();
    }
    return n;
  }

  static Stream<Arguments> defaults() {
    return Stream.of(
        row("ResNet50", Applications::resNet50, 25_636_712, 53_120, 2048),
        row("ResNet101", Applications::resNet101, 44_707_176, 105_344, 2048),
        row("ResNet152", Applications::resNet152, 60_419_944, 151_424, 2048),
        row("ResNet50V2", Applications::resNet50V2, 25_613_800, 45_440, 2048),
        row("ResNet101V2", Applications::resNet101V2, 44_675_560, 97_664, 2048),
        row("ResNet152V2", Applications::resNet152V2, 60_380_648, 143_744, 2048),
        row("VGG16", Applications::vgg16, 138_357_544, 0, -14_714_688),
        row("VGG19", Applications::vgg19, 143_667_240, 0, -20_024_384),
        row("MobileNet", Applications::mobileNet, 4_253_864, 21_888, 1024),
        row("MobileNetV2", Applications::mobileNetV2, 3_538_984, 34_112, 1280),
        row("DenseNet121", Applications::denseNet121, 8_062_504, 83_648, 1024),
        row("DenseNet169", Applications::denseNet169, 14_307_880, 158_400, 1664),
        row("DenseNet201", Applications::denseNet201, 20_242_984, 229_056, 1920),
        // Not in the keras.io table: these totals are Keras's model.summary() figures alone.
        // MobileNetV3's top is two 1x1 convolutions: conv_2 (576 or 960 to 1024 or 1280, with
        // bias) and logits (to 1000, with bias).
        row(
            "MobileNetV3Small",
            Applications::mobileNetV3Small,
            2_554_968,
            BN_COUNT,
            -(2_554_968 - (576 * 1024 + 1024) - 1_025_000)),
        row(
            "MobileNetV3Large",
            Applications::mobileNetV3Large,
            5_507_432,
            BN_COUNT,
            -(5_507_432 - (960 * 1280 + 1280) - 1_281_000)),
        row("Xception", Applications::xception, 22_910_480, 54_528, 2048),
        row("InceptionV3", Applications::inceptionV3, 23_851_784, 34_432, 2048),
        row("InceptionResNetV2", Applications::inceptionResNetV2, 55_873_736, 60_544, 1536),
        // Keras 2's summaries count the Normalization layer's `count` scalar, which Keras 3 (and
        // Kiln) no longer have: Keras 3's totals are one less (5,330,571 - 1 for B0).
        row("EfficientNetB0", Applications::efficientNetB0, 5_330_571 - 1, 42_023 - 1, 1280),
        row("EfficientNetB1", Applications::efficientNetB1, 7_856_239 - 1, BN_COUNT, 1280),
        row("EfficientNetB2", Applications::efficientNetB2, 9_177_569 - 1, BN_COUNT, 1408),
        row("EfficientNetB3", Applications::efficientNetB3, 12_320_535 - 1, BN_COUNT, 1536),
        row("EfficientNetB4", Applications::efficientNetB4, 19_466_823 - 1, BN_COUNT, 1792),
        row("EfficientNetB5", Applications::efficientNetB5, 30_562_527 - 1, BN_COUNT, 2048),
        row("EfficientNetB6", Applications::efficientNetB6, 43_265_143 - 1, BN_COUNT, 2304),
        row("EfficientNetB7", Applications::efficientNetB7, 66_658_687 - 1, BN_COUNT, 2560),
        // The B variants' preprocessing includes a Normalization with a given mean and variance,
        // which Keras (and Kiln) hold as constants: the default build has Keras's counts.
        row("EfficientNetV2B0", Applications::efficientNetV2B0, 7_200_312, BN_COUNT, 1280),
        row("EfficientNetV2B1", Applications::efficientNetV2B1, 8_212_124, BN_COUNT, 1280),
        row("EfficientNetV2B2", Applications::efficientNetV2B2, 10_178_374, BN_COUNT, 1408),
        row("EfficientNetV2B3", Applications::efficientNetV2B3, 14_467_622, BN_COUNT, 1536),
        row("EfficientNetV2S", Applications::efficientNetV2S, 21_612_360, BN_COUNT, 1280),
        row("EfficientNetV2M", Applications::efficientNetV2M, 54_431_388, BN_COUNT, 1280),
        row("EfficientNetV2L", Applications::efficientNetV2L, 119_027_848, BN_COUNT, 1280),
        // Built with their preprocessing (a Normalization with a given mean and variance: no
        // parameters).
        row("ConvNeXtTiny", Applications::convNeXtTiny, 28_589_128, 0, 768),
        row("ConvNeXtSmall", Applications::convNeXtSmall, 50_223_688, 0, 768),
        row("ConvNeXtBase", Applications::convNeXtBase, 88_591_464, 0, 1024),
        row("ConvNeXtLarge", Applications::convNeXtLarge, 197_767_336, 0, 1536),
        row("ConvNeXtXLarge", Applications::convNeXtXLarge, 350_196_968, 0, 2048),
        row("NASNetMobile", Applications::nasNetMobile, 5_326_716, BN_COUNT, 1056),
        row("NASNetLarge", Applications::nasNetLarge, 88_949_818, BN_COUNT, 4032));
  }

  /**
   * A table row: the builder, Keras's total and non-trainable counts, and the features the
   * classifier reads (or, negative, the headless total where the top is more than one layer).
   */
  private static Arguments row(
      String name,
      Supplier<? extends ApplicationBuilder<?>> builder,
      long total,
      long nonTrainable,
      long features) {
    long headless = features < 0 ? -features : total - (features * 1000 + 1000);
    return Arguments.of(name, builder, total, nonTrainable, headless);
  }

  /** Two statistics per channel of each batch and input normalization layer. */
  private static long normalizationStatistics(Model m) {
    long n = 0;
    for (Layer l : m.layers()) {
      String c = l.className();
      // A Normalization given its mean and variance holds them as constants (Keras 3): only an
      // adapted one has the two statistics as weights.
      if (c.equals("BatchNormalization")
          || (c.equals("Normalization") && l.getConfig().get("mean") == null)) {
        n += 2L * l.output().shape().dim(-1);
      }
    }
    return n;
  }

  private static void assertCounts(Model m, long total, long nonTrainable) {
    if (nonTrainable == BN_COUNT) {
      nonTrainable = normalizationStatistics(m);
    }
    assertEquals(total, m.countParams(), m.name() + " total parameters");
    assertEquals(
        nonTrainable, count(m.nonTrainableWeights()), m.name() + " non-trainable parameters");
    assertEquals(
        total - nonTrainable, count(m.trainableWeights()), m.name() + " trainable parameters");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("defaults")
  void defaultBuildHasKerasCounts(
      String name,
      Supplier<? extends ApplicationBuilder<?>> builder,
      long total,
      long nonTrainable,
      long headless) {
    try (Model m = builder.get().build()) {
      assertEquals(Shape.of(Shape.UNKNOWN, 1000), m.outputs().get(0).shape(), name);
      String classifier =
          m.name().startsWith("convnext") ? m.name() + "_head_dense" : "predictions";
      assertNotNull(m.getLayer(classifier), name);
      assertCounts(m, total, nonTrainable);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("defaults")
  void headlessAvgPoolHasKerasCounts(
      String name,
      Supplier<? extends ApplicationBuilder<?>> builder,
      long total,
      long nonTrainable,
      long headless) {
    try (Model m = builder.get().includeTop(false).pooling(Pooling.AVG).build()) {
      assertEquals(2, m.outputs().get(0).shape().rank(), name);
      assertCounts(m, headless, nonTrainable);
    }
  }
}
