package dev.kiln.api.layers.convolutional;

import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.layers.LayerArgs;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.function.Function;

/**
 * The depthwise convolutions DepthwiseConv1D and DepthwiseConv2D, as Keras's {@code
 * BaseDepthwiseConv}: each input channel is convolved with its own {@code depth_multiplier}
 * filters; output channel {@code c * depth_multiplier + m} comes from input channel {@code c}.
 * Kernel {@code (window..., in, depth_multiplier)}, named {@code kernel} as in Keras 3; bias {@code
 * (in * depth_multiplier,)}.
 *
 * @param <S> the concrete layer
 */
public abstract class BaseDepthwiseConv<S extends BaseDepthwiseConv<S>> extends ConvLayer<S> {
  /** The number of filters per input channel (default 1). */
  public static final Arg<Integer> DEPTH_MULTIPLIER =
      Arg.integer("depth_multiplier", 1).checked("a positive integer", v -> v > 0);

  /** The depthwise kernel's initializer (default Glorot uniform). */
  public static final Arg<Initializer> DEPTHWISE_INITIALIZER =
      LayerArgs.initializer("depthwise_initializer", "glorot_uniform");

  /** A penalty on the depthwise kernel. */
  public static final Arg<Regularizer> DEPTHWISE_REGULARIZER =
      LayerArgs.regularizer("depthwise_regularizer");

  /** A constraint on the depthwise kernel. */
  public static final Arg<Constraint> DEPTHWISE_CONSTRAINT =
      LayerArgs.constraint("depthwise_constraint");

  private Weight kernel;

  /** A depthwise convolution over {@code rank} spatial axes. */
  protected BaseDepthwiseConv(int rank, int[] kernelSize) {
    super(rank);
    setArg("kernel_size", ConvArgs.expand(kernelSize, rank));
  }

  /**
   * The declaration of a depthwise convolution, with Keras 3's arguments in its config order.
   *
   * @param make the layer from {@code kernel_size}
   */
  protected static <T> KerasClass<T> declare(
      String className, Class<T> type, int rank, Function<int[], T> make) {
    Arg<int[]> kernelSize = ConvArgs.tuple("kernel_size", rank, 1, null).required();
    return KerasClass.of(
        Kind.LAYER,
        className,
        type,
        a -> make.apply(a.get(kernelSize)),
        DEPTH_MULTIPLIER,
        kernelSize,
        ConvArgs.tuple("strides", rank, 1, new int[] {1}),
        ConvArgs.padding(false),
        DATA_FORMAT,
        ConvArgs.tuple("dilation_rate", rank, 1, new int[] {1}),
        ACTIVATION,
        USE_BIAS,
        DEPTHWISE_INITIALIZER,
        BIAS_INITIALIZER,
        DEPTHWISE_REGULARIZER,
        BIAS_REGULARIZER,
        ACTIVITY_REGULARIZER,
        DEPTHWISE_CONSTRAINT,
        BIAS_CONSTRAINT);
  }

  /** The number of filters per input channel (default 1). */
  public S depthMultiplier(int m) {
    return setArg("depth_multiplier", m);
  }

  /** The depthwise kernel's initializer (default Glorot uniform). */
  public S depthwiseInitializer(Initializer i) {
    return setArg("depthwise_initializer", i);
  }

  /** A penalty on the depthwise kernel. */
  public S depthwiseRegularizer(Regularizer r) {
    return setArg("depthwise_regularizer", r);
  }

  /** A constraint on the depthwise kernel. */
  public S depthwiseConstraint(Constraint c) {
    return setArg("depthwise_constraint", c);
  }

  /** The number of filters per input channel. */
  public int depthMultiplier() {
    return arg("depth_multiplier");
  }

  /** The kernel {@code (window..., in, depth_multiplier)}; null before build. */
  public Weight kernel() {
    return kernel;
  }

  @Override
  protected void buildKernels(int in, Shape inputShape) {
    int[] shape = new int[rank + 2];
    System.arraycopy(kernelSize(), 0, shape, 0, rank);
    shape[rank] = in;
    shape[rank + 1] = depthMultiplier();
    kernel = argWeight("kernel", "depthwise", shape);
  }

  @Override
  protected int outputChannels(int in) {
    return in * depthMultiplier();
  }

  @Override
  protected Value convolve(Ops ops, Value x) {
    Value w = ops.read(kernel);
    checkWindowFits(x, kernelSize(), dilationRate(), w.shape());
    return ops.depthwiseConv(x, w, strides(), irPadding(), dilationRate());
  }
}
