package dev.kiln.cli;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Tensor;
import dev.kiln.api.data.Csv;
import dev.kiln.api.data.Idx;
import dev.kiln.api.data.ImageFolder;
import dev.kiln.api.data.Npy;
import dev.kiln.api.models.Model;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The data {@code kiln train} and {@code kiln evaluate} read: MNIST and Fashion-MNIST as shipped in
 * the project's {@code data/} folder, IDX files, CSV, {@code .npz} and image folders. The readers
 * are the api's ({@link Idx}, {@link Csv}, {@link Npy}, {@link ImageFolder}); this class picks one,
 * scales the inputs and shapes them for the model.
 */
final class DataSource {
  private DataSource() {}

  /** The system property naming the folder that holds {@code mnist/} and {@code fashion-mnist/}. */
  static final String DATA_PROPERTY = "kiln.data";

  /**
   * What to read, as a training spec's {@code data} object says it.
   *
   * @param source {@code mnist}, {@code fashion_mnist} or a path
   * @param base the folder relative paths are resolved against
   */
  record Spec(
      String source,
      Path base,
      String labels,
      String label,
      List<String> features,
      String x,
      String y,
      int[] imageSize,
      Double scale,
      String test,
      Double testSplit,
      Integer limit) {
    static Spec of(String source, Path base) {
      return new Spec(source, base, null, null, null, null, null, null, null, null, null, null);
    }

    Spec withLimit(Integer n) {
      return n == null
          ? this
          : new Spec(
              source, base, labels, label, features, x, y, imageSize, scale, test, testSplit, n);
    }

    Spec withSource(String s) {
      return new Spec(s, base, labels, label, features, x, y, imageSize, scale, null, null, limit);
    }
  }

  /** Inputs and targets of one split. */
  record Split(Tensor x, Tensor y) {
    int length() {
      return x.length();
    }
  }

  /** The training split and the test split (null when the data has none). */
  record Loaded(Split train, Split test) {}

  /**
   * Reads {@code spec} for {@code model}: inputs scaled and reshaped to its input shape.
   *
   * @throws CliException naming the source and what is wrong with it
   */
  static Loaded load(Spec spec, Model model) throws IOException {
    return load(spec, model, false);
  }

  /**
   * As {@link #load(Spec, Model)}; with {@code testOnly}, data with a test split of its own (MNIST
   * layouts) reads only that split, returned as {@link Loaded#train()} with no test split.
   */
  static Loaded load(Spec spec, Model model, boolean testOnly) throws IOException {
    if (spec.test() != null && spec.testSplit() != null) {
      throw new CliException(
          "data: give either 'test' (a file) or 'test_split' (a fraction), not both");
    }
    Raw raw = read(spec, spec.source(), model, testOnly);
    Split train = raw.train();
    Split test = raw.test();
    if (spec.test() != null) {
      test = read(spec.withSource(spec.test()), spec.test(), model, false).train();
    } else if (spec.testSplit() != null) {
      int n = train.length();
      int at = (int) (n * (1 - spec.testSplit()));
      if (at < 1 || at >= n) {
        throw new CliException(
            "data: test_split "
                + spec.testSplit()
                + " of "
                + n
                + " samples leaves "
                + (at < 1 ? "no training" : "no test")
                + " samples");
      }
      test = slice(train, at, n);
      train = slice(train, 0, at);
    }
    train = finish(train, spec, raw, model, spec.source());
    if (test != null) {
      test = finish(test, spec, raw, model, spec.test() != null ? spec.test() : spec.source());
    }
    return new Loaded(train, test);
  }

  /** The split as read, before scaling; {@code pixels} when the values are 0-255 pixels. */
  private record Raw(Split train, Split test, boolean pixels) {}

  private static Raw read(Spec spec, String source, Model model, boolean testOnly)
      throws IOException {
    String key = source.toLowerCase(Locale.ROOT);
    if (key.equals("mnist") || key.equals("fashion_mnist")) {
      Path dir = dataFolder().resolve(key.equals("mnist") ? "mnist" : "fashion-mnist");
      if (!Files.isDirectory(dir)) {
        throw new CliException(
            source
                + " is read from "
                + dir.toAbsolutePath()
                + ", which does not exist: run through ./kiln (it points -D"
                + DATA_PROPERTY
                + " at the project's data/), from the project's root, or give the folder's path");
      }
      return idxFolder(dir, spec, testOnly);
    }
    Path path = ModelArgs.existing(spec.base().resolve(source));
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (Files.isDirectory(path)) {
      if (hasIdx(path)) {
        return idxFolder(path, spec, testOnly);
      }
      int[] size = imageSize(spec, model, path);
      ImageFolder.Data d = ImageFolder.load(path, size[0], size[1]);
      return new Raw(limit(new Split(d.images(), d.labels()), spec), null, true);
    }
    if (name.endsWith(".csv")) {
      if (spec.label() == null) {
        throw new CliException(
            path + " is a CSV file: name its label column ('label' in the spec, --label here)");
      }
      Csv.Data d = Csv.load(path, spec.label(), spec.features());
      return new Raw(limit(new Split(d.features(), d.labels()), spec), null, false);
    }
    if (name.endsWith(".npz")) {
      Map<String, Tensor> arrays = Npy.readNpz(path);
      String xk = spec.x() == null ? "x" : spec.x();
      String yk = spec.y() == null ? "y" : spec.y();
      for (String k : List.of(xk, yk)) {
        if (!arrays.containsKey(k)) {
          throw new CliException(
              path + " has no array '" + k + "'; it holds " + new TreeSet<>(arrays.keySet()));
        }
      }
      return new Raw(limit(new Split(arrays.get(xk), arrays.get(yk)), spec), null, false);
    }
    if (name.contains("idx") || name.endsWith("-ubyte") || name.endsWith("-ubyte.gz")) {
      if (spec.labels() == null) {
        throw new CliException(
            path + " is an IDX file of inputs: name its labels file ('labels' in the spec)");
      }
      Tensor x = Idx.read(path);
      Tensor y = Idx.read(ModelArgs.existing(spec.base().resolve(spec.labels())));
      return new Raw(limit(new Split(x, y.cast(DType.INT32)), spec), null, true);
    }
    throw new CliException(
        "cannot tell what data "
            + path
            + " holds: give mnist, fashion_mnist, a folder of MNIST-layout IDX files, an IDX"
            + " file, a .csv or .npz file, or a folder with one sub-folder of images per class");
  }

  private static Raw idxFolder(Path dir, Spec spec, boolean testOnly) throws IOException {
    if (testOnly) {
      // Evaluation needs only the 10,000 test images; reading the 60,000 training ones costs
      // seconds and hundreds of megabytes.
      Split test =
          new Split(
              Idx.read(idxFile(dir, "t10k-images-idx3-ubyte")),
              Idx.read(idxFile(dir, "t10k-labels-idx1-ubyte")).cast(DType.INT32));
      return new Raw(limit(test, spec), null, true);
    }
    Idx.Split s = Idx.loadMnist(ModelArgs.existing(dir));
    return new Raw(
        limit(new Split(s.trainImages(), s.trainLabels()), spec),
        limit(new Split(s.testImages(), s.testLabels()), spec),
        true);
  }

  /** MNIST's file {@code base} in {@code dir}, gzipped or not. */
  private static Path idxFile(Path dir, String base) throws IOException {
    Path gz = dir.resolve(base + ".gz");
    return Files.exists(gz) ? gz : ModelArgs.existing(dir.resolve(base));
  }

  private static boolean hasIdx(Path dir) {
    return Files.exists(dir.resolve("train-images-idx3-ubyte.gz"))
        || Files.exists(dir.resolve("train-images-idx3-ubyte"));
  }

  /**
   * Where {@code mnist} and {@code fashion_mnist} live: the {@code kiln.data} property (the
   * launcher sets it to the project's {@code data/}), else {@code data/} under the working folder.
   */
  static Path dataFolder() {
    String p = System.getProperty(DATA_PROPERTY);
    return Path.of(p != null ? p : "data");
  }

  private static int[] imageSize(Spec spec, Model model, Path dir) {
    if (spec.imageSize() != null) {
      return spec.imageSize();
    }
    int[] in = inputDims(model);
    if (in != null && in.length == 3 && in[0] > 0 && in[1] > 0) {
      return new int[] {in[0], in[1]};
    }
    throw new CliException(
        "the images in "
            + dir
            + " need a size: the model's input is not (height, width, channels), so give"
            + " 'image_size' [height, width]");
  }

  /** The model's input dimensions without the batch axis, or null when it has no known input. */
  static int[] inputDims(Model model) {
    List<KerasTensor> ins = model.inputs();
    if (ins.size() != 1) {
      return null;
    }
    Shape s = ins.get(0).shape();
    return Arrays.copyOfRange(s.dims(), 1, s.rank());
  }

  private static Split limit(Split s, Spec spec) {
    if (spec.limit() == null || spec.limit() >= s.length()) {
      return s;
    }
    return slice(s, 0, spec.limit());
  }

  private static Split slice(Split s, int from, int to) {
    return new Split(s.x().slice(from, to), s.y().slice(from, to));
  }

  private static Split finish(Split s, Spec spec, Raw raw, Model model, String source) {
    if (s.x().length() != s.y().length()) {
      throw new CliException(
          source + " has " + s.x().length() + " inputs but " + s.y().length() + " targets");
    }
    double scale = spec.scale() != null ? spec.scale() : raw.pixels() ? 1 / 255.0 : 1;
    float[] v = s.x().cast(DType.FLOAT32).toFloatArray();
    if (scale != 1) {
      float f = (float) scale;
      for (int i = 0; i < v.length; i++) {
        v[i] *= f;
      }
    }
    return new Split(Tensor.of(v, fit(s.x().dims(), inputDims(model), source)), s.y());
  }

  /**
   * The samples' shape made the model's: MNIST's (n, 28, 28) feeds an input of (28, 28, 1) or
   * (784), as Keras users reshape it by hand.
   */
  static int[] fit(int[] dims, int[] input, String source) {
    if (input == null || input.length == 0) {
      return dims;
    }
    long per = 1;
    for (int i = 1; i < dims.length; i++) {
      per *= dims[i];
    }
    long want = 1;
    boolean known = true;
    for (int d : input) {
      known &= d > 0;
      want *= Math.max(d, 1);
    }
    int[] sample = Arrays.copyOfRange(dims, 1, dims.length);
    if (Arrays.equals(sample, input)) {
      return dims;
    }
    if (!known || per != want) {
      throw new CliException(
          source
              + ": its samples have shape "
              + Arrays.toString(sample)
              + " but the model's input is "
              + Arrays.toString(input).replace("-1", "None"));
    }
    int[] out = new int[input.length + 1];
    out[0] = dims[0];
    System.arraycopy(input, 0, out, 1, input.length);
    return out;
  }
}
