package dev.kiln.api.data;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * NumPy's {@code .npy} and {@code .npz} formats: version 1.0 headers, C order, little- or
 * big-endian {@code f4 f8 i1 u1 i4 i8 b1} (and {@code i2}/{@code u2} widened to int32).
 *
 * {@snippet :
 * Tensor x = Npy.read(Path.of("x_train.npy"));
 * Map<String, Tensor> all = Npy.readNpz(Path.of("mnist.npz")); // keys without ".npy"
 * }
 */
public final class Npy {
  private Npy() {}

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([<>|=])([a-z])(\\d+)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
  private static final String SUPPORTED = " f4 f8 i1 u1 i2 u2 i4 i8 b1 ";
  private static final int MAX_HEADER = 1 << 16;
  private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

  /**
   * Reads a {@code .npy} file.
   *
   * @throws KilnException if it is not a NumPy array file of a supported dtype, naming the file
   */
  public static Tensor read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    }
  }

  /**
   * Reads every array of a {@code .npz} archive, keyed by name without {@code .npy}.
   *
   * @throws KilnException if the archive is damaged, truncated or holds no arrays, or an entry is
   *     not a readable array, naming the file (and the entry)
   */
  public static Map<String, Tensor> readNpz(Path file) throws IOException {
    Map<String, Tensor> out = readNpzEntries(file);
    if (out.isEmpty()) {
      throw new KilnException(file + " is an empty .npz archive: it holds no arrays");
    }
    return out;
  }

  /**
   * Reads every array of a {@code .npz} archive like {@link #readNpz(Path)}, but answers an empty
   * map for a well-formed archive with no entries (a model without weights saves one).
   *
   * @throws KilnException if the file is not a zip archive or is damaged, naming the file
   */
  public static Map<String, Tensor> readNpzAllowEmpty(Path file) throws IOException {
    return readNpzEntries(file);
  }

  private static Map<String, Tensor> readNpzEntries(Path file) throws IOException {
    Map<String, Tensor> out = new LinkedHashMap<>();
    String name = null;
    // ZipFile reads the central directory at the end first, so a truncated archive fails here;
    // ZipInputStream would stop quietly at the cut and return the arrays before it.
    try (ZipFile zip = new ZipFile(file.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        name = e.getName();
        if (e.isDirectory()) {
          continue;
        }
        String key = name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
        // ZipFile, unlike ZipInputStream, does not check the CRC: without it a damaged stored
        // (uncompressed, as numpy.savez writes) entry would load as wrong numbers.
        try (CheckedInputStream in = new CheckedInputStream(zip.getInputStream(e), new CRC32())) {
          Tensor t = read(in, file + "!" + name);
          in.transferTo(OutputStream.nullOutputStream());
          if (e.getCrc() != -1 && in.getChecksum().getValue() != e.getCrc()) {
            throw new KilnException(
                file + "!" + name + " is damaged: its data does not match the archive's checksum");
          }
          if (out.put(key, t) != null) {
            throw new KilnException(file + " holds the array '" + key + "' twice");
          }
        }
        name = null;
      }
    } catch (ZipException | EOFException | IllegalArgumentException e) {
      // Bare messages ("zip END header not found", "Unexpected end of ZLIB input stream") that
      // do not say which file.
      throw new KilnException(
          file
              + (name == null ? "" : "!" + name)
              + " is not an .npz archive, or a damaged or truncated one: "
              + e.getMessage(),
          e);
    }
    return out;
  }

  /** Reads one array from a stream; {@code where} names it in errors. */
  public static Tensor read(InputStream in, String where) throws IOException {
    byte[] magic = in.readNBytes(8);
    for (int i = 0; i < 6; i++) {
      if (magic.length < 8 || magic[i] != MAGIC[i]) {
        throw new KilnException(where + " is not a .npy file (bad magic)");
      }
    }
    int major = magic[6];
    long headerLen;
    if (major == 1) {
      byte[] h = in.readNBytes(2);
      if (h.length < 2) {
        throw new KilnException(where + ": truncated inside the .npy header");
      }
      headerLen = (h[0] & 0xff) | (h[1] & 0xff) << 8;
    } else if (major == 2 || major == 3) {
      byte[] h = in.readNBytes(4);
      if (h.length < 4) {
        throw new KilnException(where + ": truncated inside the .npy header");
      }
      headerLen = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
    } else {
      throw new KilnException(where + ": .npy format version " + major + " is not supported");
    }
    // NumPy itself refuses headers beyond 10 kB unless told otherwise; a larger claim is damage.
    if (headerLen > MAX_HEADER) {
      throw new KilnException(
          where
              + ": the .npy header claims "
              + headerLen
              + " bytes (more than "
              + MAX_HEADER
              + ")");
    }
    byte[] headerBytes = in.readNBytes((int) headerLen);
    if (headerBytes.length < headerLen) {
      throw new KilnException(
          where
              + ": truncated inside the .npy header ("
              + headerBytes.length
              + " of "
              + headerLen
              + " bytes)");
    }
    String header = new String(headerBytes, StandardCharsets.ISO_8859_1);
    Matcher d = DESCR.matcher(header);
    Matcher f = FORTRAN.matcher(header);
    Matcher s = SHAPE.matcher(header);
    if (!d.find() || !s.find()) {
      throw new KilnException(where + ": cannot read the .npy header " + header.trim());
    }
    if (f.find() && f.group(1).equals("True")) {
      throw new KilnException(
          where + ": Fortran-ordered arrays are not supported; save with C order");
    }
    ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    String kind = d.group(2);
    String sizeText = d.group(3);
    if (!SUPPORTED.contains(" " + kind + sizeText + " ")) {
      throw new KilnException(
          where + ": dtype '" + d.group(0) + "' is not supported (f4 f8 i1 u1 i2 u2 i4 i8 b1)");
    }
    int size = Integer.parseInt(sizeText);
    int[] shape = parseShape(s.group(1), where);
    long total = 1;
    for (int dim : shape) {
      total *= dim;
      // Checked per step so that the product cannot wrap around before the test.
      if (total * size > Integer.MAX_VALUE) {
        throw new KilnException(
            where
                + ": the shape ("
                + s.group(1).trim()
                + ") holds more elements than one array can ("
                + Integer.MAX_VALUE
                + " bytes at most)");
      }
    }
    Shape sh = Shape.of(shape);
    int n = sh.intSize();
    ByteBuffer buf = ByteBuffer.wrap(in.readNBytes(n * size)).order(order);
    if (buf.capacity() != n * size) {
      throw new KilnException(
          where + ": truncated; expected " + (long) n * size + " data bytes for shape " + sh);
    }
    HostTensor t;
    switch (kind + size) {
      case "f4" -> {
        float[] v = new float[n];
        buf.asFloatBuffer().get(v);
        t = HostTensor.of(sh, v);
      }
      case "f8" -> {
        double[] v = new double[n];
        buf.asDoubleBuffer().get(v);
        t = HostTensor.of(sh, v);
      }
      case "i4" -> {
        int[] v = new int[n];
        buf.asIntBuffer().get(v);
        t = HostTensor.of(sh, v);
      }
      case "i8" -> {
        long[] v = new long[n];
        buf.asLongBuffer().get(v);
        t = HostTensor.of(sh, v);
      }
      case "i2", "u2" -> {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          short x = buf.getShort();
          v[i] = kind.equals("u") ? x & 0xffff : x;
        }
        t = HostTensor.of(sh, v);
      }
      case "u1", "i1", "b1" -> {
        DType dt = kind.equals("u") ? DType.UINT8 : kind.equals("i") ? DType.INT8 : DType.BOOL;
        t = HostTensor.zeros(dt, sh);
        buf.get((byte[]) t.array());
      }
      default ->
          throw new KilnException(
              where + ": dtype '" + d.group(0) + "' is not supported (f4 f8 i1 u1 i2 u2 i4 i8 b1)");
    }
    return Tensor.wrap(t);
  }

  /** The dimensions of a header's shape tuple, each a non-negative int. */
  private static int[] parseShape(String tuple, String where) {
    String dims = tuple.trim();
    if (dims.isEmpty()) {
      return new int[0];
    }
    String[] parts = dims.split(",", -1);
    int count = parts.length;
    // A one-element tuple is written "(3,)": the empty piece after its comma is not a dimension.
    if (count > 1 && parts[count - 1].trim().isEmpty()) {
      count--;
    }
    int[] shape = new int[count];
    for (int i = 0; i < count; i++) {
      String p = parts[i].trim();
      // Python 2's NumPy wrote long dimensions as "3L".
      if (p.endsWith("L")) {
        p = p.substring(0, p.length() - 1);
      }
      long v;
      try {
        v = p.length() > 12 ? -1 : Long.parseLong(p);
      } catch (NumberFormatException e) {
        v = -2;
      }
      if (v < 0 || v > Integer.MAX_VALUE) {
        throw new KilnException(
            where
                + ": the .npy header's shape ("
                + dims
                + ") has dimension '"
                + parts[i].trim()
                + "', which is not a size from 0 to "
                + Integer.MAX_VALUE);
      }
      shape[i] = (int) v;
    }
    return shape;
  }

  /** Writes one array in {@code .npy} format (little-endian). */
  public static void write(OutputStream out, Tensor t) throws IOException {
    HostTensor h = t.host();
    String descr =
        switch (h.dtype()) {
          case FLOAT32 -> "<f4";
          case FLOAT64 -> "<f8";
          case INT32 -> "<i4";
          case INT64 -> "<i8";
          case UINT8 -> "|u1";
          case INT8 -> "|i1";
          case BOOL -> "|b1";
          default -> throw new KilnException("cannot write " + h.dtype() + " to .npy");
        };
    StringBuilder shape = new StringBuilder("(");
    for (int d : h.shape().dims()) {
      shape.append(d).append(", ");
    }
    if (h.shape().rank() > 1) {
      shape.setLength(shape.length() - 2);
    } else if (h.shape().rank() == 1) {
      shape.setLength(shape.length() - 1);
    }
    shape.append(")");
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    int total = 10 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    head.write(MAGIC);
    head.write(1);
    head.write(0);
    head.write(header.length() & 0xff);
    head.write(header.length() >> 8);
    head.write(header.getBytes(StandardCharsets.ISO_8859_1));
    out.write(head.toByteArray());
    int n = h.size();
    ByteBuffer buf = ByteBuffer.allocate(n * h.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    switch (h.dtype()) {
      case FLOAT32 -> buf.asFloatBuffer().put((float[]) h.array());
      case FLOAT64 -> buf.asDoubleBuffer().put((double[]) h.array());
      case INT32 -> buf.asIntBuffer().put((int[]) h.array());
      case INT64 -> buf.asLongBuffer().put((long[]) h.array());
      default -> buf.put((byte[]) h.array());
    }
    out.write(buf.array());
  }

  /** Writes arrays to a {@code .npz} stream, each as {@code key + ".npy"}. */
  public static void writeNpz(OutputStream out, Map<String, Tensor> arrays) throws IOException {
    ZipOutputStream zip = new ZipOutputStream(out);
    for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
      zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
      write(zip, e.getValue());
      zip.closeEntry();
    }
    zip.finish();
  }
}
