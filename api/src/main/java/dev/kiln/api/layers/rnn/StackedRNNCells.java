package dev.kiln.api.layers.rnn;

import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Cells run one after the other within each step, as Keras's {@code StackedRNNCells}: the output of
 * a cell is the input of the next, the states are the cells' states in order, and the output is the
 * last cell's. In training each cell applies its own dropout, as Keras: the first cell's input
 * dropout on the sequence, a later cell's on the output of the cell below it, and each cell's
 * recurrent dropout on its own state; each mask is drawn once per sequence.
 *
 * {@snippet :
 * Layer rnn = new RNN(new StackedRNNCells(List.of(new LSTMCell(16), new LSTMCell(8))));
 * }
 */
public class StackedRNNCells extends RNNCell {
  /** The cells, first to last. */
  public static final Arg<List<RNNCell>> CELLS =
      Arg.<List<RNNCell>>of(
              "cells",
              "a list of recurrent cells",
              null,
              StackedRNNCells::readCells,
              cs -> {
                List<Object> out = new ArrayList<>();
                for (RNNCell c : cs) {
                  out.add(Registry.write(Kind.LAYER, c));
                }
                return out;
              })
          .schema(
              java.util.Map.of(
                  "type", "array", "items", dev.kiln.api.registry.Schemas.ref(Kind.LAYER)))
          .required();

  /** StackedRNNCells's declaration. */
  public static final KerasClass<StackedRNNCells> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "StackedRNNCells",
          StackedRNNCells.class,
          a -> new StackedRNNCells(a.get(CELLS)),
          CELLS);

  private final List<RNNCell> cells;

  /**
   * The cells stacked, first to last.
   *
   * @throws IllegalArgumentException if there are none
   */
  public StackedRNNCells(List<RNNCell> cells) {
    if (cells == null || cells.isEmpty()) {
      throw new IllegalArgumentException("StackedRNNCells needs at least one cell");
    }
    this.cells = List.copyOf(cells);
    args().set(CELLS, this.cells);
  }

  private static List<RNNCell> readCells(Object v) {
    if (!(v instanceof List<?> list)) {
      return null;
    }
    List<RNNCell> out = new ArrayList<>();
    for (Object o : list) {
      Object l = Registry.deserialize(Kind.LAYER, o);
      if (!(l instanceof RNNCell c)) {
        throw new IllegalArgumentException(
            "StackedRNNCells: every cell must be a recurrent cell; received " + o);
      }
      out.add(c);
    }
    return out;
  }

  /** The cells, first to last. */
  public List<RNNCell> cells() {
    return cells;
  }

  @Override
  public List<Integer> stateSizes() {
    List<Integer> out = new ArrayList<>();
    for (RNNCell c : cells) {
      out.addAll(c.stateSizes());
    }
    return out;
  }

  @Override
  public int outputSize() {
    return cells.getLast().outputSize();
  }

  @Override
  public List<int[]> stateShapes() {
    List<int[]> out = new ArrayList<>();
    for (RNNCell c : cells) {
      out.addAll(c.stateShapes());
    }
    return out;
  }

  @Override
  public int[] outputShape() {
    return cells.getLast().outputShape();
  }

  @Override
  public double dropout() {
    return cells.getFirst().dropout();
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    Cells.features(this, inputShapes.get(0));
    Shape step = inputShapes.get(0);
    for (RNNCell c : cells) {
      c.buildFor(step);
      step = Shape.of(RNNCell.withBatch(Shape.UNKNOWN, c.outputShape()));
    }
  }

  @Override
  public Value project(Ops ops, Value x) {
    return cells.getFirst().project(ops, x);
  }

  @Override
  public Step step(Ops ops, Value projected, List<Value> states, Value recurrentMask) {
    // On its own (no RNN), only the first cell's recurrent mask can be given.
    List<Value> masks = new ArrayList<>();
    masks.add(recurrentMask);
    while (masks.size() < maskCount()) {
      masks.add(null);
    }
    return stepMasked(ops, projected, states, masks);
  }

  // Cell by cell: a later cell's input mask (on the output of the cell below), then the cell's own.
  @Override
  List<Value> sequenceMasks(Ops ops, DType dtype, int batch) {
    List<Value> out = new ArrayList<>();
    for (int i = 0; i < cells.size(); i++) {
      RNNCell c = cells.get(i);
      if (i > 0) {
        double rate = c.dropout();
        out.add(
            rate > 0
                ? keepMask(ops, dtype, withBatch(batch, cells.get(i - 1).outputShape()), rate)
                : null);
      }
      out.addAll(c.sequenceMasks(ops, dtype, batch));
    }
    return out;
  }

  @Override
  int maskCount() {
    int n = cells.size() - 1;
    for (RNNCell c : cells) {
      n += c.maskCount();
    }
    return n;
  }

  @Override
  Step stepMasked(Ops ops, Value projected, List<Value> states, List<Value> masks) {
    List<Value> next = new ArrayList<>();
    Value out = null;
    int at = 0;
    int m = 0;
    for (int i = 0; i < cells.size(); i++) {
      RNNCell c = cells.get(i);
      Value input = projected;
      if (i > 0) {
        Value inputMask = masks.get(m++);
        input = c.project(ops, inputMask == null ? out : ops.mul(out, inputMask));
      }
      int n = c.stateSizes().size();
      int k = c.maskCount();
      Step s = c.stepMasked(ops, input, states.subList(at, at + n), masks.subList(m, m + k));
      at += n;
      m += k;
      next.addAll(s.states());
      out = s.output();
    }
    return new Step(out, next);
  }
}
