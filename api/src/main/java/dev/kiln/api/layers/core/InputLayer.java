package dev.kiln.api.layers.core;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The entry of a Functional model: holds the symbolic tensor that {@link Input#of} returns. Its
 * shape has the batch axis first, unknown unless a batch size is fixed.
 */
public final class InputLayer extends Layer {
  /** The shape with the batch axis first; null entries are unknown. */
  public static final Arg<Object> BATCH_SHAPE = Arg.json("batch_shape", null);

  /** The input's dtype by Keras name. */
  public static final Arg<String> DTYPE = Arg.string("dtype", "float32");

  /** Whether the input is sparse (Kiln takes dense inputs only). */
  public static final Arg<Boolean> SPARSE =
      Arg.bool("sparse", false).checked("false (sparse inputs are not supported)", s -> !s);

  /** Whether the input is ragged (Kiln takes dense inputs only). */
  public static final Arg<Boolean> RAGGED =
      Arg.bool("ragged", false).checked("false (ragged inputs are not supported)", r -> !r);

  /** InputLayer's declaration. */
  public static final KerasClass<InputLayer> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "InputLayer",
              InputLayer.class,
              a -> new InputLayer(readShape(a), DType.fromKerasName(a.get(DTYPE)), null),
              BATCH_SHAPE,
              DTYPE,
              SPARSE,
              RAGGED)
          .tolerating("batch_input_shape", "optional", "input_tensor");

  private final Shape batchShape;
  private final DType dtype;
  private final KerasTensor output;

  private static Shape readShape(dev.kiln.api.registry.Args a) {
    Object s = a.get(BATCH_SHAPE);
    if (!(s instanceof List<?> list) || list.isEmpty()) {
      throw new ArgumentException(
          a.owner() + ": `batch_shape` must be a list with the batch axis first, got " + s);
    }
    int[] dims = new int[list.size()];
    for (int i = 0; i < dims.length; i++) {
      Object d = list.get(i);
      if (d != null && !(d instanceof Integer || d instanceof Long)) {
        throw new ArgumentException(
            a.owner() + ": `batch_shape` sizes must be integers or null, got " + s);
      }
      dims[i] = d == null ? Shape.UNKNOWN : ((Number) d).intValue();
    }
    return Shape.of(dims);
  }

  /**
   * An input of shape {@code batchShape} (batch axis included; -1 for unknown). {@link Input#of}
   * checks the sizes.
   */
  public InputLayer(Shape batchShape, DType dtype, String name) {
    super();
    if (name != null) {
      name(name);
    }
    this.batchShape = batchShape;
    this.dtype = dtype;
    this.output = recordSource(batchShape, dtype);
    List<Object> shape = new ArrayList<>();
    for (int d : batchShape.dims()) {
      shape.add(d == Shape.UNKNOWN ? null : d);
    }
    args().set(BATCH_SHAPE, shape);
    args().set(DTYPE, dtype.kerasName());
  }

  /** The symbolic tensor this layer provides. */
  @Override
  public KerasTensor output() {
    return output;
  }

  /** The shape, batch axis included. */
  public Shape batchShape() {
    return batchShape;
  }

  /** The dtype of the input. */
  public DType dtype() {
    return dtype;
  }

  @Override
  protected Value call(dev.kiln.api.ops.Ops ops, Value input) {
    return input;
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = new java.util.LinkedHashMap<>(args().toConfig());
    c.put("name", name());
    return c;
  }

  /** Reads only the name: the shape and dtype are this layer's own arguments. */
  @Override
  public void readCommonConfig(Map<String, Object> config) {
    if (config.get("name") instanceof String n) {
      name(n);
    }
  }
}
