package dev.kiln.engine.cuda;

import dev.kiln.spi.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.LongFunction;

/**
 * cuDNN's convolution passes on the host, in double, as cuDNN documents them for the descriptors
 * {@link CudnnConvolution} describes: channels-last tensors, filters {@code [Cout, spatial...,
 * Cin/groups]}, cross-correlation with the same padding before and after each axis. Written from
 * those definitions, not from Kiln's kernels, so the fake device checks the lowering's transposes,
 * offsets and pass order.
 */
final class CudnnEmulator {
  private static final ValueLayout.OfFloat F32 =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort F16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final LongFunction<MemorySegment> memory;

  CudnnEmulator(LongFunction<MemorySegment> memory) {
    this.memory = memory;
  }

  /** Runs {@code c}'s pass with operands in the pass's order. */
  void run(CudnnConvolution c, long first, long second, long output) {
    int rank = c.in().length;
    long inPositions = product(c.in());
    long outPositions = product(c.out());
    long taps = product(c.kernel());
    int cinG = c.cin() / c.groups();
    int coutG = c.cout() / c.groups();
    long xCount = c.batch() * inPositions * c.cin();
    long yCount = c.batch() * outPositions * c.cout();
    long wCount = c.filterElements();
    double[] x;
    double[] w;
    double[] y;
    switch (c.pass()) {
      case FORWARD -> {
        x = read(c.dtype(), first, xCount);
        w = read(c.dtype(), second, wCount);
        y = new double[(int) yCount];
      }
      case BACKWARD_DATA -> {
        w = read(c.dtype(), first, wCount);
        y = read(c.dtype(), second, yCount);
        x = new double[(int) xCount];
      }
      default -> {
        x = read(c.dtype(), first, xCount);
        y = read(c.dtype(), second, yCount);
        w = new double[(int) wCount];
      }
    }
    int[] o = new int[rank];
    int[] k = new int[rank];
    for (int n = 0; n < c.batch(); n++) {
      for (long op = 0; op < outPositions; op++) {
        unflatten(op, c.out(), o);
        for (long tap = 0; tap < taps; tap++) {
          unflatten(tap, c.kernel(), k);
          long ip = 0;
          boolean inside = true;
          for (int a = 0; a < rank; a++) {
            int p = o[a] * c.strides()[a] - c.pads()[a] + k[a] * c.dilations()[a];
            inside &= p >= 0 && p < c.in()[a];
            ip = ip * c.in()[a] + p;
          }
          if (!inside) {
            continue;
          }
          for (int co = 0; co < c.cout(); co++) {
            int g = co / coutG;
            long yAt = (n * outPositions + op) * c.cout() + co;
            for (int ci = 0; ci < cinG; ci++) {
              long xAt = (n * inPositions + ip) * c.cin() + g * cinG + ci;
              long wAt = (co * taps + tap) * cinG + ci;
              switch (c.pass()) {
                case FORWARD -> y[(int) yAt] += x[(int) xAt] * w[(int) wAt];
                case BACKWARD_DATA -> x[(int) xAt] += y[(int) yAt] * w[(int) wAt];
                default -> w[(int) wAt] += x[(int) xAt] * y[(int) yAt];
              }
            }
          }
        }
      }
    }
    switch (c.pass()) {
      case FORWARD -> write(c.dtype(), output, y);
      case BACKWARD_DATA -> write(c.dtype(), output, x);
      default -> write(c.dtype(), output, w);
    }
  }

  private static long product(int[] a) {
    long p = 1;
    for (int v : a) {
      p *= v;
    }
    return p;
  }

  private static void unflatten(long flat, int[] dims, int[] into) {
    for (int a = dims.length - 1; a >= 0; a--) {
      into[a] = (int) (flat % dims[a]);
      flat /= dims[a];
    }
  }

  private double[] read(DType dtype, long address, long count) {
    MemorySegment m = memory.apply(address);
    double[] v = new double[(int) count];
    for (int i = 0; i < count; i++) {
      v[i] =
          switch (dtype) {
            case FLOAT32 -> m.getAtIndex(F32, i);
            case FLOAT16 -> Float.float16ToFloat(m.getAtIndex(F16, i));
            case BFLOAT16 -> Float.intBitsToFloat((m.getAtIndex(F16, i) & 0xffff) << 16);
            default -> throw new IllegalArgumentException("cuDNN has no " + dtype + " here");
          };
    }
    return v;
  }

  private void write(DType dtype, long address, double[] v) {
    MemorySegment m = memory.apply(address);
    for (int i = 0; i < v.length; i++) {
      float f = (float) v[i];
      switch (dtype) {
        case FLOAT32 -> m.setAtIndex(F32, i, f);
        case FLOAT16 -> m.setAtIndex(F16, i, Float.floatToFloat16(f));
        default -> {
          // Round to nearest even, as __float2bfloat16 does.
          int bits = Float.floatToRawIntBits(f);
          bits += 0x7fff + ((bits >>> 16) & 1);
          m.setAtIndex(F16, i, (short) (bits >>> 16));
        }
      }
    }
  }
}
