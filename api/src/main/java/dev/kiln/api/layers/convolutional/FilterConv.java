package dev.kiln.api.layers.convolutional;

import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.layers.LayerArgs;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.regularizers.Regularizer;

/**
 * The convolutions with one kernel of {@code filters} outputs, plain ({@link BaseConv}) and
 * transposed ({@link BaseConvTranspose}): their {@code filters} and {@code kernel_*} arguments and
 * setters.
 *
 * @param <S> the concrete layer
 */
public abstract class FilterConv<S extends FilterConv<S>> extends ConvLayer<S> {
  /** The number of output channels. */
  public static final Arg<Integer> FILTERS = Arg.positiveInt("filters").required();

  /** The kernel's initializer (default Glorot uniform). */
  public static final Arg<Initializer> KERNEL_INITIALIZER =
      LayerArgs.initializer("kernel_initializer", "glorot_uniform");

  /** A penalty on the kernel. */
  public static final Arg<Regularizer> KERNEL_REGULARIZER =
      LayerArgs.regularizer("kernel_regularizer");

  /** A constraint on the kernel. */
  public static final Arg<Constraint> KERNEL_CONSTRAINT = LayerArgs.constraint("kernel_constraint");

  /** A convolution of {@code filters} outputs over {@code rank} spatial axes. */
  protected FilterConv(int rank, int filters, int[] kernelSize) {
    super(rank);
    setArg("filters", filters);
    setArg("kernel_size", ConvArgs.expand(kernelSize, rank));
  }

  /** The kernel's initializer (default Glorot uniform). */
  public S kernelInitializer(Initializer i) {
    return setArg("kernel_initializer", i);
  }

  /** A penalty on the kernel. */
  public S kernelRegularizer(Regularizer r) {
    return setArg("kernel_regularizer", r);
  }

  /** A constraint on the kernel. */
  public S kernelConstraint(Constraint c) {
    return setArg("kernel_constraint", c);
  }

  /** The number of output channels. */
  public int filters() {
    return arg("filters");
  }
}
