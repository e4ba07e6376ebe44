package dev.kiln.api.layers.activations;

import dev.kiln.api.KilnException;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.normalization.AxisArgs;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.DType;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Softmax over {@code axis} (one axis or several), as Keras 3's {@code Softmax}. It takes an
 * optional mask, Keras's {@code mask} call argument, as a second input shaped like (or broadcasting
 * to) the first, 1 or true to keep: masked positions get {@code -1e9} added before the softmax and
 * a probability of exactly 0 after it (a fully masked slice gives zeros). A mask carried with the
 * input (from {@code Masking} or {@code Embedding(mask_zero)}, one axis less than the input) masks
 * whole slices along the last axis the same way. Same shape in and out.
 *
 * {@snippet :
 * KerasTensor probs = new Softmax().applyAll(List.of(scores, keepMask)).get(0);
 * }
 */
public class Softmax extends Layer {
  // Keras's "large negative number" for float32 masking.
  private static final double LARGE_NEGATIVE = -1e9;

  /** The axis or axes the probabilities sum to 1 over (default -1). */
  public static final Arg<Object> AXIS = AxisArgs.axis("axis", -1);

  /** Softmax's declaration. */
  public static final KerasClass<Softmax> KERAS =
      KerasClass.of(Kind.LAYER, "Softmax", Softmax.class, a -> new Softmax(), AXIS);

  /** Softmax over the last axis. */
  public Softmax() {
    this.supportsMasking = true;
  }

  /** Softmax over these axes (default the last). */
  public Softmax axis(int... axes) {
    if (axes.length == 1) {
      args().set(AXIS, axes[0]);
    } else {
      List<Integer> l = new ArrayList<>();
      for (int a : axes) {
        l.add(a);
      }
      args().set(AXIS, l);
    }
    return this;
  }

  @Override
  protected List<Value> call(Ops ops, List<Value> inputs) {
    if (inputs.isEmpty() || inputs.size() > 2) {
      throw new KilnException(
          "Layer \""
              + name()
              + "\" (Softmax) takes the input and an optional mask, but it received "
              + inputs.size()
              + " input tensors");
    }
    Value x = inputs.get(0);
    Value mask = inputs.size() == 2 ? inputs.get(1) : null;
    if (mask != null && mask.rank() != x.rank()) {
      throw new IllegalArgumentException(
          "the mask must have the rank of the input, but the mask is "
              + mask.shape()
              + " and the input "
              + x.shape());
    }
    Value carried = ops.mask(x);
    if (mask == null && carried != null && carried.rank() == x.rank() - 1) {
      mask = ops.expandDims(carried, -1);
    }
    Value m = null;
    if (mask != null) {
      m = mask.dtype() == x.dtype() ? mask : ops.cast(mask, x.dtype());
      // As Keras: -1e9 is -inf in float16, where a fully masked row would give NaN.
      x = ops.add(x, ops.mul(ops.sub(1, m), x.dtype() == DType.FLOAT16 ? -3e4 : LARGE_NEGATIVE));
    }
    int[] axes = AxisArgs.resolve(AxisArgs.toArray(args().get(AXIS)), x.shape(), true, name());
    Value y =
        axes.length == 1
            ? ops.softmax(x, axes[0])
            : ops.exp(ops.sub(x, ops.logSumExp(x, true, axes)));
    if (m != null) {
      y = ops.mul(y, m);
    }
    return List.of(y);
  }

  @Override
  protected Value call(Ops ops, Value x) {
    return call(ops, List.of(x)).get(0);
  }
}
