package dev.kiln.api.layers.rnn;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.Map;

/**
 * Applies a layer to every timestep of {@code (batch, timesteps, ...)}, with the same weights at
 * every step, as Keras's {@code TimeDistributed}: the batch and time axes are merged, the layer
 * runs once over {@code (batch * timesteps, ...)}, and the result is split back to {@code (batch,
 * timesteps, ...out)}. A mask on the input passes to the output.
 *
 * {@snippet :
 * KerasTensor y = new TimeDistributed(new Dense(8)).apply(Input.of(10, 16)); // (batch, 10, 8)
 * }
 */
public class TimeDistributed extends Layer {
  /** The layer applied at every step. */
  public static final Arg<Layer> LAYER =
      Arg.object(Kind.LAYER, Layer.class, "layer", null).required();

  /** TimeDistributed's declaration. */
  public static final KerasClass<TimeDistributed> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "TimeDistributed",
          TimeDistributed.class,
          a -> new TimeDistributed(a.get(LAYER)),
          LAYER);

  private final Layer layer;

  /**
   * Wraps {@code layer}.
   *
   * @throws IllegalArgumentException if the layer is null
   */
  public TimeDistributed(Layer layer) {
    if (layer == null) {
      throw new IllegalArgumentException("TimeDistributed needs a layer; received layer=null");
    }
    this.layer = layer;
    args().set(LAYER, layer);
    this.inputSpec = InputSpec.minNdim(3);
    this.supportsMasking = true;
  }

  /** The wrapped layer. */
  public Layer layer() {
    return layer;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int[] d = x.shape().dims();
    int steps = d[1];
    if (steps == Shape.UNKNOWN) {
      throw new IllegalArgumentException(
          "TimeDistributed needs a known number of timesteps; received " + x.shape());
    }
    int batch = d[0];
    int[] merged = new int[d.length - 1];
    merged[0] = batch == Shape.UNKNOWN ? Shape.UNKNOWN : batch * steps;
    System.arraycopy(d, 2, merged, 1, d.length - 2);
    Value y = layer.trace(ops, ops.reshape(x, merged));
    int[] o = y.shape().dims();
    int[] split = new int[o.length + 1];
    split[0] = batch;
    split[1] = steps;
    System.arraycopy(o, 1, split, 2, o.length - 1);
    return ops.reshape(y, split);
  }

  /** A TimeDistributed from its Keras config. */
  public static TimeDistributed fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "TimeDistributed", c);
  }
}
