package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.models.Model;
import dev.kiln.applications.Applications;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ClassifyImage sample: the photo with ImageNet weights where they are, the shipped models. */
class ClassifyImageTest {
  @Test
  void withoutImageNetWeightsSaysWhereToPutThemAndClassifiesThePngs(@TempDir Path home)
      throws Exception {
    String out = withKerasHome(home);
    assertTrue(out.contains("not run: ImageNet weights for mobilenetv2_1.00_224 not found"), out);
    // Ten PNGs, two models each, five classes per line.
    Matcher m = Pattern.compile("(?m)^  (small_resnet|mobilenetv2) +(.*)$").matcher(out);
    int lines = 0;
    while (m.find()) {
      lines++;
      assertEquals(5, m.group(2).split(", ").length, m.group());
    }
    assertEquals(20, lines, out);
    // Each PNG is named after its label; both shipped models get all ten right (their test
    // accuracy is 0.89 and 0.92, and these are the first test image of each class).
    Matcher png =
        Pattern.compile(
                "(?m)^.*/\\d{4}-(.*)\\.png:\n  small_resnet  (.*?) [01]\\.\\d{4},.*\n  mobilenetv2   (.*?) [01]\\.\\d{4},")
            .matcher(out);
    int images = 0;
    while (png.find()) {
      images++;
      assertEquals(png.group(1), slug(png.group(2)), png.group());
      assertEquals(png.group(1), slug(png.group(3)), png.group());
    }
    assertEquals(10, images, out);
  }

  private static String slug(String className) {
    return className.toLowerCase(java.util.Locale.ROOT).replace('/', '-').replace(' ', '-');
  }

  @Test
  void withAnImageNetFileInTheCacheRunsItOnThePhoto(@TempDir Path home) throws Exception {
    // Random weights under Keras's file name: the point is the path from the cache to the top 5.
    Path models = Files.createDirectories(home.resolve("models"));
    try (Model m = Applications.mobileNetV2().build()) {
      m.saveWeights(models.resolve("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"));
    }
    String out = withKerasHome(home);
    String[] lines = out.split("\n");
    assertTrue(lines[0].endsWith("dog.jpg with MobileNetV2 and Keras's ImageNet weights:"), out);
    for (int i = 1; i <= 5; i++) {
      assertTrue(lines[i].matches("  \\S.* [01]\\.\\d{4}"), lines[i]);
    }
    assertTrue(lines[6].endsWith(".png:"), out);
  }

  private static String withKerasHome(Path home) throws Exception {
    String saved = System.getProperty("kiln.keras.home");
    System.setProperty("kiln.keras.home", home.toString());
    try {
      return TransferLearningTest.run(
          () ->
              ClassifyImage.main(
                  new String[] {"../data/images/dog.jpg", "../data/images/fashion-mnist"}));
    } finally {
      if (saved == null) {
        System.clearProperty("kiln.keras.home");
      } else {
        System.setProperty("kiln.keras.home", saved);
      }
    }
  }
}
