package dev.kiln.samples;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.ImageFolder;
import dev.kiln.api.models.Model;
import dev.kiln.applications.Applications;
import dev.kiln.applications.ImageNet;
import dev.kiln.applications.MobileNetV2;
import dev.kiln.applications.ShippedWeights;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Classifies images with application models and prints the top 5 with class names.
 *
 * <p>First the photo ({@code data/images/dog.jpg}) with MobileNetV2 and Keras's ImageNet weights,
 * resized to 224x224 and preprocessed as MobileNetV2 wants ("tf" mode). Kiln downloads nothing:
 * where Keras's file {@code mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5} is not in
 * the Keras cache ({@code ~/.keras/models}, or {@code -Dkiln.keras.home} / {@code KERAS_HOME}), it
 * prints the message saying where to put it and goes on.
 *
 * <p>Then the Fashion-MNIST test images in {@code data/images/fashion-mnist} (28x28 grayscale PNGs
 * named after their label) with the two models whose weights Kiln ships ({@code
 * kiln:fashion_mnist}): the small ResNet and MobileNetV2 (alpha 0.35, 32x32). These run without any
 * download.
 *
 * <p>Arguments: {@code [photo] [folder of 28x28 PNGs]}.
 */
public final class ClassifyImage {
  private ClassifyImage() {}

  /** Runs the sample. */
  public static void main(String[] args) throws Exception {
    Path photo = Path.of(args.length > 0 ? args[0] : "data/images/dog.jpg");
    Path folder = Path.of(args.length > 1 ? args[1] : "data/images/fashion-mnist");

    System.out.println(photo + " with MobileNetV2 and Keras's ImageNet weights:");
    MobileNetV2 imagenet = Applications.mobileNetV2().weights("imagenet");
    try (Model m = imagenet.build()) {
      Tensor x = ImageNet.preprocessInput(rgb(read(photo), 224, 224), imagenet.preprocessing());
      for (ImageNet.Prediction p : ImageNet.decodePredictions(m.predict(x), 5).get(0)) {
        System.out.println(String.format(Locale.ROOT, "  %-24s %.4f", p.name(), p.score()));
      }
    } catch (KilnException e) {
      System.out.println("  not run: " + e.getMessage());
    }

    List<Path> pngs;
    try (Stream<Path> s = Files.list(folder)) {
      pngs = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
    }
    List<Tensor> images = new ArrayList<>();
    for (Path p : pngs) {
      images.add(gray28(read(p), p));
    }
    Tensor batch = Tensor.stack(images);
    try (Model resnet = Applications.smallResNet().weights("kiln:fashion_mnist").build();
        Model mobile =
            Applications.mobileNetV2()
                .alpha(0.35)
                .inputShape(32, 32, 1)
                .classes(10)
                .weights("kiln:fashion_mnist")
                .build()) {
      float[] r = resnet.predict(ShippedWeights.smallResNetInputs(batch)).toFloatArray();
      float[] m = mobile.predict(ShippedWeights.mobileNetV2Inputs(batch)).toFloatArray();
      for (int i = 0; i < pngs.size(); i++) {
        System.out.println(pngs.get(i) + ":");
        System.out.println("  small_resnet  " + top5(r, i));
        System.out.println("  mobilenetv2   " + top5(m, i));
      }
    }
  }

  private static BufferedImage read(Path file) throws IOException {
    return ImageFolder.read(file);
  }

  /**
   * The image resized bilinearly to {@code h x w}, RGB values 0-255, shaped (1, h, w, 3), as {@code
   * kiln predict} reads it. (A grayscale PNG's {@code getRGB} would pass its values through a
   * colour-space conversion; drawing it onto an RGB image keeps them.)
   */
  static Tensor rgb(BufferedImage img, int h, int w) {
    return Tensor.of(ImageFolder.pixels(img, h, w), 1, h, w, 3);
  }

  /** A 28x28 image as grayscale values 0-255 (luma, as PIL's {@code convert("L")}), (28, 28). */
  private static Tensor gray28(BufferedImage img, Path file) {
    if (img.getHeight() != 28 || img.getWidth() != 28) {
      throw new IllegalArgumentException(
          file + " is " + img.getWidth() + "x" + img.getHeight() + ", not 28x28");
    }
    float[] v = rgb(img, 28, 28).toFloatArray();
    float[] g = new float[28 * 28];
    for (int i = 0; i < g.length; i++) {
      g[i] = 0.299f * v[3 * i] + 0.587f * v[3 * i + 1] + 0.114f * v[3 * i + 2];
    }
    return Tensor.of(g, 28, 28);
  }

  /** The five most likely classes of row {@code row} of 10 probabilities, with their names. */
  static String top5(float[] probs, int row) {
    Integer[] order = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    java.util.Arrays.sort(order, (a, b) -> Float.compare(probs[row * 10 + b], probs[row * 10 + a]));
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < 5; k++) {
      int c = order[k];
      sb.append(
          String.format(
              Locale.ROOT,
              "%s%s %.4f",
              k == 0 ? "" : ", ",
              ShippedWeights.FASHION_MNIST_CLASSES.get(c),
              probs[row * 10 + c]));
    }
    return sb.toString();
  }
}
