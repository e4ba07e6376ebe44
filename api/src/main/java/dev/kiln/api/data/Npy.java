package dev.kiln.api.data;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
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

  /** Reads every array of a {@code .npz} archive, keyed by name without {@code .npy}. */
  public static Map<String, Tensor> readNpz(Path file) throws IOException {
    Map<String, Tensor> out = new LinkedHashMap<>();
    try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(file))) {
      ZipEntry e;
      while ((e = zin.getNextEntry()) != null) {
        String name = e.getName();
        String key = name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
        out.put(key, read(zin, file + "!" + name));
      }
    }
    if (out.isEmpty()) {
      throw new KilnException(file + " holds no arrays (is it an .npz archive?)");
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
    int headerLen;
    if (major == 1) {
      byte[] h = in.readNBytes(2);
      headerLen = (h[0] & 0xff) | (h[1] & 0xff) << 8;
    } else {
      byte[] h = in.readNBytes(4);
      headerLen = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }
    String header = new String(in.readNBytes(headerLen), StandardCharsets.ISO_8859_1);
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
    int size = Integer.parseInt(d.group(3));
    String dims = s.group(1).trim();
    int[] shape =
        dims.isEmpty()
            ? new int[0]
            : java.util.Arrays.stream(dims.split(","))
                .map(String::trim)
                .filter(x -> !x.isEmpty())
                .mapToInt(Integer::parseInt)
                .toArray();
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
