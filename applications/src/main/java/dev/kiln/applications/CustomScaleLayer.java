package dev.kiln.applications;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * The residual join of InceptionResNetV2, as Keras's {@code CustomScaleLayer}: {@code inputs[0] +
 * inputs[1] * scale}. It has no weights.
 */
final class CustomScaleLayer extends Layer {
  private final double scale;

  CustomScaleLayer(double scale) {
    this.scale = scale;
  }

  @Override
  protected List<Value> call(Ops ops, List<Value> inputs) {
    if (inputs.size() != 2) {
      throw new IllegalArgumentException(
          "layer \""
              + name()
              + "\" takes [residual, branch], received "
              + inputs.size()
              + " inputs");
    }
    return List.of(ops.add(inputs.get(0), ops.mul(inputs.get(1), scale)));
  }
}
