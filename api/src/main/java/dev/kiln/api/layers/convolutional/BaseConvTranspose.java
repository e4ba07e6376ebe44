package dev.kiln.api.layers.convolutional;

import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.Arrays;
import java.util.function.BiFunction;

/**
 * The transposed convolutions Conv1DTranspose, Conv2DTranspose and Conv3DTranspose (the gradient of
 * a convolution with respect to its input, which upsamples by the strides), as Keras's {@code
 * BaseConvTranspose}: kernel {@code (window..., filters, in)}, bias {@code (filters,)}. The output
 * size per spatial axis is Keras's: {@code in * stride + max(window - stride, 0)} for valid
 * padding, {@code in * stride} for same, and with {@code output_padding} {@code (in - 1) * stride +
 * window - 2 * (window / 2 if same else 0) + output_padding}, the window dilated.
 *
 * @param <S> the concrete layer
 */
public abstract class BaseConvTranspose<S extends BaseConvTranspose<S>> extends FilterConv<S> {
  private Weight kernel;

  /** A transposed convolution of {@code filters} outputs over {@code rank} spatial axes. */
  protected BaseConvTranspose(int rank, int filters, int[] kernelSize) {
    super(rank, filters, kernelSize);
  }

  /**
   * The declaration of a transposed convolution, with Keras 3's arguments in its config order.
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
        FILTERS,
        kernelSize,
        ConvArgs.tuple("strides", rank, 1, new int[] {1}),
        ConvArgs.padding(false),
        ConvArgs.tuple("output_padding", rank, 0, null).nullable(),
        DATA_FORMAT,
        ConvArgs.tuple("dilation_rate", rank, 1, new int[] {1}),
        ACTIVATION,
        USE_BIAS,
        KERNEL_INITIALIZER,
        BIAS_INITIALIZER,
        KERNEL_REGULARIZER,
        BIAS_REGULARIZER,
        ACTIVITY_REGULARIZER,
        KERNEL_CONSTRAINT,
        BIAS_CONSTRAINT);
  }

  /**
   * Extra output size on the high side per spatial axis (one value for all, or one per axis), each
   * smaller than its stride; null (default) lets Keras's rule choose the size.
   */
  public S outputPadding(int... outputPadding) {
    return setArg(
        "output_padding", outputPadding == null ? null : ConvArgs.expand(outputPadding, rank));
  }

  /** The output padding per spatial axis, or null. */
  public int[] outputPadding() {
    int[] p = arg("output_padding");
    return p == null ? null : p.clone();
  }

  /** The kernel {@code (window..., filters, in)}; null before build. */
  public Weight kernel() {
    return kernel;
  }

  @Override
  protected void checkArguments() {
    super.checkArguments();
    int[] p = arg("output_padding");
    int[] s = arg("strides");
    if (p != null && s != null) {
      for (int i = 0; i < rank; i++) {
        if (p[i] >= s[i]) {
          throw new ArgumentException(
              "layer '"
                  + name()
                  + "': `output_padding` must be < `strides`. output_padding="
                  + Arrays.toString(p)
                  + ", strides="
                  + Arrays.toString(s));
        }
      }
    }
  }

  @Override
  protected void buildKernels(int in, Shape inputShape) {
    int[] shape = new int[rank + 2];
    System.arraycopy(kernelSize(), 0, shape, 0, rank);
    shape[rank] = filters();
    shape[rank + 1] = in;
    kernel = argWeight("kernel", "kernel", shape);
  }

  @Override
  protected int outputChannels(int in) {
    return filters();
  }

  @Override
  protected Value convolve(Ops ops, Value x) {
    for (int i = 0; i < rank; i++) {
      if (x.shape().dim(i + 1) == Shape.UNKNOWN) {
        throw new IllegalArgumentException(
            className()
                + " needs every spatial axis known to size its output, but the input shape"
                + " (channels_last) is "
                + x.shape());
      }
    }
    return ops.convTranspose(
        x, ops.read(kernel), strides(), irPadding(), dilationRate(), outputPadding());
  }
}
