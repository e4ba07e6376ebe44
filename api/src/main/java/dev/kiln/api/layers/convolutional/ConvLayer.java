package dev.kiln.api.layers.convolutional;

import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.activations.Activations;
import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerArgs;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.Arrays;
import java.util.List;

/**
 * What every convolution layer shares, as Keras's {@code BaseConv}: the spatial tuples ({@code
 * kernel_size}, {@code strides}, {@code dilation_rate}), {@code padding}, {@code data_format}, the
 * bias, the activation and the activity regularizer. A subclass creates its kernels and emits the
 * convolution itself on channels-last data; this class turns {@code channels_first} data around it.
 *
 * @param <S> the concrete layer, which the fluent setters return
 */
public abstract class ConvLayer<S extends ConvLayer<S>> extends Layer {
  /** The activation (default linear). */
  public static final Arg<ActivationFunction> ACTIVATION =
      LayerArgs.activation("activation", "linear");

  /** Whether to add a bias. */
  public static final Arg<Boolean> USE_BIAS = Arg.bool("use_bias", true);

  /** The bias's initializer (default zeros). */
  public static final Arg<Initializer> BIAS_INITIALIZER =
      LayerArgs.initializer("bias_initializer", "zeros");

  /** A penalty on the bias. */
  public static final Arg<Regularizer> BIAS_REGULARIZER = LayerArgs.regularizer("bias_regularizer");

  /** A penalty on the output. */
  public static final Arg<Regularizer> ACTIVITY_REGULARIZER =
      LayerArgs.regularizer("activity_regularizer");

  /** A constraint on the bias. */
  public static final Arg<Constraint> BIAS_CONSTRAINT = LayerArgs.constraint("bias_constraint");

  /** The layout of the input and output. */
  public static final Arg<String> DATA_FORMAT = ConvArgs.dataFormat();

  /** The number of spatial axes: 1, 2 or 3. */
  protected final int rank;

  private Weight bias;

  /** A layer over {@code rank} spatial axes. */
  protected ConvLayer(int rank) {
    this.rank = rank;
    this.inputSpec = InputSpec.ndim(rank + 2);
  }

  // ---------------------------------------------------------------- arguments by key

  /** The value of the declared argument {@code key}. */
  @SuppressWarnings("unchecked")
  protected final <T> T arg(String key) {
    return args().get((Arg<T>) declared(key));
  }

  /** Sets the declared argument {@code key}, checking the value. */
  @SuppressWarnings("unchecked")
  protected final <T> S setArg(String key, T value) {
    args().set((Arg<T>) declared(key), value);
    checkArguments();
    return self();
  }

  private Arg<?> declared(String key) {
    Arg<?> a = args().declaration().arg(key);
    if (a == null) {
      throw new IllegalStateException(className() + " does not declare `" + key + "`");
    }
    return a;
  }

  /**
   * A trainable weight whose initializer, regularizer and constraint are the arguments {@code
   * <prefix>_initializer}, {@code <prefix>_regularizer} and {@code <prefix>_constraint}.
   */
  protected final Weight argWeight(String name, String prefix, int[] shape) {
    return addWeight(
        name,
        shape,
        arg(prefix + "_initializer"),
        true,
        arg(prefix + "_regularizer"),
        arg(prefix + "_constraint"));
  }

  /** This layer as its concrete type. */
  @SuppressWarnings("unchecked")
  protected final S self() {
    return (S) this;
  }

  /**
   * Checks arguments against each other (a single argument is checked by its declaration); runs
   * after every setter and again when the layer is built, since a config sets them in any order.
   *
   * @throws ArgumentException naming the layer and the arguments
   */
  protected void checkArguments() {
    int[] s = arg("strides");
    int[] d = arg("dilation_rate");
    if (s != null && d != null && max(s) > 1 && max(d) > 1) {
      throw new ArgumentException(
          "layer '"
              + name()
              + "': `strides > 1` not supported in conjunction with `dilation_rate > 1`. Received:"
              + " strides="
              + Arrays.toString(s)
              + " and dilation_rate="
              + Arrays.toString(d));
    }
  }

  // ---------------------------------------------------------------- shared setters

  /** The strides: one value for every spatial axis, or one per axis (default 1). */
  public S strides(int... strides) {
    return setArg("strides", ConvArgs.expand(strides, rank));
  }

  /** {@code "valid"} (default) or {@code "same"} ({@code "causal"} too for Conv1D). */
  public S padding(String padding) {
    return setArg("padding", padding);
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  public S dataFormat(String dataFormat) {
    return setArg("data_format", dataFormat);
  }

  /** The dilation: one value for every spatial axis, or one per axis (default 1). */
  public S dilationRate(int... rate) {
    return setArg("dilation_rate", ConvArgs.expand(rate, rank));
  }

  /** The activation by Keras name ({@code "relu"}). */
  public S activation(String name) {
    return setArg("activation", Activations.get(name));
  }

  /** Whether to add a bias (default true). */
  public S useBias(boolean b) {
    return setArg("use_bias", b);
  }

  /** The bias's initializer (default zeros). */
  public S biasInitializer(Initializer i) {
    return setArg("bias_initializer", i);
  }

  /** A penalty on the bias. */
  public S biasRegularizer(Regularizer r) {
    return setArg("bias_regularizer", r);
  }

  /** A penalty on the output, added to the loss (averaged over the batch, as Keras). */
  public S activityRegularizer(Regularizer r) {
    return setArg("activity_regularizer", r);
  }

  /** A constraint on the bias. */
  public S biasConstraint(Constraint c) {
    return setArg("bias_constraint", c);
  }

  /** The window size per spatial axis. */
  public int[] kernelSize() {
    return ((int[]) arg("kernel_size")).clone();
  }

  /** The strides per spatial axis. */
  public int[] strides() {
    return ((int[]) arg("strides")).clone();
  }

  /** The dilation per spatial axis. */
  public int[] dilationRate() {
    return ((int[]) arg("dilation_rate")).clone();
  }

  /** The padding: {@code valid}, {@code same} or {@code causal}. */
  public String padding() {
    return arg("padding");
  }

  /** The data format. */
  public String dataFormat() {
    return arg("data_format");
  }

  /** The bias; null before build or without bias. */
  public Weight bias() {
    return bias;
  }

  // ---------------------------------------------------------------- what subclasses write

  /** Creates the kernels, in Keras's order, for {@code in} input channels. */
  protected abstract void buildKernels(int in, Shape inputShape);

  /** The number of output channels (the bias's size) for {@code in} input channels. */
  protected abstract int outputChannels(int in);

  /** The convolution of channels-last {@code x}, before the bias. */
  protected abstract Value convolve(Ops ops, Value x);

  // ---------------------------------------------------------------- build and call

  /** Whether the data is channels-first. */
  protected final boolean channelsFirst() {
    return ConvArgs.CHANNELS_FIRST.equals(dataFormat());
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    checkArguments();
    Shape s = inputShapes.get(0);
    int axis = channelsFirst() ? 1 : rank + 1;
    int in = s.dim(axis);
    if (in == Shape.UNKNOWN) {
      throw new IllegalArgumentException(
          "the channel axis of the input must be known to build "
              + className()
              + " (data_format="
              + dataFormat()
              + "), but the input shape is "
              + s);
    }
    buildKernels(in, s);
    if (this.<Boolean>arg("use_bias")) {
      bias = argWeight("bias", "bias", new int[] {outputChannels(in)});
    }
    inputSpec = InputSpec.ndim(rank + 2).withAxis(axis, in);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    boolean first = channelsFirst();
    Value y = convolve(ops, first ? toChannelsLast(ops, x, rank) : x);
    if (bias != null) {
      y = ops.add(y, ops.read(bias));
    }
    if (first) {
      y = toChannelsFirst(ops, y, rank);
    }
    ActivationFunction activation = arg("activation");
    if (activation != null) {
      y = activation.apply(ops, y);
    }
    addActivityPenalty(ops, arg("activity_regularizer"), y);
    return y;
  }

  /** The IR padding for {@code valid} or {@code same} (a causal subclass pads by itself). */
  protected final Padding irPadding() {
    return "same".equals(padding()) ? Padding.SAME : Padding.VALID;
  }

  /**
   * Checks that a window of {@code kernel} (dilated) fits channels-last {@code x} under valid
   * padding, with Keras's message otherwise.
   *
   * @param kernelShape the kernel's full shape, for the message
   */
  protected final void checkWindowFits(Value x, int[] kernel, int[] dilation, Shape kernelShape) {
    if (irPadding() == Padding.SAME) {
      return;
    }
    for (int i = 0; i < rank; i++) {
      int in = x.shape().dim(i + 1);
      int eff = (kernel[i] - 1) * dilation[i] + 1;
      if (in != Shape.UNKNOWN && in < eff) {
        throw new IllegalArgumentException(
            "Computed output size would be negative. Received `inputs shape="
                + x.shape()
                + "` (channels_last), `kernel shape="
                + kernelShape
                + "`, `dilation_rate="
                + Arrays.toString(dilation)
                + "`: spatial axis "
                + i
                + " has size "
                + in
                + ", smaller than the dilated window "
                + eff
                + " under padding='"
                + padding()
                + "'");
      }
    }
  }

  /** {@code (batch, channels, spatial...)} to {@code (batch, spatial..., channels)}. */
  public static Value toChannelsLast(Ops ops, Value x, int rank) {
    int[] perm = new int[rank + 2];
    for (int i = 1; i <= rank; i++) {
      perm[i] = i + 1;
    }
    perm[rank + 1] = 1;
    return ops.transpose(x, perm);
  }

  /** {@code (batch, spatial..., channels)} to {@code (batch, channels, spatial...)}. */
  public static Value toChannelsFirst(Ops ops, Value x, int rank) {
    int[] perm = new int[rank + 2];
    perm[1] = rank + 1;
    for (int i = 2; i < rank + 2; i++) {
      perm[i] = i - 1;
    }
    return ops.transpose(x, perm);
  }

  private static int max(int[] a) {
    int m = Integer.MIN_VALUE;
    for (int x : a) {
      m = Math.max(m, x);
    }
    return m;
  }
}
