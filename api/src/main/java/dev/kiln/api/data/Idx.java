package dev.kiln.api.data;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

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

  /** The most elements one Java array holds (a little under {@link Integer#MAX_VALUE}). */
  private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  /** Deflate's largest possible expansion when decompressing, rounded up. */
  private static final long MAX_DEFLATE_RATIO = 1100;

  /** A dataset's four arrays: images uint8 {@code (n, 28, 28)}, labels int32 {@code (n,)}. */
  public record Split(
      Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels) {}

  /**
   * Reads one IDX file ({@code .gz} is decompressed). The header's size is checked against the
   * file's before anything is allocated, and the file must end where its data ends.
   *
   * @throws KilnException naming the file if it is not IDX, is truncated or has bytes after its
   *     data, has a dimension that is negative or too large, is named {@code .gz} but is not gzip
   *     (or the reverse), or its gzip stream is corrupt
   */
  public static Tensor read(Path file) throws IOException {
    long fileSize = Files.size(file);
    boolean gzName = file.getFileName().toString().endsWith(".gz");
    try (InputStream raw = Files.newInputStream(file)) {
      InputStream in = new BufferedInputStream(raw, 1 << 16);
      in.mark(2);
      boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
      in.reset();
      if (gzName && !gzip) {
        throw new KilnException(
            file + " is named .gz but is not gzip-compressed; remove the .gz from its name");
      }
      if (!gzName && gzip) {
        throw new KilnException(file + " is gzip-compressed; add .gz to its name");
      }
      try {
        if (gzip) {
          in = new GZIPInputStream(in, 1 << 16);
        }
        return readIdx(file, in, fileSize, gzip);
      } catch (EOFException | ZipException e) {
        // Both come from a gzip stream that is cut short or damaged; raw reads check their lengths.
        throw new KilnException(
            file + " is not a valid gzip file (" + e.getMessage() + "); is it truncated?", e);
      }
    }
  }

  private static Tensor readIdx(Path file, InputStream in, long fileSize, boolean gzip)
      throws IOException {
    byte[] head = in.readNBytes(4);
    if (head.length < 4) {
      throw new KilnException(
          file + " is truncated inside its IDX header: " + head.length + " of 4 magic bytes");
    }
    int magic = ByteBuffer.wrap(head).getInt();
    int type = (magic >> 8) & 0xff;
    int rank = magic & 0xff;
    if ((magic >>> 16) != 0 || rank == 0) {
      throw new KilnException(
          file + " is not an IDX file (magic 0x" + Integer.toHexString(magic) + ")");
    }
    if (type != 0x08) {
      throw new KilnException(
          file
              + ": IDX element type 0x"
              + Integer.toHexString(type)
              + " is not supported (only"
              + " unsigned bytes, 0x08)");
    }
    byte[] dimBytes = in.readNBytes(4 * rank);
    if (dimBytes.length < 4 * rank) {
      throw new KilnException(
          file
              + " is truncated inside its IDX header: it declares "
              + rank
              + " dimensions but has "
              + dimBytes.length
              + " of their "
              + 4 * rank
              + " bytes");
    }
    ByteBuffer dimBuf = ByteBuffer.wrap(dimBytes);
    int[] dims = new int[rank];
    long size = 1;
    for (int i = 0; i < rank; i++) {
      dims[i] = dimBuf.getInt();
      if (dims[i] < 0) {
        throw new KilnException(
            file
                + ": IDX dimension "
                + i
                + " is negative ("
                + Integer.toUnsignedString(dims[i])
                + " read as unsigned); the header is corrupt");
      }
      // Saturate so that a product of many large dimensions cannot wrap around.
      size = Math.min(size * dims[i], Long.MAX_VALUE / Integer.MAX_VALUE);
    }
    long headerBytes = 4L + 4L * rank;
    if (size > MAX_ELEMENTS) {
      throw new KilnException(
          file
              + ": IDX dimensions "
              + Arrays.toString(dims)
              + " hold more than "
              + MAX_ELEMENTS
              + " elements, more than one array can hold");
    }
    // Deflate cannot shrink data by more than about 1032:1, so a gzip file claiming more is
    // corrupt.
    long available = gzip ? fileSize * MAX_DEFLATE_RATIO : fileSize - headerBytes;
    if (size > available) {
      throw new KilnException(
          file
              + " is truncated or its header is corrupt: dimensions "
              + Arrays.toString(dims)
              + " need "
              + size
              + " data bytes but the file has "
              + (gzip ? fileSize + " compressed bytes" : available + " after the header"));
    }
    HostTensor t = HostTensor.zeros(DType.UINT8, Shape.of(dims));
    byte[] data = (byte[]) t.array();
    int n = in.readNBytes(data, 0, data.length);
    if (n != data.length) {
      throw new KilnException(file + " is truncated: " + n + " of " + data.length + " bytes");
    }
    // Reading to the end also makes a gzip stream check its CRC, so damaged data cannot load.
    long extra = gzip ? in.transferTo(OutputStream.nullOutputStream()) : available - size;
    if (extra > 0) {
      throw new KilnException(
          file
              + " has "
              + extra
              + " bytes after the data its IDX header describes (dimensions "
              + Arrays.toString(dims)
              + "); the header or the file is wrong");
    }
    return Tensor.wrap(t);
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
