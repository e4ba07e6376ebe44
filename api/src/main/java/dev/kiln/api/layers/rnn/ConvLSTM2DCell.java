package dev.kiln.api.layers.rnn;

import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * The cell of {@link ConvLSTM2D}: an LSTM whose matmuls are convolutions over {@code (rows, cols,
 * channels)} steps. Its arguments come from the layer; it is not a Keras class of its own.
 */
final class ConvLSTM2DCell extends RNNCell {
  record Spec(
      int filters,
      int[] kernelSize,
      int[] strides,
      boolean same,
      int[] dilation,
      ActivationFunction activation,
      ActivationFunction recurrentActivation,
      boolean useBias,
      Initializer kernelInitializer,
      Initializer recurrentInitializer,
      Initializer biasInitializer,
      boolean unitForgetBias,
      Regularizer kernelRegularizer,
      Regularizer recurrentRegularizer,
      Regularizer biasRegularizer,
      Constraint kernelConstraint,
      Constraint recurrentConstraint,
      Constraint biasConstraint,
      double dropout,
      double recurrentDropout) {}

  private final Spec spec;
  private int[] stateShape;
  private Weight kernel;
  private Weight recurrentKernel;
  private Weight bias;

  ConvLSTM2DCell(Spec spec) {
    this.spec = spec;
  }

  @Override
  public List<Integer> stateSizes() {
    return List.of(spec.filters(), spec.filters());
  }

  @Override
  public int outputSize() {
    return spec.filters();
  }

  @Override
  public List<int[]> stateShapes() {
    return List.of(stateShape, stateShape);
  }

  @Override
  public int[] outputShape() {
    return stateShape;
  }

  @Override
  public double dropout() {
    return spec.dropout();
  }

  @Override
  public double recurrentDropout() {
    return spec.recurrentDropout();
  }

  private static int outSize(int n, int k, int s, int d, boolean same) {
    if (same) {
      return (n + s - 1) / s;
    }
    int span = (k - 1) * d + 1;
    return n < span ? 0 : (n - span) / s + 1;
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    Shape in = inputShapes.get(0);
    if (in.rank() != 4 || !Shape.of(java.util.Arrays.copyOfRange(in.dims(), 1, 4)).isFullyKnown()) {
      throw new IllegalArgumentException(
          "ConvLSTM2D needs steps of known shape (rows, cols, channels); received " + in);
    }
    int[] k = spec.kernelSize();
    int f = spec.filters();
    int rows = outSize(in.dim(1), k[0], spec.strides()[0], spec.dilation()[0], spec.same());
    int cols = outSize(in.dim(2), k[1], spec.strides()[1], spec.dilation()[1], spec.same());
    if (rows <= 0 || cols <= 0) {
      throw new IllegalArgumentException(
          "ConvLSTM2D: the kernel "
              + java.util.Arrays.toString(k)
              + " does not fit steps of "
              + in
              + " with padding valid");
    }
    stateShape = new int[] {rows, cols, f};
    kernel =
        addWeight(
            "kernel",
            new int[] {k[0], k[1], in.dim(3), 4 * f},
            spec.kernelInitializer(),
            true,
            spec.kernelRegularizer(),
            spec.kernelConstraint());
    recurrentKernel =
        addWeight(
            "recurrent_kernel",
            new int[] {k[0], k[1], f, 4 * f},
            spec.recurrentInitializer(),
            true,
            spec.recurrentRegularizer(),
            spec.recurrentConstraint());
    if (spec.useBias()) {
      Initializer init = spec.biasInitializer();
      if (spec.unitForgetBias()) {
        init = LSTMCell.forgetBiasOne(init, f);
      }
      bias =
          addWeight(
              "bias", new int[] {4 * f}, init, true, spec.biasRegularizer(), spec.biasConstraint());
    }
  }

  @Override
  public Value project(Ops ops, Value x) {
    // (T, batch, rows, cols, ch) from the RNN: one convolution over all steps at once
    int[] d = x.shape().dims();
    boolean sequence = d.length == 5;
    Value images =
        sequence
            ? ops.reshape(x, d[0] * d[1] < 0 ? Shape.UNKNOWN : d[0] * d[1], d[2], d[3], d[4])
            : x;
    Value y =
        ops.conv(
            images,
            ops.read(kernel),
            spec.strides(),
            spec.same() ? Padding.SAME : Padding.VALID,
            spec.dilation(),
            1);
    if (bias != null) {
      y = ops.add(y, ops.read(bias));
    }
    if (!sequence) {
      return y;
    }
    int[] o = y.shape().dims();
    return ops.reshape(y, d[0], d[1], o[1], o[2], o[3]);
  }

  @Override
  public Step step(Ops ops, Value projected, List<Value> states, Value recurrentMask) {
    Value h = states.get(0);
    Value c = states.get(1);
    if (recurrentMask != null) {
      h = ops.mul(h, recurrentMask);
    }
    Value z =
        ops.add(projected, ops.conv(h, ops.read(recurrentKernel), null, Padding.SAME, null, 1));
    List<Value> g = ops.split(z, 4, -1);
    Value i = Cells.apply(spec.recurrentActivation(), ops, g.get(0));
    Value f = Cells.apply(spec.recurrentActivation(), ops, g.get(1));
    Value candidate = Cells.apply(spec.activation(), ops, g.get(2));
    Value o = Cells.apply(spec.recurrentActivation(), ops, g.get(3));
    Value cNext = ops.add(ops.mul(f, c), ops.mul(i, candidate));
    Value hNext = ops.mul(o, Cells.apply(spec.activation(), ops, cNext));
    return new Step(hNext, List.of(hNext, cNext));
  }
}
