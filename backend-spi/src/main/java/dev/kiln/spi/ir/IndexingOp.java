package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.arity;
import static dev.kiln.spi.ir.Rules.normalizeAxis;
import static dev.kiln.spi.ir.Rules.one;
import static dev.kiln.spi.ir.Rules.requireInteger;
import static dev.kiln.spi.ir.Rules.sameDtype;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.Arrays;
import java.util.List;

/** Ops driven by integer index tensors: gather, its adjoint scatter-add, and one-hot encoding. */
public sealed interface IndexingOp extends Op
    permits IndexingOp.Gather, IndexingOp.ScatterAdd, IndexingOp.OneHot {

  /**
   * Takes slices of {@code params} along {@code axis} at integer {@code indices}; the result has
   * shape {@code params[:axis] + indices + params[axis+1:]}. Indices outside {@code [0, dim)} are
   * clamped into it (front ends check user indices before they reach the graph).
   */
  record Gather(int axis) implements IndexingOp {
    @Override
    public String name() {
      return "gather";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      TensorType p = in.get(0);
      TensorType idx = in.get(1);
      requireInteger(name(), "indices", idx);
      int a = normalizeAxis(name(), axis, p.rank(), p);
      if (a != axis) {
        throw new ShapeError(name(), "axis must be normalized; received " + axis);
      }
      return one(p.dtype(), gatherShape(p.shape(), idx.shape(), axis));
    }

    @Override
    public String attributes() {
      return "axis=" + axis;
    }
  }

  /**
   * {@code target} with {@code updates} added at {@code indices} along {@code axis}: the adjoint of
   * {@link Gather}. {@code updates} has the shape gather would give; repeated indices accumulate;
   * indices outside {@code [0, dim)} are dropped.
   */
  record ScatterAdd(int axis) implements IndexingOp {
    @Override
    public String name() {
      return "scatter_add";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 3);
      TensorType t = in.get(0);
      TensorType idx = in.get(1);
      TensorType u = in.get(2);
      requireInteger(name(), "indices", idx);
      sameDtype(name(), List.of(t, u));
      int a = normalizeAxis(name(), axis, t.rank(), t);
      if (a != axis) {
        throw new ShapeError(name(), "axis must be normalized; received " + axis);
      }
      Shape expected = gatherShape(t.shape(), idx.shape(), axis);
      if (!expected.isCompatibleWith(u.shape())) {
        throw new ShapeError(
            name(),
            "updates must have shape "
                + expected
                + " for target "
                + t.shape()
                + " and indices "
                + idx.shape()
                + " but have "
                + u.shape());
      }
      return List.of(t);
    }

    @Override
    public String attributes() {
      return "axis=" + axis;
    }
  }

  /**
   * One-hot encoding on a new last axis of size {@code depth}; an index outside {@code [0, depth)}
   * gives a row of zeros.
   */
  record OneHot(int depth, DType dtype) implements IndexingOp {
    @Override
    public String name() {
      return "one_hot";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      requireInteger(name(), "indices", in.get(0));
      if (depth < 1) {
        throw new ShapeError(name(), "depth must be >= 1; received depth=" + depth);
      }
      int[] s = Arrays.copyOf(in.get(0).shape().dims(), in.get(0).rank() + 1);
      s[s.length - 1] = depth;
      return one(dtype, Shape.of(s));
    }

    @Override
    public String attributes() {
      return "depth=" + depth + ", dtype=" + dtype;
    }
  }

  private static Shape gatherShape(Shape params, Shape indices, int axis) {
    int[] out = new int[params.rank() - 1 + indices.rank()];
    int k = 0;
    for (int i = 0; i < axis; i++) {
      out[k++] = params.dim(i);
    }
    for (int i = 0; i < indices.rank(); i++) {
      out[k++] = indices.dim(i);
    }
    for (int i = axis + 1; i < params.rank(); i++) {
      out[k++] = params.dim(i);
    }
    return Shape.of(out);
  }
}
