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
 * Runs launches of Kiln's kernels on the host, in double, for the kernels that float32 dense models
 * use: unary, binary, compare, select, cast, copy, fill, reduce, softmax and the float32 GEMMs. It
 * follows each kernel's documented ABI (the comments in {@code src/main/cuda}), reading the
 * arguments back from the launch, so a wrong argument gives a wrong number.
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

  /** Element access by a kernel-name type suffix. */
  private record Typed(String type, MemorySegment m) {
    double get(long i) {
      return switch (type) {
        case "f32", "b4" -> m.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
        case "f64" -> m.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
        case "f16" -> Float.float16ToFloat(m.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
        case "bf16" ->
            Float.intBitsToFloat(m.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) << 16);
        case "i32" -> m.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
        case "i64" -> m.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
        case "i8" -> m.get(ValueLayout.JAVA_BYTE, i);
        case "u8", "b1", "b8" -> m.get(ValueLayout.JAVA_BYTE, i) & 0xff;
        default -> throw new AssertionError("the emulator has no type " + type);
      };
    }

    void set(long i, double v) {
      switch (type) {
        case "f32", "b4" -> m.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) v);
        case "f64" -> m.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i, v);
        case "f16" ->
            m.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((float) v));
        case "bf16" -> {
          int bits = Float.floatToRawIntBits((float) v);
          int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
          m.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (rounded >>> 16));
        }
        case "i32" -> m.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, (int) v);
        case "i64" -> m.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, (long) v);
        case "i8", "u8", "b1", "b8" -> m.set(ValueLayout.JAVA_BYTE, i, (byte) v);
        default -> throw new AssertionError("the emulator has no type " + type);
      }
    }
  }

  private Typed at(String type, long address) {
    return new Typed(type, memory.apply(address));
  }

  private static String suffix(String name, String prefix) {
    return name.substring(prefix.length());
  }

  void run(CudaLaunch l, long[] p) {
    String name = l.kernel().name();
    List<Arg> a = l.args();
    switch (l.kernel().family()) {
      case UNARY -> {
        String t = suffix(name, "kiln_unary_");
        Typed x = at(t, p[0]);
        Typed y = at(t, p[1]);
        int fn = i32(a, 0);
        for (long i = 0; i < i64(a, 1); i++) {
          y.set(i, unary(fn, x.get(i)));
        }
      }
      case BINARY, COMPARE -> {
        boolean compare = name.startsWith("kiln_compare_");
        String t = suffix(name, compare ? "kiln_compare_" : "kiln_binary_");
        Indexer ix = indexer(a.get(2));
        Typed x = at(t, p[0]);
        Typed z = at(t, p[1]);
        Typed y = at(compare ? "b1" : t, p[2]);
        int fn = i32(a, 0);
        long n = i64(a, 1);
        double[] out = new double[(int) n];
        for (long i = 0; i < n; i++) {
          long[] off = ix.offsets(i);
          double u = x.get(off[0]);
          double v = z.get(off[1]);
          out[(int) i] =
              compare
                  ? (compare(fn, u, v) ? 1 : 0)
                  : binary(fn, u, v, t.startsWith("i") || t.startsWith("u"));
        }
        for (int i = 0; i < n; i++) {
          y.set(i, out[i]);
        }
      }
      case SELECT -> {
        int size = Integer.parseInt(suffix(name, "kiln_select_").substring(1));
        Indexer ix = indexer(a.get(1));
        Typed c = at("b1", p[0]);
        long n = i64(a, 0);
        byte[] out = new byte[(int) (n * size)];
        for (long i = 0; i < n; i++) {
          long[] off = ix.offsets(i);
          boolean first = c.get(off[0]) != 0;
          MemorySegment.copy(
              memory.apply(first ? p[1] : p[2]),
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
        Indexer ix = indexer(a.get(1));
        MemorySegment x = memory.apply(p[0]);
        MemorySegment y = memory.apply(p[1]);
        long n = i64(a, 0);
        byte[] out = new byte[(int) (n * size)];
        long[] to = new long[(int) n];
        for (long i = 0; i < n; i++) {
          long[] off = ix.offsets(i);
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
        Indexer kept = indexer(a.get(3));
        Indexer reduced = indexer(a.get(4));
        Typed x = at(t, p[0]);
        Typed y = at(t, p[1]);
        int fn = i32(a, 0);
        long count = i64(a, 2);
        for (long o = 0; o < i64(a, 1); o++) {
          long base = kept.offsets(o)[0];
          double acc =
              fn == 4
                  ? 1
                  : fn == 2 ? Double.NEGATIVE_INFINITY : fn == 3 ? Double.POSITIVE_INFINITY : 0;
          for (long r = 0; r < count; r++) {
            double v = x.get(base + reduced.offsets(r)[0]);
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
        Indexer batch = indexer(a.get(14));
        Typed ma = at(t, p[0]);
        Typed mb = at(t, p[1]);
        Typed mc = at(t, p[2]);
        for (long z = 0; z < i64(a, 13); z++) {
          long[] off = batch.offsets(z);
          for (long i = 0; i < m; i++) {
            for (long j = 0; j < n; j++) {
              double acc = 0;
              for (long q = 0; q < k; q++) {
                acc +=
                    ma.get(off[0] + (ta ? q * lda + i : i * lda + q))
                        * mb.get(off[1] + (tb ? j * ldb + q : q * ldb + j));
              }
              long c = off[2] + i * ldc + j;
              mc.set(c, alpha * acc + (beta == 0 ? 0 : beta * mc.get(c)));
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
        long key = (long) seed.get(0);
        long counter = (long) seed.get(1);
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

  private static double binary(int fn, double u, double v, boolean integer) {
    return switch (fn) {
      case 0 -> u + v;
      case 1 -> u - v;
      case 2 -> u * v;
      case 3 -> integer ? (v == 0 ? 0 : Math.floorDiv((long) u, (long) v)) : u / v;
      case 4 -> Math.pow(u, v);
      case 5 -> Math.max(u, v);
      case 6 -> Math.min(u, v);
      case 7 ->
          integer ? (v == 0 ? 0 : Math.floorMod((long) u, (long) v)) : u - v * Math.floor(u / v);
      case 8 -> (u != 0 && v != 0) ? 1 : 0;
      case 9 -> (u != 0 || v != 0) ? 1 : 0;
      case 10 -> ((u != 0) != (v != 0)) ? 1 : 0;
      default -> throw new AssertionError("the emulator has no binary fn " + fn);
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
