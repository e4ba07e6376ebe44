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
 * <p>Where the totals come from, row by row (each looked up, not recalled):
 *
 * <ul>
 *   <li>ResNet50/101/152, ResNet50V2/101V2/152V2, VGG16/19, MobileNet, MobileNetV2,
 *       DenseNet121/169/201, Xception, InceptionV3, InceptionResNetV2, NASNetMobile/Large and
 *       EfficientNetB0-B7: the exact "Parameters" column of keras.io's applications table, source
 *       github.com/keras-team/keras-io templates/api/applications/index.md at commit
 *       01b6d6c4c4ef2c7975be4c42ac148db57352d978. The same file at
 *       e7be306b7cad4726760a753c5bed90824e096b81 (a later table) rounds them to 0.1M, and adds
 *       EfficientNetV2B0-L rounded (7.2M, 8.2M, 10.2M, 14.5M, 21.6M, 54.4M, 119.0M).
 *   <li>EfficientNetB0-B7: Keras's figures count the input Normalization's {@code count} scalar, a
 *       weight Keras 3 still creates for an adaptable Normalization "for backwards compatibility"
 *       (keras/src/layers/preprocessing/normalization.py at
 *       0349fba148e6cb3c7506554e4abc66c7612a7001); Kiln's Normalization has no such weight, so the
 *       rows expect Keras's total less one (a known difference, in the module's README).
 *   <li>EfficientNetV2B0-B3/S/M/L: Keras publishes only the rounded totals above. The exact figures
 *       are those the EfficientNetV2 authors' reference implementation asserts in its tests
 *       (github.com/google/automl efficientnetv2/effnetv2_model_test.py at commit
 *       73608aa55767bc8f08945e7ed774aaecd9c0f305, {@code test_effnetv2}: {@code count_params()}
 *       7200312, 8212124, 10178374, 14467622, 21612360, 54431388, 119027848 for b0-b3, s, m, l),
 *       which Kiln's build of Keras's keras/src/applications/efficientnet_v2.py equals and which
 *       round to keras.io's figures. (A third-party README's table of ports gives 14,486,374 for
 *       B3; its other rows equal these.)
 *   <li>ConvNeXtTiny/Small/Base/Large: torchvision's published {@code num_params} for the same
 *       architecture (torchvision/models/convnext.py: 28589128, 50223688, 88591464, 197767336).
 *       ConvNeXtXLarge (torchvision has none, and the stored keras.io tables list no ConvNeXt):
 *       OpenMMLab's model zoo metadata, github.com/open-mmlab/mmpretrain
 *       configs/convnext/metafile.yml at commit 5e93ba41c807c8ea85660426061dd99cbc83fc68, {@code
 *       convnext-xlarge_in21k-pre-3rdparty_64xb64_in1k} (converted from the ConvNeXt authors'
 *       {@code convnext_xlarge_22k_1k_224_ema.pth}): {@code Parameters: 350196968}; the same file
 *       gives torchvision's figures for Tiny to Large.
 *   <li>MobileNetV3Small/Large: <b>not confirmed by a Keras publication</b>, and no exact figure
 *       was found in Keras's or TensorFlow's docs, tests or examples; keras.io's table has no
 *       MobileNetV3 row and mobilenet_v3.py's docstring table gives the paper's rounded 2.9M/5.4M.
 *       2,554,968 and 5,507,432 are what Keras's {@code model.summary()} prints in users' public
 *       repositories (several; one also prints trainable 2,542,856 / non-trainable 12,112 and
 *       5,483,032 / 24,400, the rows' computed non-trainable counts), which is all that backs them.
 * </ul>
 *
 * <p>Non-trainable counts: no Keras publication lists them. They are computed: two statistics
 * (moving mean and variance) per channel of every BatchNormalization layer, plus an adapted
 * Normalization's mean and variance ({@code BN_COUNT} rows compute this from the model; the
 * explicit numbers in other rows are the same computation written out). For NASNetMobile/Large the
 * computed 36,738 and 196,668 also equal a Keras {@code model.summary()} printout in a public
 * repository, the only outside check found. Trainable is total minus non-trainable. Headless
 * totals: the default total less the classifier (for VGG the fc1, fc2 and predictions Dense layers;
 * for MobileNet the conv_preds 1x1 convolution; for MobileNetV3 conv_2 and logits), computed from
 * the layer sizes: features x classes + classes.
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
        // Not in the keras.io table (see above). MobileNetV3's top is two 1x1 convolutions: conv_2
        // (576 or 960 to 1024 or 1280, with bias) and logits (to 1000, with bias).
        row(
            "MobileNetV3Small",
            Applications::mobileNetV3Small,
            2_554_968,
            12_112,
            -(2_554_968 - (576 * 1024 + 1024) - 1_025_000)),
        row(
            "MobileNetV3Large",
            Applications::mobileNetV3Large,
            5_507_432,
            24_400,
            -(5_507_432 - (960 * 1280 + 1280) - 1_281_000)),
        row("Xception", Applications::xception, 22_910_480, 54_528, 2048),
        row("InceptionV3", Applications::inceptionV3, 23_851_784, 34_432, 2048),
        row("InceptionResNetV2", Applications::inceptionResNetV2, 55_873_736, 60_544, 1536),
        // Keras's totals count the Normalization's `count` scalar, which Kiln's Normalization does
        // not have: Kiln's totals are one less (5,330,571 - 1 for B0).
        row("EfficientNetB0", Applications::efficientNetB0, 5_330_571 - 1, 42_023 - 1, 1280),
        row("EfficientNetB1", Applications::efficientNetB1, 7_856_239 - 1, BN_COUNT, 1280),
        row("EfficientNetB2", Applications::efficientNetB2, 9_177_569 - 1, BN_COUNT, 1408),
        row("EfficientNetB3", Applications::efficientNetB3, 12_320_535 - 1, BN_COUNT, 1536),
        row("EfficientNetB4", Applications::efficientNetB4, 19_466_823 - 1, BN_COUNT, 1792),
        row("EfficientNetB5", Applications::efficientNetB5, 30_562_527 - 1, BN_COUNT, 2048),
        row("EfficientNetB6", Applications::efficientNetB6, 43_265_143 - 1, BN_COUNT, 2304),
        row("EfficientNetB7", Applications::efficientNetB7, 66_658_687 - 1, BN_COUNT, 2560),
        // The B variants' preprocessing includes a Normalization with a given mean and variance,
        // which Keras (and Kiln) hold as constants: the default build has Keras's counts. The exact
        // totals are the reference implementation's (see above).
        row("EfficientNetV2B0", Applications::efficientNetV2B0, 7_200_312, BN_COUNT, 1280),
        row("EfficientNetV2B1", Applications::efficientNetV2B1, 8_212_124, BN_COUNT, 1280),
        row("EfficientNetV2B2", Applications::efficientNetV2B2, 10_178_374, BN_COUNT, 1408),
        row("EfficientNetV2B3", Applications::efficientNetV2B3, 14_467_622, BN_COUNT, 1536),
        row("EfficientNetV2S", Applications::efficientNetV2S, 21_612_360, BN_COUNT, 1280),
        row("EfficientNetV2M", Applications::efficientNetV2M, 54_431_388, BN_COUNT, 1280),
        row("EfficientNetV2L", Applications::efficientNetV2L, 119_027_848, BN_COUNT, 1280),
        // Built with their preprocessing (a Normalization with a given mean and variance: no
        // parameters). XLarge's total is OpenMMLab's (see above).
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
