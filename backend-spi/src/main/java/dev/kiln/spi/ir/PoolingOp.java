package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.arity;
import static dev.kiln.spi.ir.Rules.one;
import static dev.kiln.spi.ir.Rules.requireFloat;
import static dev.kiln.spi.ir.Rules.sameDtype;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.List;

/**
 * N-D max and average pooling, channels-last, and their gradient ops; the geometry is a {@link
 * PoolSpec}.
 */
public sealed interface PoolingOp extends Op
    permits PoolingOp.Pool, PoolingOp.MaxPoolBackward, PoolingOp.AvgPoolBackward {

  /** Max or average pooling. */
  record Pool(PoolFn fn, PoolSpec spec) implements PoolingOp {
    @Override
    public String name() {
      return fn == PoolFn.MAX ? "max_pool" : "avg_pool";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      requireFloat(name(), in.get(0));
      return one(in.get(0).dtype(), spec.outputShape(name(), in.get(0).shape()));
    }

    @Override
    public String attributes() {
      return spec.toString();
    }
  }

  /**
   * The gradient of max pooling: from {@code (x, dy)} to {@code dx}, each window's gradient going
   * to the first position of its maximum.
   */
  record MaxPoolBackward(PoolSpec spec) implements PoolingOp {
    @Override
    public String name() {
      return "max_pool_backward";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      Shape y = spec.outputShape(name(), in.get(0).shape());
      if (!y.isCompatibleWith(in.get(1).shape())) {
        throw new ShapeError(name(), "dy " + in.get(1) + " does not match the pooled shape " + y);
      }
      return one(d, in.get(0).shape());
    }

    @Override
    public String attributes() {
      return spec.toString();
    }
  }

  /** The gradient of average pooling: from {@code dy} to {@code dx} of shape {@code inputShape}. */
  record AvgPoolBackward(PoolSpec spec, Shape inputShape) implements PoolingOp {
    @Override
    public String name() {
      return "avg_pool_backward";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      requireFloat(name(), in.get(0));
      Shape x = inputShape.withDim(0, in.get(0).shape().dim(0));
      Shape y = spec.outputShape(name(), x);
      if (!y.isCompatibleWith(in.get(0).shape())) {
        throw new ShapeError(name(), "dy " + in.get(0) + " does not match the pooled shape " + y);
      }
      return one(in.get(0).dtype(), x);
    }

    @Override
    public String attributes() {
      return spec + ", input_shape=" + inputShape;
    }
  }
}
