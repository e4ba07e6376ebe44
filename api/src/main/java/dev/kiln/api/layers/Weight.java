package dev.kiln.api.layers;

import dev.kiln.api.Kiln;
import dev.kiln.api.Releases;
import dev.kiln.api.Tensor;
import dev.kiln.api.constraints.Constraint;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.Variable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A weight of a layer (Keras's {@code Variable}): a kernel, a bias, a moving mean. Its value lives
 * in the backend, shared by every compiled step that reads it.
 */
public final class Weight {
  private static final AtomicLong IDS = new AtomicLong();

  private final String name;
  private final String path;
  private final String id;
  private final TensorType type;
  private final Variable variable;
  private final Regularizer regularizer;
  private final Constraint constraint;
  private final Runnable free;
  private boolean trainable;

  /**
   * A weight holding {@code initial}, created in the api's backend.
   *
   * @param name the short name ({@code kernel})
   * @param path the layer-qualified name ({@code dense/kernel})
   */
  public Weight(
      String name,
      String path,
      HostTensor initial,
      boolean trainable,
      Regularizer regularizer,
      Constraint constraint) {
    this.name = name;
    this.path = path;
    this.id = path + "#" + IDS.incrementAndGet();
    this.type = initial.type();
    this.trainable = trainable;
    this.regularizer = regularizer;
    this.constraint = constraint;
    Releases.releaseDropped();
    Backend backend = Kiln.backend();
    this.variable = backend.createVariable(id, initial);
    String variableId = id;
    this.free = Releases.whenUnreachable(this, () -> backend.deleteVariable(variableId));
  }

  /**
   * Deletes the backend variable now ({@code Model.close()} does this for every weight it holds);
   * later reads and steps that use the weight fail. A weight dropped without this call is freed
   * once the garbage collector finds it unreachable.
   */
  public void free() {
    free.run();
  }

  /** The short name ({@code kernel}). */
  public String name() {
    return name;
  }

  /** The layer-qualified name ({@code dense/kernel}). */
  public String path() {
    return path;
  }

  /** The backend variable id (the path made unique). */
  public String id() {
    return id;
  }

  /** Dtype and shape. */
  public TensorType type() {
    return type;
  }

  /** The number of elements. */
  public long size() {
    return type.shape().size();
  }

  /** Whether the optimizer updates it. */
  public boolean trainable() {
    return trainable;
  }

  void setTrainable(boolean t) {
    this.trainable = t;
  }

  /** Its regularizer, or null. */
  public Regularizer regularizer() {
    return regularizer;
  }

  /** Its constraint, or null. */
  public Constraint constraint() {
    return constraint;
  }

  /** A copy of the current value. */
  public Tensor read() {
    return Tensor.wrap(variable.read());
  }

  /**
   * Replaces the value.
   *
   * @throws IllegalArgumentException if the shape or dtype differs, naming the weight
   */
  public void assign(Tensor value) {
    HostTensor h = value.host();
    if (!h.shape().equals(type.shape())) {
      throw new IllegalArgumentException(
          "weight '"
              + path
              + "' has shape "
              + type.shape()
              + " but the value has shape "
              + h.shape());
    }
    variable.assign(h.dtype() == type.dtype() ? h : h.cast(type.dtype()));
  }

  @Override
  public String toString() {
    return "<Weight path=" + path + ", shape=" + type.shape() + ", dtype=" + type.dtype() + ">";
  }
}
