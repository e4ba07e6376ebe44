package dev.kiln.applications;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.models.Model;
import dev.kiln.api.saving.ModelFiles;
import dev.kiln.spi.DType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The weights Kiln ships in this module, trained here on Fashion-MNIST (no ImageNet weights can be
 * fetched on the machines Kiln is built on), and the preprocessing each was trained with.
 *
 * <ul>
 *   <li>{@code Applications.mobileNetV2().alpha(0.35).inputShape(32, 32, 1).classes(10)
 *       .weights("kiln:fashion_mnist")}: the 28x28 images zero-padded to 32x32 (2 pixels a side),
 *       pixels scaled to [-1, 1] ({@code x / 127.5 - 1}, Keras's "tf" mode), one channel.
 *   <li>{@code Applications.smallResNet().weights("kiln:fashion_mnist")}: the 28x28 images as they
 *       are, pixels scaled to [0, 1].
 * </ul>
 *
 * Without the top ({@code includeTop(false)}) both load every weight but the classifier's, by layer
 * name, for transfer learning.
 */
public final class ShippedWeights {
  private ShippedWeights() {}

  /** Where the shipped archives sit among this module's resources. */
  private static final String RESOURCES = "/dev/kiln/applications/kiln/";

  /**
   * One shipped file: the family (its builder class), the {@code kiln:} name, the configuration it
   * was trained in and the archive's resource name.
   */
  record Shipped(
      Class<?> family,
      String name,
      double alpha,
      int[] inputShape,
      int classes,
      String resource,
      String description) {}

  static final List<Shipped> ALL =
      List.of(
          new Shipped(
              MobileNetV2.class,
              "fashion_mnist",
              0.35,
              new int[] {32, 32, 1},
              10,
              "mobilenetv2_0.35_32_fashion_mnist.keras",
              "MobileNetV2 with alpha(0.35).inputShape(32, 32, 1).classes(10)"),
          new Shipped(
              SmallResNet.class,
              "fashion_mnist",
              Double.NaN,
              new int[] {28, 28, 1},
              10,
              "small_resnet_fashion_mnist.keras",
              "smallResNet() with inputShape(28, 28, 1) and classes(10), its defaults"));

  /**
   * Loads the shipped weights {@code weights} ({@code "kiln:NAME"}) into {@code model}, which
   * {@code builder} built: by layer name, every layer of the model that has weights from the layer
   * of the same name in the shipped file, so a model without the top takes all but the classifier.
   *
   * @throws KilnException if no such weights ship for this family, or the builder's configuration
   *     (alpha, input shape, classes with the top) is not the one they were trained in, naming both
   */
  static void load(Model model, String weights, ApplicationBuilder<?> builder) {
    String name = weights.substring(KerasWeights.KILN_PREFIX.length());
    Shipped s = find(builder, name, weights, model.name());
    checkConfig(s, builder, weights);
    Path tmp = null;
    try (InputStream in = ShippedWeights.class.getResourceAsStream(RESOURCES + s.resource())) {
      if (in == null) {
        throw new KilnException(
            "the weights '"
                + weights
                + "' are missing from this build of kiln-applications (resource "
                + RESOURCES
                + s.resource()
                + ")");
      }
      tmp = Files.createTempFile("kiln-shipped-", ".keras");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      try (Model source = ModelFiles.load(tmp)) {
        copyByName(source, model, weights);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the shipped weights '" + weights + "' (" + s.resource() + ")", e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // A temporary file left behind is harmless; the load itself succeeded or failed above.
        }
      }
    }
  }

  private static Shipped find(ApplicationBuilder<?> b, String name, String weights, String model) {
    List<String> forFamily = new ArrayList<>();
    for (Shipped s : ALL) {
      if (s.family() == b.getClass()) {
        if (s.name().equals(name)) {
          return s;
        }
        forFamily.add(KerasWeights.KILN_PREFIX + s.name());
      }
    }
    List<String> all = new ArrayList<>();
    for (Shipped s : ALL) {
      all.add(KerasWeights.KILN_PREFIX + s.name() + " for " + s.description());
    }
    throw new KilnException(
        "no weights named '"
            + weights
            + "' ship with Kiln for "
            + model
            + (forFamily.isEmpty() ? "" : "; for this family there are " + forFamily)
            + ". Kiln ships: "
            + String.join("; ", all));
  }

  private static void checkConfig(Shipped s, ApplicationBuilder<?> b, String weights) {
    List<String> wrong = new ArrayList<>();
    if (b instanceof MobileNetV2 m && m.alpha() != s.alpha()) {
      wrong.add("alpha " + m.alpha() + " (trained with " + s.alpha() + ")");
    }
    int[] shape = b.resolvedInputShape();
    boolean shapeOk = shape.length == 3 && shape[2] == s.inputShape()[2];
    for (int i = 0; shapeOk && i < 2; i++) {
      // Unknown sizes are fine: the convolutions take any size, and the trained one works.
      shapeOk = shape[i] < 0 || shape[i] == s.inputShape()[i];
    }
    if (!shapeOk) {
      wrong.add(
          "inputShape "
              + Arrays.toString(shape)
              + " (trained at "
              + Arrays.toString(s.inputShape())
              + (b.includeTop() ? "" : "; without the top, height and width may be -1")
              + ")");
    }
    if (b.includeTop() && b.classes() != s.classes()) {
      wrong.add(
          "classes "
              + b.classes()
              + " (trained with "
              + s.classes()
              + "; for other classes use includeTop(false) and a new head)");
    }
    if (!wrong.isEmpty()) {
      throw new IllegalArgumentException(
          "The weights '"
              + weights
              + "' were trained for "
              + s.description()
              + "; this model has "
              + String.join(", ", wrong));
    }
  }

  private static void copyByName(Model source, Model target, String weights) {
    Map<String, Layer> byName = new HashMap<>();
    for (Layer l : source.layers()) {
      byName.put(l.name(), l);
    }
    for (Layer l : target.layers()) {
      List<Weight> to = l.weights();
      if (to.isEmpty()) {
        continue;
      }
      Layer from = byName.get(l.name());
      if (from == null) {
        throw new KilnException(
            "the weights '"
                + weights
                + "' have no layer named '"
                + l.name()
                + "' (a "
                + l.className()
                + " of model \""
                + target.name()
                + "\")");
      }
      Map<String, Weight> fromWeights = new HashMap<>();
      for (Weight w : from.weights()) {
        fromWeights.put(w.name(), w);
      }
      for (Weight w : to) {
        Weight f = fromWeights.get(w.name());
        if (f == null || !f.type().shape().equals(w.type().shape())) {
          throw new KilnException(
              String.format(
                  Locale.ROOT,
                  "the weights '%s' do not fit model \"%s\": layer '%s' weight '%s' has shape %s"
                      + " in the model but %s in the shipped file",
                  weights,
                  target.name(),
                  l.name(),
                  w.name(),
                  w.type().shape(),
                  f == null ? "is missing" : f.type().shape().toString()));
        }
        w.assign(f.read());
      }
    }
  }

  /** The Fashion-MNIST class names, in label order. */
  public static final java.util.List<String> FASHION_MNIST_CLASSES =
      java.util.List.of(
          "T-shirt/top",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");

  /**
   * 28x28 grayscale images with pixels in [0, 255], shaped {@code (n, 28, 28)} or {@code (n, 28,
   * 28, 1)}, as the shipped small ResNet takes them: {@code (n, 28, 28, 1)} in [0, 1].
   */
  public static Tensor smallResNetInputs(Tensor images) {
    int n = checkImages(images);
    float[] v = images.cast(DType.FLOAT32).toFloatArray();
    for (int i = 0; i < v.length; i++) {
      v[i] /= 255f;
    }
    return Tensor.of(v, n, 28, 28, 1);
  }

  /**
   * 28x28 grayscale images with pixels in [0, 255], shaped {@code (n, 28, 28)} or {@code (n, 28,
   * 28, 1)}, as the shipped MobileNetV2 takes them: zero-padded to {@code (n, 32, 32, 1)}, then
   * scaled to [-1, 1].
   */
  public static Tensor mobileNetV2Inputs(Tensor images) {
    int n = checkImages(images);
    float[] v = images.cast(DType.FLOAT32).toFloatArray();
    float[] out = new float[n * 32 * 32];
    java.util.Arrays.fill(out, -1f);
    for (int i = 0; i < n; i++) {
      for (int r = 0; r < 28; r++) {
        for (int c = 0; c < 28; c++) {
          out[(i * 32 + r + 2) * 32 + c + 2] = v[(i * 28 + r) * 28 + c] / 127.5f - 1f;
        }
      }
    }
    return Tensor.of(out, n, 32, 32, 1);
  }

  private static int checkImages(Tensor images) {
    int[] d = images.dims();
    boolean ok =
        (d.length == 3 || (d.length == 4 && d[3] == 1))
            && d.length >= 3
            && d[1] == 28
            && d[2] == 28;
    if (!ok) {
      throw new IllegalArgumentException(
          "expected 28x28 grayscale images shaped (n, 28, 28) or (n, 28, 28, 1). Received: shape="
              + images.shape());
    }
    return d[0];
  }
}
