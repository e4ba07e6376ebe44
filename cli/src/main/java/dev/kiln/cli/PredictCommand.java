package dev.kiln.cli;

import dev.kiln.api.Tensor;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kiln predict MODEL --input X}: runs a model on an array or an image and prints its
 * outputs.
 */
@Command(
    name = "predict",
    mixinStandardHelpOptions = true,
    resourceBundle = "dev.kiln.cli.PredictCommand",
    description = {
      "Run a model on one input array and print its output as a JSON array.",
      "The input is a .npy file (float32 or float64, C order), raw little-endian float32 with"
          + " --shape, or an image (.png, .jpg, .bmp, .gif) read as RGB values 0-255, shape"
          + " (1, height, width, 3), then resized and preprocessed as the options say.",
    })
final class PredictCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Common common;
  @Mixin ModelOptions modelOptions;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "X",
      description =
          "The input: a .npy file, an image file, or raw little-endian float32 with --shape.")
  Path input;

  @Option(
      names = "--resize",
      split = ",",
      paramLabel = "H,W",
      description = "Resize the image to H x W pixels (bilinear).")
  int[] resize;

  @Option(
      names = "--grayscale",
      description = "Read the image as one channel (luma, as PIL's convert('L')).")
  boolean grayscale;

  @Option(
      names = "--preprocess",
      paramLabel = "MODE",
      description =
          "As Keras's imagenet_utils.preprocess_input: caffe (RGB to BGR, ImageNet mean"
              + " subtracted), tf (x/127.5-1) or torch (x/255, ImageNet mean and std).")
  String preprocess;

  @Option(
      names = "--scale",
      paramLabel = "F",
      description = "Multiply the image's values by F (e.g. 0.00392156862745098 for 1/255).")
  Float scale;

  @Option(
      names = "--mean",
      split = ",",
      paramLabel = "M",
      description = "Subtract this per channel after --scale (one value or one per channel).")
  float[] mean;

  @Option(
      names = "--std",
      split = ",",
      paramLabel = "S",
      description = "Divide by this per channel after --mean (one value or one per channel).")
  float[] std;

  @Option(
      names = "--shape",
      split = ",",
      paramLabel = "N",
      description = "The raw input's shape, batch first, e.g. 1,28,28,1.")
  int[] shape;

  @Option(
      names = "--output",
      paramLabel = "Y",
      description = "Also write the output: .npy when Y ends in .npy, raw float32 otherwise.")
  Path output;

  @Option(
      names = "--top",
      paramLabel = "K",
      description = "Print the K highest outputs of each row (with --labels, by name).")
  Integer top;

  @Option(
      names = "--labels",
      paramLabel = "FILE",
      description = "One label per line, in output order, for --top.")
  Path labels;

  @Override
  public Integer call() throws Exception {
    if (labels != null && top == null) {
      throw new CliException("--labels is used with --top K");
    }
    if (top != null && top < 1) {
      throw new CliException("--top must be at least 1, not " + top);
    }
    int batchSize = modelOptions.batchSize;
    if (batchSize < 1) {
      throw new CliException("--batch-size must be at least 1, not " + batchSize);
    }
    Npy.Array x = readInput();
    List<String> names = labels == null ? null : readLabels(labels);
    Path model = modelOptions.model;
    Model m = modelOptions.load("predict");
    if (m.inputs().size() != 1) {
      throw new CliException(
          model + " has " + m.inputs().size() + " inputs; kiln predict feeds exactly one");
    }
    int[] dims = x.shape();
    if (ImageInput.isImage(input)) {
      // An image feeds a model whose input is flat or channel-less when the sizes agree.
      dims = DataSource.fit(dims, DataSource.inputDims(m), input.toString());
    }
    List<Tensor> ys =
        m.predict(
            List.of(Tensor.of(x.values(), dims)), new FitOptions().verbose(0).batchSize(batchSize));
    PrintWriter out = spec.commandLine().getOut();
    if (top != null) {
      printTop(out, ys.get(0), names);
    } else if (ys.size() == 1) {
      out.println(json(ys.get(0)));
    } else {
      List<String> parts = new ArrayList<>();
      for (Tensor y : ys) {
        parts.add(json(y));
      }
      out.println("[" + String.join(",", parts) + "]");
    }
    out.flush();
    if (output != null) {
      if (ys.size() != 1) {
        throw new CliException(
            model + " has " + ys.size() + " outputs; --output writes a model with one");
      }
      Tensor y = ys.get(0);
      float[] values = y.cast(dev.kiln.spi.DType.FLOAT32).toFloatArray();
      if (output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
        Npy.write(output, y.dims(), values);
      } else {
        Npy.writeRaw(output, values);
      }
    }
    return 0;
  }

  private boolean imageOptions() {
    return resize != null
        || grayscale
        || preprocess != null
        || scale != null
        || mean != null
        || std != null;
  }

  private Npy.Array readImage() throws IOException {
    if (shape != null) {
      throw new CliException("--shape is for raw input; the image " + input + " has its own");
    }
    ImageInput.Mode mode = null;
    if (preprocess != null) {
      if (scale != null || mean != null || std != null) {
        throw new ParameterException(
            spec.commandLine(), "--preprocess does its own scaling: drop --scale, --mean, --std");
      }
      try {
        mode = ImageInput.Mode.valueOf(preprocess.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(
            spec.commandLine(), "--preprocess is caffe, tf or torch, not '" + preprocess + "'");
      }
    }
    if (resize != null && (resize.length != 2 || resize[0] < 1 || resize[1] < 1)) {
      throw new ParameterException(spec.commandLine(), "--resize is two sizes above 0: H,W");
    }
    return ImageInput.read(
        input, new ImageInput.Options(resize, grayscale, mode, scale, mean, std));
  }

  private Npy.Array readInput() throws IOException {
    ModelArgs.existing(input);
    if (ImageInput.isImage(input)) {
      return readImage();
    }
    if (imageOptions()) {
      throw new CliException(
          "--resize, --grayscale, --preprocess, --scale, --mean and --std are for image input;"
              + " "
              + input
              + " is not a .png, .jpg, .jpeg, .bmp or .gif file");
    }
    boolean npy = input.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy");
    if (npy) {
      if (shape != null) {
        throw new CliException("--shape is for raw input; " + input + " carries its own shape");
      }
      return Npy.read(input);
    }
    if (shape == null) {
      throw new CliException(
          "raw input " + input + " needs --shape (e.g. --shape 1,28,28,1), or give a .npy file");
    }
    for (int d : shape) {
      if (d < 1) {
        throw new CliException("--shape " + Arrays.toString(shape) + " has a size below 1");
      }
    }
    return Npy.readRaw(input, shape);
  }

  private static List<String> readLabels(Path file) throws IOException {
    ModelArgs.existing(file);
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        out.add(line.strip());
      }
    }
    return out;
  }

  private void printTop(PrintWriter out, Tensor y, List<String> names) {
    int[] dims = y.dims();
    if (dims.length != 2) {
      throw new CliException(
          "--top needs an output of shape (batch, classes), not " + Arrays.toString(dims));
    }
    if (names != null && names.size() != dims[1]) {
      throw new CliException(
          labels + " has " + names.size() + " labels but the model has " + dims[1] + " outputs");
    }
    float[] v = y.cast(dev.kiln.spi.DType.FLOAT32).toFloatArray();
    int k = Math.min(top, dims[1]);
    for (int r = 0; r < dims[0]; r++) {
      Integer[] idx = new Integer[dims[1]];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = i;
      }
      int base = r * dims[1];
      Arrays.sort(idx, (a, b) -> Float.compare(v[base + b], v[base + a]));
      List<String> parts = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        String name = names == null ? Integer.toString(idx[i]) : names.get(idx[i]);
        parts.add(name + " " + v[base + idx[i]]);
      }
      out.println(String.join("\t", parts));
    }
  }

  /** The tensor as nested JSON arrays, by its shape. */
  static String json(Tensor t) {
    float[] v = t.cast(dev.kiln.spi.DType.FLOAT32).toFloatArray();
    StringBuilder sb = new StringBuilder();
    nest(sb, v, t.dims(), 0, 0);
    return sb.toString();
  }

  private static int nest(StringBuilder sb, float[] v, int[] dims, int axis, int at) {
    if (axis == dims.length) {
      float f = v[at];
      // JSON has no NaN or infinities; null keeps the array parseable.
      sb.append(Float.isFinite(f) ? Float.toString(f) : "null");
      return at + 1;
    }
    sb.append('[');
    for (int i = 0; i < dims[axis]; i++) {
      if (i > 0) {
        sb.append(',');
      }
      at = nest(sb, v, dims, axis + 1, at);
    }
    sb.append(']');
    return at;
  }
}
