package dev.kiln.nd4j;

import dev.kiln.spi.HostTensor;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.Variable;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A backend variable held as an INDArray. */
final class Nd4jVariable implements Variable {
  private final String id;
  private final TensorType type;
  private INDArray value;

  Nd4jVariable(String id, TensorType type, INDArray value) {
    this.id = id;
    this.type = type;
    this.value = value;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public TensorType type() {
    return type;
  }

  INDArray value() {
    if (value == null) {
      throw new BackendException("nd4j: variable '" + id + "' was deleted");
    }
    return value;
  }

  /** Frees the array now; later use fails naming the variable. */
  void free() {
    // The array is the variable's own (executables copy what they return), so it can go now.
    if (value != null && value.closeable()) {
      value.close();
    }
    value = null;
  }

  @Override
  public HostTensor read() {
    return Nd4jArrays.toHost(value(), type);
  }

  @Override
  public void assign(HostTensor v) {
    if (!v.type().equals(type)) {
      throw new BackendException(
          "nd4j: variable '" + id + "' is " + type + " but the value is " + v.type());
    }
    value();
    this.value = Nd4jArrays.fromHost(v);
  }
}
