package dev.kiln.api.layers.core;

import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.LayerArgs;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * Maps integer ids in {@code [0, inputDim)} to dense vectors of {@code outputDim}: input {@code
 * (batch, ...)}, output {@code (batch, ..., outputDim)}. With {@code maskZero}, id 0 is padding and
 * the output carries a mask that later layers and the loss honour.
 */
public final class Embedding extends Layer {
  /** The number of ids. */
  public static final Arg<Integer> INPUT_DIM = Arg.positiveInt("input_dim").required();

  /** The size of each vector. */
  public static final Arg<Integer> OUTPUT_DIM = Arg.positiveInt("output_dim").required();

  /** The table's initializer. */
  public static final Arg<Initializer> EMBEDDINGS_INITIALIZER =
      LayerArgs.initializer("embeddings_initializer", "random_uniform");

  /** A penalty on the table. */
  public static final Arg<Regularizer> EMBEDDINGS_REGULARIZER =
      LayerArgs.regularizer("embeddings_regularizer");

  /** A penalty on the output. */
  public static final Arg<Regularizer> ACTIVITY_REGULARIZER =
      LayerArgs.regularizer("activity_regularizer");

  /** A constraint on the table. */
  public static final Arg<Constraint> EMBEDDINGS_CONSTRAINT =
      LayerArgs.constraint("embeddings_constraint");

  /** Whether id 0 is padding. */
  public static final Arg<Boolean> MASK_ZERO = Arg.bool("mask_zero", false);

  /** Embedding's declaration. */
  public static final KerasClass<Embedding> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "Embedding",
              Embedding.class,
              a -> new Embedding(a.get(INPUT_DIM), a.get(OUTPUT_DIM)),
              INPUT_DIM,
              OUTPUT_DIM,
              EMBEDDINGS_INITIALIZER,
              EMBEDDINGS_REGULARIZER,
              ACTIVITY_REGULARIZER,
              EMBEDDINGS_CONSTRAINT,
              MASK_ZERO,
              LayerArgs.QUANTIZATION_CONFIG)
          .tolerating("input_length", "sparse", "lora_rank", "lora_alpha", "quantization_config");

  private Weight embeddings;

  /**
   * A table of {@code inputDim} vectors of size {@code outputDim}.
   *
   * @throws IllegalArgumentException if either is not positive
   */
  public Embedding(int inputDim, int outputDim) {
    args().set(INPUT_DIM, inputDim);
    args().set(OUTPUT_DIM, outputDim);
  }

  /** Treats id 0 as padding and emits a mask. */
  public Embedding maskZero(boolean m) {
    args().set(MASK_ZERO, m);
    return this;
  }

  /** The table's initializer (default uniform in [-0.05, 0.05]). */
  public Embedding embeddingsInitializer(Initializer i) {
    args().set(EMBEDDINGS_INITIALIZER, i);
    return this;
  }

  /** A penalty on the table. */
  public Embedding embeddingsRegularizer(Regularizer r) {
    args().set(EMBEDDINGS_REGULARIZER, r);
    return this;
  }

  /** A constraint on the table. */
  public Embedding embeddingsConstraint(Constraint c) {
    args().set(EMBEDDINGS_CONSTRAINT, c);
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
            new int[] {args().get(INPUT_DIM), args().get(OUTPUT_DIM)},
            args().get(EMBEDDINGS_INITIALIZER),
            true,
            args().get(EMBEDDINGS_REGULARIZER),
            args().get(EMBEDDINGS_CONSTRAINT));
  }

  @Override
  protected Value call(Ops ops, Value x) {
    Value ids = x.dtype() == DType.INT32 ? x : ops.cast(x, DType.INT32);
    Value out = ops.gather(ops.read(embeddings), ids, 0);
    if (args().get(MASK_ZERO)) {
      ops.setMask(out, ops.compare(CompareFn.NOT_EQUAL, ids, ops.scalar(0, DType.INT32)));
    }
    addActivityPenalty(ops, args().get(ACTIVITY_REGULARIZER), out);
    return out;
  }
}
