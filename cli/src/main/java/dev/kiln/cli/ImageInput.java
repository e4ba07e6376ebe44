package dev.kiln.cli;

import dev.kiln.api.data.ImageFolder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * An image file as a model input {@code (1, height, width, channels)}: decoded with javax.imageio,
 * resized bilinearly, then preprocessed as Keras's {@code imagenet_utils.preprocess_input} or by a
 * scale, mean and standard deviation.
 */
final class ImageInput {
  private ImageInput() {}

  /** Keras's {@code preprocess_input} modes. */
  enum Mode {
    /** RGB to BGR, then the ImageNet mean (in BGR order) subtracted; no scaling. */
    CAFFE,
    /** {@code x / 127.5 - 1}: values in [-1, 1]. */
    TF,
    /** {@code x / 255}, then the ImageNet mean subtracted and divided by its deviation (RGB). */
    TORCH
  }

  // keras/src/applications/imagenet_utils.py, _preprocess_numpy_input.
  static final float[] CAFFE_MEAN_BGR = {103.939f, 116.779f, 123.68f};
  static final float[] TORCH_MEAN = {0.485f, 0.456f, 0.406f};
  static final float[] TORCH_STD = {0.229f, 0.224f, 0.225f};

  /** How to turn pixels into inputs; null fields are not applied. */
  record Options(
      int[] resize, boolean grayscale, Mode mode, Float scale, float[] mean, float[] std) {}

  /** Whether {@code file}'s name says it is an image javax.imageio reads. */
  static boolean isImage(Path file) {
    String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".png")
        || n.endsWith(".jpg")
        || n.endsWith(".jpeg")
        || n.endsWith(".bmp")
        || n.endsWith(".gif");
  }

  /**
   * The image in {@code file}, preprocessed.
   *
   * @throws CliException for options that do not fit the image (a 3-channel mode on grayscale, a
   *     mean with the wrong number of values)
   */
  static Npy.Array read(Path file, Options o) throws IOException {
    BufferedImage img = ImageFolder.read(ModelArgs.existing(file));
    int h = o.resize() != null ? o.resize()[0] : img.getHeight();
    int w = o.resize() != null ? o.resize()[1] : img.getWidth();
    float[] rgb = ImageFolder.pixels(img, h, w);
    float[] x = o.grayscale() ? gray(rgb) : rgb;
    int c = o.grayscale() ? 1 : 3;
    preprocess(x, c, o, file);
    return new Npy.Array(new int[] {1, h, w, c}, x);
  }

  /**
   * Luma as PIL's {@code convert("L")}, which Keras's {@code load_img(color_mode="grayscale")}
   * uses.
   */
  private static float[] gray(float[] rgb) {
    float[] g = new float[rgb.length / 3];
    for (int i = 0; i < g.length; i++) {
      g[i] = 0.299f * rgb[3 * i] + 0.587f * rgb[3 * i + 1] + 0.114f * rgb[3 * i + 2];
    }
    return g;
  }

  /** Preprocesses channels-last pixels {@code x} with {@code c} channels in place. */
  static void preprocess(float[] x, int c, Options o, Path file) {
    if (o.mode() != null) {
      if (c != 3) {
        throw new CliException(
            "--preprocess "
                + o.mode().name().toLowerCase(Locale.ROOT)
                + " needs RGB input; "
                + file
                + " is read as grayscale here");
      }
      for (int i = 0; i < x.length; i += 3) {
        float r = x[i];
        float g = x[i + 1];
        float b = x[i + 2];
        switch (o.mode()) {
          case CAFFE -> {
            x[i] = b - CAFFE_MEAN_BGR[0];
            x[i + 1] = g - CAFFE_MEAN_BGR[1];
            x[i + 2] = r - CAFFE_MEAN_BGR[2];
          }
          case TF -> {
            x[i] = r / 127.5f - 1f;
            x[i + 1] = g / 127.5f - 1f;
            x[i + 2] = b / 127.5f - 1f;
          }
          case TORCH -> {
            x[i] = (r / 255f - TORCH_MEAN[0]) / TORCH_STD[0];
            x[i + 1] = (g / 255f - TORCH_MEAN[1]) / TORCH_STD[1];
            x[i + 2] = (b / 255f - TORCH_MEAN[2]) / TORCH_STD[2];
          }
        }
      }
      return;
    }
    float scale = o.scale() != null ? o.scale() : 1f;
    float[] mean = perChannel(o.mean(), c, "--mean", 0f);
    float[] std = perChannel(o.std(), c, "--std", 1f);
    for (int i = 0; i < x.length; i++) {
      int ch = i % c;
      x[i] = (x[i] * scale - mean[ch]) / std[ch];
    }
  }

  private static float[] perChannel(float[] given, int c, String option, float otherwise) {
    if (given == null) {
      float[] out = new float[c];
      Arrays.fill(out, otherwise);
      return out;
    }
    if (given.length == 1) {
      float[] out = new float[c];
      Arrays.fill(out, given[0]);
      return out;
    }
    if (given.length != c) {
      throw new CliException(
          option
              + " has "
              + given.length
              + " values but the image has "
              + c
              + (c == 1 ? " channel" : " channels")
              + "; give one value or one per channel");
    }
    for (float v : given) {
      if ("--std".equals(option) && v == 0) {
        throw new CliException("--std has a 0; it divides the inputs");
      }
    }
    return given;
  }
}
