package dev.kiln.api.metrics;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * A stateful metric: its state lives in backend variables that the compiled steps update ({@link
 * #update}); {@link #result()} reads them at log points; {@link #reset()} zeroes them (each epoch).
 */
public abstract class Metric {
  private final String name;
  private final List<Weight> state = new ArrayList<>();
  private boolean built;

  /** A metric logged under {@code name}. */
  protected Metric(String name) {
    this.name = name;
  }

  /** The name in logs ({@code accuracy}). */
  public String name() {
    return name;
  }

  /** Creates the state for these label and prediction shapes; runs once. */
  protected void build(Shape yTrue, Shape yPred) {}

  /** Adds a float32 state variable of this shape, initially zero. */
  protected Weight addState(String stateName, int... shape) {
    Weight w =
        new Weight(
            stateName,
            name + "/" + stateName,
            HostTensor.zeros(DType.FLOAT32, Shape.of(shape)),
            false,
            null,
            null);
    state.add(w);
    return w;
  }

  /** The state variables. */
  public List<Weight> state() {
    return state;
  }

  /**
   * Emits the state updates for one batch.
   *
   * @param sampleWeight per-sample weights, or null
   */
  public final void update(Ops ops, Value yTrue, Value yPred, Value sampleWeight) {
    if (!built) {
      build(yTrue.shape(), yPred.shape());
      built = true;
    }
    updateState(ops, yTrue, yPred, sampleWeight);
  }

  /** Emits the state updates ({@code ops.assign(stateWeight, newValue)}). */
  protected abstract void updateState(Ops ops, Value yTrue, Value yPred, Value sampleWeight);

  /** The current result, from the state. */
  public double result() {
    List<double[]> values = new ArrayList<>();
    for (Weight w : state) {
      values.add(w.read().toDoubleArray());
    }
    return result(values);
  }

  /** The result from state values, in {@link #state()} order. */
  protected abstract double result(List<double[]> state);

  /** Zeroes the state. */
  public void reset() {
    for (Weight w : state) {
      w.assign(Tensor.wrap(HostTensor.zeros(DType.FLOAT32, w.type().shape())));
    }
  }

  /** True once the state exists. */
  public boolean built() {
    return built;
  }
}
