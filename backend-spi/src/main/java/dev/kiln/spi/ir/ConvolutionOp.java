package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.arity;
import static dev.kiln.spi.ir.Rules.one;
import static dev.kiln.spi.ir.Rules.requireFloat;
import static dev.kiln.spi.ir.Rules.sameDtype;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.List;

/** N-D convolution, channels-last, and its two gradient ops; the geometry is a {@link ConvSpec}. */
public sealed interface ConvolutionOp extends Op
    permits ConvolutionOp.Conv, ConvolutionOp.ConvBackpropInput, ConvolutionOp.ConvBackpropFilter {

  /** N-D convolution (cross-correlation, as Keras) of {@code x} with kernel {@code w}. */
  record Conv(ConvSpec spec) implements ConvolutionOp {
    @Override
    public String name() {
      return "conv";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      return one(d, spec.outputShape(name(), in.get(0).shape(), in.get(1).shape()));
    }

    @Override
    public String attributes() {
      return spec.toString();
    }
  }

  /**
   * The gradient of {@link Conv} with respect to its input: from {@code (dy, w)} to {@code dx} of
   * shape {@code inputShape}.
   */
  record ConvBackpropInput(ConvSpec spec, Shape inputShape) implements ConvolutionOp {
    @Override
    public String name() {
      return "conv_backprop_input";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      Shape x = inputShape.withDim(0, in.get(0).shape().dim(0));
      Shape y = spec.outputShape(name(), x, in.get(1).shape());
      if (!y.isCompatibleWith(in.get(0).shape())) {
        throw new ShapeError(
            name(),
            "dy "
                + in.get(0)
                + " does not match the forward output shape "
                + y
                + " for input "
                + x);
      }
      return one(d, x);
    }

    @Override
    public String attributes() {
      return spec + ", input_shape=" + inputShape;
    }
  }

  /**
   * The gradient of {@link Conv} with respect to its kernel: from {@code (x, dy)} to {@code dw} of
   * shape {@code filterShape}.
   */
  record ConvBackpropFilter(ConvSpec spec, Shape filterShape) implements ConvolutionOp {
    @Override
    public String name() {
      return "conv_backprop_filter";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      requireFloat(name(), in.get(0));
      Shape y = spec.outputShape(name(), in.get(0).shape(), filterShape);
      if (!y.isCompatibleWith(in.get(1).shape())) {
        throw new ShapeError(
            name(),
            "dy "
                + in.get(1)
                + " does not match the forward output shape "
                + y
                + " for input "
                + in.get(0));
      }
      return one(d, filterShape);
    }

    @Override
    public String attributes() {
      return spec + ", filter_shape=" + filterShape;
    }
  }
}
