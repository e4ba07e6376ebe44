package dev.kiln.api.layers.core;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.layers.Layer;
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
  private final Shape batchShape;
  private final DType dtype;
  private final KerasTensor output;

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
    Map<String, Object> c = new java.util.LinkedHashMap<>();
    List<Object> shape = new ArrayList<>();
    for (int d : batchShape.dims()) {
      shape.add(d == Shape.UNKNOWN ? null : d);
    }
    c.put("batch_shape", shape);
    c.put("dtype", dtype.kerasName());
    c.put("sparse", false);
    c.put("name", name());
    return c;
  }
}
