package dev.kiln.api.layers.core;

import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.activations.Activations;
import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.constraints.Constraints;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.api.regularizers.Regularizers;
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
public class Dense extends Layer {
  private final int units;
  private ActivationFunction activation = Activations.get("linear");
  private boolean useBias = true;
  private Initializer kernelInitializer = Initializers.glorotUniform();
  private Initializer biasInitializer = Initializers.zeros();
  private Regularizer kernelRegularizer;
  private Regularizer biasRegularizer;
  private Regularizer activityRegularizer;
  private Constraint kernelConstraint;
  private Constraint biasConstraint;
  private Weight kernel;
  private Weight bias;

  /**
   * A layer of {@code units} outputs without activation.
   *
   * @throws IllegalArgumentException if {@code units <= 0}
   */
  public Dense(int units) {
    if (units <= 0) {
      throw new IllegalArgumentException(
          "Received an invalid value for `units`, expected a positive integer. Received: units="
              + units);
    }
    this.units = units;
    this.inputSpec = InputSpec.minNdim(2);
  }

  /** A layer of {@code units} outputs with an activation by Keras name. */
  public Dense(int units, String activation) {
    this(units);
    activation(activation);
  }

  /** Sets the activation by Keras name ({@code "relu"}). */
  public Dense activation(String name) {
    this.activation = Activations.get(name);
    return this;
  }

  /** Whether to add a bias (default true). */
  public Dense useBias(boolean b) {
    this.useBias = b;
    return this;
  }

  /** The kernel's initializer (default Glorot uniform). */
  public Dense kernelInitializer(Initializer i) {
    this.kernelInitializer = i;
    return this;
  }

  /** The bias's initializer (default zeros). */
  public Dense biasInitializer(Initializer i) {
    this.biasInitializer = i;
    return this;
  }

  /** A penalty on the kernel. */
  public Dense kernelRegularizer(Regularizer r) {
    this.kernelRegularizer = r;
    return this;
  }

  /** A penalty on the bias. */
  public Dense biasRegularizer(Regularizer r) {
    this.biasRegularizer = r;
    return this;
  }

  /** A penalty on the output, added to the loss (averaged over the batch, as Keras). */
  public Dense activityRegularizer(Regularizer r) {
    this.activityRegularizer = r;
    return this;
  }

  /** A constraint on the kernel. */
  public Dense kernelConstraint(Constraint c) {
    this.kernelConstraint = c;
    return this;
  }

  /** A constraint on the bias. */
  public Dense biasConstraint(Constraint c) {
    this.biasConstraint = c;
    return this;
  }

  /** The number of outputs. */
  public int units() {
    return units;
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
    kernel =
        addWeight(
            "kernel",
            new int[] {in, units},
            kernelInitializer,
            true,
            kernelRegularizer,
            kernelConstraint);
    if (useBias) {
      bias =
          addWeight(
              "bias", new int[] {units}, biasInitializer, true, biasRegularizer, biasConstraint);
    }
    inputSpec = InputSpec.minNdim(2).withAxis(-1, in);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    Value y = ops.matmul(x, ops.read(kernel));
    if (bias != null) {
      y = ops.add(y, ops.read(bias));
    }
    y = activation.apply(ops, y);
    if (activityRegularizer != null && !ops.symbolic()) {
      ops.addLoss(
          ops.div(activityRegularizer.penalty(ops, y), (double) Math.max(1, y.shape().dim(0))));
    }
    return y;
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("units", units);
    c.put("activation", activation.name());
    c.put("use_bias", useBias);
    c.put("kernel_initializer", Initializers.serialize(kernelInitializer));
    c.put("bias_initializer", Initializers.serialize(biasInitializer));
    c.put("kernel_regularizer", Regularizers.serialize(kernelRegularizer));
    c.put("bias_regularizer", Regularizers.serialize(biasRegularizer));
    c.put("activity_regularizer", Regularizers.serialize(activityRegularizer));
    c.put("kernel_constraint", Constraints.serialize(kernelConstraint));
    c.put("bias_constraint", Constraints.serialize(biasConstraint));
    return c;
  }

  /** A Dense from its Keras config. */
  public static Dense fromConfig(Map<String, Object> c) {
    Dense d = new Dense(((Number) c.get("units")).intValue());
    Configs.common(d, c);
    if (c.get("activation") != null) {
      d.activation(c.get("activation").toString());
    }
    if (c.get("use_bias") != null) {
      d.useBias((Boolean) c.get("use_bias"));
    }
    if (c.get("kernel_initializer") != null) {
      d.kernelInitializer(Initializers.deserialize(c.get("kernel_initializer")));
    }
    if (c.get("bias_initializer") != null) {
      d.biasInitializer(Initializers.deserialize(c.get("bias_initializer")));
    }
    d.kernelRegularizer(Regularizers.deserialize(c.get("kernel_regularizer")));
    d.biasRegularizer(Regularizers.deserialize(c.get("bias_regularizer")));
    d.activityRegularizer(Regularizers.deserialize(c.get("activity_regularizer")));
    d.kernelConstraint(Constraints.deserialize(c.get("kernel_constraint")));
    d.biasConstraint(Constraints.deserialize(c.get("bias_constraint")));
    return d;
  }
}
