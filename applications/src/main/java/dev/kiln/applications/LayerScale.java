package dev.kiln.applications;

import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * ConvNeXt's per-channel residual scale, as Keras's {@code LayerScale}: the input times a trainable
 * {@code gamma} of {@code projectionDim} values starting at {@code initValues}.
 */
final class LayerScale extends Layer {
  private final double initValues;
  private final int projectionDim;
  private Weight gamma;

  LayerScale(double initValues, int projectionDim) {
    this.initValues = initValues;
    this.projectionDim = projectionDim;
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    gamma = addWeight("gamma", new int[] {projectionDim}, Initializers.constant(initValues), true);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    return ops.mul(x, ops.read(gamma));
  }
}
