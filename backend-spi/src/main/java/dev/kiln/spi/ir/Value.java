package dev.kiln.spi.ir;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;

/**
 * An SSA value of a graph: one result of one node, with a static type. Values are created by a
 * {@link GraphBuilder} and belong to the graph it builds.
 */
public final class Value {
  private final int id;
  private final TensorType type;
  private final int index;
  private final Object owner;
  private Node node;

  Value(int id, TensorType type, int index, Object owner) {
    this.id = id;
    this.type = type;
    this.index = index;
    this.owner = owner;
  }

  /** Called once by the builder: the node and its results refer to each other. */
  void attach(Node producer) {
    if (node != null) {
      throw new IllegalStateException(this + " already has a producer");
    }
    node = producer;
  }

  /** The value's number, unique in its graph; dumps print it as {@code %id}. */
  public int id() {
    return id;
  }

  /** Dtype and shape. */
  public TensorType type() {
    return type;
  }

  /** The element type. */
  public DType dtype() {
    return type.dtype();
  }

  /** The shape. */
  public Shape shape() {
    return type.shape();
  }

  /** The rank. */
  public int rank() {
    return type.rank();
  }

  /** The node that produces this value. */
  public Node node() {
    return node;
  }

  /** Which of the node's results this is. */
  public int index() {
    return index;
  }

  Object owner() {
    return owner;
  }

  /** {@code %id}. */
  @Override
  public String toString() {
    return "%" + id;
  }
}
