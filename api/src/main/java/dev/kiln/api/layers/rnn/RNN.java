package dev.kiln.api.layers.rnn;

import static dev.kiln.api.layers.rnn.RecurrentArgs.GO_BACKWARDS;
import static dev.kiln.api.layers.rnn.RecurrentArgs.RETURN_SEQUENCES;
import static dev.kiln.api.layers.rnn.RecurrentArgs.RETURN_STATE;
import static dev.kiln.api.layers.rnn.RecurrentArgs.STATEFUL;
import static dev.kiln.api.layers.rnn.RecurrentArgs.UNROLL;
import static dev.kiln.api.layers.rnn.RecurrentArgs.ZERO_OUTPUT_FOR_MASK;

import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.ops.Ops.ScanResult;
import dev.kiln.api.ops.Ops.ScanStep;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a cell over the time axis of {@code (batch, timesteps, features)}, as Keras's {@code RNN}:
 * the output is the last step's output {@code (batch, units)}, or every step's {@code (batch,
 * timesteps, units)} with {@code returnSequences}; with {@code returnState} the final states follow
 * as further outputs. The whole loop is one {@code scan}.
 *
 * <p>A mask on the input (from {@code Embedding(maskZero)} or {@code Masking}) makes masked steps
 * keep the previous states and repeat the previous output, as Keras 3; with {@code returnSequences}
 * the mask goes on with the output. Initial states are further inputs, one per state of the cell:
 * {@code lstm.apply(x, h0, c0)}.
 *
 * {@snippet :
 * KerasTensor x = Input.of(20, 8);
 * KerasTensor y = new RNN(new LSTMCell(16)).returnSequences(true).apply(x); // (batch, 20, 16)
 * List<KerasTensor> all = new LSTM(16).returnState(true).applyAll(List.of(x)); // out, h, c
 * }
 */
public class RNN extends Layer {
  /** The cell run at each step (a cell, or {@code StackedRNNCells}). */
  public static final Arg<Layer> CELL = Arg.object(Kind.LAYER, Layer.class, "cell", null);

  /** RNN's declaration. */
  public static final KerasClass<RNN> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "RNN",
              RNN.class,
              a -> new RNN(asCell(a.get(CELL))),
              CELL,
              RETURN_SEQUENCES,
              RETURN_STATE,
              GO_BACKWARDS,
              STATEFUL,
              UNROLL,
              ZERO_OUTPUT_FOR_MASK)
          // TF.js (Keras 2's format) repeats the cell's arguments at the top level; the cell's
          // own config holds them.
          .tolerating(
              "time_major",
              "num_constants",
              "units",
              "activation",
              "recurrent_activation",
              "use_bias",
              "kernel_initializer",
              "recurrent_initializer",
              "bias_initializer",
              "unit_forget_bias",
              "kernel_regularizer",
              "recurrent_regularizer",
              "bias_regularizer",
              "activity_regularizer",
              "kernel_constraint",
              "recurrent_constraint",
              "bias_constraint",
              "dropout",
              "recurrent_dropout",
              "implementation");

  /** The cell; layers that make their own cell (LSTM) create it when built. */
  protected RNNCell cell;

  private final List<Weight> stateWeights = new ArrayList<>();

  /** Zeros at masked steps whatever {@code zero_output_for_mask} says (set by Bidirectional). */
  boolean zeroOutputForced;

  /**
   * An RNN over {@code cell}.
   *
   * @throws IllegalArgumentException if the cell is null
   */
  public RNN(RNNCell cell) {
    if (cell == null) {
      throw new IllegalArgumentException("RNN needs a cell; received cell=null");
    }
    this.cell = cell;
    args().set(CELL, cell);
  }

  /** An RNN over the cells stacked ({@code StackedRNNCells}). */
  public RNN(List<RNNCell> cells) {
    this(new StackedRNNCells(cells));
  }

  /** For subclasses that make their cell in {@link #makeCell()}. */
  protected RNN() {}

  private static RNNCell asCell(Layer l) {
    if (l instanceof RNNCell c) {
      return c;
    }
    throw new IllegalArgumentException(
        "RNN: `cell` must be a recurrent cell (SimpleRNNCell, LSTMCell, GRUCell,"
            + " StackedRNNCells); received "
            + (l == null ? "null" : l.className()));
  }

  /** The rank of one step's input with its batch axis: 2 for {@code (batch, features)}. */
  protected int stepRank() {
    return 2;
  }

  private String expectedShape() {
    return stepRank() == 2
        ? "(batch, timesteps, features)"
        : "(batch, timesteps, rows, cols, channels)";
  }

  /** Makes the cell of a layer that holds its own (LSTM); called once, at build. */
  protected RNNCell makeCell() {
    throw new IllegalStateException(className() + " has no cell");
  }

  /** The penalty on the output, or null; layers declaring {@code activity_regularizer} give it. */
  protected Regularizer activityRegularizer() {
    return null;
  }

  /** The cell, made if needed. */
  public RNNCell cell() {
    if (cell == null) {
      cell = makeCell();
      cell.dtypePolicy(dtypePolicy());
    }
    return cell;
  }

  /** Returns every step's output (default false). */
  public RNN returnSequences(boolean b) {
    args().set(RETURN_SEQUENCES, b);
    return this;
  }

  /** Returns the final states after the output (default false). */
  public RNN returnState(boolean b) {
    args().set(RETURN_STATE, b);
    return this;
  }

  /** Runs from the last step to the first; outputs come in that order (default false). */
  public RNN goBackwards(boolean b) {
    args().set(GO_BACKWARDS, b);
    return this;
  }

  /**
   * Keeps the final states of each batch as the initial states of the next (default false); the
   * model's batch size must then be fixed, and {@link #resetStates()} starts again from zeros.
   */
  public RNN stateful(boolean b) {
    args().set(STATEFUL, b);
    return this;
  }

  /** Accepted for Keras configs; the scan computes the same values either way. */
  public RNN unroll(boolean b) {
    args().set(UNROLL, b);
    return this;
  }

  /** Gives 0 rather than the previous output at masked steps (default false). */
  public RNN zeroOutputForMask(boolean b) {
    args().set(ZERO_OUTPUT_FOR_MASK, b);
    return this;
  }

  /** Whether every step's output is returned. */
  public boolean returnSequences() {
    return args().get(RETURN_SEQUENCES);
  }

  /** Whether the final states are returned. */
  public boolean returnState() {
    return args().get(RETURN_STATE);
  }

  /** Whether the layer runs backwards. */
  public boolean goBackwards() {
    return args().get(GO_BACKWARDS);
  }

  /** Whether states carry over between batches. */
  public boolean stateful() {
    return args().get(STATEFUL);
  }

  /** Sets the states of a stateful layer back to zeros. */
  public void resetStates() {
    for (Weight w : stateWeights) {
      w.assign(
          dev.kiln.api.Tensor.wrap(
              dev.kiln.spi.HostTensor.zeros(w.type().dtype(), w.type().shape())));
    }
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    Shape in = inputShapes.get(0);
    if (in.rank() != stepRank() + 1) {
      throw new IllegalArgumentException(
          className() + " expects input of shape " + expectedShape() + "; received " + in);
    }
    RNNCell c = cell();
    Cells.features(this, in);
    int[] d = in.dims();
    int[] step = new int[d.length - 1];
    step[0] = Shape.UNKNOWN;
    System.arraycopy(d, 2, step, 1, d.length - 2);
    c.buildFor(Shape.of(step));
    if (stateful()) {
      int batch = in.dim(0);
      if (batch == Shape.UNKNOWN) {
        throw new IllegalArgumentException(
            className()
                + " '"
                + name()
                + "' is stateful, so it needs a fixed batch size: give the input a batch size"
                + " (Input with a batch_shape)");
      }
      List<int[]> shapes = c.stateShapes();
      for (int i = 0; i < shapes.size(); i++) {
        stateWeights.add(
            addWeight(
                "state_" + i,
                RNNCell.withBatch(batch, shapes.get(i)),
                Initializers.zeros(),
                false));
      }
    }
  }

  @Override
  protected List<Value> call(Ops ops, List<Value> inputs) {
    Value x = inputs.get(0);
    if (x.rank() != stepRank() + 1) {
      throw new IllegalArgumentException(
          className() + " expects input of shape " + expectedShape() + "; received " + x.shape());
    }
    int[] timeMajor = new int[x.rank()];
    timeMajor[0] = 1;
    timeMajor[1] = 0;
    for (int i = 2; i < timeMajor.length; i++) {
      timeMajor[i] = i;
    }
    int steps = x.shape().dim(1);
    if (steps == Shape.UNKNOWN) {
      throw new IllegalArgumentException(
          className()
              + " needs a known number of timesteps (the scan's length); received "
              + x.shape());
    }
    RNNCell c = cell();
    int batch = x.shape().dim(0);
    int nStates = c.stateSizes().size();
    List<Value> init;
    if (inputs.size() > 1) {
      init = initialStates(inputs.subList(1, inputs.size()), c, x);
    } else if (!stateWeights.isEmpty()) {
      init = new ArrayList<>();
      for (Weight w : stateWeights) {
        init.add(ops.read(w));
      }
    } else {
      init = c.zeroStates(ops, batch);
    }
    boolean dropping = ops.training() && !ops.symbolic();
    if (dropping && c.dropout() > 0) {
      int[] stepDims = java.util.Arrays.copyOfRange(x.shape().dims(), 2, x.rank());
      x =
          ops.mul(
              x,
              ops.expandDims(
                  RNNCell.keepMask(ops, x.dtype(), RNNCell.withBatch(batch, stepDims), c.dropout()),
                  1));
    }
    // Drawn once, outside the loop: every step of the sequence uses the same masks, as Keras.
    List<Value> stepMasks =
        dropping
            ? c.sequenceMasks(ops, x.dtype(), batch)
            : java.util.Arrays.asList(new Value[c.maskCount()]);
    Value mask = ops.mask(inputs.get(0));
    List<Value> sequences = new ArrayList<>();
    sequences.add(c.project(ops, ops.transpose(x, timeMajor)));
    int[] outShape = c.outputShape();
    if (mask != null) {
      // (T, batch, 1, ...): one factor per step and sample, broadcast over the state's axes
      Value m = ops.transpose(ops.cast(mask, x.dtype()), 1, 0);
      for (int i = 0; i < outShape.length; i++) {
        m = ops.expandDims(m, -1);
      }
      sequences.add(m);
    }
    List<Value> carries = new ArrayList<>(init);
    carries.add(ops.zeros(TensorType.of(x.dtype(), RNNCell.withBatch(batch, outShape))));
    boolean sequencesOut = returnSequences();
    boolean zeroMasked = zeroOutputForced || args().get(ZERO_OUTPUT_FOR_MASK);
    ScanResult r =
        ops.scan(
            carries,
            sequences,
            goBackwards(),
            (o, carry, slice) -> {
              List<Value> masks = new ArrayList<>();
              for (Value m : stepMasks) {
                masks.add(m == null ? null : o.context().capture(m));
              }
              RNNCell.Step s = c.stepMasked(o, slice.get(0), carry.subList(0, nStates), masks);
              List<Value> next = new ArrayList<>();
              Value out = s.output();
              Value emitted = out;
              if (slice.size() > 1) {
                Value m = slice.get(1);
                for (int i = 0; i < nStates; i++) {
                  next.add(blend(o, carry.get(i), s.states().get(i), m));
                }
                Value prev = carry.get(nStates);
                out = blend(o, prev, out, m);
                emitted = zeroMasked ? o.mul(s.output(), m) : out;
              } else {
                next.addAll(s.states());
              }
              next.add(out);
              return new ScanStep(next, sequencesOut ? List.of(emitted) : List.of());
            });
    List<Value> finalStates = r.carries().subList(0, nStates);
    Value y;
    if (sequencesOut) {
      Value all = r.outputs().get(0);
      if (goBackwards()) {
        // Keras gives the outputs in the order they were computed, last input step first.
        all = ops.reverse(all, 0);
      }
      y = ops.transpose(all, timeMajor);
      if (mask != null) {
        ops.setMask(y, mask);
      }
    } else {
      y = r.carries().get(nStates);
    }
    for (int i = 0; i < stateWeights.size(); i++) {
      ops.assign(stateWeights.get(i), finalStates.get(i));
    }
    List<Value> out = new ArrayList<>();
    out.add(y);
    if (returnState()) {
      out.addAll(finalStates);
    }
    // Keras penalizes every output of the call, the returned states included.
    addActivityPenalty(ops, activityRegularizer(), out);
    return out;
  }

  // old + m * (new - old): the new value where the step is kept, the old one where it is masked
  private static Value blend(Ops o, Value old, Value next, Value m) {
    return o.add(old, o.mul(m, o.sub(next, old)));
  }

  private List<Value> initialStates(List<Value> given, RNNCell c, Value x) {
    List<int[]> sizes = c.stateShapes();
    if (given.size() != sizes.size()) {
      throw new IllegalArgumentException(
          className()
              + " '"
              + name()
              + "' has "
              + sizes.size()
              + " states, but "
              + given.size()
              + " initial states were given");
    }
    for (int i = 0; i < sizes.size(); i++) {
      Shape s = given.get(i).shape();
      if (!s.equals(Shape.of(RNNCell.withBatch(s.dim(0), sizes.get(i))))) {
        throw new IllegalArgumentException(
            className()
                + " '"
                + name()
                + "': initial state "
                + i
                + " must have shape "
                + Shape.of(RNNCell.withBatch(Shape.UNKNOWN, sizes.get(i)))
                + "; received "
                + s
                + " for input "
                + x.shape());
      }
    }
    return given;
  }

  /** An RNN from its Keras config. */
  public static RNN fromConfig(Map<String, Object> c) {
    return Registry.fromConfig(Kind.LAYER, "RNN", c);
  }
}
