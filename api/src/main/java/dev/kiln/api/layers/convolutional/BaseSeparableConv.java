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
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.function.BiFunction;

/**
 * The separable convolutions SeparableConv1D and SeparableConv2D, as Keras's {@code
 * BaseSeparableConv}: a depthwise convolution (strides, padding and dilation apply here) followed
 * by a pointwise (window 1) convolution to {@code filters} channels. Weights in Keras's order:
 * {@code depthwise_kernel (window..., in, depth_multiplier)}, {@code pointwise_kernel (1..., in *
 * depth_multiplier, filters)}, {@code bias (filters,)}.
 *
 * @param <S> the concrete layer
 */
public abstract class BaseSeparableConv<S extends BaseSeparableConv<S>> extends ConvLayer<S> {
  /** The number of output channels. */
  public static final Arg<Integer> FILTERS = BaseConv.FILTERS;

  /** The number of depthwise filters per input channel (default 1). */
  public static final Arg<Integer> DEPTH_MULTIPLIER = BaseDepthwiseConv.DEPTH_MULTIPLIER;

  /** The depthwise kernel's initializer (default Glorot uniform). */
  public static final Arg<Initializer> DEPTHWISE_INITIALIZER =
      BaseDepthwiseConv.DEPTHWISE_INITIALIZER;

  /** The pointwise kernel's initializer (default Glorot uniform). */
  public static final Arg<Initializer> POINTWISE_INITIALIZER =
      LayerArgs.initializer("pointwise_initializer", "glorot_uniform");

  /** A penalty on the depthwise kernel. */
  public static final Arg<Regularizer> DEPTHWISE_REGULARIZER =
      BaseDepthwiseConv.DEPTHWISE_REGULARIZER;

  /** A penalty on the pointwise kernel. */
  public static final Arg<Regularizer> POINTWISE_REGULARIZER =
      LayerArgs.regularizer("pointwise_regularizer");

  /** A constraint on the depthwise kernel. */
  public static final Arg<Constraint> DEPTHWISE_CONSTRAINT = BaseDepthwiseConv.DEPTHWISE_CONSTRAINT;

  /** A constraint on the pointwise kernel. */
  public static final Arg<Constraint> POINTWISE_CONSTRAINT =
      LayerArgs.constraint("pointwise_constraint");

  private Weight depthwiseKernel;
  private Weight pointwiseKernel;

  /** A separable convolution of {@code filters} outputs over {@code rank} spatial axes. */
  protected BaseSeparableConv(int rank, int filters, int[] kernelSize) {
    super(rank);
    setArg("filters", filters);
    setArg("kernel_size", ConvArgs.expand(kernelSize, rank));
  }

  /**
   * The declaration of a separable convolution, with Keras 3's arguments in its config order.
   *
   * @param make the layer from {@code filters} and {@code kernel_size}
   */
  protected static <T> KerasClass<T> declare(
      String className, Class<T> type, int rank, BiFunction<Integer, int[], T> make) {
    Arg<int[]> kernelSize = ConvArgs.tuple("kernel_size", rank, 1, null).required();
    return KerasClass.of(
        Kind.LAYER,
        className,
        type,
        a -> make.apply(a.get(FILTERS), a.get(kernelSize)),
        DEPTH_MULTIPLIER,
        FILTERS,
        kernelSize,
        ConvArgs.tuple("strides", rank, 1, new int[] {1}),
        ConvArgs.padding(false),
        DATA_FORMAT,
        ConvArgs.tuple("dilation_rate", rank, 1, new int[] {1}),
        ACTIVATION,
        USE_BIAS,
        DEPTHWISE_INITIALIZER,
        POINTWISE_INITIALIZER,
        BIAS_INITIALIZER,
        DEPTHWISE_REGULARIZER,
        POINTWISE_REGULARIZER,
        BIAS_REGULARIZER,
        ACTIVITY_REGULARIZER,
        DEPTHWISE_CONSTRAINT,
        POINTWISE_CONSTRAINT,
        BIAS_CONSTRAINT);
  }

  /** The number of depthwise filters per input channel (default 1). */
  public S depthMultiplier(int m) {
    return setArg("depth_multiplier", m);
  }

  /** The depthwise kernel's initializer (default Glorot uniform). */
  public S depthwiseInitializer(Initializer i) {
    return setArg("depthwise_initializer", i);
  }

  /** The pointwise kernel's initializer (default Glorot uniform). */
  public S pointwiseInitializer(Initializer i) {
    return setArg("pointwise_initializer", i);
  }

  /** A penalty on the depthwise kernel. */
  public S depthwiseRegularizer(Regularizer r) {
    return setArg("depthwise_regularizer", r);
  }

  /** A penalty on the pointwise kernel. */
  public S pointwiseRegularizer(Regularizer r) {
    return setArg("pointwise_regularizer", r);
  }

  /** A constraint on the depthwise kernel. */
  public S depthwiseConstraint(Constraint c) {
    return setArg("depthwise_constraint", c);
  }

  /** A constraint on the pointwise kernel. */
  public S pointwiseConstraint(Constraint c) {
    return setArg("pointwise_constraint", c);
  }

  /** The number of output channels. */
  public int filters() {
    return arg("filters");
  }

  /** The number of depthwise filters per input channel. */
  public int depthMultiplier() {
    return arg("depth_multiplier");
  }

  /** The depthwise kernel {@code (window..., in, depth_multiplier)}; null before build. */
  public Weight depthwiseKernel() {
    return depthwiseKernel;
  }

  /** The pointwise kernel {@code (1..., in * depth_multiplier, filters)}; null before build. */
  public Weight pointwiseKernel() {
    return pointwiseKernel;
  }

  @Override
  protected void buildKernels(int in, Shape inputShape) {
    int dm = depthMultiplier();
    int[] dw = new int[rank + 2];
    System.arraycopy(kernelSize(), 0, dw, 0, rank);
    dw[rank] = in;
    dw[rank + 1] = dm;
    depthwiseKernel = argWeight("depthwise_kernel", "depthwise", dw);
    int[] pw = new int[rank + 2];
    java.util.Arrays.fill(pw, 1);
    pw[rank] = in * dm;
    pw[rank + 1] = filters();
    pointwiseKernel = argWeight("pointwise_kernel", "pointwise", pw);
  }

  @Override
  protected int outputChannels(int in) {
    return filters();
  }

  @Override
  protected Value convolve(Ops ops, Value x) {
    Value dw = ops.read(depthwiseKernel);
    checkWindowFits(x, kernelSize(), dilationRate(), dw.shape());
    Value y = ops.depthwiseConv(x, dw, strides(), irPadding(), dilationRate());
    return ops.conv(y, ops.read(pointwiseKernel), null, Padding.VALID, null, 1);
  }
}
