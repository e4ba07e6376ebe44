package dev.kiln.api.layers.convolutional;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.function.BiFunction;

/**
 * The plain convolutions Conv1D, Conv2D and Conv3D: {@code activation(conv(x, kernel) + bias)} with
 * a kernel {@code (window..., in / groups, filters)} (HWIO, as Keras), grouped when {@code groups >
 * 1}; Conv1D also takes {@code causal} padding (zeros before the sequence only).
 *
 * @param <S> the concrete layer
 */
public abstract class BaseConv<S extends BaseConv<S>> extends FilterConv<S> {
  /** The number of groups the channels split into (default 1). */
  public static final Arg<Integer> GROUPS =
      Arg.integer("groups", 1).checked("a positive integer", v -> v > 0);

  private Weight kernel;

  /** A convolution of {@code filters} outputs over {@code rank} spatial axes. */
  protected BaseConv(int rank, int filters, int[] kernelSize) {
    super(rank, filters, kernelSize);
  }

  /**
   * The declaration of a plain convolution, with Keras 3's arguments in its config order.
   *
   * @param causal whether {@code padding="causal"} is allowed (Conv1D)
   * @param make the layer from {@code filters} and {@code kernel_size}
   */
  protected static <T> KerasClass<T> declare(
      String className,
      Class<T> type,
      int rank,
      boolean causal,
      BiFunction<Integer, int[], T> make) {
    Arg<int[]> kernelSize = ConvArgs.tuple("kernel_size", rank, 1, null).required();
    return KerasClass.of(
            Kind.LAYER,
            className,
            type,
            a -> make.apply(a.get(FILTERS), a.get(kernelSize)),
            FILTERS,
            kernelSize,
            ConvArgs.tuple("strides", rank, 1, new int[] {1}),
            ConvArgs.padding(causal),
            DATA_FORMAT,
            ConvArgs.tuple("dilation_rate", rank, 1, new int[] {1}),
            GROUPS,
            ACTIVATION,
            USE_BIAS,
            KERNEL_INITIALIZER,
            BIAS_INITIALIZER,
            KERNEL_REGULARIZER,
            BIAS_REGULARIZER,
            ACTIVITY_REGULARIZER,
            KERNEL_CONSTRAINT,
            BIAS_CONSTRAINT)
        .tolerating("lora_rank", "lora_alpha");
  }

  /** The number of groups (default 1): input and output channels split into this many. */
  public S groups(int groups) {
    return setArg("groups", groups);
  }

  /** The number of groups. */
  public int groups() {
    return arg("groups");
  }

  /** The kernel {@code (window..., in / groups, filters)}; null before build. */
  public Weight kernel() {
    return kernel;
  }

  @Override
  protected void checkArguments() {
    super.checkArguments();
    Integer f = arg("filters");
    Integer g = arg("groups");
    if (f != null && g != null && f % g != 0) {
      throw new ArgumentException(
          "layer '"
              + name()
              + "': The number of filters must be evenly divisible by the number of groups."
              + " Received: groups="
              + g
              + ", filters="
              + f);
    }
  }

  @Override
  protected void buildKernels(int in, Shape inputShape) {
    int g = groups();
    if (in % g != 0) {
      throw new IllegalArgumentException(
          "The number of input channels must be evenly divisible by the number of groups."
              + " Received groups="
              + g
              + ", but the input has "
              + in
              + " channels (full input shape is "
              + inputShape
              + ")");
    }
    int[] shape = new int[rank + 2];
    System.arraycopy(kernelSize(), 0, shape, 0, rank);
    shape[rank] = in / g;
    shape[rank + 1] = filters();
    kernel = argWeight("kernel", "kernel", shape);
  }

  @Override
  protected int outputChannels(int in) {
    return filters();
  }

  @Override
  protected Value convolve(Ops ops, Value x) {
    int[] k = kernelSize();
    int[] d = dilationRate();
    Padding padding = irPadding();
    if ("causal".equals(padding())) {
      // Keras's causal padding: the whole dilated window's overhang goes before the sequence, so
      // output step t sees inputs up to t only.
      int[][] pads = new int[rank + 2][2];
      pads[1][0] = (k[0] - 1) * d[0];
      x = ops.pad(x, pads);
    }
    Value w = ops.read(kernel);
    checkWindowFits(x, k, d, w.shape());
    return ops.conv(x, w, strides(), padding, d, groups());
  }
}
