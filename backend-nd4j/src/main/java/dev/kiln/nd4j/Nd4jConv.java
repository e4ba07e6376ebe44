package dev.kiln.nd4j;

import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.PoolingOp;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Convolution and pooling on ND4J's declarable ops ({@code conv2d}, {@code conv3dnew}, {@code
 * depthwise_conv2d}, {@code maxpool2d}, ... and their {@code _bp} ops), all in channels-last
 * layout.
 *
 * <p>Three things bridge the IR's semantics and ND4J's. The IR's padding (SAME, VALID or explicit,
 * possibly uneven) is applied as an explicit pad and ND4J always runs VALID, so both agree on where
 * the odd row goes. 1-D ops run as 2-D ops over a height of one. Grouped convolutions run group by
 * group, except depthwise 2-D, which has its own op.
 */
final class Nd4jConv {
  private Nd4jConv() {}

  /**
   * The spatial geometry of one op after lifting 1-D to 2-D, with its padding resolved.
   *
   * @param window kernel or window size per axis
   * @param strides stride per axis
   * @param dilations dilation per axis
   * @param low padding before, per axis
   * @param high padding after, per axis
   */
  private record Geometry(int[] window, int[] strides, int[] dilations, int[] low, int[] high) {
    int rank() {
      return window.length;
    }

    /** {@code shape} (channels last, lifted) with this padding added to its spatial axes. */
    long[] paddedShape(long[] shape) {
      long[] p = shape.clone();
      for (int a = 0; a < rank(); a++) {
        p[a + 1] += low[a] + high[a];
      }
      return p;
    }

    boolean padded() {
      return Arrays.stream(low).sum() + Arrays.stream(high).sum() > 0;
    }

    /** ND4J's integer arguments: window, strides, zero pads, dilations, then the mode flags. */
    int[] iArgs(int... flags) {
      int r = rank();
      int[] a = new int[4 * r + flags.length];
      for (int i = 0; i < r; i++) {
        a[i] = window[i];
        a[r + i] = strides[i];
        a[3 * r + i] = dilations[i];
      }
      System.arraycopy(flags, 0, a, 4 * r, flags.length);
      return a;
    }
  }

  private static Geometry geometry(
      int[] window, int[] strides, int[] dilations, Padding padding, long[] inputShape) {
    int r = window.length;
    int[] low = new int[r];
    int[] high = new int[r];
    for (int a = 0; a < r; a++) {
      int[] p = padding.resolve(a, (int) inputShape[a + 1], window[a], strides[a], dilations[a]);
      low[a] = p[0];
      high[a] = p[1];
    }
    Geometry g = new Geometry(window.clone(), strides.clone(), dilations.clone(), low, high);
    return r == 1 ? lift(g) : g;
  }

  private static Geometry lift(Geometry g) {
    return new Geometry(
        prepend(g.window, 1),
        prepend(g.strides, 1),
        prepend(g.dilations, 1),
        prepend(g.low, 0),
        prepend(g.high, 0));
  }

  private static int[] prepend(int[] a, int v) {
    int[] r = new int[a.length + 1];
    r[0] = v;
    System.arraycopy(a, 0, r, 1, a.length);
    return r;
  }

  /** A 1-D operand {@code [N, W, C]} (or kernel {@code [K, I, O]}) with a new axis of one. */
  private static INDArray lift(INDArray a, int at) {
    if (a.rank() != 3) {
      return a;
    }
    long[] s = a.shape();
    long[] t = new long[4];
    for (int i = 0, j = 0; i < 4; i++) {
      t[i] = i == at ? 1 : s[j++];
    }
    return a.reshape('c', t);
  }

  private static long[] lifted(Shape s, int at) {
    long[] l = Nd4jArrays.longs(s);
    if (l.length != 3) {
      return l;
    }
    long[] t = new long[4];
    for (int i = 0, j = 0; i < 4; i++) {
      t[i] = i == at ? 1 : l[j++];
    }
    return t;
  }

  // ---------------------------------------------------------------- convolution

  static INDArray conv(ConvSpec s, INDArray x, INDArray w, TensorType out) {
    Geometry g = convGeometry(s, x.shape(), w.shape());
    INDArray xl = lift(x, 1);
    INDArray wl = lift(w, 0);
    long[] os = lifted(out.shape(), 1);
    INDArray xp = pad(xl, g, 0);
    INDArray y =
        g.rank() == 2 && s.groups() > 1 && s.groups() == x.size(-1)
            ? depthwise(g, xp, wl, os)
            : perGroup(
                s.groups(), os, (i, ys) -> convForward(g, group(xp, i, s), group(wl, i, s), ys));
    return y.reshape('c', Nd4jArrays.longs(out.shape()));
  }

  static INDArray convBackpropInput(ConvSpec s, INDArray dy, INDArray w, TensorType out) {
    long[] xs = Nd4jArrays.longs(out.shape());
    Geometry g = convGeometry(s, xs, w.shape());
    INDArray dyl = lift(dy, 1);
    INDArray wl = lift(w, 0);
    long[] padded = g.paddedShape(lifted(out.shape(), 1));
    INDArray dx =
        perGroup(
            s.groups(),
            padded,
            (i, xg) ->
                backward(g, Nd4j.zeros(dy.dataType(), xg), group(wl, i, s), group(dyl, i, s))[0]);
    return unpad(dx, g).reshape('c', xs);
  }

  static INDArray convBackpropFilter(ConvSpec s, INDArray x, INDArray dy, TensorType out) {
    long[] ws = Nd4jArrays.longs(out.shape());
    Geometry g = convGeometry(s, x.shape(), ws);
    INDArray xp = pad(lift(x, 1), g, 0);
    INDArray dyl = lift(dy, 1);
    INDArray dw =
        perGroup(
            s.groups(),
            lifted(out.shape(), 0),
            (i, wg) ->
                backward(g, group(xp, i, s), Nd4j.zeros(dy.dataType(), wg), group(dyl, i, s))[1]);
    return dw.reshape('c', ws);
  }

  /**
   * Both gradients of a one-group convolution from one ND4J call: {@code {dx, dw}} with the shapes
   * of {@code xType} and {@code wType}.
   */
  static INDArray[] convBackpropBoth(
      ConvSpec s, INDArray x, INDArray w, INDArray dy, TensorType xType, TensorType wType) {
    Geometry g = convGeometry(s, x.shape(), w.shape());
    INDArray[] both = backward(g, pad(lift(x, 1), g, 0), lift(w, 0), lift(dy, 1));
    return new INDArray[] {
      unpad(both[0], g).reshape('c', Nd4jArrays.longs(xType.shape())),
      both[1].reshape('c', Nd4jArrays.longs(wType.shape()))
    };
  }

  /**
   * ND4J's conv backprop on lifted operands: {@code {dx of the padded input, dw}}. It always
   * computes both; a caller that wants one passes zeros for the operand it does not have.
   */
  private static INDArray[] backward(Geometry g, INDArray xPadded, INDArray w, INDArray dy) {
    INDArray dx = Nd4j.create(dy.dataType(), xPadded.shape());
    INDArray dw = Nd4j.create(dy.dataType(), w.shape());
    Nd4jOps.exec(convOp(g) + "_bp", g.iArgs(convFlags()), new INDArray[] {xPadded, w, dy}, dx, dw);
    return new INDArray[] {dx, dw};
  }

  private static Geometry convGeometry(ConvSpec s, long[] x, long[] w) {
    int r = s.spatialRank();
    int[] k = new int[r];
    for (int i = 0; i < r; i++) {
      k[i] = (int) w[i];
    }
    return geometry(k, s.strides(), s.dilations(), s.padding(), x);
  }

  private static String convOp(Geometry g) {
    return g.rank() == 2 ? "conv2d" : "conv3dnew";
  }

  /** Channels-last data, {@code [k..., in, out]} weights, VALID. */
  private static int[] convFlags() {
    return new int[] {0, 1, 0};
  }

  private static INDArray convForward(Geometry g, INDArray x, INDArray w, long[] outShape) {
    return Nd4jOps.exec(
        convOp(g),
        g.iArgs(convFlags()),
        new INDArray[] {x, w},
        Nd4j.create(x.dataType(), outShape));
  }

  private static INDArray depthwise(Geometry g, INDArray x, INDArray w, long[] outShape) {
    long[] ws = w.shape();
    long channels = x.size(-1);
    INDArray wd = w.reshape('c', ws[0], ws[1], channels, ws[3] / channels);
    return Nd4jOps.exec(
        "depthwise_conv2d",
        g.iArgs(convFlags()),
        new INDArray[] {x, wd},
        Nd4j.create(x.dataType(), outShape));
  }

  /** Channels {@code [i * c, (i + 1) * c)} of the last axis, where c is its size over groups. */
  private static INDArray group(INDArray a, int i, ConvSpec s) {
    if (s.groups() == 1) {
      return a;
    }
    long c = a.size(-1) / s.groups();
    INDArrayIndex[] idx = new INDArrayIndex[a.rank()];
    Arrays.fill(idx, NDArrayIndex.all());
    idx[a.rank() - 1] = NDArrayIndex.interval(i * c, (i + 1) * c);
    return a.get(idx).dup('c');
  }

  private interface GroupOp {
    INDArray apply(int group, long[] shape);
  }

  /** Runs {@code op} for each group and concatenates the results along the channel axis. */
  private static INDArray perGroup(int groups, long[] full, GroupOp op) {
    if (groups == 1) {
      return op.apply(0, full);
    }
    long[] each = full.clone();
    each[each.length - 1] /= groups;
    INDArray[] parts = new INDArray[groups];
    for (int i = 0; i < groups; i++) {
      parts[i] = op.apply(i, each);
    }
    return Nd4j.concat(full.length - 1, parts);
  }

  // ---------------------------------------------------------------- pooling

  static INDArray pool(PoolingOp.Pool p, INDArray x, TensorType out) {
    Geometry g = poolGeometry(p.spec(), x.shape());
    INDArray xl = lift(x, 1);
    long[] os = lifted(out.shape(), 1);
    INDArray y;
    if (p.fn() == PoolFn.MAX) {
      y = poolForward("maxpool", g, pad(xl, g, Double.NEGATIVE_INFINITY), os);
    } else {
      y = poolForward("avgpool", g, pad(xl, g, 0), os);
      if (g.padded()) {
        y = y.div(coverage(g, x.dataType(), xl.shape()).broadcast(os));
      }
    }
    return y.reshape('c', Nd4jArrays.longs(out.shape()));
  }

  static INDArray maxPoolBackward(PoolSpec s, INDArray x, INDArray dy, TensorType out) {
    Geometry g = poolGeometry(s, x.shape());
    INDArray xp = pad(lift(x, 1), g, Double.NEGATIVE_INFINITY);
    INDArray dx = poolBackward("maxpool", g, xp, lift(dy, 1));
    return unpad(dx, g).reshape('c', Nd4jArrays.longs(out.shape()));
  }

  /**
   * Average pooling's gradient. ND4J divides by the whole window; the IR divides by the positions
   * inside the input, so {@code dy} is first scaled by window over count.
   */
  static INDArray avgPoolBackward(PoolSpec s, INDArray dy, TensorType out) {
    long[] xs = Nd4jArrays.longs(out.shape());
    Geometry g = poolGeometry(s, xs);
    long[] xl = lifted(out.shape(), 1);
    INDArray dyl = lift(dy, 1);
    if (g.padded()) {
      dyl = dyl.div(coverage(g, dy.dataType(), xl).broadcast(dyl.shape()));
    }
    INDArray dx = poolBackward("avgpool", g, Nd4j.zeros(dy.dataType(), g.paddedShape(xl)), dyl);
    return unpad(dx, g).reshape('c', xs);
  }

  private static Geometry poolGeometry(PoolSpec s, long[] x) {
    int[] ones = new int[s.window().length];
    Arrays.fill(ones, 1);
    return geometry(s.window(), s.strides(), ones, s.padding(), x);
  }

  private static String poolOp(String kind, Geometry g) {
    return kind + (g.rank() == 2 ? "2d" : "3dnew");
  }

  /** VALID, divisor the whole window (no padding is left to exclude), channels last. */
  private static int[] poolFlags() {
    return new int[] {0, 1, 1};
  }

  private static INDArray poolForward(String kind, Geometry g, INDArray x, long[] outShape) {
    return Nd4jOps.exec(
        poolOp(kind, g),
        g.iArgs(poolFlags()),
        new INDArray[] {x},
        Nd4j.create(x.dataType(), outShape));
  }

  private static INDArray poolBackward(String kind, Geometry g, INDArray x, INDArray dy) {
    return Nd4jOps.exec(
        poolOp(kind, g) + "_bp",
        g.iArgs(poolFlags()),
        new INDArray[] {x, dy},
        Nd4j.create(x.dataType(), x.shape()));
  }

  /**
   * The fraction of each window that lies inside the input, shaped {@code [1, out..., 1]}: average
   * pooling of the padded indicator of the input.
   */
  private static INDArray coverage(Geometry g, DataType type, long[] inputShape) {
    long[] s = inputShape.clone();
    s[0] = 1;
    s[s.length - 1] = 1;
    INDArray inside = pad(Nd4j.ones(type, s), g, 0);
    long[] os = s.clone();
    for (int a = 0; a < g.rank(); a++) {
      int effective = g.window[a];
      os[a + 1] = (inside.size(a + 1) - effective) / g.strides[a] + 1;
    }
    return poolForward("avgpool", g, inside, os);
  }

  // ---------------------------------------------------------------- padding and dispatch

  private static INDArray pad(INDArray x, Geometry g, double value) {
    if (!g.padded()) {
      return x;
    }
    long[] shape = g.paddedShape(x.shape());
    INDArray r =
        value == 0
            ? Nd4j.zeros(x.dataType(), shape)
            : Nd4j.valueArrayOf(shape, value, x.dataType());
    r.put(inner(x.shape(), g), x);
    return r;
  }

  private static INDArray unpad(INDArray x, Geometry g) {
    if (!g.padded()) {
      return x;
    }
    long[] shape = x.shape().clone();
    for (int a = 0; a < g.rank(); a++) {
      shape[a + 1] -= g.low[a] + g.high[a];
    }
    return x.get(inner(shape, g)).dup('c');
  }

  private static INDArrayIndex[] inner(long[] unpadded, Geometry g) {
    INDArrayIndex[] idx = new INDArrayIndex[unpadded.length];
    Arrays.fill(idx, NDArrayIndex.all());
    for (int a = 0; a < g.rank(); a++) {
      idx[a + 1] = NDArrayIndex.interval(g.low[a], g.low[a] + unpadded[a + 1]);
    }
    return idx;
  }
}
