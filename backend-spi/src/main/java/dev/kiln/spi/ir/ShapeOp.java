package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.arity;
import static dev.kiln.spi.ir.Rules.broadcast;
import static dev.kiln.spi.ir.Rules.checkFullyKnown;
import static dev.kiln.spi.ir.Rules.dimsAgree;
import static dev.kiln.spi.ir.Rules.normalizeAxis;
import static dev.kiln.spi.ir.Rules.one;
import static dev.kiln.spi.ir.Rules.sameDtype;
import static dev.kiln.spi.ir.Rules.str;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that move elements without computing new ones: reshape, transpose, broadcast, slices,
 * concatenation and padding.
 */
public sealed interface ShapeOp extends Op
    permits ShapeOp.Reshape,
        ShapeOp.Transpose,
        ShapeOp.BroadcastTo,
        ShapeOp.Slice,
        ShapeOp.StridedSlice,
        ShapeOp.Concat,
        ShapeOp.Pad {

  /** The same elements in another shape of equal size. */
  record Reshape(Shape shape) implements ShapeOp {
    @Override
    public String name() {
      return "reshape";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      Shape from = in.get(0).shape();
      if (from.isFullyKnown() && shape.isFullyKnown() && from.size() != shape.size()) {
        throw new ShapeError(
            name(),
            "cannot reshape "
                + from
                + " ("
                + from.size()
                + " elements) to "
                + shape
                + " ("
                + shape.size()
                + " elements)");
      }
      return one(in.get(0).dtype(), shape);
    }

    @Override
    public String attributes() {
      return "shape=" + shape;
    }
  }

  /** Permutes the axes: output axis {@code i} is input axis {@code perm[i]}. */
  record Transpose(int[] perm) implements ShapeOp {
    /** Copies the array attributes: the op is a value and must not change after construction. */
    public Transpose {
      perm = perm.clone();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Transpose o && Arrays.equals(o.perm, perm);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(perm);
    }

    @Override
    public String toString() {
      return "Transpose[perm=" + str(perm) + "]";
    }

    @Override
    public String name() {
      return "transpose";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      Shape s = in.get(0).shape();
      boolean[] seen = new boolean[s.rank()];
      if (perm.length != s.rank()) {
        throw new ShapeError(name(), "permutation " + str(perm) + " does not fit shape " + s);
      }
      int[] out = new int[perm.length];
      for (int i = 0; i < perm.length; i++) {
        if (perm[i] < 0 || perm[i] >= s.rank() || seen[perm[i]]) {
          throw new ShapeError(name(), str(perm) + " is not a permutation of the axes of " + s);
        }
        seen[perm[i]] = true;
        out[i] = s.dim(perm[i]);
      }
      return one(in.get(0).dtype(), Shape.of(out));
    }

    @Override
    public String attributes() {
      return "perm=" + str(perm);
    }
  }

  /** Numpy's {@code broadcast_to}. */
  record BroadcastTo(Shape shape) implements ShapeOp {
    @Override
    public String name() {
      return "broadcast_to";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      TensorType x = in.get(0);
      Shape s = broadcast(name(), x, new TensorType(x.dtype(), shape));
      if (!s.equals(shape)) {
        throw new ShapeError(name(), "cannot broadcast " + x.shape() + " to " + shape);
      }
      return one(x.dtype(), shape);
    }

    @Override
    public String attributes() {
      return "shape=" + shape;
    }
  }

  /** The block {@code x[begin : begin + size]} on every axis. */
  record Slice(int[] begin, int[] size) implements ShapeOp {
    /** Copies the array attributes: the op is a value and must not change after construction. */
    public Slice {
      begin = begin.clone();
      size = size.clone();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Slice o
          && Arrays.equals(o.begin, begin)
          && Arrays.equals(o.size, size);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(begin) * 31 + Arrays.hashCode(size);
    }

    @Override
    public String toString() {
      return "Slice[begin=" + str(begin) + ", size=" + str(size) + "]";
    }

    @Override
    public String name() {
      return "slice";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      Shape s = in.get(0).shape();
      if (begin.length != s.rank() || size.length != s.rank()) {
        throw new ShapeError(
            name(), "begin " + str(begin) + " and size " + str(size) + " must have rank of " + s);
      }
      for (int i = 0; i < begin.length; i++) {
        int d = s.dim(i);
        if (begin[i] < 0 || size[i] < 0 || (d != Shape.UNKNOWN && begin[i] + size[i] > d)) {
          throw new ShapeError(
              name(),
              "begin "
                  + str(begin)
                  + " with size "
                  + str(size)
                  + " is outside shape "
                  + s
                  + " on axis "
                  + i);
        }
      }
      return one(in.get(0).dtype(), Shape.of(size));
    }

    @Override
    public String attributes() {
      return "begin=" + str(begin) + ", size=" + str(size);
    }
  }

  /**
   * {@code x[begin:end:stride]} on every axis, Python-style with explicit non-negative indices; a
   * negative stride walks backward from {@code begin} down to, not including, {@code end} (which
   * may be -1 to include index 0).
   */
  record StridedSlice(int[] begin, int[] end, int[] strides) implements ShapeOp {
    /** Copies the array attributes: the op is a value and must not change after construction. */
    public StridedSlice {
      begin = begin.clone();
      end = end.clone();
      strides = strides.clone();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof StridedSlice o
          && Arrays.equals(o.begin, begin)
          && Arrays.equals(o.end, end)
          && Arrays.equals(o.strides, strides);
    }

    @Override
    public int hashCode() {
      return (Arrays.hashCode(begin) * 31 + Arrays.hashCode(end)) * 31 + Arrays.hashCode(strides);
    }

    @Override
    public String toString() {
      return "StridedSlice[begin="
          + str(begin)
          + ", end="
          + str(end)
          + ", strides="
          + str(strides)
          + "]";
    }

    @Override
    public String name() {
      return "strided_slice";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      Shape s = in.get(0).shape();
      checkFullyKnown(name(), "the operand shape", s);
      if (begin.length != s.rank() || end.length != s.rank() || strides.length != s.rank()) {
        throw new ShapeError(
            name(),
            "begin "
                + str(begin)
                + ", end "
                + str(end)
                + " and strides "
                + str(strides)
                + " must have rank of "
                + s);
      }
      int[] out = new int[s.rank()];
      for (int i = 0; i < out.length; i++) {
        out[i] = sliceLength(s.dim(i), begin[i], end[i], strides[i], i, s);
      }
      return one(in.get(0).dtype(), Shape.of(out));
    }

    private int sliceLength(int d, int b, int e, int st, int axis, Shape s) {
      if (st == 0) {
        throw new ShapeError(name(), "stride 0 on axis " + axis);
      }
      boolean ok = st > 0 ? (b >= 0 && b <= d && e >= b && e <= d) : (b < d && e >= -1 && e <= b);
      if (!ok) {
        throw new ShapeError(
            name(),
            "begin "
                + b
                + ", end "
                + e
                + ", stride "
                + st
                + " do not fit axis "
                + axis
                + " of "
                + s);
      }
      return st > 0 ? (e - b + st - 1) / st : (b - e + (-st) - 1) / (-st);
    }

    @Override
    public String attributes() {
      return "begin=" + str(begin) + ", end=" + str(end) + ", strides=" + str(strides);
    }
  }

  /** Joins operands along {@code axis}; all other dimensions must agree. */
  record Concat(int axis) implements ShapeOp {
    @Override
    public String name() {
      return "concat";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      Rules.minArity(name(), in, 1);
      DType d = sameDtype(name(), in);
      Shape first = in.get(0).shape();
      int a = normalizeAxis(name(), axis, first.rank(), in.get(0));
      if (a != axis) {
        throw new ShapeError(name(), "axis must be normalized; received " + axis);
      }
      int[] out = first.dims();
      for (int k = 1; k < in.size(); k++) {
        Shape s = in.get(k).shape();
        if (s.rank() != first.rank()) {
          throw new ShapeError(name(), "operands differ in rank: " + first + " and " + s);
        }
        for (int i = 0; i < s.rank(); i++) {
          if (i == a) {
            out[i] =
                out[i] == Shape.UNKNOWN || s.dim(i) == Shape.UNKNOWN
                    ? Shape.UNKNOWN
                    : out[i] + s.dim(i);
          } else if (!dimsAgree(out[i], s.dim(i))) {
            throw new ShapeError(
                name(),
                "operand shapes "
                    + first
                    + " and "
                    + s
                    + " differ on axis "
                    + i
                    + " (concat axis "
                    + a
                    + ")");
          }
        }
      }
      return one(d, Shape.of(out));
    }

    @Override
    public String attributes() {
      return "axis=" + axis;
    }
  }

  /** Pads every axis with {@code low[i]} and {@code high[i]} copies of {@code value}. */
  record Pad(int[] low, int[] high, double value) implements ShapeOp {
    /** Copies the array attributes: the op is a value and must not change after construction. */
    public Pad {
      low = low.clone();
      high = high.clone();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Pad o
          && Arrays.equals(o.low, low)
          && Arrays.equals(o.high, high)
          && Double.compare(o.value, value) == 0;
    }

    @Override
    public int hashCode() {
      return (Arrays.hashCode(low) * 31 + Arrays.hashCode(high)) * 31 + Double.hashCode(value);
    }

    @Override
    public String toString() {
      return "Pad[low=" + str(low) + ", high=" + str(high) + ", value=" + value + "]";
    }

    @Override
    public String name() {
      return "pad";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      Shape s = in.get(0).shape();
      if (low.length != s.rank() || high.length != s.rank()) {
        throw new ShapeError(
            name(), "low " + str(low) + " and high " + str(high) + " must have rank of " + s);
      }
      int[] out = s.dims();
      for (int i = 0; i < out.length; i++) {
        if (low[i] < 0 || high[i] < 0) {
          throw new ShapeError(
              name(), "padding must be >= 0; received low " + str(low) + " high " + str(high));
        }
        if (out[i] != Shape.UNKNOWN) {
          out[i] += low[i] + high[i];
        }
      }
      return one(in.get(0).dtype(), Shape.of(out));
    }

    @Override
    public String attributes() {
      return "low=" + str(low) + ", high=" + str(high) + ", value=" + value;
    }
  }
}
