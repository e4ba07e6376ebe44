package dev.kiln.api.layers.merging;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Configs;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Map;

/** Concatenates a list of inputs along {@code axis} (default -1); the other axes must match. */
public final class Concatenate extends Layer {
  private final int axis;

  /** Concatenates along the last axis. */
  public Concatenate() {
    this(-1);
  }

  /** Concatenates along {@code axis}. */
  public Concatenate(int axis) {
    this.axis = axis;
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
    return List.of(ops.concat(axis, in));
  }

  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = super.getConfig();
    c.put("axis", axis);
    return c;
  }

  /** From a Keras config. */
  public static Concatenate fromConfig(Map<String, Object> c) {
    Concatenate l = new Concatenate(Configs.intOf(c, "axis", -1));
    Configs.common(l, c);
    return l;
  }
}
