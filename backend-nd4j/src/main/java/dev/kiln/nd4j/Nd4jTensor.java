package dev.kiln.nd4j;

import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.Device;
import dev.kiln.spi.backend.DeviceTensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A tensor held by the nd4j backend as an INDArray. */
final class Nd4jTensor implements DeviceTensor {
  private final TensorType type;
  private final Device device;
  private INDArray array;

  Nd4jTensor(TensorType type, Device device, INDArray array) {
    this.type = type;
    this.device = device;
    this.array = array;
  }

  INDArray array() {
    if (array == null) {
      throw new BackendException("nd4j: tensor " + type + " is closed");
    }
    return array;
  }

  @Override
  public TensorType type() {
    return type;
  }

  @Override
  public Device device() {
    return device;
  }

  @Override
  public void close() {
    if (array != null && !array.isView() && array.closeable()) {
      array.close();
    }
    array = null;
  }
}
