package dev.kiln.api.data;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST ({@code train-images-idx3-ubyte}, gzipped
 * or raw), and loads those datasets from a directory.
 *
 * {@snippet :
 * Idx.Split mnist = Idx.loadMnist(Path.of("data/mnist"));
 * Tensor x = mnist.trainImages(); // uint8 (60000, 28, 28)
 * }
 */
public final class Idx {
  private Idx() {}

  /** A dataset's four arrays: images uint8 {@code (n, 28, 28)}, labels int32 {@code (n,)}. */
  public record Split(
      Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels) {}

  /**
   * Reads one IDX file ({@code .gz} is decompressed).
   *
   * @throws KilnException if the file is not IDX or is truncated, naming it
   */
  public static Tensor read(Path file) throws IOException {
    try (InputStream raw = Files.newInputStream(file)) {
      InputStream in = new BufferedInputStream(raw, 1 << 16);
      if (file.getFileName().toString().endsWith(".gz")) {
        in = new GZIPInputStream(in, 1 << 16);
      }
      DataInputStream d = new DataInputStream(in);
      int magic = d.readInt();
      int type = (magic >> 8) & 0xff;
      int rank = magic & 0xff;
      if ((magic >>> 16) != 0 || rank == 0) {
        throw new KilnException(
            file + " is not an IDX file (magic " + Integer.toHexString(magic) + ")");
      }
      if (type != 0x08) {
        throw new KilnException(
            file
                + ": IDX element type 0x"
                + Integer.toHexString(type)
                + " is not supported (only"
                + " unsigned bytes, 0x08)");
      }
      int[] dims = new int[rank];
      for (int i = 0; i < rank; i++) {
        dims[i] = d.readInt();
      }
      HostTensor t = HostTensor.zeros(DType.UINT8, Shape.of(dims));
      byte[] data = (byte[]) t.array();
      int n = d.readNBytes(data, 0, data.length);
      if (n != data.length) {
        throw new KilnException(file + " is truncated: " + n + " of " + data.length + " bytes");
      }
      return Tensor.wrap(t);
    }
  }

  /**
   * Loads MNIST or Fashion-MNIST from a directory holding the four standard files, gzipped or not.
   */
  public static Split loadMnist(Path dir) throws IOException {
    return new Split(
        read(find(dir, "train-images-idx3-ubyte")),
        read(find(dir, "train-labels-idx1-ubyte")).cast(DType.INT32),
        read(find(dir, "t10k-images-idx3-ubyte")),
        read(find(dir, "t10k-labels-idx1-ubyte")).cast(DType.INT32));
  }

  private static Path find(Path dir, String base) {
    for (String name : new String[] {base + ".gz", base}) {
      Path p = dir.resolve(name);
      if (Files.exists(p)) {
        return p;
      }
    }
    throw new KilnException("no " + base + "(.gz) in " + dir.toAbsolutePath());
  }
}
