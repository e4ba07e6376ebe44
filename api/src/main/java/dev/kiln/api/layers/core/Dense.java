package dev.kiln.api.layers.core;

import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.activations.Activations;
import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.LayerArgs;
import dev.kiln.api.layers.ProjectionLayer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * The densely connected layer: {@code activation(x @ kernel + bias)} on the last axis; input {@code
 * (batch, ..., in)}, output {@code (batch, ..., units)}.
 *
 * {@snippet :
 * Layer hidden = new Dense(512, "relu");
 * Layer out = new Dense(10).activation("softmax").kernelInitializer(Initializers.heNormal());
 * }
 */
public class Dense extends ProjectionLayer<Dense> {
  /** The number of outputs. */
  public static final Arg<Integer> UNITS = Arg.positiveInt("units").required();

  /** The activation (default linear). */
  public static final Arg<ActivationFunction> ACTIVATION =
      LayerArgs.activation("activation", "linear");

  /** Whether to add a bias. */
  public static final Arg<Boolean> USE_BIAS = Arg.bool("use_bias", true);

  /** Dense's declaration: its Keras class name and arguments. */
  public static final KerasClass<Dense> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "Dense",
              Dense.class,
              a -> new Dense(a.get(UNITS)),
              UNITS,
              ACTIVATION,
              USE_BIAS,
              KERNEL_INITIALIZER,
              BIAS_INITIALIZER,
              KERNEL_REGULARIZER,
              BIAS_REGULARIZER,
              ACTIVITY_REGULARIZER,
              KERNEL_CONSTRAINT,
              BIAS_CONSTRAINT,
              LayerArgs.QUANTIZATION_CONFIG)
          .tolerating("lora_rank", "lora_alpha", "input_dim");

  private Weight kernel;
  private Weight bias;

  /**
   * A layer of {@code units} outputs without activation.
   *
   * @throws IllegalArgumentException if {@code units <= 0}
   */
  public Dense(int units) {
    args().set(UNITS, units);
    this.inputSpec = InputSpec.minNdim(2);
  }

  /** A layer of {@code units} outputs with an activation by Keras name. */
  public Dense(int units, String activation) {
    this(units);
    activation(activation);
  }

  /** Sets the activation by Keras name ({@code "relu"}). */
  public Dense activation(String name) {
    args().set(ACTIVATION, Activations.get(name));
    return this;
  }

  /** Whether to add a bias (default true). */
  public Dense useBias(boolean b) {
    args().set(USE_BIAS, b);
    return this;
  }

  /** The number of outputs. */
  public int units() {
    return args().get(UNITS);
  }

  /** The kernel, {@code (in, units)}; null before build. */
  public Weight kernel() {
    return kernel;
  }

  /** The bias, {@code (units,)}; null before build or without bias. */
  public Weight bias() {
    return bias;
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    int in = inputShapes.get(0).dim(-1);
    if (in == Shape.UNKNOWN) {
      throw new IllegalArgumentException(
          "the last axis of the input must be known to build Dense, but the input shape is "
              + inputShapes.get(0));
    }
    Args a = args();
    kernel = addKernel("kernel", new int[] {in, units()});
    if (a.get(USE_BIAS)) {
      bias = addBias("bias", new int[] {units()});
    }
    inputSpec = InputSpec.minNdim(2).withAxis(-1, in);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    Value y = ops.matmul(x, ops.read(kernel));
    if (bias != null) {
      y = ops.add(y, ops.read(bias));
    }
    ActivationFunction activation = args().get(ACTIVATION);
    if (activation != null) {
      y = activation.apply(ops, y);
    }
    addActivityPenalty(ops, args().get(ACTIVITY_REGULARIZER), y);
    return y;
  }

  /** A Dense from its Keras config. */
  public static Dense fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "Dense", c);
  }
}
