package dev.kiln.api;

import dev.kiln.api.layers.Layer;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;

/**
 * A symbolic tensor of the Functional API: a shape (the batch axis unknown, printed {@code None}),
 * a dtype and the layer call that produced it. Layers are called on these to define a model.
 *
 * {@snippet :
 * KerasTensor x = Input.of(784);
 * KerasTensor y = new Dense(10, "softmax").apply(new Dense(64, "relu").apply(x));
 * Model m = Model.of(x, y);
 * }
 */
public final class KerasTensor {
  private final Shape shape;
  private final DType dtype;
  private final String name;
  private final Layer layer;
  private final int callIndex;
  private final int tensorIndex;

  /**
   * A tensor that is output {@code tensorIndex} of call {@code callIndex} of {@code layer}.
   *
   * @param shape the shape, batch axis included
   */
  public KerasTensor(
      Shape shape, DType dtype, String name, Layer layer, int callIndex, int tensorIndex) {
    this.shape = shape;
    this.dtype = dtype;
    this.name = name;
    this.layer = layer;
    this.callIndex = callIndex;
    this.tensorIndex = tensorIndex;
  }

  /** The shape, batch axis included ({@link Shape#UNKNOWN} where unknown). */
  public Shape shape() {
    return shape;
  }

  /** The dtype. */
  public DType dtype() {
    return dtype;
  }

  /** The name ({@code keras_tensor_3}). */
  public String name() {
    return name;
  }

  /** The layer that produced it. */
  public Layer layer() {
    return layer;
  }

  /** Which call of {@link #layer()} produced it. */
  public int callIndex() {
    return callIndex;
  }

  /** Which output of that call it is. */
  public int tensorIndex() {
    return tensorIndex;
  }

  @Override
  public String toString() {
    return "<KerasTensor shape=" + shape + ", dtype=" + dtype.kerasName() + ", name=" + name + ">";
  }
}
