package dev.kiln.api.layers;

import dev.kiln.api.KerasTensor;
import java.util.List;

/**
 * One call of a layer on symbolic tensors: the edge of the Functional API's graph (Keras's {@code
 * Node}). A layer called twice (shared) has two.
 *
 * @param training the mode this call runs in whatever the step does (Keras's {@code training}
 *     keyword: {@code false} for a frozen base model in fine-tuning), or null to follow the step
 */
public record LayerCall(
    Layer layer, List<KerasTensor> inputs, List<KerasTensor> outputs, Boolean training) {

  /** A call that follows the step's mode. */
  public LayerCall(Layer layer, List<KerasTensor> inputs, List<KerasTensor> outputs) {
    this(layer, inputs, outputs, null);
  }
}
