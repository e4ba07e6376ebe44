package dev.kiln.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** NumPy's {@code .npy} files of float32 (float64 is read too), C order, little-endian. */
final class Npy {
  private Npy() {}

  /** An array: its shape and values in C order. */
  record Array(int[] shape, float[] values) {}

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  /**
   * The most values an input may hold (1 GiB of float32), so a bad header cannot exhaust memory.
   */
  static final long MAX_VALUES = 1L << 28;

  static Array read(Path file) throws IOException {
    long size = Files.size(file);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, head, file);
      head.flip();
      byte[] magic = new byte[6];
      head.get(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new CliException(file + " is not a .npy file: it does not start with \\x93NUMPY");
      }
      int major = head.get() & 0xff;
      head.get();
      long headerLen;
      int prefix;
      if (major == 1) {
        headerLen = head.getShort(8) & 0xffff;
        prefix = 10;
      } else if (major == 2 || major == 3) {
        headerLen = head.getInt(8) & 0xffffffffL;
        prefix = 12;
      } else {
        throw new CliException(file + ": unsupported .npy version " + major);
      }
      if (prefix + headerLen > size || headerLen > 1 << 20) {
        throw new CliException(
            file + ": .npy header of " + headerLen + " bytes runs past the file's " + size);
      }
      ch.position(prefix);
      ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
      readFully(ch, hb, file);
      String header = new String(hb.array(), StandardCharsets.ISO_8859_1);
      String descr = group(DESCR, header, "descr", file);
      if (!descr.equals("<f4") && !descr.equals("<f8")) {
        throw new CliException(
            file
                + ": .npy dtype '"
                + descr
                + "' is not supported: use little-endian float32 (<f4)");
      }
      if (group(FORTRAN, header, "fortran_order", file).equals("True")) {
        throw new CliException(
            file + ": .npy in Fortran order is not supported: save it C-ordered");
      }
      int[] shape = shape(group(SHAPE, header, "shape", file), file);
      long count = 1;
      for (int d : shape) {
        count *= d;
        if (count > MAX_VALUES) {
          throw new CliException(file + ": .npy shape " + Arrays.toString(shape) + " is too large");
        }
      }
      int item = descr.equals("<f4") ? 4 : 8;
      long data = size - prefix - headerLen;
      if (data != count * item) {
        throw new CliException(
            file
                + ": shape "
                + Arrays.toString(shape)
                + " needs "
                + count * item
                + " bytes of data but the file holds "
                + data);
      }
      ByteBuffer body = ByteBuffer.allocate((int) (count * item)).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, body, file);
      body.flip();
      float[] values = new float[(int) count];
      for (int i = 0; i < values.length; i++) {
        values[i] = item == 4 ? body.getFloat() : (float) body.getDouble();
      }
      return new Array(shape, values);
    }
  }

  /** Writes float32 values in C order, atomically. */
  static void write(Path file, int[] shape, float[] values) throws IOException {
    // NumPy's own spelling of the shape tuple: (3,) for one axis, (1, 3) for more.
    StringBuilder dims = new StringBuilder();
    for (int i = 0; i < shape.length; i++) {
      dims.append(i > 0 ? ", " : "").append(shape[i]);
    }
    if (shape.length == 1) {
      dims.append(',');
    }
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
    // The header is padded with spaces to a multiple of 64 bytes, ending in a newline.
    int total = 10 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteBuffer buf =
        ByteBuffer.allocate(10 + header.length() + values.length * 4)
            .order(ByteOrder.LITTLE_ENDIAN);
    buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
    buf.put(header.getBytes(StandardCharsets.ISO_8859_1));
    for (float v : values) {
      buf.putFloat(v);
    }
    writeAtomically(file, buf.array());
  }

  /** Writes raw little-endian float32 values, atomically. */
  static void writeRaw(Path file, float[] values) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buf.putFloat(v);
    }
    writeAtomically(file, buf.array());
  }

  /** Reads raw little-endian float32 values of a given shape. */
  static Array readRaw(Path file, int[] shape) throws IOException {
    long count = 1;
    for (int d : shape) {
      count *= d;
    }
    long size = Files.size(file);
    if (count > MAX_VALUES || size != count * 4) {
      throw new CliException(
          file
              + " holds "
              + size
              + " bytes, but --shape "
              + Arrays.toString(shape)
              + " needs "
              + count * 4
              + " (float32, little-endian)");
    }
    ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[(int) count];
    buf.asFloatBuffer().get(values);
    return new Array(shape, values);
  }

  static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    try {
      Files.write(tmp, bytes);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static String group(Pattern p, String header, String key, Path file) {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw new CliException(file + ": .npy header has no '" + key + "': " + header.strip());
    }
    return m.group(1);
  }

  private static int[] shape(String text, Path file) {
    String t = text.strip();
    if (t.isEmpty()) {
      return new int[0];
    }
    String[] parts = t.split(",");
    int n = parts[parts.length - 1].isBlank() ? parts.length - 1 : parts.length;
    int[] shape = new int[n];
    for (int i = 0; i < n; i++) {
      try {
        shape[i] = Integer.parseInt(parts[i].strip());
      } catch (NumberFormatException e) {
        throw new CliException(file + ": .npy shape (" + t + ") is not a list of integers");
      }
      if (shape[i] < 0) {
        throw new CliException(file + ": .npy shape (" + t + ") has a negative size");
      }
    }
    return shape;
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, Path file) throws IOException {
    while (buf.hasRemaining()) {
      if (ch.read(buf) < 0) {
        throw new CliException(file + " is truncated");
      }
    }
  }
}
