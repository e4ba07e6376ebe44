package dev.kiln.engine.cpu;

import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ConvSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 channels-last convolution (1-D or 2-D, one group, dilation 1) computed from the input in
 * place, without im2col. In channels-last layout an output pixel's receptive field is {@code KH}
 * runs of {@code KW * C} contiguous floats of a (zero-padded) input, so a micro-kernel can read its
 * depth loop straight from the input: {@link Gemm}'s {@code MR x NR} register tile, with the A
 * operand at six pixel offsets instead of a packed panel. For few channels (16 to 64, and a single
 * input channel) packing the im2col rows cost as much as the multiplication; here nothing is packed
 * but the weights, which are small.
 *
 * <ul>
 *   <li>The forward pass tiles the output pixels by {@code MR} and the output channels by {@code
 *       NR}.
 *   <li>The input gradient of a stride-1 convolution is the forward pass of {@code dy}, padded by
 *       {@code K - 1 - pad}, with the kernel flipped and its channel axes swapped. With strides it
 *       splits into one such pass per phase (the {@code dx} positions of one residue per axis),
 *       each over the taps that reach those positions.
 *   <li>The filter gradient tiles the filter's rows {@code (kh, kw, ci)} by {@code MR} and its
 *       output channels by {@code NR}; each thread sums a share of the images into its own partial
 *       filter (the depth loop runs over an image's output pixels, which stay in cache), and the
 *       partials are added at the end.
 * </ul>
 */
final class DirectConv {
  /**
   * The class of native segments, which the filter-gradient tiles and helpers cast their segments
   * to on entry. The JDK's segment accessors keep one type profile for all their callers; once any
   * code in the JVM reads heap segments through them (vector loads, {@code get(JAVA_FLOAT)}), a
   * tile that only knows "a MemorySegment" calls the accessors' checks virtually. In a JVM that had
   * read a heap segment that way, 256-bit, 2 cores, batch 64, 3x3: the filter gradient of 16 to 16
   * channels on 28x28 took 8.2 ms a call against 1.42, of 64 to 64 on 7x7 9.0 against 1.9; with the
   * casts 1.41 and 2.0, and no slower in a clean JVM. The forward tiles do not cast: there the cast
   * cost 14% in a clean JVM (32 to 32 on 14x14: 1.44 -> 1.64 ms), and a polluted JVM still runs
   * them about three times slower.
   */
  private static final Class<? extends MemorySegment> NATIVE = Gemm.NATIVE;

  private static final VectorSpecies<Float> S = Gemm.S;
  private static final int V = Gemm.V;
  private static final int MR = Gemm.MR;
  private static final int NR = Gemm.NR;
  // Unaligned: the aligned layout tests every broadcast load's address, which cost the two-vector
  // tile 12-17% (per core, 32 to 32 channels on 14x14: forward 95-98 against 82 GFLOP/s).
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  /** Rows of the filter gradient's tap tile: sixteen input channels of one tap. */
  private static final int TAP_ROWS = 16;

  /** Rows of the one-vector tile: 12 accumulators, a weight vector and a broadcast in registers. */
  private static final int NARROW_MR = 12;

  private static final ThreadLocal<MemorySegment> EDGE =
      ThreadLocal.withInitial(
          () -> Arena.ofAuto().allocate((long) Math.max(MR * NR, NARROW_MR * V) * 4, 64));

  /**
   * All bits set, in a field C2 cannot fold: an index masked with it is not affine in the loop
   * variable, so its load keeps its bounds check. Without any check in a micro-kernel's loop, C2
   * split it into pre, main and post loops and scheduled all its loads first, and the main loop ran
   * at half the speed of one that keeps a check (measured on one core: 26 against 47 GFLOP/s; see
   * {@link #forwardTileWideRuns}).
   */
  @SuppressWarnings("FieldMayBeFinal")
  private static long allBits = -1L;

  private DirectConv() {}

  /**
   * Whether the forward pass runs here: a 1-D or 2-D convolution with one group, no dilation and at
   * most {@link #MAX_CHANNELS} output channels.
   */
  static boolean coversForward(ConvSpec s, TensorType y) {
    return covers(s) && y.shape().dim(-1) <= MAX_CHANNELS;
  }

  /**
   * Whether the filter gradient runs here: at most {@link #MAX_CHANNELS} input channels, where
   * {@link ConvGemm} packs long im2col columns for few output rows.
   */
  static boolean coversBackpropFilter(ConvSpec s, TensorType x) {
    return covers(s) && x.shape().dim(-1) <= MAX_CHANNELS;
  }

  /**
   * The most channels (of the side the tiles run across) for which the direct kernels run. Per
   * core, 3x3 "same" on a 2-core Xeon (Sapphire Rapids, 512-bit), direct against {@link ConvGemm}
   * in GFLOP/s: 32 to 32 channels on 14x14 forward 90/77, input gradient 87/47, filter gradient
   * 79/45; 64 to 64 on 7x7: 84/69, 91/79, 81/71; 5x5 "valid" 20 to 50 on 12x12: forward 71/63,
   * filter gradient 67/54. On Zen 4 (an earlier session, before the one-vector tiles) the forward
   * pass was level at 64 channels (42 against 45) and ahead below.
   */
  private static final int MAX_CHANNELS = 64;

  /** Off with {@code -Dkiln.native.directConv=false}, to compare against {@link ConvGemm}. */
  private static final boolean ENABLED =
      !"false".equals(System.getProperty("kiln.native.directConv"));

  private static boolean covers(ConvSpec s) {
    if (!ENABLED || s.groups() != 1 || s.spatialRank() > 2) {
      return false;
    }
    for (int d : s.dilations()) {
      if (d != 1) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether the input gradient is better computed here: at most {@link #MAX_CHANNELS} input
   * channels, and the phases' padded {@code dy} adds little work over the positions {@code dy} has
   * (a "valid" convolution's input gradient reads mostly padding: col2im does less). A strided one
   * also needs half a vector of input channels, since its tiles span a whole vector of them.
   *
   * <p>Per core, 512-bit vectors, batch 64, phases against {@link ConvGemm} in GFLOP/s, stride 2:
   * 3x3 "same" 32 to 16 channels on 28x28 77/43, 64 to 32 on 14x14 94/70, 64 to 64 on 7x7 127/72;
   * 1x1 "same" 32 to 16 on 28x28 30/15, 64 to 32 on 14x14 39/33; 3x3 "valid" 32 to 16 on 28x28
   * 69/44, 64 to 32 on 14x14 72/70; 1-D 32 to 32 on 100, 3 taps, 38-41/27-43 (noisy), 16 to 16 on
   * 200, 5 taps, 51/24; stride 3, 5x5 "same" 16 to 16 on 28x28 87/33. Into few channels ConvGemm
   * wins or draws: 16 to 4 on 28x28 12/17, to 8 24/23, to 1 4/7.
   */
  static boolean coversBackpropInput(ConvSpec s, TensorType dy, TensorType w, TensorType dx) {
    if (!covers(s) || dx.shape().dim(-1) > MAX_CHANNELS) {
      return false;
    }
    Geo g = Geo.of(s, dx.shape(), w.shape(), dy.shape());
    if ((g.sh != 1 || g.sw != 1) && g.c * 2 < V) {
      return false;
    }
    int[] lo = lowPadding(s, g);
    long phaseWork =
        new PhaseAxis(g.h, g.kh, g.sh, lo[0]).work() * new PhaseAxis(g.w, g.kw, g.sw, lo[1]).work();
    long dyWork = (long) g.oh * g.ow * g.kh * g.kw;
    return phaseWork * 2 <= dyWork * 3;
  }

  /** A 2-D geometry: 1-D convolutions are 2-D ones of height 1. */
  private record Geo(
      int n, int h, int w, int c, int kh, int kw, int cout, int oh, int ow, int sh, int sw) {
    static Geo of(ConvSpec s, Shape x, Shape k, Shape y) {
      int[] sp = s.strides();
      if (s.spatialRank() == 1) {
        return new Geo(
            x.dim(0), 1, x.dim(1), x.dim(2), 1, k.dim(0), k.dim(2), 1, y.dim(1), 1, sp[0]);
      }
      return new Geo(
          x.dim(0), x.dim(1), x.dim(2), x.dim(3), k.dim(0), k.dim(1), k.dim(3), y.dim(1), y.dim(2),
          sp[0], sp[1]);
    }

    int depth() {
      return kh * kw * c;
    }

    /**
     * The tile width in output channels: one vector where the channels fit in one (16 channels with
     * 512-bit vectors), else {@link Gemm#NR}; a two-vector tile on 16 channels computed as many
     * zeros as results.
     */
    int nr() {
      return cout <= V ? V : NR;
    }

    /** The tile height: twelve rows for the one-vector tile, which holds twelve accumulators. */
    int mr() {
      return nr() == NR ? MR : NARROW_MR;
    }

    int panels() {
      return (cout + nr() - 1) / nr();
    }
  }

  /** The low padding of each axis, as [top, left]. */
  private static int[] lowPadding(ConvSpec s, Geo g) {
    if (s.spatialRank() == 1) {
      int[] lo =
          ScalarKernels.lowPadding(
              s.padding(), new int[] {g.w}, new int[] {g.kw}, s.strides(), s.dilations());
      return new int[] {0, lo[0]};
    }
    return ScalarKernels.lowPadding(
        s.padding(), new int[] {g.h, g.w}, new int[] {g.kh, g.kw}, s.strides(), s.dilations());
  }

  /**
   * The source a kernel reads: the operand itself when no padding is needed, else a zero-padded
   * copy {@code [n, hp, wp, c]} with the operand at (top, left). The copy's border is zeroed once;
   * later runs rewrite only the interior.
   */
  private static final class Padded {
    final int n, h, w, c, hp, wp, top, left;
    final boolean copy;
    private MemorySegment buffer;

    Padded(int n, int h, int w, int c, int hp, int wp, int top, int left) {
      this.n = n;
      this.h = h;
      this.w = w;
      this.c = c;
      this.hp = hp;
      this.wp = wp;
      this.top = top;
      this.left = left;
      copy = top != 0 || left != 0 || hp > h || wp > w;
    }

    long rowStride() {
      return (long) (copy ? wp : w) * c;
    }

    long imageStride() {
      return copy ? (long) hp * wp * c : (long) h * w * c;
    }

    /** A zeroed buffer for one padded image, its border never written again. */
    MemorySegment imageBuffer() {
      MemorySegment b = OffHeap.allocate(Arena.ofAuto(), Math.max(4, (long) hp * wp * c * 4), 64);
      b.fill((byte) 0);
      return b;
    }

    /** Copies image {@code b} of {@code src} into the interior of the one-image {@code dst}. */
    void copyImage(MemorySegment src, int b, MemorySegment dst) {
      int i0 = Math.max(0, top);
      int i1 = Math.min(hp, top + h);
      int j0 = Math.max(0, left);
      int j1 = Math.min(wp, left + w);
      long floats = (long) (j1 - j0) * c;
      for (int i = i0; i < i1 && j0 < j1; i++) {
        long s = (((long) b * h + (i - top)) * w + (j0 - left)) * c;
        long d = ((long) i * wp + j0) * c;
        MemorySegment.copy(src, s * 4, dst, d * 4, floats * 4);
      }
    }

    /** {@link #copyImage} into a heap array, whose border stays zero. */
    void copyImage(MemorySegment src, int b, float[] dst) {
      int i0 = Math.max(0, top);
      int i1 = Math.min(hp, top + h);
      int j0 = Math.max(0, left);
      int j1 = Math.min(wp, left + w);
      int floats = (j1 - j0) * c;
      for (int i = i0; i < i1 && j0 < j1; i++) {
        long s = (((long) b * h + (i - top)) * w + (j0 - left)) * c;
        int d = (i * wp + j0) * c;
        MemorySegment.copy(src, F, s * 4, dst, d, floats);
      }
    }

    MemorySegment bind(MemorySegment src, CpuPool pool) {
      if (!copy) {
        return src;
      }
      if (buffer == null) {
        buffer = OffHeap.allocate(Arena.ofAuto(), Math.max(4, (long) n * hp * wp * c * 4), 64);
        buffer.fill((byte) 0);
      }
      int i0 = Math.max(0, top);
      int i1 = Math.min(hp, top + h);
      int j0 = Math.max(0, left);
      int j1 = Math.min(wp, left + w);
      if (i0 >= i1 || j0 >= j1) {
        return buffer;
      }
      long floats = (long) (j1 - j0) * c;
      MemorySegment dst = buffer;
      pool.parallelFor(
          n,
          1,
          (from, to) -> {
            for (int b = from; b < to; b++) {
              for (int i = i0; i < i1; i++) {
                long s = (((long) b * h + (i - top)) * w + (j0 - left)) * c;
                long d = (((long) b * hp + i) * wp + j0) * c;
                MemorySegment.copy(src, s * 4, dst, d * 4, floats * 4);
              }
            }
          });
      return buffer;
    }
  }

  static Kernel forward(ConvSpec s, TensorType x, TensorType w, TensorType y, CpuPool pool) {
    Geo g = Geo.of(s, x.shape(), w.shape(), y.shape());
    int[] lo = lowPadding(s, g);
    Padded src =
        new Padded(
            g.n, g.h, g.w, g.c, (g.oh - 1) * g.sh + g.kh, (g.ow - 1) * g.sw + g.kw, lo[0], lo[1]);
    MemorySegment packed = packBuffer(g);
    if (padsPerImage(src, pool)) {
      MemorySegment[] buffers = imageBuffers(src, pool);
      Geo[] geos = {g};
      MemorySegment[] packs = {packed};
      Out[] outs = {Out.dense(g)};
      int[][] taps = {taps(g, src.rowStride())};
      long[] base = {0};
      Heap heap = Heap.of(src, geos, packs, pool);
      return (in, out) -> {
        packForward(in[1], packed, g);
        correlateImages(in[0], src, buffers, heap, base, packs, out[0], outs, geos, taps, pool);
      };
    }
    return (in, out) -> {
      packForward(in[1], packed, g);
      correlate(src.bind(in[0], pool), 0, src, packed, out[0], Out.dense(g), g, pool);
    };
  }

  /** One zeroed one-image buffer per thread of the pool. */
  private static MemorySegment[] imageBuffers(Padded src, CpuPool pool) {
    MemorySegment[] b = new MemorySegment[Math.min(pool.threads(), src.n)];
    for (int t = 0; t < b.length; t++) {
      b[t] = src.imageBuffer();
    }
    return b;
  }

  /**
   * One spatial axis of the input gradient split by the stride into phases: phase {@code r} holds
   * the positions {@code i = a * stride + r} of dx.
   *
   * <p>In the forward pass {@code y[o]} reads {@code x[o * stride + k - pad]}, so {@code dx[a *
   * stride + r]} sums {@code dy[o] * w[k]} over {@code o * stride + k = a * stride + r + pad}: only
   * the taps {@code k = first + m * stride} with {@code first = (r + pad) mod stride} reach the
   * phase, and tap {@code m} pairs with {@code dy[a + c - m]}, {@code c = (r + pad - first) /
   * stride}. Read with the phase's taps in reverse ({@code t = taps - 1 - m}) this is a stride-1
   * correlation of {@code dy} padded low by {@code taps - 1 - c} (negative: cropped). All phases
   * share one padded copy of {@code dy}, padded by the largest of their low paddings, each phase
   * starting {@code start[r]} positions into it.
   */
  private static final class PhaseAxis {
    final int stride;
    final int[] first;
    final int[] taps;
    final int[] size;
    final int[] start;
    final int low;
    final int span;

    PhaseAxis(int in, int kernel, int stride, int pad) {
      this.stride = stride;
      first = new int[stride];
      taps = new int[stride];
      size = new int[stride];
      start = new int[stride];
      int[] phaseLow = new int[stride];
      int lowest = 0;
      for (int r = 0; r < stride; r++) {
        first[r] = Math.floorMod(r + pad, stride);
        taps[r] = first[r] < kernel ? (kernel - first[r] + stride - 1) / stride : 0;
        size[r] = (in - r + stride - 1) / stride;
        phaseLow[r] = taps[r] - 1 - Math.floorDiv(r + pad - first[r], stride);
        if (active(r)) {
          lowest = Math.max(lowest, phaseLow[r]);
        }
      }
      int end = 1;
      for (int r = 0; r < stride; r++) {
        start[r] = lowest - phaseLow[r];
        if (active(r)) {
          end = Math.max(end, start[r] + size[r] + taps[r] - 1);
        }
      }
      low = lowest;
      span = end;
    }

    boolean active(int r) {
      return taps[r] > 0 && size[r] > 0;
    }

    /** Positions times taps over all phases: the multiply-adds per channel pair along this axis. */
    long work() {
      long sum = 0;
      for (int r = 0; r < stride; r++) {
        sum += (long) size[r] * taps[r];
      }
      return sum;
    }
  }

  /**
   * The input gradient as one stride-1 forward pass per phase (see {@link PhaseAxis}) over the
   * padded {@code dy}, with the phase's taps flipped and the kernel's channel axes swapped. Each
   * phase stores straight to its rows and columns of {@code dx}: computing the phases into a
   * scratch buffer and interleaving that into {@code dx} cost 20% more (per core, 3x3 stride 2
   * "same" into 16 channels on 28x28: 59 against 75 GFLOP/s; into 32 on 14x14: 85 against 98). When
   * some phase has no taps (a 1x1 kernel with stride 2), {@code dx} is cleared first.
   */
  static Kernel backpropInput(
      ConvSpec s, TensorType dy, TensorType w, TensorType dx, CpuPool pool) {
    Geo fwd = Geo.of(s, dx.shape(), w.shape(), dy.shape());
    int[] lo = lowPadding(s, fwd);
    PhaseAxis rows = new PhaseAxis(fwd.h, fwd.kh, fwd.sh, lo[0]);
    PhaseAxis cols = new PhaseAxis(fwd.w, fwd.kw, fwd.sw, lo[1]);
    // dy plays the input (channels cout) and dx the output (channels cin).
    Padded src =
        new Padded(fwd.n, fwd.oh, fwd.ow, fwd.cout, rows.span, cols.span, rows.low, cols.low);
    int phases = fwd.sh * fwd.sw;
    Geo[] geos = new Geo[phases];
    MemorySegment[] packed = new MemorySegment[phases];
    long[] base = new long[phases];
    Out[] outs = new Out[phases];
    boolean someEmpty = false;
    for (int rh = 0; rh < fwd.sh; rh++) {
      for (int rw = 0; rw < fwd.sw; rw++) {
        if (!rows.active(rh) || !cols.active(rw)) {
          someEmpty = true;
          continue;
        }
        int p = rh * fwd.sw + rw;
        geos[p] =
            new Geo(
                fwd.n,
                fwd.oh,
                fwd.ow,
                fwd.cout,
                rows.taps[rh],
                cols.taps[rw],
                fwd.c,
                rows.size[rh],
                cols.size[rw],
                1,
                1);
        packed[p] = packBuffer(geos[p]);
        base[p] = rows.start[rh] * src.rowStride() + (long) cols.start[rw] * fwd.cout;
        long row = (long) fwd.w * fwd.c;
        outs[p] =
            new Out(rh * row + (long) rw * fwd.c, fwd.h * row, fwd.sh * row, (long) fwd.sw * fwd.c);
      }
    }
    boolean clear = someEmpty;
    MemorySegment[] buffers = padsPerImage(src, pool) ? imageBuffers(src, pool) : null;
    Heap heap = buffers == null ? null : Heap.of(src, geos, packed, pool);
    int[][] taps = new int[phases][];
    for (int p = 0; p < phases; p++) {
      taps[p] = geos[p] == null ? null : taps(geos[p], src.rowStride());
    }
    return (in, out) -> {
      if (clear) {
        // Clearing all of dx first measured level with or faster than clearing only the holes
        // position by position (1x1 stride 2, 16 channels on 28x28: 0.44-0.47 against 0.47-0.58
        // ms per core).
        MemorySegment grad = out[0];
        long image = (long) fwd.h * fwd.w * fwd.c * 4;
        pool.parallelFor(
            fwd.n, 1, (from, to) -> grad.asSlice(from * image, (to - from) * image).fill((byte) 0));
      }
      for (int p = 0; p < phases; p++) {
        if (geos[p] == null) {
          continue;
        }
        int rh = p / fwd.sw;
        int rw = p % fwd.sw;
        packFlipped(
            in[1],
            packed[p],
            fwd,
            geos[p].nr(),
            rows.first[rh],
            rows.taps[rh],
            cols.first[rw],
            cols.taps[rw]);
      }
      if (buffers != null) {
        correlateImages(in[0], src, buffers, heap, base, packed, out[0], outs, geos, taps, pool);
        return;
      }
      MemorySegment x = src.bind(in[0], pool);
      for (int p = 0; p < phases; p++) {
        if (geos[p] != null) {
          correlate(x, base[p], src, packed[p], out[0], outs[p], geos[p], pool);
        }
      }
    };
  }

  private static MemorySegment packBuffer(Geo g) {
    MemorySegment p = Arena.ofAuto().allocate((long) g.panels() * g.depth() * g.nr() * 4, 64);
    p.fill((byte) 0);
    return p;
  }

  /** Packs {@code w[depth, cout]} into column panels as wide as a tile, zero beyond cout. */
  private static void packForward(MemorySegment w, MemorySegment packed, Geo g) {
    int depth = g.depth();
    int nr = g.nr();
    for (int p = 0; p < g.panels(); p++) {
      int cols = Math.min(nr, g.cout - p * nr);
      for (int k = 0; k < depth; k++) {
        MemorySegment.copy(
            w,
            ((long) k * g.cout + (long) p * nr) * 4,
            packed,
            (((long) p * depth + k) * nr) * 4,
            (long) cols * 4);
      }
    }
  }

  /**
   * Packs the taps of one phase of the kernel of the forward geometry {@code f} for its input
   * gradient: tap (a, b) of the result is tap ({@code firstH + (tapsH - 1 - a) * sh}, {@code firstW
   * + (tapsW - 1 - b) * sw}) of the kernel, its depth runs over the kernel's output channels and
   * its columns over the input channels. With stride 1 (first 0, all taps) this is the whole kernel
   * flipped.
   */
  private static void packFlipped(
      MemorySegment w,
      MemorySegment packed,
      Geo f,
      int nr,
      int firstH,
      int tapsH,
      int firstW,
      int tapsW) {
    int depth = tapsH * tapsW * f.cout;
    int panels = (f.c + nr - 1) / nr;
    for (int p = 0; p < panels; p++) {
      int cols = Math.min(nr, f.c - p * nr);
      for (int a = 0; a < tapsH; a++) {
        for (int b = 0; b < tapsW; b++) {
          long tap =
              (long) (firstH + (tapsH - 1 - a) * f.sh) * f.kw + (firstW + (tapsW - 1 - b) * f.sw);
          for (int co = 0; co < f.cout; co++) {
            long dst = ((long) p * depth + ((long) a * tapsW + b) * f.cout + co) * nr;
            for (int j = 0; j < cols; j++) {
              long ci = (long) p * nr + j;
              float v = w.getAtIndex(F, (tap * f.c + ci) * f.cout + co);
              packed.setAtIndex(F, dst + j, v);
            }
          }
        }
      }
    }
  }

  /**
   * Where {@link #correlate} stores output pixel {@code (b, i, j)}: at float {@code base + b *
   * image + i * row + j * col}. Dense for a forward pass; a phase of an input gradient writes every
   * {@code stride}-th row and column of {@code dx}.
   */
  private record Out(long base, long image, long row, long col) {
    static Out dense(Geo g) {
      return new Out(0, (long) g.oh * g.ow * g.cout, (long) g.ow * g.cout, g.cout);
    }
  }

  /**
   * {@code y[n, i, j, :] = sum over taps of src[n, i*sh + a, j*sw + b, :] . packed[a, b]}, with
   * {@code src} read from {@code base} floats into each image and {@code y} stored as {@code out}
   * places it.
   */
  private static void correlate(
      MemorySegment x,
      long base,
      Padded src,
      MemorySegment packed,
      MemorySegment y,
      Out out,
      Geo g,
      CpuPool pool) {
    int pixels = g.n * g.oh * g.ow;
    int mr = g.mr();
    int tiles = (pixels + mr - 1) / mr;
    int[] taps = taps(g, src.rowStride());
    pool.parallelFor(
        tiles,
        Math.max(1, 4096 / Math.max(1, g.depth() * g.panels())),
        (from, to) ->
            tiles(
                x,
                base,
                src.imageStride(),
                src.rowStride(),
                taps,
                packed,
                null,
                null,
                y,
                out,
                g,
                from * mr,
                Math.min(pixels, to * mr)));
  }

  /**
   * A pixel's receptive field as offsets from its corner: KH runs of KW * C floats. For the
   * two-vector tile one depth loop over the table beats nested loops over the runs when runs are
   * short (one input channel: 3 or 5 floats; per core, 5x5 on one channel 13 against 9 GFLOP/s) and
   * is level with them when they are long; the one-vector tile, with twice the loads per multiply,
   * takes nested loops for long runs (NESTED_MIN_RUN).
   */
  private static int[] taps(Geo g, long rowStride) {
    int kwc = g.kw * g.c;
    int[] taps = new int[g.depth()];
    for (int d = 0; d < taps.length; d++) {
      taps[d] = (int) ((d / kwc) * rowStride + d % kwc);
    }
    return taps;
  }

  /**
   * Whether a padded source is better padded image by image, by the thread that reads it: the image
   * stays in that thread's cache, where a padded copy of the whole batch went out to memory and was
   * read back (per 2 cores, 16 to 16 channels 3x3 on 28x28: filter gradient 1.31 against 1.17 ms).
   * With fewer images than two per thread the threads split the tiles instead.
   */
  private static boolean padsPerImage(Padded src, CpuPool pool) {
    return src.copy && pool.threads() > 1 && src.n >= 2 * pool.threads();
  }

  /** One pass of {@link #correlate} per image and phase, each image padded by its thread. */
  private static void correlateImages(
      MemorySegment input,
      Padded src,
      MemorySegment[] imageBuffers,
      Heap heap,
      long[] base,
      MemorySegment[] packed,
      MemorySegment y,
      Out[] outs,
      Geo[] geos,
      int[][] taps,
      CpuPool pool) {
    int parts = imageBuffers.length;
    if (heap != null) {
      heap.load(packed);
    }
    pool.parallelFor(
        parts,
        1,
        (from, to) -> {
          for (int t = from; t < to; t++) {
            MemorySegment image = imageBuffers[t];
            float[] array = heap == null ? null : heap.images[t];
            int b1 = (int) ((long) src.n * (t + 1) / parts);
            for (int b = (int) ((long) src.n * t / parts); b < b1; b++) {
              if (array != null) {
                src.copyImage(input, b, array);
              } else {
                src.copyImage(input, b, image);
              }
              for (int p = 0; p < geos.length; p++) {
                Geo g = geos[p];
                if (g == null) {
                  continue;
                }
                int perImage = g.oh * g.ow;
                // The buffer holds image b alone: its image stride is 0.
                tiles(
                    image,
                    base[p],
                    0,
                    src.rowStride(),
                    taps[p],
                    packed[p],
                    array,
                    heap == null ? null : heap.packs[p],
                    y,
                    outs[p],
                    g,
                    b * perImage,
                    (b + 1) * perImage);
              }
            }
          }
        });
  }

  /** The tiles of output pixels {@code [pFrom, pTo)}, counted over the batch, the last partial. */
  private static void tiles(
      MemorySegment x,
      long base,
      long imageStride,
      long rowStride,
      int[] taps,
      MemorySegment packed,
      float[] xHeap,
      float[] packedHeap,
      MemorySegment y,
      Out out,
      Geo g,
      int pFrom,
      int pTo) {
    int mr = g.mr();
    int nr = g.nr();
    int kwc = g.kw * g.c;
    int panels = g.panels();
    int depth = g.depth();
    long[] at = new long[mr];
    long[] yAt = new long[mr];
    long[] edgeAt = new long[mr];
    for (int r = 0; r < mr; r++) {
      edgeAt[r] = (long) r * nr;
    }
    // The pixel (b, i, j) the next row starts at, stepped rather than divided out: with a short
    // depth (one input channel, 1x1 phases) four divisions per row cost more than the tile's
    // multiplications.
    int pb = pFrom / (g.oh * g.ow);
    int rem0 = pFrom - pb * g.oh * g.ow;
    int pi = rem0 / g.ow;
    int pj = rem0 - pi * g.ow;
    for (int p0 = pFrom; p0 < pTo; p0 += mr) {
      int rows = Math.min(mr, pTo - p0);
      for (int r = 0; r < rows; r++) {
        at[r] = base + pb * imageStride + (long) pi * g.sh * rowStride + (long) pj * g.sw * g.c;
        yAt[r] = out.base + pb * out.image + pi * out.row + pj * out.col;
        if (++pj == g.ow) {
          pj = 0;
          if (++pi == g.oh) {
            pi = 0;
            pb++;
          }
        }
      }
      // Rows past the end repeat the last pixel: computed, never stored.
      for (int r = rows; r < mr; r++) {
        at[r] = at[rows - 1];
        yAt[r] = yAt[rows - 1];
      }
      for (int q = 0; q < panels; q++) {
        int cols = Math.min(nr, g.cout - q * nr);
        boolean full = rows == mr && cols == nr;
        MemorySegment dst = full ? y : EDGE.get();
        long[] dstAt = full ? yAt : edgeAt;
        long add = full ? (long) q * nr : 0;
        if (xHeap != null) {
          forwardTileHeap(
              xHeap, at, g.kh, rowStride, kwc, packedHeap, q * depth * NR, dst, dstAt, add);
        } else if (nr == NR && kwc >= NESTED_MIN_RUN) {
          forwardTileWideRuns(
              x, at, g.kh, rowStride, kwc, packed, (long) q * depth * NR, dst, dstAt, add);
        } else if (nr == NR) {
          forwardTile(
              x,
              at[0],
              at[1],
              at[2],
              at[3],
              at[4],
              at[5],
              taps,
              packed,
              (long) q * depth * NR,
              dst,
              dstAt,
              add);
        } else {
          if (kwc >= NESTED_MIN_RUN) {
            forwardTileRuns(
                x, at, g.kh, rowStride, kwc, packed, (long) q * depth * nr, dst, dstAt, add);
          } else {
            forwardTileNarrow(x, at, taps, packed, (long) q * depth * nr, dst, dstAt, add);
          }
        }
        if (!full) {
          MemorySegment edge = dst;
          for (int r = 0; r < rows; r++) {
            MemorySegment.copy(
                edge, (long) r * nr * 4, y, (yAt[r] + (long) q * nr) * 4, (long) cols * 4);
          }
        }
      }
    }
  }

  /**
   * One MR x NR tile of the output, one depth loop through a table of tap offsets: six pixels'
   * receptive fields against one weight panel. For short runs (one input channel) only: {@link
   * #forwardTileWideRuns} is faster otherwise. Its loads are not masked: a table's index is not
   * affine anyway, and the mask's six extra instructions per step cost 15% (per core, 16 to 16
   * channels on 28x28: 47 against 55 GFLOP/s).
   */
  private static void forwardTile(
      MemorySegment x,
      long o0,
      long o1,
      long o2,
      long o3,
      long o4,
      long o5,
      int[] taps,
      MemorySegment w,
      long wAt,
      MemorySegment y,
      long[] yAt,
      long yAdd) {
    FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);

    for (int d = 0; d < taps.length; d++) {
      long t = taps[d];
      long bi = (wAt + (long) d * NR) * 4;
      FloatVector b0 = FloatVector.fromMemorySegment(S, w, bi, ORDER);
      FloatVector b1 = FloatVector.fromMemorySegment(S, w, bi + 4L * V, ORDER);
      FloatVector v;
      v = FloatVector.broadcast(S, x.get(F, (o0 + t) * 4));
      c00 = v.fma(b0, c00);
      c01 = v.fma(b1, c01);
      v = FloatVector.broadcast(S, x.get(F, (o1 + t) * 4));
      c10 = v.fma(b0, c10);
      c11 = v.fma(b1, c11);
      v = FloatVector.broadcast(S, x.get(F, (o2 + t) * 4));
      c20 = v.fma(b0, c20);
      c21 = v.fma(b1, c21);
      v = FloatVector.broadcast(S, x.get(F, (o3 + t) * 4));
      c30 = v.fma(b0, c30);
      c31 = v.fma(b1, c31);
      v = FloatVector.broadcast(S, x.get(F, (o4 + t) * 4));
      c40 = v.fma(b0, c40);
      c41 = v.fma(b1, c41);
      v = FloatVector.broadcast(S, x.get(F, (o5 + t) * 4));
      c50 = v.fma(b0, c50);
      c51 = v.fma(b1, c51);
    }
    c00.intoMemorySegment(y, (yAt[0] + yAdd) * 4, ORDER);
    c01.intoMemorySegment(y, (yAt[0] + yAdd) * 4 + 4L * V, ORDER);
    c10.intoMemorySegment(y, (yAt[1] + yAdd) * 4, ORDER);
    c11.intoMemorySegment(y, (yAt[1] + yAdd) * 4 + 4L * V, ORDER);
    c20.intoMemorySegment(y, (yAt[2] + yAdd) * 4, ORDER);
    c21.intoMemorySegment(y, (yAt[2] + yAdd) * 4 + 4L * V, ORDER);
    c30.intoMemorySegment(y, (yAt[3] + yAdd) * 4, ORDER);
    c31.intoMemorySegment(y, (yAt[3] + yAdd) * 4 + 4L * V, ORDER);
    c40.intoMemorySegment(y, (yAt[4] + yAdd) * 4, ORDER);
    c41.intoMemorySegment(y, (yAt[4] + yAdd) * 4 + 4L * V, ORDER);
    c50.intoMemorySegment(y, (yAt[5] + yAdd) * 4, ORDER);
    c51.intoMemorySegment(y, (yAt[5] + yAdd) * 4 + 4L * V, ORDER);
  }

  /**
   * Per-thread padded images and packed weights on the Java heap, for {@link #forwardTileHeap}:
   * where a pass pads its input image by image anyway and every phase takes the two-vector tile
   * over receptive-field runs of at most {@link #HEAP_MAX_RUN} floats. The results are the same as
   * the segment tile's, to the bit: same products, same order.
   */
  private static final class Heap {
    final float[][] images;
    final float[][] packs;

    private Heap(float[][] images, float[][] packs) {
      this.images = images;
      this.packs = packs;
    }

    static Heap of(Padded src, Geo[] geos, MemorySegment[] packed, CpuPool pool) {
      if ((long) src.hp * src.wp * src.c > Integer.MAX_VALUE / 2) {
        return null;
      }
      float[][] packs = new float[geos.length][];
      for (int p = 0; p < geos.length; p++) {
        Geo g = geos[p];
        if (g == null) {
          continue;
        }
        int run = g.kw * g.c;
        if (g.nr() != NR
            || run < NESTED_MIN_RUN
            || run > HEAP_MAX_RUN
            || packed[p].byteSize() / 4 > Integer.MAX_VALUE / 2) {
          return null;
        }
        packs[p] = new float[(int) (packed[p].byteSize() / 4)];
      }
      float[][] images = new float[Math.min(pool.threads(), src.n)][src.hp * src.wp * src.c];
      return new Heap(images, packs);
    }

    void load(MemorySegment[] packed) {
      for (int p = 0; p < packs.length; p++) {
        if (packs[p] != null) {
          MemorySegment.copy(packed[p], F, 0, packs[p], 0, packs[p].length);
        }
      }
    }
  }

  /**
   * The longest receptive-field run for {@link #forwardTileHeap}. With longer runs the segment
   * tile's loop set-up matters less and it ran faster: 256-bit, 2 cores, GFLOP/s heap against
   * segment, runs of 48 (3x3 on 16 channels) 151/136, 64 (a stride-2 input gradient into 16
   * channels) 130/120, 96 (32 channels) 150/160, 192 (64 channels) 145/141 forward and 142/156
   * input gradient.
   */
  private static final int HEAP_MAX_RUN = 64;

  /**
   * {@link #forwardTileWideRuns} reading the image and the weights from heap arrays. Their int
   * indices take C2's array range-check elimination, which sets up each run's loop in a few
   * instructions. For the memory segments' long indices C2 computes each load's bounds before every
   * run, about 25 instructions per load: a fifth of the segment tile's samples under perf fell
   * outside its inner loop, with runs of 48 floats. The two tiles alone on one core, 256-bit, runs
   * of 48: 85 against 73 GFLOP/s.
   */
  private static void forwardTileHeap(
      float[] x,
      long[] at,
      int kh,
      long rowStride,
      int run,
      float[] w,
      long wAt,
      MemorySegment y,
      long[] yAt,
      long yAdd) {
    FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
    long m = allBits;
    for (int a = 0; a < kh; a++) {
      int ro = (int) (a * rowStride);
      int o0 = (int) at[0] + ro, o1 = (int) at[1] + ro, o2 = (int) at[2] + ro;
      int o3 = (int) at[3] + ro, o4 = (int) at[4] + ro, o5 = (int) at[5] + ro;
      int wb = (int) wAt + a * run * NR;
      for (int k = 0; k < run; k++) {
        int bi = wb + k * NR;
        FloatVector b0 = FloatVector.fromArray(S, w, (int) (bi & m));
        FloatVector b1 = FloatVector.fromArray(S, w, bi + V);
        FloatVector v;
        v = FloatVector.broadcast(S, x[o0 + k]);
        c00 = v.fma(b0, c00);
        c01 = v.fma(b1, c01);
        v = FloatVector.broadcast(S, x[o1 + k]);
        c10 = v.fma(b0, c10);
        c11 = v.fma(b1, c11);
        v = FloatVector.broadcast(S, x[o2 + k]);
        c20 = v.fma(b0, c20);
        c21 = v.fma(b1, c21);
        v = FloatVector.broadcast(S, x[o3 + k]);
        c30 = v.fma(b0, c30);
        c31 = v.fma(b1, c31);
        v = FloatVector.broadcast(S, x[o4 + k]);
        c40 = v.fma(b0, c40);
        c41 = v.fma(b1, c41);
        v = FloatVector.broadcast(S, x[o5 + k]);
        c50 = v.fma(b0, c50);
        c51 = v.fma(b1, c51);
      }
    }
    c00.intoMemorySegment(y, (yAt[0] + yAdd) * 4, ORDER);
    c01.intoMemorySegment(y, (yAt[0] + yAdd) * 4 + 4L * V, ORDER);
    c10.intoMemorySegment(y, (yAt[1] + yAdd) * 4, ORDER);
    c11.intoMemorySegment(y, (yAt[1] + yAdd) * 4 + 4L * V, ORDER);
    c20.intoMemorySegment(y, (yAt[2] + yAdd) * 4, ORDER);
    c21.intoMemorySegment(y, (yAt[2] + yAdd) * 4 + 4L * V, ORDER);
    c30.intoMemorySegment(y, (yAt[3] + yAdd) * 4, ORDER);
    c31.intoMemorySegment(y, (yAt[3] + yAdd) * 4 + 4L * V, ORDER);
    c40.intoMemorySegment(y, (yAt[4] + yAdd) * 4, ORDER);
    c41.intoMemorySegment(y, (yAt[4] + yAdd) * 4 + 4L * V, ORDER);
    c50.intoMemorySegment(y, (yAt[5] + yAdd) * 4, ORDER);
    c51.intoMemorySegment(y, (yAt[5] + yAdd) * 4 + 4L * V, ORDER);
  }

  /**
   * {@link #forwardTile} over the receptive field's {@code KH} runs of {@code KW * C} floats, for
   * runs of at least {@link #NESTED_MIN_RUN}. The six pixels' loads are affine in an {@code int}
   * loop variable, so C2 drops their bounds checks, where the tap table's loads each keep a compare
   * and a branch that left the loop bound by scalar instructions rather than by its twelve
   * multiply-adds. 256-bit, per core, 3x3 "same", GFLOP/s against the tap table without and with
   * the {@link #allBits} mask on its loads: 16 to 16 channels on 28x28 65 against 55 and 47; 32 to
   * 32 on 14x14 78 against 57 and 52; 64 to 64 on 7x7 83 against 54 and 53.
   *
   * <ul>
   *   <li>The loop variable is an {@code int}: with a {@code long} one C2 neither eliminates the
   *       checks nor unrolls, 34 GFLOP/s.
   *   <li>The first weight vector's index stays masked, so its load keeps its check. With every
   *       check gone C2 hoisted all six broadcasts ahead of the multiply-adds, ran out of the
   *       sixteen vector registers and spilled four accumulators to the stack inside the loop (33
   *       GFLOP/s); the check orders the loop body so that two broadcasts are live at a time.
   * </ul>
   */
  private static void forwardTileWideRuns(
      MemorySegment x,
      long[] at,
      int kh,
      long rowStride,
      int run,
      MemorySegment w,
      long wAt,
      MemorySegment y,
      long[] yAt,
      long yAdd) {
    FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
    long m = allBits;
    for (int a = 0; a < kh; a++) {
      long ro = a * rowStride;
      long o0 = at[0] + ro, o1 = at[1] + ro, o2 = at[2] + ro;
      long o3 = at[3] + ro, o4 = at[4] + ro, o5 = at[5] + ro;
      long wb = wAt + (long) a * run * NR;
      for (int k = 0; k < run; k++) {
        long bi = (wb + (long) k * NR) * 4;
        FloatVector b0 = FloatVector.fromMemorySegment(S, w, bi & m, ORDER);
        FloatVector b1 = FloatVector.fromMemorySegment(S, w, bi + 4L * V, ORDER);
        FloatVector v;
        v = FloatVector.broadcast(S, x.get(F, (o0 + k) * 4));
        c00 = v.fma(b0, c00);
        c01 = v.fma(b1, c01);
        v = FloatVector.broadcast(S, x.get(F, (o1 + k) * 4));
        c10 = v.fma(b0, c10);
        c11 = v.fma(b1, c11);
        v = FloatVector.broadcast(S, x.get(F, (o2 + k) * 4));
        c20 = v.fma(b0, c20);
        c21 = v.fma(b1, c21);
        v = FloatVector.broadcast(S, x.get(F, (o3 + k) * 4));
        c30 = v.fma(b0, c30);
        c31 = v.fma(b1, c31);
        v = FloatVector.broadcast(S, x.get(F, (o4 + k) * 4));
        c40 = v.fma(b0, c40);
        c41 = v.fma(b1, c41);
        v = FloatVector.broadcast(S, x.get(F, (o5 + k) * 4));
        c50 = v.fma(b0, c50);
        c51 = v.fma(b1, c51);
      }
    }
    c00.intoMemorySegment(y, (yAt[0] + yAdd) * 4, ORDER);
    c01.intoMemorySegment(y, (yAt[0] + yAdd) * 4 + 4L * V, ORDER);
    c10.intoMemorySegment(y, (yAt[1] + yAdd) * 4, ORDER);
    c11.intoMemorySegment(y, (yAt[1] + yAdd) * 4 + 4L * V, ORDER);
    c20.intoMemorySegment(y, (yAt[2] + yAdd) * 4, ORDER);
    c21.intoMemorySegment(y, (yAt[2] + yAdd) * 4 + 4L * V, ORDER);
    c30.intoMemorySegment(y, (yAt[3] + yAdd) * 4, ORDER);
    c31.intoMemorySegment(y, (yAt[3] + yAdd) * 4 + 4L * V, ORDER);
    c40.intoMemorySegment(y, (yAt[4] + yAdd) * 4, ORDER);
    c41.intoMemorySegment(y, (yAt[4] + yAdd) * 4 + 4L * V, ORDER);
    c50.intoMemorySegment(y, (yAt[5] + yAdd) * 4, ORDER);
    c51.intoMemorySegment(y, (yAt[5] + yAdd) * 4 + 4L * V, ORDER);
  }

  /**
   * The one-vector tile over the receptive field's {@code KH} runs of {@code KW * C} floats, for
   * runs at least this long. Its twelve loads per step have indices affine in the loop variable, so
   * C2 hoists their bounds checks, where the tap table's masked loads each keep one: per core, 16
   * to 16 channels 3x3 at 95 against 51 GFLOP/s. With one input channel (runs of 3) the table's
   * single loop is faster, 26 against 20.
   */
  private static final int NESTED_MIN_RUN = 8;

  /** {@link #forwardTileNarrow} with a loop per row of the receptive field instead of a table. */
  private static void forwardTileRuns(
      MemorySegment x,
      long[] at,
      int kh,
      long rowStride,
      int run,
      MemorySegment w,
      long wAt,
      MemorySegment y,
      long[] yAt,
      long yAdd) {
    FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S);
    FloatVector c3 = FloatVector.zero(S), c4 = FloatVector.zero(S), c5 = FloatVector.zero(S);
    FloatVector c6 = FloatVector.zero(S), c7 = FloatVector.zero(S), c8 = FloatVector.zero(S);
    FloatVector c9 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
    for (int a = 0; a < kh; a++) {
      long ro = a * rowStride;
      long o0 = at[0] + ro, o1 = at[1] + ro, o2 = at[2] + ro, o3 = at[3] + ro;
      long o4 = at[4] + ro, o5 = at[5] + ro, o6 = at[6] + ro, o7 = at[7] + ro;
      long o8 = at[8] + ro, o9 = at[9] + ro, o10 = at[10] + ro, o11 = at[11] + ro;
      long wb = wAt + (long) a * run * V;
      for (long k = 0; k < run; k++) {
        FloatVector b = FloatVector.fromMemorySegment(S, w, (wb + k * V) * 4, ORDER);
        c0 = FloatVector.broadcast(S, x.get(F, (o0 + k) * 4)).fma(b, c0);
        c1 = FloatVector.broadcast(S, x.get(F, (o1 + k) * 4)).fma(b, c1);
        c2 = FloatVector.broadcast(S, x.get(F, (o2 + k) * 4)).fma(b, c2);
        c3 = FloatVector.broadcast(S, x.get(F, (o3 + k) * 4)).fma(b, c3);
        c4 = FloatVector.broadcast(S, x.get(F, (o4 + k) * 4)).fma(b, c4);
        c5 = FloatVector.broadcast(S, x.get(F, (o5 + k) * 4)).fma(b, c5);
        c6 = FloatVector.broadcast(S, x.get(F, (o6 + k) * 4)).fma(b, c6);
        c7 = FloatVector.broadcast(S, x.get(F, (o7 + k) * 4)).fma(b, c7);
        c8 = FloatVector.broadcast(S, x.get(F, (o8 + k) * 4)).fma(b, c8);
        c9 = FloatVector.broadcast(S, x.get(F, (o9 + k) * 4)).fma(b, c9);
        c10 = FloatVector.broadcast(S, x.get(F, (o10 + k) * 4)).fma(b, c10);
        c11 = FloatVector.broadcast(S, x.get(F, (o11 + k) * 4)).fma(b, c11);
      }
    }
    c0.intoMemorySegment(y, (yAt[0] + yAdd) * 4, ORDER);
    c1.intoMemorySegment(y, (yAt[1] + yAdd) * 4, ORDER);
    c2.intoMemorySegment(y, (yAt[2] + yAdd) * 4, ORDER);
    c3.intoMemorySegment(y, (yAt[3] + yAdd) * 4, ORDER);
    c4.intoMemorySegment(y, (yAt[4] + yAdd) * 4, ORDER);
    c5.intoMemorySegment(y, (yAt[5] + yAdd) * 4, ORDER);
    c6.intoMemorySegment(y, (yAt[6] + yAdd) * 4, ORDER);
    c7.intoMemorySegment(y, (yAt[7] + yAdd) * 4, ORDER);
    c8.intoMemorySegment(y, (yAt[8] + yAdd) * 4, ORDER);
    c9.intoMemorySegment(y, (yAt[9] + yAdd) * 4, ORDER);
    c10.intoMemorySegment(y, (yAt[10] + yAdd) * 4, ORDER);
    c11.intoMemorySegment(y, (yAt[11] + yAdd) * 4, ORDER);
  }

  /**
   * One 12-pixel by one-vector tile of the output: {@link #forwardTile} for layers whose output
   * channels fit in one vector. The twelve pixel offsets come in {@code at}.
   *
   * <p>The one-vector tiles store their rows one by one rather than through a shared helper: a
   * helper taking twelve vectors was not inlined into the filter tile, and C2 then boxed the
   * accumulators inside its loop (4 against 61 GFLOP/s).
   */
  private static void forwardTileNarrow(
      MemorySegment x,
      long[] at,
      int[] taps,
      MemorySegment w,
      long wAt,
      MemorySegment y,
      long[] yAt,
      long yAdd) {
    long o0 = at[0], o1 = at[1], o2 = at[2], o3 = at[3], o4 = at[4], o5 = at[5];
    long o6 = at[6], o7 = at[7], o8 = at[8], o9 = at[9], o10 = at[10], o11 = at[11];
    FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S);
    FloatVector c3 = FloatVector.zero(S), c4 = FloatVector.zero(S), c5 = FloatVector.zero(S);
    FloatVector c6 = FloatVector.zero(S), c7 = FloatVector.zero(S), c8 = FloatVector.zero(S);
    FloatVector c9 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
    long m = allBits;
    for (int d = 0; d < taps.length; d++) {
      long t = taps[d];
      FloatVector b = FloatVector.fromMemorySegment(S, w, (wAt + (long) d * V) * 4, ORDER);
      c0 = FloatVector.broadcast(S, x.get(F, ((o0 + t) * 4) & m)).fma(b, c0);
      c1 = FloatVector.broadcast(S, x.get(F, ((o1 + t) * 4) & m)).fma(b, c1);
      c2 = FloatVector.broadcast(S, x.get(F, ((o2 + t) * 4) & m)).fma(b, c2);
      c3 = FloatVector.broadcast(S, x.get(F, ((o3 + t) * 4) & m)).fma(b, c3);
      c4 = FloatVector.broadcast(S, x.get(F, ((o4 + t) * 4) & m)).fma(b, c4);
      c5 = FloatVector.broadcast(S, x.get(F, ((o5 + t) * 4) & m)).fma(b, c5);
      c6 = FloatVector.broadcast(S, x.get(F, ((o6 + t) * 4) & m)).fma(b, c6);
      c7 = FloatVector.broadcast(S, x.get(F, ((o7 + t) * 4) & m)).fma(b, c7);
      c8 = FloatVector.broadcast(S, x.get(F, ((o8 + t) * 4) & m)).fma(b, c8);
      c9 = FloatVector.broadcast(S, x.get(F, ((o9 + t) * 4) & m)).fma(b, c9);
      c10 = FloatVector.broadcast(S, x.get(F, ((o10 + t) * 4) & m)).fma(b, c10);
      c11 = FloatVector.broadcast(S, x.get(F, ((o11 + t) * 4) & m)).fma(b, c11);
    }
    c0.intoMemorySegment(y, (yAt[0] + yAdd) * 4, ORDER);
    c1.intoMemorySegment(y, (yAt[1] + yAdd) * 4, ORDER);
    c2.intoMemorySegment(y, (yAt[2] + yAdd) * 4, ORDER);
    c3.intoMemorySegment(y, (yAt[3] + yAdd) * 4, ORDER);
    c4.intoMemorySegment(y, (yAt[4] + yAdd) * 4, ORDER);
    c5.intoMemorySegment(y, (yAt[5] + yAdd) * 4, ORDER);
    c6.intoMemorySegment(y, (yAt[6] + yAdd) * 4, ORDER);
    c7.intoMemorySegment(y, (yAt[7] + yAdd) * 4, ORDER);
    c8.intoMemorySegment(y, (yAt[8] + yAdd) * 4, ORDER);
    c9.intoMemorySegment(y, (yAt[9] + yAdd) * 4, ORDER);
    c10.intoMemorySegment(y, (yAt[10] + yAdd) * 4, ORDER);
    c11.intoMemorySegment(y, (yAt[11] + yAdd) * 4, ORDER);
  }

  static Kernel backpropFilter(
      ConvSpec s, TensorType x, TensorType dy, TensorType dw, CpuPool pool) {
    Geo g = Geo.of(s, x.shape(), dw.shape(), dy.shape());
    int[] lo = lowPadding(s, g);
    Padded src =
        new Padded(
            g.n, g.h, g.w, g.c, (g.oh - 1) * g.sh + g.kh, (g.ow - 1) * g.sw + g.kw, lo[0], lo[1]);
    int depth = g.depth();
    int panels = g.panels();
    // Input channels in blocks of sixteen keep each tile's rows inside one tap, so its loads sit at
    // one offset plus constants (16 accumulators: 512-bit vectors, with 32 registers).
    boolean tapTiles = g.nr() == V && V >= TAP_ROWS && g.c % TAP_ROWS == 0;
    int mr = tapTiles ? TAP_ROWS : g.mr();
    int nr = g.nr();
    int kTiles = (depth + mr - 1) / mr;
    int threads = Math.min(pool.threads(), g.n);
    long partFloats = (long) panels * kTiles * mr * nr;
    MemorySegment parts = Arena.ofAuto().allocate(Math.max(4, threads * partFloats * 4), 64);
    int pixels = g.oh * g.ow;
    // Each tile reads its panel of dy at p * nr from the panel's start, a constant scale that
    // lets C2 drop the loads' bounds checks. When the panel is not the whole row of dy, each
    // thread copies its image's dy into panel-major order first. A variable scale, written as
    // constants for the common widths, was as fast only while one layer shape ran in the JVM:
    // with the ResNet's three widths C2's loop lost that unswitching and ran the 16-channel tile
    // 47% slower (256-bit, 2 cores, 16 to 16 channels 3x3 on 28x28: 1.40 -> 2.06 ms).
    boolean panelCopy = g.cout != nr;
    MemorySegment[] dyPanels =
        panelCopy ? panelBuffers(panels * (long) pixels * nr, threads) : null;
    // The filter row (kh, kw, ci) reads the source at kh * rowStride + kw * c + ci from a pixel's
    // corner; rows past the end repeat the last one, computed into the partial's slack.
    long rowStride = src.rowStride();
    long[] offsets = new long[kTiles * mr];
    for (int r = 0; r < offsets.length; r++) {
      int k = Math.min(r, depth - 1);
      int a = k / (g.kw * g.c);
      int rem = k - a * g.kw * g.c;
      offsets[r] = a * rowStride + rem;
    }
    // A tile whose six rows are consecutive floats of the source (inside one row of the kernel:
    // KW * C floats in channels-last layout) reads them at one offset plus constants.
    boolean[] consecutive = new boolean[kTiles];
    for (int kt = 0; kt < kTiles && mr == MR; kt++) {
      consecutive[kt] = offsets[kt * mr + MR - 1] == offsets[kt * mr] + MR - 1;
    }
    // Each tile walks an image's output pixels in one loop, reading the source through this table
    // of pixel offsets: a loop per output row left 7 or 14 iterations to the inner loop, and one
    // flat loop ran the two-vector tile 20-30% faster (256-bit, per 2 cores: 16 to 16 channels on
    // 28x28 94 -> 113 GFLOP/s, 32 to 32 on 14x14 86-89 -> 105-108, 64 to 64 on 7x7 75 -> 97-98).
    long[] pix = new long[g.oh * g.ow];
    for (int p = 0; p < pix.length; p++) {
      pix[p] = (long) (p / g.ow) * g.sh * rowStride + (long) (p % g.ow) * g.sw * g.c;
    }
    // Each thread pads the image it is about to read into its own buffer, which stays in its
    // cache, rather than the whole batch being padded first and read back from memory.
    MemorySegment[] imageBuffers = src.copy ? imageBuffers(src, pool) : null;
    return (in, out) -> {
      MemorySegment xs = src.copy ? null : in[0];
      long imageStride = src.imageStride();
      pool.parallelFor(
          threads,
          1,
          (from, to) -> {
            for (int t = from; t < to; t++) {
              int b0 = (int) ((long) g.n * t / threads);
              int b1 = (int) ((long) g.n * (t + 1) / threads);
              long partAt = t * partFloats;
              // Cleared here so that every tile adds into its partial: a tile that chose between
              // zeros and loads merged twelve accumulators from two branches, and C2 compiled the
              // loop after that merge a quarter slower (256-bit, per 2 cores, 16 to 16 channels
              // 3x3 on 28x28: 77 against 100 GFLOP/s; 64 to 64 on 7x7: 68 against 77).
              parts.asSlice(partAt * 4, partFloats * 4).fill((byte) 0);
              for (int b = b0; b < b1; b++) {
                MemorySegment xb = xs;
                long xImg = b * imageStride;
                if (xs == null) {
                  xb = imageBuffers[t];
                  src.copyImage(in[0], b, xb);
                  xImg = 0;
                }
                MemorySegment dys = in[1];
                long dyImg = (long) b * pixels * g.cout;
                if (panelCopy) {
                  dys = dyPanels[t];
                  copyPanels(in[1], dyImg, pixels, g.cout, nr, dys);
                  dyImg = 0;
                }
                for (int q = 0; q < panels; q++) {
                  long dyPanel = dyImg + (long) q * pixels * nr;
                  for (int kt = 0; kt < kTiles; kt++) {
                    int r = kt * mr;
                    if (tapTiles) {
                      filterTileTap(
                          xb,
                          xImg + offsets[r],
                          pix,
                          dys,
                          dyPanel,
                          parts,
                          partAt + ((long) q * kTiles * mr + r) * nr);
                      continue;
                    }
                    if (nr != NR) {
                      filterTileNarrow(
                          xb,
                          xImg,
                          pix,
                          offsets,
                          r,
                          dys,
                          dyPanel,
                          parts,
                          partAt + ((long) q * kTiles * mr + r) * nr);
                      continue;
                    }
                    if (consecutive[kt]) {
                      filterTileRun(
                          xb,
                          xImg + offsets[r],
                          pix,
                          dys,
                          dyPanel,
                          parts,
                          partAt + ((long) q * kTiles * MR + r) * NR);
                      continue;
                    }
                    filterTile(
                        xb,
                        xImg,
                        pix,
                        offsets[r],
                        offsets[r + 1],
                        offsets[r + 2],
                        offsets[r + 3],
                        offsets[r + 4],
                        offsets[r + 5],
                        dys,
                        dyPanel,
                        parts,
                        partAt + ((long) q * kTiles * MR + r) * NR);
                  }
                }
              }
            }
          });
      sumParts(parts, partFloats, threads, out[0], g, kTiles, mr, pool);
    };
  }

  /** One zeroed buffer of {@code floats} per thread. */
  private static MemorySegment[] panelBuffers(long floats, int threads) {
    MemorySegment[] b = new MemorySegment[threads];
    for (int t = 0; t < threads; t++) {
      b[t] = Arena.ofAuto().allocate(floats * 4, 64);
    }
    return b;
  }

  /**
   * Copies one image's {@code dy} ({@code pixels x cout}, from {@code dyImg}) into panel-major
   * order: panel {@code q} holds columns {@code q * nr ..} of every pixel, {@code nr} floats a
   * pixel. The columns past {@code cout} in the last panel are never written and stay zero.
   */
  private static void copyPanels(
      MemorySegment dy, long dyImg, int pixels, int cout, int nr, MemorySegment dst) {
    dy = NATIVE.cast(dy);
    dst = NATIVE.cast(dst);
    for (int p = 0; p < pixels; p++) {
      long from = (dyImg + (long) p * cout) * 4;
      long to = (long) p * nr * 4;
      for (int co = 0; co < cout; co += nr, to += (long) pixels * nr * 4) {
        int cols = Math.min(nr, cout - co);
        int j = 0;
        for (; j + V <= cols; j += V) {
          FloatVector.fromMemorySegment(S, dy, from + (co + j) * 4L, ORDER)
              .intoMemorySegment(dst, to + j * 4L, ORDER);
        }
        for (; j < cols; j++) {
          dst.set(F, to + j * 4L, dy.get(F, from + (co + j) * 4L));
        }
      }
    }
  }

  private static void sumParts(
      MemorySegment parts,
      long partFloats,
      int threads,
      MemorySegment dw,
      Geo g,
      int kTiles,
      int mr,
      CpuPool pool) {
    int depth = g.depth();
    int nr = g.nr();
    MemorySegment ps = NATIVE.cast(parts);
    MemorySegment out = NATIVE.cast(dw);
    pool.parallelFor(
        depth,
        64,
        (from, to) -> {
          for (int k = from; k < to; k++) {
            for (int co = 0; co < g.cout; co++) {
              int q = co / nr;
              long at = ((long) q * kTiles * mr + k) * nr + (co - q * nr);
              float sum = 0f;
              for (int t = 0; t < threads; t++) {
                sum += ps.getAtIndex(F, t * partFloats + at);
              }
              out.setAtIndex(F, (long) k * g.cout + co, sum);
            }
          }
        });
  }

  /**
   * Adds one image's contribution to an MR x NR tile of a partial filter gradient: filter rows at
   * six source offsets against one panel of {@code dy}, over every output pixel of the image.
   */
  private static void filterTile(
      MemorySegment x,
      long xImg,
      long[] pix,
      long d0,
      long d1,
      long d2,
      long d3,
      long d4,
      long d5,
      MemorySegment dy,
      long dyImg,
      MemorySegment part,
      long partAt) {
    x = NATIVE.cast(x);
    dy = NATIVE.cast(dy);
    part = NATIVE.cast(part);
    long r0 = partAt * 4;
    long step = 4L * NR;
    FloatVector c00 = FloatVector.fromMemorySegment(S, part, r0, ORDER);
    FloatVector c01 = FloatVector.fromMemorySegment(S, part, r0 + 4L * V, ORDER);
    FloatVector c10 = FloatVector.fromMemorySegment(S, part, r0 + step, ORDER);
    FloatVector c11 = FloatVector.fromMemorySegment(S, part, r0 + step + 4L * V, ORDER);
    FloatVector c20 = FloatVector.fromMemorySegment(S, part, r0 + 2 * step, ORDER);
    FloatVector c21 = FloatVector.fromMemorySegment(S, part, r0 + 2 * step + 4L * V, ORDER);
    FloatVector c30 = FloatVector.fromMemorySegment(S, part, r0 + 3 * step, ORDER);
    FloatVector c31 = FloatVector.fromMemorySegment(S, part, r0 + 3 * step + 4L * V, ORDER);
    FloatVector c40 = FloatVector.fromMemorySegment(S, part, r0 + 4 * step, ORDER);
    FloatVector c41 = FloatVector.fromMemorySegment(S, part, r0 + 4 * step + 4L * V, ORDER);
    FloatVector c50 = FloatVector.fromMemorySegment(S, part, r0 + 5 * step, ORDER);
    FloatVector c51 = FloatVector.fromMemorySegment(S, part, r0 + 5 * step + 4L * V, ORDER);
    for (int p = 0; p < pix.length; p++) {
      long xo = xImg + pix[p];
      long bi = (dyImg + (long) p * NR) * 4;
      FloatVector b0 = FloatVector.fromMemorySegment(S, dy, bi, ORDER);
      FloatVector b1 = FloatVector.fromMemorySegment(S, dy, bi + 4L * V, ORDER);
      FloatVector v;
      v = FloatVector.broadcast(S, x.get(F, (xo + d0) * 4));
      c00 = v.fma(b0, c00);
      c01 = v.fma(b1, c01);
      v = FloatVector.broadcast(S, x.get(F, (xo + d1) * 4));
      c10 = v.fma(b0, c10);
      c11 = v.fma(b1, c11);
      v = FloatVector.broadcast(S, x.get(F, (xo + d2) * 4));
      c20 = v.fma(b0, c20);
      c21 = v.fma(b1, c21);
      v = FloatVector.broadcast(S, x.get(F, (xo + d3) * 4));
      c30 = v.fma(b0, c30);
      c31 = v.fma(b1, c31);
      v = FloatVector.broadcast(S, x.get(F, (xo + d4) * 4));
      c40 = v.fma(b0, c40);
      c41 = v.fma(b1, c41);
      v = FloatVector.broadcast(S, x.get(F, (xo + d5) * 4));
      c50 = v.fma(b0, c50);
      c51 = v.fma(b1, c51);
    }
    c00.intoMemorySegment(part, r0, ORDER);
    c01.intoMemorySegment(part, r0 + 4L * V, ORDER);
    c10.intoMemorySegment(part, r0 + step, ORDER);
    c11.intoMemorySegment(part, r0 + step + 4L * V, ORDER);
    c20.intoMemorySegment(part, r0 + 2 * step, ORDER);
    c21.intoMemorySegment(part, r0 + 2 * step + 4L * V, ORDER);
    c30.intoMemorySegment(part, r0 + 3 * step, ORDER);
    c31.intoMemorySegment(part, r0 + 3 * step + 4L * V, ORDER);
    c40.intoMemorySegment(part, r0 + 4 * step, ORDER);
    c41.intoMemorySegment(part, r0 + 4 * step + 4L * V, ORDER);
    c50.intoMemorySegment(part, r0 + 5 * step, ORDER);
    c51.intoMemorySegment(part, r0 + 5 * step + 4L * V, ORDER);
  }

  /**
   * {@link #filterTile} for six consecutive filter rows, whose source floats are consecutive too:
   * the loads sit at one offset plus constants, where six offsets from the row table each took a
   * register or a stack slot and an add. 256-bit, 2 cores, 3x3 "same", GFLOP/s against {@link
   * #filterTile}: 16 to 16 channels on 28x28 140 against 105, 32 to 32 on 14x14 125 against 97, 64
   * to 64 on 7x7 121 against 93, stride 2 16 to 32 on 28x28 115 against 91.
   */
  private static void filterTileRun(
      MemorySegment x,
      long x0,
      long[] pix,
      MemorySegment dy,
      long dyImg,
      MemorySegment part,
      long partAt) {
    x = NATIVE.cast(x);
    dy = NATIVE.cast(dy);
    part = NATIVE.cast(part);
    long r0 = partAt * 4;
    long step = 4L * NR;
    FloatVector c00 = FloatVector.fromMemorySegment(S, part, r0, ORDER);
    FloatVector c01 = FloatVector.fromMemorySegment(S, part, r0 + 4L * V, ORDER);
    FloatVector c10 = FloatVector.fromMemorySegment(S, part, r0 + step, ORDER);
    FloatVector c11 = FloatVector.fromMemorySegment(S, part, r0 + step + 4L * V, ORDER);
    FloatVector c20 = FloatVector.fromMemorySegment(S, part, r0 + 2 * step, ORDER);
    FloatVector c21 = FloatVector.fromMemorySegment(S, part, r0 + 2 * step + 4L * V, ORDER);
    FloatVector c30 = FloatVector.fromMemorySegment(S, part, r0 + 3 * step, ORDER);
    FloatVector c31 = FloatVector.fromMemorySegment(S, part, r0 + 3 * step + 4L * V, ORDER);
    FloatVector c40 = FloatVector.fromMemorySegment(S, part, r0 + 4 * step, ORDER);
    FloatVector c41 = FloatVector.fromMemorySegment(S, part, r0 + 4 * step + 4L * V, ORDER);
    FloatVector c50 = FloatVector.fromMemorySegment(S, part, r0 + 5 * step, ORDER);
    FloatVector c51 = FloatVector.fromMemorySegment(S, part, r0 + 5 * step + 4L * V, ORDER);
    for (int p = 0; p < pix.length; p++) {
      long xi = (x0 + pix[p]) * 4;
      long bi = (dyImg + (long) p * NR) * 4;
      FloatVector b0 = FloatVector.fromMemorySegment(S, dy, bi, ORDER);
      FloatVector b1 = FloatVector.fromMemorySegment(S, dy, bi + 4L * V, ORDER);
      FloatVector v;
      v = FloatVector.broadcast(S, x.get(F, xi));
      c00 = v.fma(b0, c00);
      c01 = v.fma(b1, c01);
      v = FloatVector.broadcast(S, x.get(F, xi + 4));
      c10 = v.fma(b0, c10);
      c11 = v.fma(b1, c11);
      v = FloatVector.broadcast(S, x.get(F, xi + 8));
      c20 = v.fma(b0, c20);
      c21 = v.fma(b1, c21);
      v = FloatVector.broadcast(S, x.get(F, xi + 12));
      c30 = v.fma(b0, c30);
      c31 = v.fma(b1, c31);
      v = FloatVector.broadcast(S, x.get(F, xi + 16));
      c40 = v.fma(b0, c40);
      c41 = v.fma(b1, c41);
      v = FloatVector.broadcast(S, x.get(F, xi + 20));
      c50 = v.fma(b0, c50);
      c51 = v.fma(b1, c51);
    }
    c00.intoMemorySegment(part, r0, ORDER);
    c01.intoMemorySegment(part, r0 + 4L * V, ORDER);
    c10.intoMemorySegment(part, r0 + step, ORDER);
    c11.intoMemorySegment(part, r0 + step + 4L * V, ORDER);
    c20.intoMemorySegment(part, r0 + 2 * step, ORDER);
    c21.intoMemorySegment(part, r0 + 2 * step + 4L * V, ORDER);
    c30.intoMemorySegment(part, r0 + 3 * step, ORDER);
    c31.intoMemorySegment(part, r0 + 3 * step + 4L * V, ORDER);
    c40.intoMemorySegment(part, r0 + 4 * step, ORDER);
    c41.intoMemorySegment(part, r0 + 4 * step + 4L * V, ORDER);
    c50.intoMemorySegment(part, r0 + 5 * step, ORDER);
    c51.intoMemorySegment(part, r0 + 5 * step + 4L * V, ORDER);
  }

  /**
   * {@link #filterTile} for layers whose output channels fit in one vector: twelve filter rows, at
   * source offsets {@code d[r..r+11]}, against one vector of {@code dy}.
   */
  private static void filterTileNarrow(
      MemorySegment x,
      long xImg,
      long[] pix,
      long[] d,
      int r,
      MemorySegment dy,
      long dyImg,
      MemorySegment part,
      long partAt) {
    x = NATIVE.cast(x);
    dy = NATIVE.cast(dy);
    part = NATIVE.cast(part);
    long d0 = d[r], d1 = d[r + 1], d2 = d[r + 2], d3 = d[r + 3], d4 = d[r + 4], d5 = d[r + 5];
    long d6 = d[r + 6], d7 = d[r + 7], d8 = d[r + 8], d9 = d[r + 9], d10 = d[r + 10];
    long d11 = d[r + 11];
    long r0 = partAt * 4;
    long step = 4L * V;
    FloatVector c0 = FloatVector.fromMemorySegment(S, part, r0, ORDER);
    FloatVector c1 = FloatVector.fromMemorySegment(S, part, r0 + step, ORDER);
    FloatVector c2 = FloatVector.fromMemorySegment(S, part, r0 + 2 * step, ORDER);
    FloatVector c3 = FloatVector.fromMemorySegment(S, part, r0 + 3 * step, ORDER);
    FloatVector c4 = FloatVector.fromMemorySegment(S, part, r0 + 4 * step, ORDER);
    FloatVector c5 = FloatVector.fromMemorySegment(S, part, r0 + 5 * step, ORDER);
    FloatVector c6 = FloatVector.fromMemorySegment(S, part, r0 + 6 * step, ORDER);
    FloatVector c7 = FloatVector.fromMemorySegment(S, part, r0 + 7 * step, ORDER);
    FloatVector c8 = FloatVector.fromMemorySegment(S, part, r0 + 8 * step, ORDER);
    FloatVector c9 = FloatVector.fromMemorySegment(S, part, r0 + 9 * step, ORDER);
    FloatVector c10 = FloatVector.fromMemorySegment(S, part, r0 + 10 * step, ORDER);
    FloatVector c11 = FloatVector.fromMemorySegment(S, part, r0 + 11 * step, ORDER);
    for (int p = 0; p < pix.length; p++) {
      long xo = xImg + pix[p];
      FloatVector b = FloatVector.fromMemorySegment(S, dy, (dyImg + (long) p * V) * 4, ORDER);
      c0 = FloatVector.broadcast(S, x.get(F, (xo + d0) * 4)).fma(b, c0);
      c1 = FloatVector.broadcast(S, x.get(F, (xo + d1) * 4)).fma(b, c1);
      c2 = FloatVector.broadcast(S, x.get(F, (xo + d2) * 4)).fma(b, c2);
      c3 = FloatVector.broadcast(S, x.get(F, (xo + d3) * 4)).fma(b, c3);
      c4 = FloatVector.broadcast(S, x.get(F, (xo + d4) * 4)).fma(b, c4);
      c5 = FloatVector.broadcast(S, x.get(F, (xo + d5) * 4)).fma(b, c5);
      c6 = FloatVector.broadcast(S, x.get(F, (xo + d6) * 4)).fma(b, c6);
      c7 = FloatVector.broadcast(S, x.get(F, (xo + d7) * 4)).fma(b, c7);
      c8 = FloatVector.broadcast(S, x.get(F, (xo + d8) * 4)).fma(b, c8);
      c9 = FloatVector.broadcast(S, x.get(F, (xo + d9) * 4)).fma(b, c9);
      c10 = FloatVector.broadcast(S, x.get(F, (xo + d10) * 4)).fma(b, c10);
      c11 = FloatVector.broadcast(S, x.get(F, (xo + d11) * 4)).fma(b, c11);
    }
    c0.intoMemorySegment(part, r0, ORDER);
    c1.intoMemorySegment(part, r0 + step, ORDER);
    c2.intoMemorySegment(part, r0 + 2 * step, ORDER);
    c3.intoMemorySegment(part, r0 + 3 * step, ORDER);
    c4.intoMemorySegment(part, r0 + 4 * step, ORDER);
    c5.intoMemorySegment(part, r0 + 5 * step, ORDER);
    c6.intoMemorySegment(part, r0 + 6 * step, ORDER);
    c7.intoMemorySegment(part, r0 + 7 * step, ORDER);
    c8.intoMemorySegment(part, r0 + 8 * step, ORDER);
    c9.intoMemorySegment(part, r0 + 9 * step, ORDER);
    c10.intoMemorySegment(part, r0 + 10 * step, ORDER);
    c11.intoMemorySegment(part, r0 + 11 * step, ORDER);
  }

  /**
   * {@link #filterTileNarrow} for sixteen filter rows of one tap: input channels {@code ci..ci+15}
   * at source offsets {@code x0 + j}, so every load is one running offset plus a constant, where
   * twelve separate offsets left C2 short of registers (per core, 16 to 16 channels 3x3 on 28x28:
   * 80 against 63-66 GFLOP/s).
   */
  private static void filterTileTap(
      MemorySegment x,
      long x0,
      long[] pix,
      MemorySegment dy,
      long dyImg,
      MemorySegment part,
      long partAt) {
    x = NATIVE.cast(x);
    dy = NATIVE.cast(dy);
    part = NATIVE.cast(part);
    long r0 = partAt * 4;
    long step = 4L * V;
    FloatVector c0 = FloatVector.fromMemorySegment(S, part, r0, ORDER);
    FloatVector c1 = FloatVector.fromMemorySegment(S, part, r0 + step, ORDER);
    FloatVector c2 = FloatVector.fromMemorySegment(S, part, r0 + 2 * step, ORDER);
    FloatVector c3 = FloatVector.fromMemorySegment(S, part, r0 + 3 * step, ORDER);
    FloatVector c4 = FloatVector.fromMemorySegment(S, part, r0 + 4 * step, ORDER);
    FloatVector c5 = FloatVector.fromMemorySegment(S, part, r0 + 5 * step, ORDER);
    FloatVector c6 = FloatVector.fromMemorySegment(S, part, r0 + 6 * step, ORDER);
    FloatVector c7 = FloatVector.fromMemorySegment(S, part, r0 + 7 * step, ORDER);
    FloatVector c8 = FloatVector.fromMemorySegment(S, part, r0 + 8 * step, ORDER);
    FloatVector c9 = FloatVector.fromMemorySegment(S, part, r0 + 9 * step, ORDER);
    FloatVector c10 = FloatVector.fromMemorySegment(S, part, r0 + 10 * step, ORDER);
    FloatVector c11 = FloatVector.fromMemorySegment(S, part, r0 + 11 * step, ORDER);
    FloatVector c12 = FloatVector.fromMemorySegment(S, part, r0 + 12 * step, ORDER);
    FloatVector c13 = FloatVector.fromMemorySegment(S, part, r0 + 13 * step, ORDER);
    FloatVector c14 = FloatVector.fromMemorySegment(S, part, r0 + 14 * step, ORDER);
    FloatVector c15 = FloatVector.fromMemorySegment(S, part, r0 + 15 * step, ORDER);
    for (int p = 0; p < pix.length; p++) {
      long xo = (x0 + pix[p]) * 4;
      FloatVector b = FloatVector.fromMemorySegment(S, dy, (dyImg + (long) p * V) * 4, ORDER);
      c0 = FloatVector.broadcast(S, x.get(F, xo)).fma(b, c0);
      c1 = FloatVector.broadcast(S, x.get(F, xo + 4)).fma(b, c1);
      c2 = FloatVector.broadcast(S, x.get(F, xo + 8)).fma(b, c2);
      c3 = FloatVector.broadcast(S, x.get(F, xo + 12)).fma(b, c3);
      c4 = FloatVector.broadcast(S, x.get(F, xo + 16)).fma(b, c4);
      c5 = FloatVector.broadcast(S, x.get(F, xo + 20)).fma(b, c5);
      c6 = FloatVector.broadcast(S, x.get(F, xo + 24)).fma(b, c6);
      c7 = FloatVector.broadcast(S, x.get(F, xo + 28)).fma(b, c7);
      c8 = FloatVector.broadcast(S, x.get(F, xo + 32)).fma(b, c8);
      c9 = FloatVector.broadcast(S, x.get(F, xo + 36)).fma(b, c9);
      c10 = FloatVector.broadcast(S, x.get(F, xo + 40)).fma(b, c10);
      c11 = FloatVector.broadcast(S, x.get(F, xo + 44)).fma(b, c11);
      c12 = FloatVector.broadcast(S, x.get(F, xo + 48)).fma(b, c12);
      c13 = FloatVector.broadcast(S, x.get(F, xo + 52)).fma(b, c13);
      c14 = FloatVector.broadcast(S, x.get(F, xo + 56)).fma(b, c14);
      c15 = FloatVector.broadcast(S, x.get(F, xo + 60)).fma(b, c15);
    }
    c0.intoMemorySegment(part, r0, ORDER);
    c1.intoMemorySegment(part, r0 + step, ORDER);
    c2.intoMemorySegment(part, r0 + 2 * step, ORDER);
    c3.intoMemorySegment(part, r0 + 3 * step, ORDER);
    c4.intoMemorySegment(part, r0 + 4 * step, ORDER);
    c5.intoMemorySegment(part, r0 + 5 * step, ORDER);
    c6.intoMemorySegment(part, r0 + 6 * step, ORDER);
    c7.intoMemorySegment(part, r0 + 7 * step, ORDER);
    c8.intoMemorySegment(part, r0 + 8 * step, ORDER);
    c9.intoMemorySegment(part, r0 + 9 * step, ORDER);
    c10.intoMemorySegment(part, r0 + 10 * step, ORDER);
    c11.intoMemorySegment(part, r0 + 11 * step, ORDER);
    c12.intoMemorySegment(part, r0 + 12 * step, ORDER);
    c13.intoMemorySegment(part, r0 + 13 * step, ORDER);
    c14.intoMemorySegment(part, r0 + 14 * step, ORDER);
    c15.intoMemorySegment(part, r0 + 15 * step, ORDER);
  }
}
