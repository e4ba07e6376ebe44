package dev.kiln.api.layers.merging;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Configs;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;

/**
 * The elementwise merging layers: {@link #add()}, {@link #subtract()}, {@link #multiply()}, {@link
 * #average()}, {@link #maximum()}, {@link #minimum()}. Inputs are a list of tensors of one shape
 * (or shapes that broadcast).
 *
 * {@snippet :
 * KerasTensor sum = Merge.add().applyAll(List.of(a, b)).get(0);
 * }
 */
public class Merge extends Layer {
  private final String kind;

  /** A merge of this kind ({@code Add}, {@code Subtract}, ...). */
  protected Merge(String kind) {
    this.kind = kind;
    this.supportsMasking = true;
  }

  /** Sums the inputs. */
  public static Merge add() {
    return new Add();
  }

  /** The first input minus the second. */
  public static Merge subtract() {
    return new Subtract();
  }

  /** Multiplies the inputs. */
  public static Merge multiply() {
    return new Multiply();
  }

  /** Averages the inputs. */
  public static Merge average() {
    return new Average();
  }

  /** The elementwise maximum. */
  public static Merge maximum() {
    return new Maximum();
  }

  /** The elementwise minimum. */
  public static Merge minimum() {
    return new Minimum();
  }

  @Override
  public String className() {
    return kind;
  }

  @Override
  protected void build(List<Shape> shapes) {
    if (shapes.size() < 2 && !kind.equals("Add")) {
      throw new IllegalArgumentException(
          "A merge layer should be called on a list of at least 2 inputs. Got "
              + shapes.size()
              + " inputs. Full input_shape received: "
              + shapes);
    }
    if (kind.equals("Subtract") && shapes.size() != 2) {
      throw new IllegalArgumentException(
          "A `Subtract` layer should be called on exactly 2 inputs. Received: input_shape="
              + shapes);
    }
    for (Shape s : shapes) {
      if (!compatible(s, shapes.get(0))) {
        throw new IllegalArgumentException(
            "Inputs have incompatible shapes. Received shapes " + shapes);
      }
    }
  }

  private static boolean compatible(Shape a, Shape b) {
    int r = Math.max(a.rank(), b.rank());
    for (int i = 1; i <= Math.min(a.rank(), b.rank()); i++) {
      int x = a.dim(a.rank() - i);
      int y = b.dim(b.rank() - i);
      if (x != y && x != 1 && y != 1 && x != Shape.UNKNOWN && y != Shape.UNKNOWN) {
        return false;
      }
    }
    return r >= 0;
  }

  @Override
  protected List<Value> call(Ops ops, List<Value> in) {
    BinaryOperator<Value> f =
        switch (kind) {
          case "Add", "Average" -> ops::add;
          case "Subtract" -> ops::sub;
          case "Multiply" -> ops::mul;
          case "Maximum" -> ops::maximum;
          default -> ops::minimum;
        };
    Value acc = in.get(0);
    for (int i = 1; i < in.size(); i++) {
      acc = f.apply(acc, in.get(i));
    }
    if (kind.equals("Average")) {
      acc = ops.div(acc, in.size());
    }
    List<Value> masks = new ArrayList<>();
    for (Value v : in) {
      if (ops.mask(v) != null) {
        masks.add(ops.mask(v));
      }
    }
    if (masks.size() == in.size() && !masks.isEmpty()) {
      Value m = masks.get(0);
      for (int i = 1; i < masks.size(); i++) {
        m = ops.graph().binary(dev.kiln.spi.ir.BinaryFn.LOGICAL_AND, m, masks.get(i));
      }
      ops.setMask(acc, m);
    }
    return List.of(acc);
  }

  /** From a Keras config, for the class {@code kind}. */
  public static Merge fromConfig(String kind, Map<String, Object> c) {
    Merge m =
        switch (kind) {
          case "Add" -> add();
          case "Subtract" -> subtract();
          case "Multiply" -> multiply();
          case "Average" -> average();
          case "Maximum" -> maximum();
          case "Minimum" -> minimum();
          default -> throw new IllegalArgumentException("not a merge layer: " + kind);
        };
    Configs.common(m, c);
    return m;
  }
}
