package dev.kiln.api.layers.rnn;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Layers;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a recurrent layer forwards and a copy of it backwards over the same sequence and merges the
 * two, as Keras's {@code Bidirectional}: the forward layer is a copy of {@code layer} named {@code
 * forward_<name>}, the backward one a copy with {@code go_backwards=true} named {@code
 * backward_<name>} (or the {@code backwardLayer} given; the two must run in opposite directions).
 * With {@code return_sequences} the backward outputs are put back in input order before merging,
 * and both layers give zeros at masked steps ({@code zero_output_for_mask}), as Keras. Merge modes
 * {@code concat} (default), {@code sum}, {@code mul}, {@code ave}, or null for both outputs
 * separately. With {@code return_state} the forward states then the backward states follow. Initial
 * states are further inputs, the forward layer's then the backward layer's ({@code
 * bi.applyAll(List.of(x, hFw, cFw, hBw, cBw))} for an LSTM), as Keras's {@code initial_state} list
 * split in halves. Weights: the forward layer's then the backward layer's.
 *
 * {@snippet :
 * KerasTensor y = new Bidirectional(new LSTM(16).returnSequences(true)).apply(Input.of(10, 8));
 * // (batch, 10, 32)
 * }
 */
public class Bidirectional extends Layer {
  /** The recurrent layer to copy. */
  public static final Arg<Layer> LAYER =
      Arg.object(Kind.LAYER, Layer.class, "layer", null).required();

  /** How the two directions combine: concat, sum, mul, ave, or null (both returned). */
  public static final Arg<String> MERGE_MODE =
      Arg.choice("merge_mode", "concat", "concat", "sum", "mul", "ave").nullable();

  /** The backward layer, or null to copy {@code layer} with {@code go_backwards} flipped. */
  public static final Arg<Layer> BACKWARD_LAYER =
      Arg.object(Kind.LAYER, Layer.class, "backward_layer", null);

  /** Bidirectional's declaration. */
  public static final KerasClass<Bidirectional> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "Bidirectional",
              Bidirectional.class,
              a -> new Bidirectional(a.get(LAYER), a.get(BACKWARD_LAYER)),
              LAYER,
              MERGE_MODE,
              BACKWARD_LAYER)
          .tolerating("weights");

  private static final InputSpec SEQUENCE = InputSpec.minNdim(3);

  private final RNN forwardLayer;
  private final RNN backwardLayer;

  /**
   * Both directions of {@code layer}, merged by concatenation.
   *
   * @throws IllegalArgumentException if {@code layer} is not a recurrent layer
   */
  public Bidirectional(Layer layer) {
    this(layer, null);
  }

  /**
   * {@code layer} forwards and {@code backwardLayer} (null: a copy of {@code layer}) backwards.
   *
   * @throws IllegalArgumentException if either is not a recurrent layer, or their {@code
   *     return_sequences} or {@code return_state} differ
   */
  public Bidirectional(Layer layer, Layer backwardLayer) {
    RNN forward = asRnn(layer, "layer");
    args().set(LAYER, layer);
    args().set(BACKWARD_LAYER, backwardLayer);
    this.forwardLayer = (RNN) copy(forward, "forward_" + strip(forward.name(), "forward_"), null);
    if (backwardLayer == null) {
      this.backwardLayer =
          (RNN) copy(forward, "backward_" + strip(forward.name(), "backward_"), true);
    } else {
      this.backwardLayer = asRnn(backwardLayer, "backward_layer");
      if (this.backwardLayer.returnSequences() != forward.returnSequences()
          || this.backwardLayer.returnState() != forward.returnState()
          || this.backwardLayer.stateful() != forward.stateful()) {
        throw new IllegalArgumentException(
            "Bidirectional: the forward and backward layers must have the same return_sequences,"
                + " return_state and stateful; received "
                + forward.returnSequences()
                + "/"
                + forward.returnState()
                + "/"
                + forward.stateful()
                + " and "
                + this.backwardLayer.returnSequences()
                + "/"
                + this.backwardLayer.returnState()
                + "/"
                + this.backwardLayer.stateful());
      }
    }
    // Keras makes the backward copy with go_backwards=True whatever the layer has, so a layer
    // that already runs backwards needs a backward_layer that runs forwards.
    if (this.backwardLayer.goBackwards() == forward.goBackwards()) {
      throw new IllegalArgumentException(
          "Bidirectional: the forward and backward layers must have different go_backwards;"
              + " both have go_backwards="
              + forward.goBackwards());
    }
    // As Keras: with sequences out, masked steps give zeros in both directions. Keras sets the
    // layers' zero_output_for_mask; Kiln forces it at call time and leaves their configs as given.
    this.forwardLayer.zeroOutputForced = forward.returnSequences();
    this.backwardLayer.zeroOutputForced = forward.returnSequences();
  }

  private static RNN asRnn(Layer l, String what) {
    if (l instanceof RNN r) {
      return r;
    }
    throw new IllegalArgumentException(
        "Bidirectional: `"
            + what
            + "` must be a recurrent layer (RNN, LSTM, GRU, SimpleRNN); received "
            + (l == null ? "null" : l.className()));
  }

  private static String strip(String name, String prefix) {
    return name.startsWith(prefix) ? name.substring(prefix.length()) : name;
  }

  private static Layer copy(Layer l, String name, Boolean goBackwards) {
    Map<String, Object> c = new LinkedHashMap<>(l.getConfig());
    c.put("name", name);
    if (goBackwards != null) {
      c.put("go_backwards", goBackwards);
    }
    return Layers.fromConfig(l.className(), c);
  }

  /** Sets how the directions merge: concat, sum, mul, ave, or null for both outputs. */
  public Bidirectional mergeMode(String mode) {
    args().set(MERGE_MODE, mode);
    return this;
  }

  /** The forward copy. */
  public RNN forwardLayer() {
    return forwardLayer;
  }

  /** The backward layer. */
  public RNN backwardLayer() {
    return backwardLayer;
  }

  @Override
  protected List<Value> call(Ops ops, List<Value> inputs) {
    Value x = inputs.get(0);
    // Only the sequence has a rank to check: the initial states that follow are (batch, units).
    SEQUENCE.check(name(), 0, x.shape());
    List<Value> states = inputs.subList(1, inputs.size());
    int nForward = forwardLayer.cell().stateSizes().size();
    int nBackward = backwardLayer.cell().stateSizes().size();
    if (!states.isEmpty() && states.size() != nForward + nBackward) {
      throw new IllegalArgumentException(
          "Bidirectional '"
              + name()
              + "' takes the sequence then the initial states of the forward layer ("
              + nForward
              + ") and of the backward layer ("
              + nBackward
              + "); received "
              + states.size()
              + " initial states");
    }
    List<Value> fwIn = new ArrayList<>();
    fwIn.add(x);
    List<Value> bwIn = new ArrayList<>();
    bwIn.add(x);
    if (!states.isEmpty()) {
      fwIn.addAll(states.subList(0, nForward));
      bwIn.addAll(states.subList(nForward, states.size()));
    }
    List<Value> fw = forwardLayer.trace(ops, fwIn);
    List<Value> bw = backwardLayer.trace(ops, bwIn);
    Value y = fw.get(0);
    Value yRev = bw.get(0);
    boolean sequences = forwardLayer.returnSequences();
    // Keras flips the backward layer's sequence whichever of the two runs backwards.
    if (sequences) {
      yRev = ops.reverse(yRev, 1);
    }
    String mode = args().get(MERGE_MODE);
    List<Value> out = new ArrayList<>();
    if (mode == null) {
      out.add(y);
      out.add(yRev);
    } else {
      Value merged =
          switch (mode) {
            case "concat" -> ops.concat(-1, y, yRev);
            case "sum" -> ops.add(y, yRev);
            case "mul" -> ops.mul(y, yRev);
            case "ave" -> ops.mul(ops.add(y, yRev), 0.5);
            default -> throw new IllegalStateException("merge_mode " + mode);
          };
      out.add(merged);
    }
    Value mask = ops.mask(x);
    if (sequences && mask != null) {
      for (Value v : out) {
        ops.setMask(v, mask);
      }
    }
    if (forwardLayer.returnState()) {
      out.addAll(fw.subList(1, fw.size()));
      out.addAll(bw.subList(1, bw.size()));
    }
    return out;
  }

  /** A Bidirectional from its Keras config. */
  public static Bidirectional fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "Bidirectional", c);
  }
}
