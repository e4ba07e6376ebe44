package dev.kiln.api.layers.rnn;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * One step of a recurrence, as Keras's cells: given the input at a step and the states, the output
 * and the next states. An {@link RNN} runs a cell over a sequence inside one {@code scan}.
 *
 * <p>A cell splits its step in two: {@link #project} holds the work that depends only on the input
 * ({@code x @ kernel + bias}), which the RNN applies to the whole sequence with one matmul before
 * the loop, and {@link #step} the work that needs the previous state. Called on its own, a cell
 * runs one step from zero states (or from the states given as further inputs) and returns the
 * output then the new states.
 */
public abstract class RNNCell extends Layer {
  /** A cell named by its class. */
  protected RNNCell() {}

  /** What one step gives: the output and the new states. */
  public record Step(Value output, List<Value> states) {
    /** Copies the list. */
    public Step {
      states = List.copyOf(states);
    }
  }

  /** The size of each state, in order ({@code [units, units]} for an LSTM). */
  public abstract List<Integer> stateSizes();

  /** The size of the output of a step. */
  public abstract int outputSize();

  /**
   * The shape of each state without the batch axis; by default {@code (size,)} for each of {@link
   * #stateSizes()}. Convolutional cells have spatial states.
   */
  public List<int[]> stateShapes() {
    List<int[]> out = new ArrayList<>();
    for (int s : stateSizes()) {
      out.add(new int[] {s});
    }
    return out;
  }

  /** The shape of a step's output without the batch axis; by default {@code (outputSize,)}. */
  public int[] outputShape() {
    return new int[] {outputSize()};
  }

  /** The input dropout rate used by the RNN in training (0 for none). */
  public double dropout() {
    return 0;
  }

  /** The recurrent dropout rate used by the RNN in training (0 for none). */
  public double recurrentDropout() {
    return 0;
  }

  /**
   * The input-only part of a step, applied to {@code x} of shape {@code (..., features)}: the RNN
   * passes the whole time-major sequence at once. The default passes {@code x} through.
   */
  public Value project(Ops ops, Value x) {
    return x;
  }

  /**
   * One step from a projected input {@code (batch, k)} and the states {@code (batch, size)}.
   *
   * @param recurrentMask the recurrent dropout mask {@code (batch, outputSize)} (already scaled),
   *     or null
   */
  public abstract Step step(Ops ops, Value projected, List<Value> states, Value recurrentMask);

  /**
   * The dropout masks of one sequence in training, drawn once before the loop so that every step
   * uses the same ones (Keras's cells cache theirs per call): by default one entry, the recurrent
   * dropout mask of the first state (already scaled by {@code 1 / (1 - rate)}), or null without
   * recurrent dropout. The cell's input dropout is not here: the RNN applies it to the whole
   * sequence before {@link #project}. The RNN hands the list back to {@link #stepMasked}.
   */
  List<Value> sequenceMasks(Ops ops, DType dtype, int batch) {
    List<Value> out = new ArrayList<>();
    out.add(
        recurrentDropout() > 0
            ? keepMask(ops, dtype, withBatch(batch, stateShapes().get(0)), recurrentDropout())
            : null);
    return out;
  }

  /** How many entries {@link #sequenceMasks} gives. */
  int maskCount() {
    return 1;
  }

  /**
   * One step with the masks of {@link #sequenceMasks} (entries may be null); by default {@link
   * #step} with the first.
   */
  Step stepMasked(Ops ops, Value projected, List<Value> states, List<Value> masks) {
    return step(ops, projected, states, masks.isEmpty() ? null : masks.get(0));
  }

  /**
   * A dropout keep mask of {@code shape}: 0 with probability {@code rate}, else {@code 1 / (1 -
   * rate)}.
   */
  static Value keepMask(Ops ops, DType dtype, int[] shape, double rate) {
    Value like = ops.zeros(TensorType.of(dtype, shape));
    return ops.mul(ops.bernoulli(like, 1 - rate), 1 / (1 - rate));
  }

  /** Builds the cell for steps of {@code stepShape} (batch axis first) if it is not built yet. */
  void buildFor(Shape stepShape) {
    if (!built()) {
      build(List.of(stepShape));
      markBuiltForRnn();
    }
  }

  /** Marks the cell built; cells are built by their RNN rather than by a call. */
  void markBuiltForRnn() {
    markBuilt();
  }

  /** Zero states for a batch of {@code batch} (maybe unknown). */
  List<Value> zeroStates(Ops ops, int batch) {
    List<Value> out = new ArrayList<>();
    for (int[] s : stateShapes()) {
      out.add(ops.zeros(TensorType.of(computeDtype(), withBatch(batch, s))));
    }
    return out;
  }

  /** {@code (batch, dims...)}. */
  static int[] withBatch(int batch, int[] dims) {
    int[] d = new int[dims.length + 1];
    d[0] = batch;
    System.arraycopy(dims, 0, d, 1, dims.length);
    return d;
  }

  /**
   * One step on its own: inputs {@code x (batch, features)} then optionally the states; outputs the
   * step's output then the new states.
   */
  @Override
  protected List<Value> call(Ops ops, List<Value> inputs) {
    Value x = inputs.get(0);
    if (x.rank() < 2) {
      throw new IllegalArgumentException(
          className() + " takes one step of shape (batch, features); received " + x.shape());
    }
    List<Value> states =
        inputs.size() > 1 ? inputs.subList(1, inputs.size()) : zeroStates(ops, x.shape().dim(0));
    if (states.size() != stateSizes().size()) {
      throw new IllegalArgumentException(
          className()
              + " has "
              + stateSizes().size()
              + " states but "
              + states.size()
              + " were given");
    }
    Step s = step(ops, project(ops, x), states, null);
    List<Value> out = new ArrayList<>();
    out.add(s.output());
    out.addAll(s.states());
    return out;
  }
}
