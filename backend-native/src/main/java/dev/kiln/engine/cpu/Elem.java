package dev.kiln.engine.cpu;

import dev.kiln.spi.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Element access by dtype, for the scalar kernels that serve every dtype. Floating values travel as
 * double, integers as long; stores follow the IR's conversion rules: floats round to nearest even,
 * doubles become integers toward zero with saturation, longs narrow by wrapping.
 */
public final class Elem {
  private Elem() {}

  /** Element {@code i} as a double. */
  public static double get(DType d, MemorySegment s, long i) {
    return switch (d) {
      case FLOAT32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
      case FLOAT64 -> s.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
      case FLOAT16 -> Float.float16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, i));
      case BFLOAT16 -> Float.intBitsToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, i) << 16);
      case INT8, BOOL -> s.get(ValueLayout.JAVA_BYTE, i);
      case UINT8 -> s.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
      case INT32 -> s.getAtIndex(ValueLayout.JAVA_INT, i);
      case INT64 -> s.getAtIndex(ValueLayout.JAVA_LONG, i);
    };
  }

  /** Element {@code i} as a long (integers exactly; floats toward zero). */
  public static long getLong(DType d, MemorySegment s, long i) {
    return switch (d) {
      case INT64 -> s.getAtIndex(ValueLayout.JAVA_LONG, i);
      case INT32 -> s.getAtIndex(ValueLayout.JAVA_INT, i);
      case INT8, BOOL -> s.get(ValueLayout.JAVA_BYTE, i);
      case UINT8 -> s.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
      default -> (long) get(d, s, i);
    };
  }

  /** Stores a double: rounds for floats, truncates and saturates for integers. */
  public static void set(DType d, MemorySegment s, long i, double v) {
    switch (d) {
      case FLOAT32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
      case FLOAT64 -> s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
      case FLOAT16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16((float) v));
      case BFLOAT16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, toBfloat16((float) v));
      case INT8 -> s.set(ValueLayout.JAVA_BYTE, i, (byte) Math.clamp((long) v, -128, 127));
      case UINT8 -> s.set(ValueLayout.JAVA_BYTE, i, (byte) Math.clamp((long) v, 0, 255));
      case BOOL -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
      case INT32 -> s.setAtIndex(ValueLayout.JAVA_INT, i, (int) v);
      case INT64 -> s.setAtIndex(ValueLayout.JAVA_LONG, i, (long) v);
    }
  }

  /** Stores a long: integers wrap, bool is nonzero, floats round. */
  public static void setLong(DType d, MemorySegment s, long i, long v) {
    switch (d) {
      case INT64 -> s.setAtIndex(ValueLayout.JAVA_LONG, i, v);
      case INT32 -> s.setAtIndex(ValueLayout.JAVA_INT, i, (int) v);
      case INT8, UINT8 -> s.set(ValueLayout.JAVA_BYTE, i, (byte) v);
      case BOOL -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
      default -> set(d, s, i, v);
    }
  }

  /** Round to nearest even on the upper half of the float32 pattern; NaN stays NaN. */
  static short toBfloat16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
  }

  /** Copies element {@code i} of {@code from} to element {@code j} of {@code to}, same dtype. */
  public static void copy(int bytes, MemorySegment from, long i, MemorySegment to, long j) {
    MemorySegment.copy(from, i * bytes, to, j * bytes, bytes);
  }
}
