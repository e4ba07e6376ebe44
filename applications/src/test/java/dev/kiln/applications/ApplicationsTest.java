package dev.kiln.applications;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.Model;
import dev.kiln.spi.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The builders' names, shapes, argument checks and weight loading. */
class ApplicationsTest {

  private static void assertHasLayers(Model m, String... names) {
    for (String n : names) {
      assertEquals(n, m.getLayer(n).name());
    }
  }

  @Test
  void resNet50HasKerasLayerNamesAndLayerCount() {
    try (Model m = Applications.resNet50().build()) {
      assertEquals("resnet50", m.name());
      // Keras's ResNet50 has 177 layers, the input layer included.
      assertEquals(177, m.layers().size());
      assertHasLayers(
          m,
          "conv1_pad",
          "conv1_conv",
          "conv1_bn",
          "conv1_relu",
          "pool1_pad",
          "pool1_pool",
          "conv2_block1_0_conv",
          "conv2_block1_1_conv",
          "conv2_block3_out",
          "conv4_block6_add",
          "conv5_block3_3_bn",
          "avg_pool",
          "predictions");
    }
  }

  @Test
  void resNet50V2HasPreactivationNames() {
    try (Model m = Applications.resNet50V2().includeTop(false).build()) {
      assertHasLayers(
          m, "conv2_block1_preact_bn", "conv2_block3_2_pad", "conv5_block3_out", "post_relu");
      // Without a top or an input shape the spatial size is unknown.
      assertEquals(
          Shape.of(Shape.UNKNOWN, Shape.UNKNOWN, Shape.UNKNOWN, 2048), m.outputs().get(0).shape());
    }
  }

  @Test
  void mobileNetV2HeadlessHasKerasLayerCountAndNames() {
    try (Model m = Applications.mobileNetV2().includeTop(false).inputShape(160, 160, 3).build()) {
      // The TensorFlow transfer-learning tutorial prints 154 layers for this base model.
      assertEquals(154, m.layers().size());
      assertEquals("mobilenetv2_1.00_160", m.name());
      assertHasLayers(
          m,
          "Conv1",
          "bn_Conv1",
          "Conv1_relu",
          "expanded_conv_depthwise",
          "expanded_conv_project_BN",
          "block_1_expand",
          "block_1_pad",
          "block_2_add",
          "block_16_project_BN",
          "Conv_1",
          "Conv_1_bn",
          "out_relu");
      assertEquals(Shape.of(Shape.UNKNOWN, 5, 5, 1280), m.outputs().get(0).shape());
    }
  }

  @Test
  void vggHasKerasLayerCountsAndNames() {
    try (Model m16 = Applications.vgg16().build();
        Model m19 = Applications.vgg19().includeTop(false).pooling(Pooling.MAX).build()) {
      assertEquals(23, m16.layers().size());
      assertHasLayers(m16, "block1_conv1", "block5_conv3", "block5_pool", "flatten", "fc1", "fc2");
      assertHasLayers(m19, "block5_conv4");
      assertEquals(Shape.of(Shape.UNKNOWN, 512), m19.outputs().get(0).shape());
    }
  }

  @Test
  void mobileNetAndDenseNetHaveKerasNames() {
    try (Model mn =
            Applications.mobileNet().alpha(0.25).inputShape(128, 128, 3).classes(7).build();
        Model dn = Applications.denseNet121().includeTop(false).build()) {
      assertEquals("mobilenet_0.25_128", mn.name());
      assertHasLayers(
          mn, "conv1", "conv_pad_2", "conv_dw_13_relu", "conv_pw_13_bn", "conv_preds", "reshape_2");
      assertEquals(Shape.of(Shape.UNKNOWN, 7), mn.outputs().get(0).shape());
      assertHasLayers(
          dn, "conv1_conv", "pool1", "conv2_block6_concat", "pool4_pool", "conv5_block16_2_conv");
      assertEquals(1024, dn.outputs().get(0).shape().dim(-1));
    }
  }

  @Test
  void inceptionFamiliesAndXceptionHaveKerasNames() {
    try (Model x = Applications.xception().includeTop(false).build();
        Model i3 = Applications.inceptionV3().includeTop(false).pooling(Pooling.AVG).build();
        Model irv2 = Applications.inceptionResNetV2().build()) {
      assertHasLayers(
          x,
          "block1_conv1",
          "block2_sepconv2_bn",
          "block4_pool",
          "block12_sepconv3_act",
          "block14_sepconv2_act");
      assertEquals(2048, x.outputs().get(0).shape().dim(-1));
      assertHasLayers(i3, "mixed0", "mixed3", "mixed7", "mixed9_0", "mixed9_1", "mixed10");
      assertHasLayers(
          irv2,
          "mixed_5b",
          "block35_10_mixed",
          "block17_20_conv",
          "block8_9_ac",
          "block8_10_conv",
          "conv_7b_bn",
          "conv_7b_ac",
          "avg_pool",
          "predictions");
      assertEquals("inception_resnet_v2", irv2.name());
    }
  }

  @Test
  void efficientNetAndConvNeXtHaveKerasNames() {
    try (Model e = Applications.efficientNetB0().build();
        Model c = Applications.convNeXtTiny().includeTop(false).inputShape(64, 64, 3).build()) {
      assertEquals(Shape.of(Shape.UNKNOWN, 224, 224, 3), e.inputs().get(0).shape());
      assertHasLayers(
          e,
          "stem_conv_pad",
          "stem_conv",
          "block1a_dwconv",
          "block1a_se_excite",
          "block2a_expand_conv",
          "block2a_dwconv_pad",
          "block2b_drop",
          "block2b_add",
          "block7a_project_bn",
          "top_conv",
          "top_dropout",
          "predictions");
      assertHasLayers(
          c,
          "convnext_tiny_prestem_normalization",
          "convnext_tiny_stem",
          "convnext_tiny_downsampling_block_2",
          "convnext_tiny_stage_2_block_8_layer_scale",
          "convnext_tiny_stage_3_block_2_pointwise_conv_2");
      assertEquals(Shape.of(Shape.UNKNOWN, 2, 2, 768), c.outputs().get(0).shape());
    }
  }

  @Test
  void nasNetHasKerasNamesAndShapes() {
    try (Model m = Applications.nasNetMobile().includeTop(false).build()) {
      assertEquals("NASNet", m.name());
      // Keras's NASNetMobile takes 224x224 without the top too.
      assertEquals(Shape.of(Shape.UNKNOWN, 224, 224, 3), m.inputs().get(0).shape());
      assertHasLayers(
          m,
          "stem_conv1",
          "stem_bn1",
          "reduction_conv_1_stem_1",
          "separable_conv_1_pad_reduction_left1_stem_1",
          "reduction_pad_1_stem_1",
          "reduction_add3_stem_1",
          "adjust_relu_1_stem_2",
          "adjust_avg_pool_2_stem_2",
          "adjust_conv_2_stem_2",
          "adjust_bn_0",
          "normal_left3_5",
          "reduction_add4_reduce_4",
          "separable_conv_2_bn_reduction_left4_reduce_8",
          "normal_add_5_12",
          "normal_concat_12");
      // Three reductions after the two stem cells: 224 -> 111 -> 56 -> 28 -> 14 -> 7; 6 x 176.
      assertEquals(Shape.of(Shape.UNKNOWN, 7, 7, 1056), m.outputs().get(0).shape());
    }
  }

  @Test
  void nasNetChecksItsArguments(@TempDir Path dir) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Applications.nasNetMobile().penultimateFilters(1000).build());
    assertTrue(e.getMessage().contains("multiple of 24 * filterMultiplier^2 = 96"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Applications.nasNetLarge().includeTop(false).inputShape(-1, -1, 3).build());
    assertTrue(e.getMessage().contains("static input height and width"), e.getMessage());
    String old = System.getProperty("kiln.keras.home");
    System.setProperty("kiln.keras.home", dir.toString());
    try {
      KilnException missing =
          assertThrows(
              KilnException.class,
              () -> Applications.nasNetMobile().includeTop(false).weights("imagenet").build());
      assertTrue(missing.getMessage().contains("nasnet_mobile_no_top.h5"), missing.getMessage());
      KilnException none =
          assertThrows(
              KilnException.class,
              () -> Applications.nasNetLarge().numBlocks(2).weights("imagenet").build());
      assertTrue(none.getMessage().contains("publishes no ImageNet weights"), none.getMessage());
    } finally {
      restoreKerasHome(old);
    }
  }

  private static void restoreKerasHome(String old) {
    if (old == null) {
      System.clearProperty("kiln.keras.home");
    } else {
      System.setProperty("kiln.keras.home", old);
    }
  }

  // md5 and sha256 of the bytes "not really weights", from Python's hashlib.
  private static final String FAKE_MD5 = "58e7661b5b0d8d37c4e0cfabd44ed95e";
  private static final String FAKE_SHA256 =
      "6bc9509551b471fd7d25a12b99a9d825e866b1ad02f9f9b5071757ab66d30e68";

  @Test
  void hashCheckTakesMd5OrSha256AndNamesFileAndBothHashes(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("fake.h5"), "not really weights");
    KerasWeights.checkHash(file, FAKE_MD5);
    KerasWeights.checkHash(file, FAKE_SHA256);
    KerasWeights.checkHash(file, FAKE_SHA256.toUpperCase(java.util.Locale.ROOT));
    String wrongMd5 = "0".repeat(32);
    KilnException e =
        assertThrows(KilnException.class, () -> KerasWeights.checkHash(file, wrongMd5));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("md5"), e.getMessage());
    assertTrue(e.getMessage().contains("expected " + wrongMd5), e.getMessage());
    assertTrue(e.getMessage().contains("got " + FAKE_MD5), e.getMessage());
    // A 64-digit hash is a sha256: the md5 of the file padded out does not pass.
    KilnException sha =
        assertThrows(KilnException.class, () -> KerasWeights.checkHash(file, FAKE_MD5 + FAKE_MD5));
    assertTrue(sha.getMessage().contains("got " + FAKE_SHA256), sha.getMessage());
    assertThrows(KilnException.class, () -> KerasWeights.checkHash(file, "abc"));
  }

  @Test
  void imagenetFileIsCheckedAgainstItsTableEntryUnlessSkipped(@TempDir Path dir) throws Exception {
    Path models = Files.createDirectories(dir.resolve("models"));
    Files.writeString(models.resolve("fake_weights.h5"), "not really weights");
    String oldHome = System.getProperty("kiln.keras.home");
    System.setProperty("kiln.keras.home", dir.toString());
    try {
      Path ok =
          KerasWeights.resolve(
              "imagenet", "fake", "fake_weights.h5", Map.of("fake_weights.h5", FAKE_SHA256));
      assertEquals(models.resolve("fake_weights.h5"), ok);
      Map<String, String> wrong = Map.of("fake_weights.h5", "1".repeat(64));
      KilnException e =
          assertThrows(
              KilnException.class,
              () -> KerasWeights.resolve("imagenet", "fake", "fake_weights.h5", wrong));
      assertTrue(e.getMessage().contains("fake_weights.h5"), e.getMessage());
      assertTrue(e.getMessage().contains(KerasWeights.SKIP_HASH_CHECK), e.getMessage());
      System.setProperty(KerasWeights.SKIP_HASH_CHECK, "true");
      assertEquals(ok, KerasWeights.resolve("imagenet", "fake", "fake_weights.h5", wrong));
    } finally {
      System.clearProperty(KerasWeights.SKIP_HASH_CHECK);
      restoreKerasHome(oldHome);
    }
  }

  @Test
  void hashTableHasKerasFileNamesOfEveryFamilyWithHashes() {
    Map<String, String> table = KerasWeights.knownHashes();
    assertEquals(84, table.size());
    // Spot checks against keras/src/applications/resnet.py and convnext.py.
    assertEquals(
        "4d473c1dd8becc155b73f8504c6f6626",
        table.get("resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"));
    assertEquals(
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        table.get("convnext_tiny.h5"));
    List<ApplicationBuilder<?>> builders =
        List.of(
            Applications.resNet152V2(),
            Applications.vgg19(),
            Applications.denseNet201(),
            Applications.xception(),
            Applications.inceptionV3(),
            Applications.inceptionResNetV2(),
            Applications.efficientNetB7(),
            Applications.efficientNetV2S(),
            Applications.convNeXtXLarge(),
            Applications.mobileNetV3Small().minimalistic(true),
            Applications.mobileNetV3Large().alpha(0.75),
            Applications.nasNetLarge());
    for (ApplicationBuilder<?> b : builders) {
      for (boolean top : new boolean[] {true, false}) {
        String file = b.includeTop(top).kerasWeightsFile();
        assertTrue(table.containsKey(file), file + " is not in the hash table");
      }
    }
  }

  @Test
  void efficientNetImagenetWeightsAddKerasPerChannelRescaling(@TempDir Path dir) throws Exception {
    Path models = Files.createDirectories(dir.resolve("models"));
    List<Tensor> saved;
    try (Model m = Applications.efficientNetB0().includeTop(false).inputShape(64, 64, 3).build()) {
      saved = m.getWeights();
      m.saveWeights(models.resolve("efficientnetb0_notop.h5"));
      assertEquals(0, perChannelRescalings(m));
    }
    String oldHome = System.getProperty("kiln.keras.home");
    System.setProperty("kiln.keras.home", dir.toString());
    // The file is Kiln's, not Keras's: its hash differs from the one Keras publishes.
    System.setProperty(KerasWeights.SKIP_HASH_CHECK, "true");
    try (Model m =
        Applications.efficientNetB0()
            .includeTop(false)
            .inputShape(64, 64, 3)
            .weights("imagenet")
            .build()) {
      assertEquals(saved, m.getWeights());
      assertEquals(1, perChannelRescalings(m));
    } finally {
      System.clearProperty(KerasWeights.SKIP_HASH_CHECK);
      restoreKerasHome(oldHome);
    }
  }

  /** The Rescaling layers with one scale per channel, checked against Keras's 1/sqrt(std). */
  private static int perChannelRescalings(Model m) {
    int n = 0;
    for (Layer l : m.layers()) {
      if (l.className().equals("Rescaling") && l.getConfig().get("scale") instanceof List<?> s) {
        assertEquals(List.of(1 / Math.sqrt(0.229), 1 / Math.sqrt(0.224), 1 / Math.sqrt(0.225)), s);
        n++;
      }
    }
    return n;
  }

  @Test
  void convNeXtNestsStemAndDownsamplingAsKerasAndTheirWeightsRoundTrip(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("convnext_tiny_notop.h5");
    List<Tensor> saved;
    try (Model m = Applications.convNeXtTiny().includeTop(false).inputShape(32, 32, 3).build()) {
      Model stem = (Model) m.getLayer("convnext_tiny_stem");
      assertHasLayers(stem, "convnext_tiny_stem_conv", "convnext_tiny_stem_layernorm");
      Model down = (Model) m.getLayer("convnext_tiny_downsampling_block_0");
      assertHasLayers(
          down, "convnext_tiny_downsampling_layernorm_0", "convnext_tiny_downsampling_conv_0");
      // The conv (4x4x3x96 + 96) and layer norm (2 x 96) of the stem.
      assertEquals(4 * 4 * 3 * 96 + 96 + 2 * 96, stem.countParams());
      saved = m.getWeights();
      m.saveWeights(file);
    }
    try (Model loaded =
        Applications.convNeXtTiny().includeTop(false).inputShape(32, 32, 3).weights(file).build()) {
      assertEquals(saved, loaded.getWeights());
    }
  }

  @Test
  void smallerAlphaNarrowsMobileNetV2() {
    // Widths round to multiples of 8: 32 * 0.35 = 11.2 gives 16 filters in Conv1.
    try (Model m = Applications.mobileNetV2().alpha(0.35).inputShape(96, 96, 3).build()) {
      Layer conv1 = m.getLayer("Conv1");
      assertEquals(3 * 3 * 3 * 16, conv1.countParams());
      assertEquals(1280, m.getLayer("Conv_1").output().shape().dim(-1));
    }
  }

  @Test
  void imagenetWeightsNeedAThousandClasses() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Applications.resNet50().weights("imagenet").classes(10).build());
    assertTrue(e.getMessage().contains("classes=10"), e.getMessage());
  }

  @Test
  void vggTopNeedsAStaticInputShape() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Applications.vgg16().inputShape(-1, -1, 3).build());
    assertTrue(e.getMessage().contains("static inputShape"), e.getMessage());
  }

  @Test
  void tooSmallInputIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Applications.mobileNetV2().inputShape(16, 16, 3).build());
    assertTrue(e.getMessage().contains("at least 32x32"), e.getMessage());
  }

  @Test
  void missingWeightsFileIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Applications.mobileNetV2().weights("/no/such/file.h5").build());
    assertTrue(e.getMessage().contains("/no/such/file.h5"), e.getMessage());
  }

  @Test
  void inputTensorMustBeAnInput() {
    var in = Input.of(64, 64, 3);
    try (Model m =
        Applications.mobileNetV2().alpha(0.35).includeTop(false).inputTensor(in).build()) {
      assertEquals(in, m.inputs().get(0));
    }
  }

  private static Model tiny(String weights) {
    return Applications.mobileNetV2()
        .alpha(0.35)
        .inputShape(96, 96, 3)
        .includeTop(false)
        .weights(weights)
        .build();
  }

  @Test
  void weightsLoadFromAPathAndFromTheKerasCache(@TempDir Path dir) throws Exception {
    List<Tensor> saved;
    Path models = Files.createDirectories(dir.resolve("models"));
    // Keras's file name for this configuration's ImageNet weights.
    Path cached =
        models.resolve("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5");
    try (Model m = tiny(null)) {
      saved = m.getWeights();
      m.saveWeights(cached);
    }
    try (Model fresh = tiny(null)) {
      // Two random initializations differ, so equal weights below come from the file.
      assertNotEquals(saved, fresh.getWeights());
    }
    try (Model fromPath = tiny(cached.toString())) {
      assertEquals(saved, fromPath.getWeights());
    }
    String old = System.getProperty("kiln.keras.home");
    System.setProperty("kiln.keras.home", dir.toString());
    try (Model fromCache = tiny("imagenet")) {
      assertEquals(saved, fromCache.getWeights());
      KilnException e =
          assertThrows(
              KilnException.class,
              () ->
                  Applications.mobileNetV2()
                      .alpha(0.5)
                      .inputShape(96, 96, 3)
                      .includeTop(false)
                      .weights("imagenet")
                      .build());
      assertTrue(
          e.getMessage()
              .contains("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_96_no_top.h5"),
          e.getMessage());
    } finally {
      if (old == null) {
        System.clearProperty("kiln.keras.home");
      } else {
        System.setProperty("kiln.keras.home", old);
      }
    }
  }
}
