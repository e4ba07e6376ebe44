package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.arity;
import static dev.kiln.spi.ir.Rules.normalizeAxes;
import static dev.kiln.spi.ir.Rules.normalizeAxis;
import static dev.kiln.spi.ir.Rules.one;
import static dev.kiln.spi.ir.Rules.reducedShape;
import static dev.kiln.spi.ir.Rules.requireFloat;
import static dev.kiln.spi.ir.Rules.requireNumeric;
import static dev.kiln.spi.ir.Rules.str;

import dev.kiln.spi.DType;
import dev.kiln.spi.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Ops that reduce a tensor over some of its axes. */
public sealed interface ReductionOp extends Op permits ReductionOp.Reduce, ReductionOp.ArgReduce {

  /**
   * Reduces over {@code axes} (normalized: sorted, unique, non-negative), keeping them as size 1
   * when {@code keepDims}.
   */
  record Reduce(ReduceFn fn, int[] axes, boolean keepDims) implements ReductionOp {
    /** Copies the array attributes: the op is a value and must not change after construction. */
    public Reduce {
      axes = axes.clone();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Reduce o
          && o.fn == fn
          && Arrays.equals(o.axes, axes)
          && o.keepDims == keepDims;
    }

    @Override
    public int hashCode() {
      return (fn.hashCode() * 31 + Arrays.hashCode(axes)) * 31 + Boolean.hashCode(keepDims);
    }

    @Override
    public String toString() {
      return "Reduce[fn=" + fn + ", axes=" + str(axes) + ", keepDims=" + keepDims + "]";
    }

    @Override
    public String name() {
      return "reduce_" + fn.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      TensorType x = in.get(0);
      requireNumeric(name(), x);
      if (fn == ReduceFn.MEAN) {
        requireFloat(name(), x);
      }
      int[] ax = normalizeAxes(name(), axes, x);
      if (!Arrays.equals(ax, axes)) {
        throw new ShapeError(name(), "axes must be normalized; received " + str(axes));
      }
      return one(x.dtype(), reducedShape(x.shape(), axes, keepDims));
    }

    @Override
    public String attributes() {
      return "axes=" + str(axes) + ", keep_dims=" + keepDims;
    }
  }

  /**
   * The index of the largest (smallest) element along {@code axis}, the first on ties, as int32 or
   * int64. No gradient.
   */
  record ArgReduce(ArgFn fn, int axis, boolean keepDims, DType indexType) implements ReductionOp {
    @Override
    public String name() {
      return fn.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      TensorType x = in.get(0);
      requireNumeric(name(), x);
      if (indexType != DType.INT32 && indexType != DType.INT64) {
        throw new ShapeError(name(), "the index type must be int32 or int64, not " + indexType);
      }
      int a = normalizeAxis(name(), axis, x.rank(), x);
      if (a != axis) {
        throw new ShapeError(name(), "axis must be normalized; received " + axis);
      }
      return one(indexType, reducedShape(x.shape(), new int[] {axis}, keepDims));
    }

    @Override
    public String attributes() {
      return "axis=" + axis + ", keep_dims=" + keepDims;
    }
  }
}
