package dev.kiln.api.layers.merging;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.List;

/** Concatenates a list of inputs along {@code axis} (default -1); the other axes must match. */
public final class Concatenate extends Layer {
  /** The axis to concatenate along. */
  public static final Arg<Integer> AXIS = Arg.integer("axis", -1);

  /** Concatenate's declaration. */
  public static final KerasClass<Concatenate> KERAS =
      KerasClass.of(
          Kind.LAYER, "Concatenate", Concatenate.class, a -> new Concatenate(a.get(AXIS)), AXIS);

  /** Concatenates along the last axis. */
  public Concatenate() {
    this(-1);
  }

  /** Concatenates along {@code axis}. */
  public Concatenate(int axis) {
    args().set(AXIS, axis);
  }

  @Override
  protected void build(List<Shape> shapes) {
    if (shapes.size() < 2) {
      throw new IllegalArgumentException(
          "A `Concatenate` layer should be called on a list of at least 1 input. Received:"
              + " input_shape="
              + shapes);
    }
    Shape first = shapes.get(0);
    int axis = args().get(AXIS);
    int a = axis < 0 ? axis + first.rank() : axis;
    for (Shape s : shapes) {
      boolean ok = s.rank() == first.rank();
      for (int i = 0; ok && i < s.rank(); i++) {
        int x = s.dim(i);
        int y = first.dim(i);
        ok = i == a || x == y || x == Shape.UNKNOWN || y == Shape.UNKNOWN;
      }
      if (!ok) {
        throw new IllegalArgumentException(
            "A `Concatenate` layer requires inputs with matching shapes except for the"
                + " concatenation axis. Received: input_shape="
                + shapes);
      }
    }
  }

  @Override
  protected List<Value> call(Ops ops, List<Value> in) {
    return List.of(ops.concat(args().get(AXIS), in));
  }
}
