package dev.kiln.api.layers;

import dev.kiln.api.KerasTensor;
import java.util.List;

/**
 * One call of a layer on symbolic tensors: the edge of the Functional API's graph (Keras's {@code
 * Node}). A layer called twice (shared) has two.
 */
public record LayerCall(Layer layer, List<KerasTensor> inputs, List<KerasTensor> outputs) {}
