package dev.kiln.api.layers.rnn;

import static dev.kiln.api.layers.rnn.RecurrentArgs.*;

import dev.kiln.api.activations.Activations;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A convolutional LSTM over {@code (batch, timesteps, rows, cols, channels)} (channels_last) or
 * {@code (batch, timesteps, channels, rows, cols)}: Keras's {@code ConvLSTM2D}, an LSTM whose input
 * and recurrent matmuls are 2-D convolutions (the recurrent one with stride 1 and padding same).
 * Weights {@code kernel (kh, kw, in, 4 filters)}, {@code recurrent_kernel (kh, kw, filters, 4
 * filters)}, {@code bias (4 filters,)}, gates i, f, c, o. Output {@code (batch, rows', cols',
 * filters)}, or per step with {@code returnSequences}.
 *
 * {@snippet :
 * KerasTensor y = new ConvLSTM2D(8, 3).padding("same").apply(Input.of(10, 16, 16, 1));
 * // (batch, 16, 16, 8)
 * }
 */
public class ConvLSTM2D extends RNN {
  /** The number of filters (the state's channels). */
  public static final Arg<Integer> FILTERS = Arg.positiveInt("filters").required();

  /** The window, one size or (rows, cols). */
  public static final Arg<int[]> KERNEL_SIZE =
      Arg.ints("kernel_size", null).checked("1 or 2 positive sizes", ConvLSTM2D::pair).required();

  /** The input convolution's strides. */
  public static final Arg<int[]> STRIDES =
      Arg.ints("strides", new int[] {1, 1}).checked("1 or 2 positive sizes", ConvLSTM2D::pair);

  /** The input convolution's padding, valid or same. */
  public static final Arg<String> PADDING = Arg.choice("padding", "valid", "valid", "same");

  /** Where the channels are: channels_last (the default) or channels_first. */
  public static final Arg<String> DATA_FORMAT =
      Arg.choice("data_format", "channels_last", "channels_last", "channels_first");

  /** The input convolution's dilation. */
  public static final Arg<int[]> DILATION_RATE =
      Arg.ints("dilation_rate", new int[] {1, 1})
          .checked("1 or 2 positive sizes", ConvLSTM2D::pair);

  /** ConvLSTM2D's declaration. */
  public static final KerasClass<ConvLSTM2D> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "ConvLSTM2D",
              ConvLSTM2D.class,
              a -> new ConvLSTM2D(a.get(FILTERS), a.get(KERNEL_SIZE)),
              FILTERS,
              KERNEL_SIZE,
              STRIDES,
              PADDING,
              DATA_FORMAT,
              DILATION_RATE,
              ACTIVATION,
              RECURRENT_ACTIVATION,
              USE_BIAS,
              KERNEL_INITIALIZER,
              RECURRENT_INITIALIZER,
              BIAS_INITIALIZER,
              UNIT_FORGET_BIAS,
              KERNEL_REGULARIZER,
              RECURRENT_REGULARIZER,
              BIAS_REGULARIZER,
              ACTIVITY_REGULARIZER,
              KERNEL_CONSTRAINT,
              RECURRENT_CONSTRAINT,
              BIAS_CONSTRAINT,
              DROPOUT,
              RECURRENT_DROPOUT,
              SEED,
              RETURN_SEQUENCES,
              RETURN_STATE,
              GO_BACKWARDS,
              STATEFUL,
              UNROLL,
              ZERO_OUTPUT_FOR_MASK)
          .tolerating("time_major", "implementation");

  private static boolean pair(int[] v) {
    if (v.length != 1 && v.length != 2) {
      return false;
    }
    for (int x : v) {
      if (x <= 0) {
        return false;
      }
    }
    return true;
  }

  private static int[] two(int[] v) {
    return v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
  }

  /**
   * {@code filters} filters over a square window of {@code kernelSize}.
   *
   * @throws dev.kiln.api.registry.ArgumentException for a non-positive size
   */
  public ConvLSTM2D(int filters, int kernelSize) {
    this(filters, new int[] {kernelSize, kernelSize});
  }

  /**
   * {@code filters} filters over a {@code (rows, cols)} window.
   *
   * @throws dev.kiln.api.registry.ArgumentException for a non-positive size
   */
  public ConvLSTM2D(int filters, int[] kernelSize) {
    args().set(FILTERS, filters);
    args().set(KERNEL_SIZE, kernelSize);
  }

  /** The input convolution's strides (default 1). */
  public ConvLSTM2D strides(int... s) {
    args().set(STRIDES, s);
    return this;
  }

  /** The input convolution's padding, {@code "valid"} (default) or {@code "same"}. */
  public ConvLSTM2D padding(String p) {
    args().set(PADDING, p);
    return this;
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  public ConvLSTM2D dataFormat(String f) {
    args().set(DATA_FORMAT, f);
    return this;
  }

  /** The input convolution's dilation (default 1). */
  public ConvLSTM2D dilationRate(int... d) {
    args().set(DILATION_RATE, d);
    return this;
  }

  /** The gates' activation by Keras name (default sigmoid). */
  public ConvLSTM2D recurrentActivation(String name) {
    args().set(RECURRENT_ACTIVATION, Activations.get(name));
    return this;
  }

  /** The output activation by Keras name (default tanh). */
  public ConvLSTM2D activation(String name) {
    args().set(ACTIVATION, Activations.get(name));
    return this;
  }

  @Override
  public ConvLSTM2D returnSequences(boolean b) {
    super.returnSequences(b);
    return this;
  }

  @Override
  public ConvLSTM2D returnState(boolean b) {
    super.returnState(b);
    return this;
  }

  @Override
  public ConvLSTM2D goBackwards(boolean b) {
    super.goBackwards(b);
    return this;
  }

  @Override
  protected int stepRank() {
    return 4;
  }

  private boolean channelsFirst() {
    return "channels_first".equals(args().get(DATA_FORMAT));
  }

  @Override
  protected RNNCell makeCell() {
    Args a = args();
    ConvLSTM2DCell c =
        new ConvLSTM2DCell(
            new ConvLSTM2DCell.Spec(
                a.get(FILTERS),
                two(a.get(KERNEL_SIZE)),
                two(a.get(STRIDES)),
                "same".equals(a.get(PADDING)),
                two(a.get(DILATION_RATE)),
                a.get(ACTIVATION),
                a.get(RECURRENT_ACTIVATION),
                a.get(USE_BIAS),
                a.get(KERNEL_INITIALIZER),
                a.get(RECURRENT_INITIALIZER),
                a.get(BIAS_INITIALIZER),
                a.get(UNIT_FORGET_BIAS),
                a.get(KERNEL_REGULARIZER),
                a.get(RECURRENT_REGULARIZER),
                a.get(BIAS_REGULARIZER),
                a.get(KERNEL_CONSTRAINT),
                a.get(RECURRENT_CONSTRAINT),
                a.get(BIAS_CONSTRAINT),
                a.get(DROPOUT),
                a.get(RECURRENT_DROPOUT)));
    c.name("conv_lstm_cell");
    return c;
  }

  @Override
  protected void build(List<dev.kiln.spi.Shape> inputShapes) {
    if (channelsFirst() && inputShapes.get(0).rank() == 5) {
      int[] d = inputShapes.get(0).dims();
      inputShapes = List.of(dev.kiln.spi.Shape.of(d[0], d[1], d[3], d[4], d[2]));
    }
    super.build(inputShapes);
  }

  @Override
  protected List<Value> call(Ops ops, List<Value> inputs) {
    if (!channelsFirst()) {
      return super.call(ops, inputs);
    }
    // channels_first: run channels_last inside, moving the channel axis on the way in and out
    List<Value> in = new ArrayList<>();
    Value x = inputs.get(0);
    if (x.rank() != 5) {
      return super.call(ops, inputs);
    }
    Value moved = ops.transpose(x, 0, 1, 3, 4, 2);
    Value mask = ops.mask(x);
    if (mask != null) {
      ops.setMask(moved, mask);
    }
    in.add(moved);
    for (Value s : inputs.subList(1, inputs.size())) {
      in.add(ops.transpose(s, 0, 2, 3, 1));
    }
    List<Value> out = super.call(ops, in);
    List<Value> back = new ArrayList<>();
    for (int i = 0; i < out.size(); i++) {
      Value v = out.get(i);
      Value t = v.rank() == 5 ? ops.transpose(v, 0, 1, 4, 2, 3) : ops.transpose(v, 0, 3, 1, 2);
      Value m = ops.mask(v);
      if (m != null) {
        ops.setMask(t, m);
      }
      back.add(t);
    }
    return back;
  }

  @Override
  protected Regularizer activityRegularizer() {
    return args().get(ACTIVITY_REGULARIZER);
  }

  /** A ConvLSTM2D from its Keras config. */
  public static ConvLSTM2D fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "ConvLSTM2D", c);
  }
}
