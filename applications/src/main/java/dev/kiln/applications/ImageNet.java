package dev.kiln.applications;

import dev.kiln.api.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * ImageNet input preprocessing and prediction decoding, as Keras's {@code
 * keras.applications.imagenet_utils}: {@link #preprocessInput} scales RGB pixels in [0, 255] the
 * way a family's weights were trained, {@link #decodePredictions} names the top classes of a
 * 1000-way prediction. The class names are those of the TF.js MobileNet package (see the module's
 * README).
 */
public final class ImageNet {
  /** The number of ImageNet classes. */
  public static final int CLASSES = 1000;

  private static final float[] CAFFE_MEAN_BGR = {103.939f, 116.779f, 123.68f};
  private static final float[] TORCH_MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] TORCH_STD = {0.229f, 0.224f, 0.225f};

  private static volatile List<String> names;

  private ImageNet() {}

  /** How a family expects its input pixels, as Keras's {@code preprocess_input} modes. */
  public enum Mode {
    /** RGB to BGR, then each channel less its ImageNet mean (VGG, ResNet). */
    CAFFE,
    /** Scaled to [-1, 1] per pixel (MobileNet, ResNetV2, Inception, Xception). */
    TF,
    /**
     * Scaled to [0, 1], then normalized by ImageNet's RGB mean and standard deviation (DenseNet).
     */
    TORCH,
    /** Unchanged: the model rescales and normalizes its input itself (EfficientNet). */
    NONE
  }

  /** One decoded class: its ImageNet index, its name, and its score. */
  public record Prediction(int index, String name, float score) {}

  /**
   * Preprocesses a batch of RGB images with pixel values in [0, 255], channels last (the last axis
   * of length 3), as Keras's {@code preprocess_input} does for this mode; returns a new float
   * tensor of the same shape.
   *
   * @throws IllegalArgumentException if the last axis is not 3 channels
   */
  public static Tensor preprocessInput(Tensor images, Mode mode) {
    int[] dims = images.dims();
    if (dims.length == 0 || dims[dims.length - 1] != 3) {
      throw new IllegalArgumentException(
          "preprocessInput expects RGB images with 3 channels on the last axis. Received: shape="
              + images.shape());
    }
    float[] v = images.toFloatArray();
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i += 3) {
      for (int c = 0; c < 3; c++) {
        out[i + c] =
            switch (mode) {
              case TF -> v[i + c] / 127.5f - 1f;
              case TORCH -> (v[i + c] / 255f - TORCH_MEAN[c]) / TORCH_STD[c];
              // Caffe weights were trained on BGR: channel c comes from channel 2 - c.
              case CAFFE -> v[i + 2 - c] - CAFFE_MEAN_BGR[c];
              case NONE -> v[i + c];
            };
      }
    }
    return Tensor.of(out, dims);
  }

  /** The 1000 ImageNet class names, by index. */
  public static List<String> classNames() {
    List<String> n = names;
    if (n == null) {
      n = readNames();
      names = n;
    }
    return n;
  }

  private static List<String> readNames() {
    String resource = "imagenet_classes.txt";
    try (InputStream in = ImageNet.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "missing resource " + resource + " in the applications jar");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      List<String> out = new ArrayList<>(CLASSES);
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.isEmpty()) {
          out.add(line);
        }
      }
      if (out.size() != CLASSES) {
        throw new IllegalStateException(
            resource + " holds " + out.size() + " class names, not " + CLASSES);
      }
      return Collections.unmodifiableList(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /**
   * The {@code top} classes of each row of {@code probs}, of shape {@code (batch, 1000)}, highest
   * score first (equal scores by lower index first).
   *
   * @throws IllegalArgumentException if {@code probs} is not {@code (batch, 1000)} or {@code top}
   *     is not in 1..1000
   */
  public static List<List<Prediction>> decodePredictions(Tensor probs, int top) {
    int[] dims = probs.dims();
    if (dims.length != 2 || dims[1] != CLASSES) {
      throw new IllegalArgumentException(
          "decodePredictions expects a batch of predictions (i.e. a 2D array of shape (samples,"
              + " 1000)). Received: shape="
              + probs.shape());
    }
    if (top < 1 || top > CLASSES) {
      throw new IllegalArgumentException("top must be in 1..1000. Received: top=" + top);
    }
    List<String> n = classNames();
    float[] v = probs.toFloatArray();
    List<List<Prediction>> out = new ArrayList<>(dims[0]);
    for (int b = 0; b < dims[0]; b++) {
      int base = b * CLASSES;
      Integer[] order = new Integer[CLASSES];
      for (int i = 0; i < CLASSES; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (x, y) -> Float.compare(v[base + y], v[base + x]));
      List<Prediction> row = new ArrayList<>(top);
      for (int k = 0; k < top; k++) {
        int i = order[k];
        row.add(new Prediction(i, n.get(i), v[base + i]));
      }
      out.add(Collections.unmodifiableList(row));
    }
    return Collections.unmodifiableList(out);
  }
}
