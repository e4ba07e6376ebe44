package dev.kiln.api.metrics;

import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.KerasObject;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stateful metric: its state lives in backend variables that the compiled steps update ({@link
 * #update}); {@link #result()} reads them at log points; {@link #reset()} zeroes them (each epoch).
 * State is created on the first update ({@link #build}), once the shapes are known. Every metric
 * has a {@code name} and a {@code dtype}; a class declares its other Keras arguments in its {@code
 * KERAS} declaration, which its config is written from and read back through the {@link Registry}.
 */
public abstract class Metric implements KerasObject {
  private static final Arg<String> NAME = Arg.string("name", null);

  private String name;
  private final Args args;
  private final List<Weight> state = new ArrayList<>();
  private boolean built;

  /**
   * A metric logged under {@code name}, with the declared arguments of {@code keras} at their
   * defaults.
   */
  protected Metric(String name, KerasClass<? extends Metric> keras) {
    this.name = name;
    this.args = Args.defaults(keras, this::owner);
  }

  /**
   * A metric logged under {@code name}, declared by its class's {@code KERAS} field if it has one;
   * otherwise it has no arguments besides the name, and configs cannot rebuild it.
   */
  protected Metric(String name) {
    this.name = name;
    this.args = Args.defaults(Registry.declarationOrBare(Kind.METRIC, getClass()), this::owner);
  }

  /** The object in messages: {@code metric 'accuracy'}. */
  protected String owner() {
    return "metric '" + name + "'";
  }

  /** The name in logs ({@code accuracy}). */
  public String name() {
    return name;
  }

  @Override
  public Args args() {
    return args;
  }

  @Override
  public String className() {
    return args.declaration().className();
  }

  /** Keras's config: {@code name}, {@code dtype} (the state's, float32), the declared arguments. */
  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", name);
    c.put("dtype", "float32");
    c.putAll(args.toConfig());
    return c;
  }

  /**
   * Reads {@code name}; {@code dtype} is accepted (the state is float32).
   *
   * @throws ArgumentException for a value of the wrong type
   */
  @Override
  public void readCommonConfig(Map<String, Object> config) {
    if (config.get("name") != null) {
      name = NAME.read(config.get("name"), owner());
    }
    Object dtype = config.get("dtype");
    if (dtype != null && !(dtype instanceof String) && !(dtype instanceof Map)) {
      throw new ArgumentException(
          owner() + ": `dtype` must be a dtype name or a dtype policy, got " + dtype);
    }
  }

  @Override
  public String toString() {
    return className() + getConfig();
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
   * Emits the state updates for one batch; float16 and bfloat16 predictions are cast to float32
   * first.
   *
   * @param sampleWeight per-sample weights, or null
   */
  public final void update(Ops ops, Value yTrue, Value yPred, Value sampleWeight) {
    // Metrics compute in float32, as Keras's: a mixed precision model's 16-bit outputs are widened.
    yPred = ops.widenHalf(yPred);
    if (!built) {
      build(yTrue.shape(), yPred.shape());
      built = true;
    }
    updateState(ops, yTrue, yPred, sampleWeight);
  }

  /** Emits the state updates ({@code ops.assign(stateWeight, newValue)}). */
  protected abstract void updateState(Ops ops, Value yTrue, Value yPred, Value sampleWeight);

  /** The current result, from the state; 0 before the first update. */
  public double result() {
    if (!built) {
      return 0;
    }
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
