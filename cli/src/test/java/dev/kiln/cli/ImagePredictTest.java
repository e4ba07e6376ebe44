package dev.kiln.cli;

import static dev.kiln.cli.KilnTest.kiln;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.reshaping.Flatten;
import dev.kiln.api.models.Sequential;
import dev.kiln.cli.KilnTest.Run;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln predict} on an image: a 2x1 PNG with known pixels through a model that only flattens,
 * so the printed output is the preprocessed input, checked against values worked out by hand from
 * Keras's {@code preprocess_input}.
 */
class ImagePredictTest {
  @TempDir static Path dir;
  static Path png;
  static Path flat;

  // Pixel 0 is (R, G, B) = (10, 20, 30), pixel 1 is (200, 100, 50): no channel equals another, so
  // a swapped order shows.
  @BeforeAll
  static void files() throws IOException {
    BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
    img.setRGB(0, 0, (10 << 16) | (20 << 8) | 30);
    img.setRGB(1, 0, (200 << 16) | (100 << 8) | 50);
    png = dir.resolve("two.png");
    ImageIO.write(img, "png", png.toFile());
    flat = dir.resolve("flat.keras");
    try (Sequential m = new Sequential(Input.of(1, 2, 3), new Flatten())) {
      m.save(flat);
    }
  }

  private static float[] predict(Path model, String... options) {
    String[] args = new String[4 + options.length];
    args[0] = "predict";
    args[1] = model.toString();
    args[2] = "--input";
    args[3] = png.toString();
    System.arraycopy(options, 0, args, 4, options.length);
    Run r = kiln(args);
    assertEquals(0, r.code(), r.err());
    String out = r.out().strip();
    assertTrue(out.startsWith("[[") && out.endsWith("]]"), out);
    String[] parts = out.substring(2, out.length() - 2).split(",");
    float[] v = new float[parts.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = Float.parseFloat(parts[i]);
    }
    return v;
  }

  @Test
  void plainPixelsAreRgbValues() {
    assertArrayEquals(new float[] {10, 20, 30, 200, 100, 50}, predict(flat), 0f);
  }

  @Test
  void caffeIsBgrMinusTheImagenetMean() {
    assertArrayEquals(
        new float[] {
          30 - 103.939f, 20 - 116.779f, 10 - 123.68f, 50 - 103.939f, 100 - 116.779f, 200 - 123.68f
        },
        predict(flat, "--preprocess", "caffe"),
        1e-4f);
  }

  @Test
  void tfScalesToMinusOneOne() {
    assertArrayEquals(
        new float[] {
          10 / 127.5f - 1,
          20 / 127.5f - 1,
          30 / 127.5f - 1,
          200 / 127.5f - 1,
          100 / 127.5f - 1,
          50 / 127.5f - 1
        },
        predict(flat, "--preprocess", "tf"),
        1e-6f);
  }

  @Test
  void torchIsImagenetMeanAndStdOnZeroOne() {
    // (10/255 - 0.485) / 0.229 = -1.946656..., (20/255 - 0.456) / 0.224 = -1.685574...,
    // (30/255 - 0.406) / 0.225 = -1.281569..., (200/255 - 0.485) / 0.229 = 1.307047...,
    // (100/255 - 0.456) / 0.224 = -0.285014..., (50/255 - 0.406) / 0.225 = -0.932985...
    assertArrayEquals(
        new float[] {-1.946656f, -1.685574f, -1.281569f, 1.307047f, -0.285014f, -0.932985f},
        predict(flat, "--preprocess", "torch"),
        1e-5f);
  }

  @Test
  void scaleThenMeanThenStdPerChannel() {
    // (x * 0.5 - mean) / std with mean (1, 2, 3) and std (2, 4, 8).
    assertArrayEquals(
        new float[] {2, 2, 1.5f, 49.5f, 12, 2.75f},
        predict(flat, "--scale", "0.5", "--mean", "1,2,3", "--std", "2,4,8"),
        1e-6f);
  }

  @Test
  void grayscaleIsLumaAndResizeShapesTheInput() throws IOException {
    Path gray = dir.resolve("gray.keras");
    try (Sequential m = new Sequential(Input.of(1, 2, 1), new Flatten())) {
      m.save(gray);
    }
    // 0.299 R + 0.587 G + 0.114 B.
    assertArrayEquals(new float[] {18.15f, 124.2f}, predict(gray, "--grayscale"), 1e-4f);

    Path big = dir.resolve("big.keras");
    try (Sequential m = new Sequential(Input.of(4, 6, 3), new Flatten())) {
      m.save(big);
    }
    float[] v = predict(big, "--resize", "4,6");
    assertEquals(72, v.length);
    // Bilinear: the left column keeps pixel 0's colour, the right column pixel 1's.
    assertArrayEquals(new float[] {10, 20, 30}, Arrays.copyOfRange(v, 0, 3), 0f);
    assertArrayEquals(new float[] {200, 100, 50}, Arrays.copyOfRange(v, 15, 18), 0f);
  }

  @Test
  void topKWithLabelsNamesTheImagesClasses() throws IOException {
    Path labels = dir.resolve("labels.txt");
    Files.writeString(labels, "r0\ng0\nb0\nr1\ng1\nb1\n");
    Run r =
        kiln(
            "predict",
            flat.toString(),
            "--input",
            png.toString(),
            "--top",
            "2",
            "--labels",
            labels.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("r1 200.0\tg1 100.0", r.out().strip());
  }

  @Test
  void badImageOptionsAreRefused() throws IOException {
    assertEquals(
        2,
        kiln("predict", flat.toString(), "--input", png.toString(), "--preprocess", "keras")
            .code());
    assertEquals(
        2,
        kiln(
                "predict",
                flat.toString(),
                "--input",
                png.toString(),
                "--preprocess",
                "tf",
                "--scale",
                "2")
            .code());
    Run mean = kiln("predict", flat.toString(), "--input", png.toString(), "--mean", "1,2");
    assertEquals(1, mean.code());
    assertTrue(mean.err().startsWith("kiln: --mean has 2 values but the image has 3"), mean.err());
    Path broken = dir.resolve("broken.png");
    Files.write(broken, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
    Run b = kiln("predict", flat.toString(), "--input", broken.toString());
    assertEquals(1, b.code());
    assertTrue(b.err().startsWith("kiln: ") && b.err().contains(broken.toString()), b.err());
  }
}
