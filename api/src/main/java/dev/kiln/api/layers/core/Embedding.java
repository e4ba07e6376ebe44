package dev.kiln.api.layers.core;

import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.constraints.Constraints;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.api.regularizers.Regularizers;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * Maps integer ids in {@code [0, inputDim)} to dense vectors of {@code outputDim}: input {@code
 * (batch, ...)}, output {@code (batch, ..., outputDim)}. With {@code maskZero}, id 0 is padding and
 * the output carries a mask that later layers and the loss honour.
 */
public final class Embedding extends Layer {
  private final int inputDim;
  private final int outputDim;
  private Initializer embeddingsInitializer = Initializers.randomUniform(-0.05, 0.05, null);
  private Regularizer embeddingsRegularizer;
  private Constraint embeddingsConstraint;
  private boolean maskZero;
  private Weight embeddings;

  /**
   * A table of {@code inputDim} vectors of size {@code outputDim}.
   *
   * @throws IllegalArgumentException if either is not positive
   */
  public Embedding(int inputDim, int outputDim) {
    if (inputDim <= 0 || outputDim <= 0) {
      throw new IllegalArgumentException(
          "Both `input_dim` and `output_dim` should be positive, Received input_dim="
              + inputDim
              + " and output_dim="
              + outputDim);
    }
    this.inputDim = inputDim;
    this.outputDim = outputDim;
  }

  /** Treats id 0 as padding and emits a mask. */
  public Embedding maskZero(boolean m) {
    this.maskZero = m;
    return this;
  }

  /** The table's initializer (default uniform in [-0.05, 0.05]). */
  public Embedding embeddingsInitializer(Initializer i) {
    this.embeddingsInitializer = i;
    return this;
  }

  /** A penalty on the table. */
  public Embedding embeddingsRegularizer(Regularizer r) {
    this.embeddingsRegularizer = r;
    return this;
  }

  /** A constraint on the table. */
  public Embedding embeddingsConstraint(Constraint c) {
    this.embeddingsConstraint = c;
    return this;
  }

  /** The table, {@code (inputDim, outputDim)}. */
  public Weight embeddings() {
    return embeddings;
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    embeddings =
        addWeight(
            "embeddings",
            new int[] {inputDim, outputDim},
            embeddingsInitializer,
            true,
            embeddingsRegularizer,
            embeddingsConstraint);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    Value ids = x.dtype() == DType.INT32 ? x : ops.cast(x, DType.INT32);
    Value out = ops.gather(ops.read(embeddings), ids, 0);
    if (maskZero) {
      ops.setMask(out, ops.compare(CompareFn.NOT_EQUAL, ids, ops.scalar(0, DType.INT32)));
    }
    return out;
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("input_dim", inputDim);
    c.put("output_dim", outputDim);
    c.put("embeddings_initializer", Initializers.serialize(embeddingsInitializer));
    c.put("embeddings_regularizer", Regularizers.serialize(embeddingsRegularizer));
    c.put("activity_regularizer", null);
    c.put("embeddings_constraint", Constraints.serialize(embeddingsConstraint));
    c.put("mask_zero", maskZero);
    return c;
  }

  /** From a Keras config. */
  public static Embedding fromConfig(Map<String, Object> c) {
    Embedding e =
        new Embedding(Configs.intOf(c, "input_dim", 0), Configs.intOf(c, "output_dim", 0));
    Configs.common(e, c);
    if (c.get("embeddings_initializer") != null) {
      e.embeddingsInitializer(Initializers.deserialize(c.get("embeddings_initializer")));
    }
    e.embeddingsRegularizer(Regularizers.deserialize(c.get("embeddings_regularizer")));
    e.embeddingsConstraint(Constraints.deserialize(c.get("embeddings_constraint")));
    e.maskZero(Boolean.TRUE.equals(c.get("mask_zero")));
    return e;
  }
}
