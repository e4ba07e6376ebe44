package dev.kiln.engine.cuda;

import dev.kiln.engine.cuda.CudaLaunch.Arg;
import dev.kiln.engine.cuda.CudaLaunch.F32;
import dev.kiln.engine.cuda.CudaLaunch.I32;
import dev.kiln.engine.cuda.CudaLaunch.I64;
import dev.kiln.engine.cuda.CudaLaunch.Struct;
import dev.kiln.engine.cuda.kernels.Indexer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Runs launches of Kiln's kernels on the host: floats in double, rounded once to the storage type;
 * integers in int64, as the kernels compute them. It follows each kernel's documented ABI (the
 * comments in {@code src/main/cuda}), reading the arguments back from the launch, so a wrong
 * argument gives a wrong number; and it checks each launch's grid and block against the shape the
 * ABI asks for ({@link #checkShape}), since it computes every element whatever the grid.
 */
final class KernelEmulator {
  private static final ValueLayout.OfInt I32L =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong I64L =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final LongFunction<MemorySegment> memory;

  KernelEmulator(LongFunction<MemorySegment> memory) {
    this.memory = memory;
  }

  private static int i32(List<Arg> a, int i) {
    return ((I32) a.get(i)).value();
  }

  private static long i64(List<Arg> a, int i) {
    return ((I64) a.get(i)).value();
  }

  private static double scalar(Arg a) {
    return a instanceof F32 f ? f.value() : ((CudaLaunch.F64) a).value();
  }

  /** The indexer struct back as an {@link Indexer} of four operands. */
  static Indexer indexer(Arg a) {
    MemorySegment s = MemorySegment.ofArray(((Struct) a).bytes());
    int rank = s.get(I32L, 0);
    long[] dims = new long[rank];
    long[][] strides = new long[Indexer.MAX_OPERANDS][rank];
    for (int d = 0; d < rank; d++) {
      dims[d] = s.get(I64L, 8 + 8L * d);
      for (int k = 0; k < Indexer.MAX_OPERANDS; k++) {
        strides[k][d] = s.get(I64L, 8 + 8L * Indexer.MAX_RANK + 8L * (k * Indexer.MAX_RANK + d));
      }
    }
    return new Indexer(dims, strides);
  }

  /**
   * The indexer struct read back as a walk: the operands' offsets at a linear position, by the
   * arithmetic {@code kiln_offsets} documents (the innermost dimension varies fastest; rank 0 means
   * every operand is at the position itself), into a caller's array so that nothing is allocated
   * per element.
   */
  private static final class Walk {
    private final long[] dims;
    private final long[][] strides;

    Walk(Arg a) {
      Indexer ix = indexer(a);
      dims = ix.dims();
      strides = ix.strides();
    }

    void offsets(long i, long[] off) {
      if (dims.length == 0) {
        java.util.Arrays.fill(off, i);
        return;
      }
      java.util.Arrays.fill(off, 0);
      for (int d = dims.length - 1; d >= 0 && i > 0; d--) {
        long c = i % dims[d];
        i /= dims[d];
        for (int k = 0; k < off.length; k++) {
          off[k] += c * strides[k][d];
        }
      }
    }

    long first(long i) {
      if (dims.length == 0) {
        return i;
      }
      long off = 0;
      for (int d = dims.length - 1; d >= 0 && i > 0; d--) {
        off += (i % dims[d]) * strides[0][d];
        i /= dims[d];
      }
      return off;
    }
  }

  /**
   * Element access by a kernel-name type suffix. Floats are read as doubles; integers also as
   * longs, since the kernels compute them in int64 (a seed's 64-bit key does not survive a double).
   */
  private static final class Typed {
    private static final int F32 = 0;
    private static final int F64 = 1;
    private static final int F16 = 2;
    private static final int BF16 = 3;
    private static final int I32 = 4;
    private static final int I64 = 5;
    private static final int I8 = 6;
    private static final int U8 = 7;

    private final int kind;
    private final MemorySegment m;

    Typed(String type, MemorySegment m) {
      this.m = m;
      this.kind =
          switch (type) {
            case "f32", "b4" -> F32;
            case "f64" -> F64;
            case "f16" -> F16;
            case "bf16" -> BF16;
            case "i32" -> I32;
            case "i64" -> I64;
            case "i8" -> I8;
            case "u8", "b1", "b8" -> U8;
            default -> throw new AssertionError("the emulator has no type " + type);
          };
    }

    /** Whether the kernels compute this type in int64. */
    boolean integer() {
      return kind >= I32;
    }

    double get(long i) {
      return switch (kind) {
        case F32 -> m.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
        case F64 -> m.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
        case F16 -> Float.float16ToFloat(m.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
        case BF16 -> Float.intBitsToFloat(m.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) << 16);
        default -> getLong(i);
      };
    }

    long getLong(long i) {
      return switch (kind) {
        case I32 -> m.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
        case I64 -> m.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
        case I8 -> m.get(ValueLayout.JAVA_BYTE, i);
        case U8 -> m.get(ValueLayout.JAVA_BYTE, i) & 0xff;
        default -> (long) get(i);
      };
    }

    void set(long i, double v) {
      switch (kind) {
        case F32 -> m.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) v);
        case F64 -> m.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i, v);
        case F16 ->
            m.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((float) v));
        case BF16 -> {
          int bits = Float.floatToRawIntBits((float) v);
          int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
          m.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (rounded >>> 16));
        }
        default -> setLong(i, (long) v);
      }
    }

    /** Stores an int64 result, wrapping to the type's width as the kernels' stores do. */
    void setLong(long i, long v) {
      switch (kind) {
        case I32 -> m.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, (int) v);
        case I64 -> m.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, v);
        case I8, U8 -> m.set(ValueLayout.JAVA_BYTE, i, (byte) v);
        default -> set(i, v);
      }
    }
  }

  private Typed at(String type, long address) {
    return new Typed(type, memory.apply(address));
  }

  private static String suffix(String name, String prefix) {
    return name.substring(prefix.length());
  }

  /**
   * Checks a launch's grid and block against CUDA's limits and the kernel's documented launch
   * shape, since the emulation itself computes every element whatever the grid: the GEMMs' tiles
   * must cover C (the grid's x and y are not strided), the row kernels need whole warps, and the
   * one-dimensional grid-stride kernels a one-dimensional grid (a second row of blocks would apply
   * an accumulating kernel twice).
   *
   * @throws AssertionError naming the kernel, its grid and block, and the rule broken
   */
  static void checkShape(CudaLaunch l) {
    int[] g = l.grid();
    int[] b = l.block();
    String what =
        l.kernel().name()
            + " launched with grid "
            + java.util.Arrays.toString(g)
            + " and block "
            + java.util.Arrays.toString(b);
    for (int i = 0; i < 3; i++) {
      if (g[i] < 1 || b[i] < 1) {
        throw new AssertionError(what + ": every grid and block dimension must be at least 1");
      }
    }
    if ((long) b[0] * b[1] * b[2] > 1024 || b[2] > 64) {
      throw new AssertionError(what + ": a block holds at most 1024 threads, 64 along z");
    }
    if (g[1] > 65535 || g[2] > 65535) {
      throw new AssertionError(what + ": the grid's y and z are at most 65535");
    }
    List<Arg> a = l.args();
    switch (l.kernel().family()) {
      case GEMM, GEMM64, GEMM_SIMPLE -> {
        boolean simple =
            l.kernel().family() == dev.kiln.engine.cuda.kernels.KernelFamily.GEMM_SIMPLE;
        int tile =
            switch (l.kernel().family()) {
              case GEMM -> 128;
              case GEMM64 -> 64;
              default -> 16;
            };
        int[] block = simple ? new int[] {16, 16, 1} : new int[] {256, 1, 1};
        if (!java.util.Arrays.equals(block, b)) {
          throw new AssertionError(
              what + ": gemm.cu wants block " + java.util.Arrays.toString(block));
        }
        long m = i32(a, 2);
        long n = i32(a, 3);
        if ((long) g[0] * tile < n || (long) g[1] * tile < m) {
          throw new AssertionError(
              what
                  + ": "
                  + tile
                  + "x"
                  + tile
                  + " tiles of grid x by y must cover C, "
                  + m
                  + " x "
                  + n);
        }
      }
      case REDUCE, ARGREDUCE, SOFTMAX, BATCH_NORM_STATS, BATCH_NORM_GRAD_SUMS -> {
        if (b[0] % 32 != 0 || b[1] != 1 || b[2] != 1 || g[1] != 1 || g[2] != 1) {
          throw new AssertionError(
              what + ": the row kernels take a one-dimensional block of whole warps and grid");
        }
      }
      default -> {
        if (b[1] != 1 || b[2] != 1 || g[1] != 1 || g[2] != 1) {
          throw new AssertionError(what + ": the grid-stride kernels take a one-dimensional grid");
        }
      }
    }
  }

  void run(CudaLaunch l, long[] p) {
    checkShape(l);
    String name = l.kernel().name();
    List<Arg> a = l.args();
    switch (l.kernel().family()) {
      case UNARY -> {
        String t = suffix(name, "kiln_unary_");
        Typed x = at(t, p[0]);
        Typed y = at(t, p[1]);
        int fn = i32(a, 0);
        for (long i = 0; i < i64(a, 1); i++) {
          if (x.integer()) {
            y.setLong(i, unaryInteger(fn, x.getLong(i)));
          } else {
            y.set(i, unary(fn, x.get(i)));
          }
        }
      }
      case BINARY, COMPARE -> {
        boolean compare = name.startsWith("kiln_compare_");
        String t = suffix(name, compare ? "kiln_compare_" : "kiln_binary_");
        Walk ix = new Walk(a.get(2));
        Typed x = at(t, p[0]);
        Typed z = at(t, p[1]);
        Typed y = at(compare ? "b1" : t, p[2]);
        int fn = i32(a, 0);
        long n = i64(a, 1);
        // Results are written after all reads, so an output that is also an operand is read whole.
        long[] out = new long[(int) n];
        double[] outFloat = new double[(int) n];
        long[] off = new long[2];
        for (long i = 0; i < n; i++) {
          ix.offsets(i, off);
          if (x.integer()) {
            long u = x.getLong(off[0]);
            long v = z.getLong(off[1]);
            out[(int) i] = compare ? (compare(fn, u, v) ? 1 : 0) : binaryInteger(fn, u, v);
          } else {
            double u = x.get(off[0]);
            double v = z.get(off[1]);
            if (compare) {
              out[(int) i] = compare(fn, u, v) ? 1 : 0;
            } else {
              outFloat[(int) i] = binary(fn, u, v);
            }
          }
        }
        for (int i = 0; i < n; i++) {
          if (compare || x.integer()) {
            y.setLong(i, out[i]);
          } else {
            y.set(i, outFloat[i]);
          }
        }
      }
      case SELECT -> {
        int size = Integer.parseInt(suffix(name, "kiln_select_").substring(1));
        Walk ix = new Walk(a.get(1));
        Typed c = at("b1", p[0]);
        MemorySegment onTrue = memory.apply(p[1]);
        MemorySegment onFalse = memory.apply(p[2]);
        long n = i64(a, 0);
        byte[] out = new byte[(int) (n * size)];
        long[] off = new long[3];
        for (long i = 0; i < n; i++) {
          ix.offsets(i, off);
          boolean first = c.getLong(off[0]) != 0;
          MemorySegment.copy(
              first ? onTrue : onFalse,
              (first ? off[1] : off[2]) * size,
              MemorySegment.ofArray(out),
              i * size,
              size);
        }
        MemorySegment.copy(MemorySegment.ofArray(out), 0, memory.apply(p[3]), 0, out.length);
      }
      case CAST -> {
        String[] ft = suffix(name, "kiln_cast_").split("_");
        Typed x = at(ft[0].equals("b8") ? "b1" : ft[0], p[0]);
        Typed y = at(ft[1].equals("b8") ? "b1" : ft[1], p[1]);
        for (long i = 0; i < i64(a, 0); i++) {
          if (x.integer() && y.integer()) {
            // Between integers the cast goes through int64.
            long v = x.getLong(i);
            y.setLong(i, ft[1].equals("b8") ? (v != 0 ? 1 : 0) : v);
            continue;
          }
          double v = x.get(i);
          if (ft[0].startsWith("f") || ft[0].startsWith("bf")) {
            // Float to integer saturates, NaN giving 0, as the IR's cast says.
            v =
                switch (ft[1]) {
                  case "i8" -> Double.isNaN(v) ? 0 : Math.clamp((long) v, -128, 127);
                  case "u8" -> Double.isNaN(v) ? 0 : Math.clamp((long) v, 0, 255);
                  case "i32" ->
                      Double.isNaN(v)
                          ? 0
                          : Math.clamp((long) v, Integer.MIN_VALUE, Integer.MAX_VALUE);
                  default -> v;
                };
          }
          y.set(i, ft[1].equals("b8") ? (v != 0 ? 1 : 0) : v);
        }
      }
      case COPY -> {
        int size = Integer.parseInt(suffix(name, "kiln_copy_").substring(1));
        Walk ix = new Walk(a.get(1));
        MemorySegment x = memory.apply(p[0]);
        MemorySegment y = memory.apply(p[1]);
        long n = i64(a, 0);
        byte[] out = new byte[(int) (n * size)];
        long[] to = new long[(int) n];
        long[] off = new long[2];
        for (long i = 0; i < n; i++) {
          ix.offsets(i, off);
          MemorySegment.copy(
              x, (i64(a, 3) + off[0]) * size, MemorySegment.ofArray(out), i * size, size);
          to[(int) i] = i64(a, 5) + off[1];
        }
        for (int i = 0; i < n; i++) {
          MemorySegment.copy(MemorySegment.ofArray(out), (long) i * size, y, to[i] * size, size);
        }
      }
      case FILL -> {
        String t = suffix(name, "kiln_fill_");
        MemorySegment y = memory.apply(p[0]);
        int size = Integer.parseInt(t.substring(1));
        for (long i = 0; i < i64(a, 0); i++) {
          MemorySegment.copy(MemorySegment.ofArray(new long[] {i64(a, 1)}), 0, y, i * size, size);
        }
      }
      case REDUCE -> {
        String t = suffix(name, "kiln_reduce_");
        Walk kept = new Walk(a.get(3));
        Walk reduced = new Walk(a.get(4));
        Typed x = at(t, p[0]);
        Typed y = at(t, p[1]);
        int fn = i32(a, 0);
        long count = i64(a, 2);
        for (long o = 0; o < i64(a, 1); o++) {
          long base = kept.first(o);
          if (x.integer()) {
            long acc = fn == 4 ? 1 : fn == 2 ? Long.MIN_VALUE : fn == 3 ? Long.MAX_VALUE : 0;
            for (long r = 0; r < count; r++) {
              long v = x.getLong(base + reduced.first(r));
              acc =
                  switch (fn) {
                    case 0, 1 -> acc + v;
                    case 2 -> Math.max(acc, v);
                    case 3 -> Math.min(acc, v);
                    default -> acc * v;
                  };
            }
            y.setLong(o, fn == 1 ? (count == 0 ? 0 : acc / count) : acc);
            continue;
          }
          double acc =
              fn == 4
                  ? 1
                  : fn == 2 ? Double.NEGATIVE_INFINITY : fn == 3 ? Double.POSITIVE_INFINITY : 0;
          for (long r = 0; r < count; r++) {
            double v = x.get(base + reduced.first(r));
            acc =
                switch (fn) {
                  case 0, 1 -> acc + v;
                  case 2 -> Math.max(acc, v);
                  case 3 -> Math.min(acc, v);
                  default -> acc * v;
                };
          }
          y.set(o, fn == 1 ? acc / count : acc);
        }
      }
      case SOFTMAX -> {
        String t = suffix(name, "kiln_softmax_");
        Typed x = at(t, p[0]);
        Typed y = at(t, p[1]);
        boolean log = i32(a, 0) != 0;
        long outer = i64(a, 1);
        long len = i64(a, 2);
        long inner = i64(a, 3);
        for (long o = 0; o < outer; o++) {
          for (long j = 0; j < inner; j++) {
            double max = Double.NEGATIVE_INFINITY;
            for (long k = 0; k < len; k++) {
              max = Math.max(max, x.get((o * len + k) * inner + j));
            }
            double sum = 0;
            for (long k = 0; k < len; k++) {
              sum += Math.exp(x.get((o * len + k) * inner + j) - max);
            }
            for (long k = 0; k < len; k++) {
              long at = (o * len + k) * inner + j;
              double v = x.get(at) - max;
              y.set(at, log ? v - Math.log(sum) : Math.exp(v) / sum);
            }
          }
        }
      }
      case GEMM, GEMM64, GEMM_SIMPLE -> {
        String t = suffix(name, name.startsWith("kiln_gemm64_") ? "kiln_gemm64_" : "kiln_gemm_");
        boolean ta = i32(a, 0) != 0;
        boolean tb = i32(a, 1) != 0;
        long m = i32(a, 2);
        long n = i32(a, 3);
        long k = i32(a, 4);
        double alpha = scalar(a.get(5));
        long lda = i64(a, 7);
        long ldb = i64(a, 9);
        double beta = scalar(a.get(10));
        long ldc = i64(a, 12);
        Walk batch = new Walk(a.get(14));
        Typed ma = at(t, p[0]);
        Typed mb = at(t, p[1]);
        Typed mc = at(t, p[2]);
        // op(A) and op(B) are read once into row-major arrays, so the products run on plain
        // doubles; each C element still sums its k products in order.
        double[] av = new double[(int) (m * k)];
        double[] bv = new double[(int) (k * n)];
        double[] cv = new double[(int) n];
        long[] off = new long[3];
        for (long z = 0; z < i64(a, 13); z++) {
          batch.offsets(z, off);
          for (long i = 0; i < m; i++) {
            for (long q = 0; q < k; q++) {
              av[(int) (i * k + q)] = ma.get(off[0] + (ta ? q * lda + i : i * lda + q));
            }
          }
          for (long q = 0; q < k; q++) {
            for (long j = 0; j < n; j++) {
              bv[(int) (q * n + j)] = mb.get(off[1] + (tb ? j * ldb + q : q * ldb + j));
            }
          }
          for (int i = 0; i < m; i++) {
            row(av, bv, cv, i, (int) k, (int) n);
            for (int j = 0; j < n; j++) {
              long c = off[2] + i * ldc + j;
              mc.set(c, alpha * cv[j] + (beta == 0 ? 0 : beta * mc.get(c)));
            }
          }
        }
      }
      case IM2COL -> {
        int size = Integer.parseInt(suffix(name, "kiln_im2col_").substring(1));
        Conv g = new Conv(a.get(0));
        MemorySegment x = memory.apply(p[0]);
        MemorySegment col = memory.apply(p[1]);
        long outPos = g.prod(g.out);
        long inPos = g.prod(g.in);
        long taps = g.prod(g.k);
        long m = (long) g.batch * outPos;
        for (long e = 0; e < i64(a, 1); e++) {
          long ci = e % g.cinG;
          long t = e / g.cinG;
          long k = t % taps;
          t /= taps;
          long row = t % m;
          long grp = t / m;
          long n = row / outPos;
          long o = row % outPos;
          long at = g.input(o, k);
          if (at < 0) {
            col.asSlice(e * size, size).fill((byte) 0);
          } else {
            MemorySegment.copy(
                x, ((n * inPos + at) * g.cin + grp * g.cinG + ci) * size, col, e * size, size);
          }
        }
      }
      case COL2IM -> {
        String t = suffix(name, "kiln_col2im_");
        Conv g = new Conv(a.get(0));
        Typed col = at(t, p[0]);
        Typed dx = at(t, p[1]);
        long outPos = g.prod(g.out);
        long inPos = g.prod(g.in);
        long taps = g.prod(g.k);
        long m = (long) g.batch * outPos;
        for (long e = 0; e < i64(a, 1); e++) {
          long c = e % g.cin;
          long rest = e / g.cin;
          long pp = rest % inPos;
          long n = rest / inPos;
          long grp = c / g.cinG;
          long ci = c % g.cinG;
          int[] pc = new int[g.rank];
          for (int d = g.rank - 1; d >= 0; d--) {
            pc[d] = (int) (pp % g.in[d]);
            pp /= g.in[d];
          }
          double acc = 0;
          for (long k = 0; k < taps; k++) {
            long kRest = k;
            long o = 0;
            long scale = 1;
            boolean hit = true;
            for (int d = g.rank - 1; d >= 0 && hit; d--) {
              int ka = (int) (kRest % g.k[d]);
              kRest /= g.k[d];
              int num = pc[d] + g.lo[d] - ka * g.dil[d];
              if (num < 0 || num % g.stride[d] != 0 || num / g.stride[d] >= g.out[d]) {
                hit = false;
              } else {
                o += scale * (num / g.stride[d]);
                scale *= g.out[d];
              }
            }
            if (hit) {
              acc += col.get(((grp * m + n * outPos + o) * taps + k) * g.cinG + ci);
            }
          }
          dx.set(e, acc);
        }
      }
      case RANDOM -> {
        Typed seed = at("i64", p[0]);
        Typed y = at(suffix(name, "kiln_random_"), p[1]);
        long key = seed.getLong(0);
        long counter = seed.getLong(1);
        double lo = ((CudaLaunch.F64) a.get(2)).value();
        double hi = ((CudaLaunch.F64) a.get(3)).value();
        for (long i = 0; i < i64(a, 1); i++) {
          double u = dev.kiln.spi.random.Philox.uniform(key, counter, i);
          y.set(
              i,
              switch (i32(a, 0)) {
                case 0 -> lo + (hi - lo) * u;
                case 1 -> lo + hi * dev.kiln.spi.random.Philox.normal(key, counter, i);
                default -> u < lo ? 1 : 0;
              });
        }
      }
      case POOL_FORWARD, MAX_POOL_BACKWARD, AVG_POOL_BACKWARD -> pool(l, p);
      case GATHER -> {
        int size = Integer.parseInt(suffix(name, "kiln_gather_").substring(1));
        long outer = i64(a, 0);
        long dim = i64(a, 1);
        long inner = i64(a, 2);
        long count = i64(a, 3);
        MemorySegment params = memory.apply(p[0]);
        Typed idx = at(indexType(i32(a, 6)), p[1]);
        MemorySegment y = memory.apply(p[2]);
        for (long e = 0; e < outer * count * inner; e++) {
          long ei = e % inner;
          long t = e / inner;
          long k = t % count;
          long o = t / count;
          long j = Math.clamp((long) idx.get(k), 0, dim - 1);
          MemorySegment.copy(params, ((o * dim + j) * inner + ei) * size, y, e * size, size);
        }
      }
      case SCATTER_ADD -> {
        String t = suffix(name, "kiln_scatter_add_");
        long outer = i64(a, 0);
        long dim = i64(a, 1);
        long inner = i64(a, 2);
        long count = i64(a, 3);
        Typed idx = at(indexType(i32(a, 5)), p[0]);
        Typed upd = at(t, p[1]);
        Typed y = at(t, p[2]);
        for (long e = 0; e < outer * count * inner; e++) {
          long ei = e % inner;
          long r = e / inner;
          long k = r % count;
          long o = r / count;
          long j = (long) idx.get(k);
          if (j >= 0 && j < dim) {
            long at = (o * dim + j) * inner + ei;
            y.set(at, y.get(at) + upd.get(e));
          }
        }
      }
      case ONE_HOT -> {
        Typed idx = at(indexType(i32(a, 3)), p[0]);
        Typed y = at(suffix(name, "kiln_one_hot_"), p[1]);
        int depth = i32(a, 1);
        for (long e = 0; e < i64(a, 0) * depth; e++) {
          y.set(e, (long) idx.get(e / depth) == e % depth ? 1 : 0);
        }
      }
      case IOTA -> {
        Typed y = at(suffix(name, "kiln_iota_"), p[0]);
        for (long i = 0; i < i64(a, 0); i++) {
          y.set(i, (i / i64(a, 1)) % i64(a, 2));
        }
      }
      case ARGREDUCE -> {
        String[] types = suffix(name, "kiln_argreduce_").split("_");
        Typed x = at(types[0], p[0]);
        Typed y = at(types[1], p[1]);
        boolean max = i32(a, 0) == 0;
        long outer = i64(a, 1);
        long len = i64(a, 2);
        long inner = i64(a, 3);
        for (long o = 0; o < outer; o++) {
          for (long j = 0; j < inner; j++) {
            long best = 0;
            double bv = x.get(o * len * inner + j);
            for (long k = 1; k < len && !Double.isNaN(bv); k++) {
              double v = x.get((o * len + k) * inner + j);
              if (Double.isNaN(v) || (max ? v > bv : v < bv)) {
                best = k;
                bv = v;
              }
            }
            y.set(o * inner + j, best);
          }
        }
      }
      default -> throw new AssertionError("the emulator does not run " + name);
    }
  }

  /** Row {@code i} of the product of row-major {@code a} (m x k) and {@code b} (k x n) into c. */
  private static void row(double[] a, double[] b, double[] c, int i, int k, int n) {
    java.util.Arrays.fill(c, 0, n, 0);
    for (int q = 0; q < k; q++) {
      double aiq = a[i * k + q];
      int at = q * n;
      for (int j = 0; j < n; j++) {
        c[j] += aiq * b[at + j];
      }
    }
  }

  private static String indexType(int code) {
    return switch (code) {
      case 0 -> "i8";
      case 1 -> "u8";
      case 2 -> "i32";
      default -> "i64";
    };
  }

  /** The pooling kernels, by walking each output's window. */
  private void pool(CudaLaunch l, long[] p) {
    List<Arg> a = l.args();
    String name = l.kernel().name();
    boolean forward = l.kernel().family() == dev.kiln.engine.cuda.kernels.KernelFamily.POOL_FORWARD;
    MemorySegment s = MemorySegment.ofArray(((Struct) a.get(forward ? 1 : 0)).bytes());
    int rank = s.get(I32L, 0);
    int batch = s.get(I32L, 4);
    int channels = s.get(I32L, 8);
    int[][] f = new int[5][rank];
    for (int j = 0; j < 5; j++) {
      for (int d = 0; d < rank; d++) {
        f[j][d] = s.get(I32L, 16 + 4L * (j * Indexer.MAX_RANK + d));
      }
    }
    int[] in = f[0];
    int[] out = f[1];
    int[] window = f[2];
    int[] stride = f[3];
    int[] lo = f[4];
    String t = name.substring(name.lastIndexOf('_') + 1);
    long inPos = 1;
    long outPos = 1;
    long winPos = 1;
    for (int d = 0; d < rank; d++) {
      inPos *= in[d];
      outPos *= out[d];
      winPos *= window[d];
    }
    boolean max = forward ? i32(a, 0) == 0 : l.kernel().family().name().startsWith("MAX");
    Typed x = forward || max ? at(t, p[0]) : null;
    Typed dy = forward ? null : at(t, p[max ? 1 : 0]);
    Typed y = at(t, p[forward ? 1 : max ? 2 : 1]);
    if (!forward) {
      for (long e = 0; e < batch * inPos * channels; e++) {
        y.set(e, 0);
      }
    }
    for (long n = 0; n < batch; n++) {
      for (long o = 0; o < outPos; o++) {
        int[] oc = new int[rank];
        long rest = o;
        for (int d = rank - 1; d >= 0; d--) {
          oc[d] = (int) (rest % out[d]);
          rest /= out[d];
        }
        for (long c = 0; c < channels; c++) {
          double best = Double.NEGATIVE_INFINITY;
          long bestAt = -1;
          double sum = 0;
          long count = 0;
          List<Long> inside = new java.util.ArrayList<>();
          for (long w = 0; w < winPos; w++) {
            long wr = w;
            long flat = 0;
            boolean ok = true;
            int[] wc = new int[rank];
            for (int d = rank - 1; d >= 0; d--) {
              wc[d] = (int) (wr % window[d]);
              wr /= window[d];
            }
            for (int d = 0; d < rank; d++) {
              int pos = oc[d] * stride[d] - lo[d] + wc[d];
              ok &= pos >= 0 && pos < in[d];
              flat = flat * in[d] + pos;
            }
            if (!ok) {
              continue;
            }
            long at = (n * inPos + flat) * channels + c;
            inside.add(at);
            count++;
            if (x != null) {
              double v = x.get(at);
              sum += v;
              if (bestAt < 0 || v > best || (Double.isNaN(v) && !Double.isNaN(best))) {
                best = v;
                bestAt = at;
              }
            }
          }
          long yo = (n * outPos + o) * channels + c;
          if (forward) {
            y.set(yo, max ? best : sum / count);
          } else if (max) {
            if (bestAt >= 0) {
              y.set(bestAt, y.get(bestAt) + dy.get(yo));
            }
          } else {
            for (long at : inside) {
              y.set(at, y.get(at) + dy.get(yo) / count);
            }
          }
        }
      }
    }
  }

  /** The {@code KilnConv} struct read back. */
  private static final class Conv {
    final int rank;
    final int batch;
    final int cin;
    final int cinG;
    final int[] in;
    final int[] out;
    final int[] k;
    final int[] stride;
    final int[] dil;
    final int[] lo;

    Conv(Arg struct) {
      MemorySegment s = MemorySegment.ofArray(((Struct) struct).bytes());
      rank = s.get(I32L, 0);
      batch = s.get(I32L, 4);
      cin = s.get(I32L, 8);
      cinG = s.get(I32L, 20);
      in = ints(s, 0);
      out = ints(s, 1);
      k = ints(s, 2);
      stride = ints(s, 3);
      dil = ints(s, 4);
      lo = ints(s, 5);
    }

    private int[] ints(MemorySegment s, int field) {
      int[] v = new int[rank];
      for (int d = 0; d < rank; d++) {
        v[d] = s.get(I32L, 28 + 4L * (field * Indexer.MAX_RANK + d));
      }
      return v;
    }

    long prod(int[] v) {
      long p = 1;
      for (int x : v) {
        p *= x;
      }
      return p;
    }

    /** The flat input position under output position {@code o} and tap {@code tap}, or -1. */
    long input(long o, long tap) {
      int[] oc = new int[rank];
      int[] kc = new int[rank];
      for (int d = rank - 1; d >= 0; d--) {
        oc[d] = (int) (o % out[d]);
        o /= out[d];
        kc[d] = (int) (tap % k[d]);
        tap /= k[d];
      }
      long flat = 0;
      for (int d = 0; d < rank; d++) {
        int pos = oc[d] * stride[d] - lo[d] + kc[d] * dil[d];
        if (pos < 0 || pos >= in[d]) {
          return -1;
        }
        flat = flat * in[d] + pos;
      }
      return flat;
    }
  }

  private static double unary(int fn, double v) {
    return switch (fn) {
      case 0 -> -v;
      case 1 -> Math.abs(v);
      case 2 -> Math.signum(v);
      case 3 -> Math.exp(v);
      case 4 -> Math.expm1(v);
      case 5 -> Math.log(v);
      case 6 -> Math.log1p(v);
      case 7 -> Math.sqrt(v);
      case 8 -> 1 / Math.sqrt(v);
      case 9 -> v * v;
      case 10 -> 1 / v;
      case 11 -> Math.sin(v);
      case 12 -> Math.cos(v);
      case 13 -> Math.tanh(v);
      case 14 -> 1 / (1 + Math.exp(-v));
      case 15 -> dev.kiln.spi.math.SpecialFunctions.erf(v);
      case 16 -> Math.floor(v);
      case 17 -> Math.ceil(v);
      case 18 -> Math.rint(v);
      case 19 -> v != 0 ? 0 : 1;
      default -> throw new AssertionError("the emulator has no unary fn " + fn);
    };
  }

  private static double binary(int fn, double u, double v) {
    return switch (fn) {
      case 0 -> u + v;
      case 1 -> u - v;
      case 2 -> u * v;
      case 3 -> u / v;
      case 4 -> Math.pow(u, v);
      case 5 -> Math.max(u, v);
      case 6 -> Math.min(u, v);
      case 7 -> u - v * Math.floor(u / v);
      case 8 -> (u != 0 && v != 0) ? 1 : 0;
      case 9 -> (u != 0 || v != 0) ? 1 : 0;
      case 10 -> ((u != 0) != (v != 0)) ? 1 : 0;
      default -> throw new AssertionError("the emulator has no binary fn " + fn);
    };
  }

  /** The integer binary ops, in int64 with wrapping, Python's floor division and remainder. */
  private static long binaryInteger(int fn, long u, long v) {
    return switch (fn) {
      case 0 -> u + v;
      case 1 -> u - v;
      case 2 -> u * v;
      case 3 -> v == 0 ? 0 : Math.floorDiv(u, v);
      case 5 -> Math.max(u, v);
      case 6 -> Math.min(u, v);
      case 7 -> v == 0 || v == -1 ? 0 : Math.floorMod(u, v);
      case 8 -> (u != 0 && v != 0) ? 1 : 0;
      case 9 -> (u != 0 || v != 0) ? 1 : 0;
      case 10 -> ((u != 0) != (v != 0)) ? 1 : 0;
      default -> throw new AssertionError("the emulator has no integer binary fn " + fn);
    };
  }

  /** The integer unary ops, in int64 with wrapping. */
  private static long unaryInteger(int fn, long v) {
    return switch (fn) {
      case 0 -> -v;
      case 1 -> Math.abs(v);
      case 2 -> Long.signum(v);
      case 9 -> v * v;
      case 19 -> v != 0 ? 0 : 1;
      default -> throw new AssertionError("the emulator has no integer unary fn " + fn);
    };
  }

  private static boolean compare(int fn, long u, long v) {
    return switch (fn) {
      case 0 -> u == v;
      case 1 -> u != v;
      case 2 -> u < v;
      case 3 -> u <= v;
      case 4 -> u > v;
      default -> u >= v;
    };
  }

  private static boolean compare(int fn, double u, double v) {
    return switch (fn) {
      case 0 -> u == v;
      case 1 -> u != v;
      case 2 -> u < v;
      case 3 -> u <= v;
      case 4 -> u > v;
      default -> u >= v;
    };
  }
}
