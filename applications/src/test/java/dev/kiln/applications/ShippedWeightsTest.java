package dev.kiln.applications;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Idx;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The weights Kiln ships: each reaches the test accuracy applications/README.md states on all
 * 10,000 Fashion-MNIST test images (within 0.5 points), loads without its top by layer name, and a
 * configuration it was not trained in is refused with a message that names what differs.
 */
class ShippedWeightsTest {
  private static Idx.Split fashion;

  @BeforeAll
  static void loadData() throws IOException {
    fashion = Idx.loadMnist(Path.of("../data/fashion-mnist"));
  }

  private static Model mobileNet() {
    return Applications.mobileNetV2()
        .alpha(0.35)
        .inputShape(32, 32, 1)
        .classes(10)
        .weights("kiln:fashion_mnist")
        .build();
  }

  private static Model smallResNet() {
    return Applications.smallResNet().weights("kiln:fashion_mnist").build();
  }

  @Test
  void mobileNetV2ReachesTheStatedAccuracy() throws IOException {
    checkAccuracy(
        "| `Applications.mobileNetV2()",
        ShippedWeightsTest::mobileNet,
        ShippedWeights::mobileNetV2Inputs);
  }

  @Test
  void smallResNetReachesTheStatedAccuracy() throws IOException {
    checkAccuracy(
        "| `Applications.smallResNet()",
        ShippedWeightsTest::smallResNet,
        ShippedWeights::smallResNetInputs);
  }

  private static void checkAccuracy(
      String readmeRow, Supplier<Model> model, Function<Tensor, Tensor> inputs) throws IOException {
    double stated = statedAccuracy(readmeRow);
    try (Model m = model.get()) {
      Tensor p =
          m.predict(
                  List.of(inputs.apply(fashion.testImages())),
                  new FitOptions().batchSize(500).verbose(0))
              .get(0);
      int[] predicted = p.argmax();
      int[] labels = fashion.testLabels().toIntArray();
      assertEquals(10_000, labels.length);
      int right = 0;
      for (int i = 0; i < labels.length; i++) {
        right += predicted[i] == labels[i] ? 1 : 0;
      }
      double accuracy = right / (double) labels.length;
      assertEquals(stated, accuracy, 0.005, m.name() + ": README states " + stated);
    }
  }

  /** The last cell of the README's table row that starts with {@code rowStart}. */
  private static double statedAccuracy(String rowStart) throws IOException {
    for (String line : Files.readAllLines(Path.of("README.md"))) {
      if (line.startsWith(rowStart) && line.contains("`kiln:fashion_mnist`")) {
        String[] cells = line.split("\\|");
        return Double.parseDouble(cells[cells.length - 1].strip());
      }
    }
    throw new AssertionError("applications/README.md has no row starting " + rowStart);
  }

  @Test
  void withoutTheTopEveryWeightButTheClassifiersLoadsByName() {
    Tensor x = ShippedWeights.smallResNetInputs(fashion.testImages().slice(0, 8));
    try (Model full = smallResNet();
        Model base =
            Applications.smallResNet()
                .includeTop(false)
                .pooling(Pooling.AVG)
                .weights("kiln:fashion_mnist")
                .build()) {
      // The headless model's pooled features through the full model's classifier give its output.
      float[] features = base.predict(x).toFloatArray();
      List<Weight> dense = full.getLayer("predictions").weights();
      float[] kernel = dense.get(0).read().toFloatArray();
      float[] bias = dense.get(1).read().toFloatArray();
      float[] expected = full.predict(x).toFloatArray();
      for (int n = 0; n < 8; n++) {
        double[] logits = new double[10];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < 10; c++) {
          logits[c] = bias[c];
          for (int f = 0; f < 64; f++) {
            logits[c] += features[n * 64 + f] * kernel[f * 10 + c];
          }
          max = Math.max(max, logits[c]);
        }
        double sum = 0;
        for (int c = 0; c < 10; c++) {
          sum += Math.exp(logits[c] - max);
        }
        for (int c = 0; c < 10; c++) {
          assertEquals(
              expected[n * 10 + c], Math.exp(logits[c] - max) / sum, 1e-4, "image " + n + " " + c);
        }
      }
    }
  }

  @Test
  void mobileNetWithoutTheTopLoadsAtAnyInputSize() {
    try (Model base =
            Applications.mobileNetV2()
                .alpha(0.35)
                .inputShape(-1, -1, 1)
                .includeTop(false)
                .weights("kiln:fashion_mnist")
                .build();
        Model full = mobileNet()) {
      float[] a = base.getLayer("Conv_1").weights().get(0).read().toFloatArray();
      float[] b = full.getLayer("Conv_1").weights().get(0).read().toFloatArray();
      assertTrue(java.util.Arrays.equals(a, b), "Conv_1's kernel is the shipped one");
    }
  }

  @Test
  void aConfigurationNotTrainedIsRefusedNamingWhatDiffers() {
    String alpha =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    Applications.mobileNetV2()
                        .alpha(0.5)
                        .inputShape(32, 32, 1)
                        .classes(10)
                        .weights("kiln:fashion_mnist")
                        .build())
            .getMessage();
    assertTrue(alpha.contains("alpha 0.5 (trained with 0.35)"), alpha);

    String shape =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    Applications.mobileNetV2()
                        .alpha(0.35)
                        .inputShape(96, 96, 3)
                        .classes(10)
                        .weights("kiln:fashion_mnist")
                        .build())
            .getMessage();
    assertTrue(shape.contains("inputShape [96, 96, 3] (trained at [32, 32, 1]"), shape);

    String classes =
        assertThrows(
                IllegalArgumentException.class,
                () -> Applications.smallResNet().classes(5).weights("kiln:fashion_mnist").build())
            .getMessage();
    assertTrue(classes.contains("classes 5 (trained with 10"), classes);

    String name =
        assertThrows(
                KilnException.class,
                () -> Applications.smallResNet().weights("kiln:imagenet").build())
            .getMessage();
    assertTrue(
        name.contains("no weights named 'kiln:imagenet' ship with Kiln for small_resnet"), name);
    assertTrue(name.contains("[kiln:fashion_mnist]"), name);

    String family =
        assertThrows(
                KilnException.class,
                () ->
                    Applications.resNet50().includeTop(false).weights("kiln:fashion_mnist").build())
            .getMessage();
    assertTrue(family.contains("ship with Kiln for resnet50. Kiln ships:"), family);
  }

  @Test
  void smallResNetHasTheDocumentedParameters() {
    try (Model m = Applications.smallResNet().build()) {
      assertEquals(147_930, m.countParams());
      long nonTrainable = 0;
      for (Weight w : m.nonTrainableWeights()) {
        nonTrainable += w.size();
      }
      assertEquals(864, nonTrainable);
      assertEquals(
          List.of(-1, 28, 28, 1),
          java.util.Arrays.stream(m.inputs().get(0).shape().dims()).boxed().toList());
    }
  }
}
