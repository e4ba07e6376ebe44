package dev.kiln.benchmarks;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * MNIST from gzipped IDX files: images kept as the file's bytes (47 MB rather than 188 MB as
 * floats), converted to floats in [0, 1] one batch at a time; labels as ints.
 */
record Mnist(byte[] images, int[] labels, int count) {
  static final int PIXELS = 28 * 28;

  /** The training set from {@code dir}. */
  static Mnist train(Path dir) {
    return load(
        dir.resolve("train-images-idx3-ubyte.gz"), dir.resolve("train-labels-idx1-ubyte.gz"));
  }

  /** The data folder: the project's {@code data/mnist}, found from the working directory up. */
  static Path findDir() {
    Path p = Path.of("").toAbsolutePath();
    for (; p != null; p = p.getParent()) {
      Path d = p.resolve("data/mnist");
      if (Files.isRegularFile(d.resolve("train-images-idx3-ubyte.gz"))) {
        return d;
      }
    }
    throw new IllegalStateException(
        "MNIST not found: expected data/mnist/train-images-idx3-ubyte.gz in "
            + Path.of("").toAbsolutePath()
            + " or a parent folder");
  }

  static Mnist load(Path images, Path labels) {
    try (DataInputStream im = open(images);
        DataInputStream lb = open(labels)) {
      if (im.readInt() != 2051 || lb.readInt() != 2049) {
        throw new IOException("not MNIST IDX files: " + images + ", " + labels);
      }
      int n = im.readInt();
      int rows = im.readInt();
      int cols = im.readInt();
      if (lb.readInt() != n || rows * cols != PIXELS) {
        throw new IOException("inconsistent MNIST headers in " + images + " and " + labels);
      }
      byte[] raw = im.readNBytes(n * PIXELS);
      byte[] lab = lb.readNBytes(n);
      int[] y = new int[n];
      for (int i = 0; i < n; i++) {
        y[i] = lab[i];
      }
      return new Mnist(raw, y, n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes images {@code [first, first + count)} as floats in [0, 1] into {@code x}. */
  void batch(int first, int count, float[] x) {
    int base = first * PIXELS;
    for (int i = 0; i < count * PIXELS; i++) {
      x[i] = (images[base + i] & 0xFF) / 255f;
    }
  }

  private static DataInputStream open(Path p) throws IOException {
    InputStream in = Files.newInputStream(p);
    return new DataInputStream(new GZIPInputStream(in, 1 << 16));
  }
}
