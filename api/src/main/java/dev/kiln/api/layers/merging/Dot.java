package dev.kiln.api.layers.merging;

import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.List;

/**
 * The dot product of two inputs of rank 2 or 3 along {@code axes} (one per input, batch axis 0
 * excluded), per sample; with {@code normalize}, of their L2-normalized forms (cosine similarity).
 * Rank-2 inputs give {@code (batch, 1)}.
 */
public final class Dot extends Layer {
  /** The axis of each input to contract (one axis for both, or one per input). */
  public static final Arg<int[]> AXES =
      Arg.ints("axes", null)
          .required()
          .checked("one axis or a pair of axes", a -> a.length == 1 || a.length == 2);

  /** Whether to L2-normalize both inputs first (cosine similarity). */
  public static final Arg<Boolean> NORMALIZE = Arg.bool("normalize", false);

  /** Dot's declaration. */
  public static final KerasClass<Dot> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "Dot",
          Dot.class,
          a -> new Dot(a.get(AXES), a.get(NORMALIZE)),
          AXES,
          NORMALIZE);

  /** A dot over the same axis of both inputs. */
  public Dot(int axis) {
    this(new int[] {axis, axis}, false);
  }

  /** A dot over {@code axes[0]} of the first input and {@code axes[1]} of the second. */
  public Dot(int[] axes, boolean normalize) {
    args().set(AXES, axes.clone());
    args().set(NORMALIZE, normalize);
  }

  private int[] axes() {
    int[] a = args().get(AXES);
    return a.length == 1 ? new int[] {a[0], a[0]} : a;
  }

  @Override
  protected void build(List<Shape> shapes) {
    if (shapes.size() != 2) {
      throw new IllegalArgumentException(
          "A `Dot` layer should be called on a list of 2 inputs. Received: input_shape=" + shapes);
    }
    int[] axes = axes();
    Shape a = shapes.get(0);
    Shape b = shapes.get(1);
    if (a.rank() != b.rank() || a.rank() < 2 || a.rank() > 3) {
      throw new IllegalArgumentException(
          "A `Dot` layer takes two inputs of rank 2 or 3 and equal rank. Received: input_shape="
              + shapes);
    }
    int da = a.dim(norm(axes[0], a.rank()));
    int db = b.dim(norm(axes[1], b.rank()));
    if (da != db && da != Shape.UNKNOWN && db != Shape.UNKNOWN) {
      throw new IllegalArgumentException(
          "Incompatible input shapes: axis values "
              + da
              + " (at axis "
              + axes[0]
              + ") != "
              + db
              + " (at axis "
              + axes[1]
              + "). Full input shapes: "
              + a
              + ", "
              + b);
    }
  }

  private static int norm(int axis, int rank) {
    return axis < 0 ? axis + rank : axis;
  }

  @Override
  protected List<Value> call(Ops ops, List<Value> in) {
    Value x = in.get(0);
    Value y = in.get(1);
    int[] axes = axes();
    int ax = norm(axes[0], x.rank());
    int ay = norm(axes[1], y.rank());
    if (args().get(NORMALIZE)) {
      x = l2Normalize(ops, x, ax);
      y = l2Normalize(ops, y, ay);
    }
    if (x.rank() == 2) {
      return List.of(ops.sum(ops.mul(x, y), true, 1));
    }
    // (batch, i, j) with (batch, k, l): contract x's axis ax with y's axis ay by one matmul.
    boolean ta = ax == 1;
    boolean tb = ay == 2;
    return List.of(ops.matmul(x, y, ta, tb));
  }

  private static Value l2Normalize(Ops ops, Value v, int axis) {
    Value sq = ops.sum(ops.square(v), true, axis);
    return ops.mul(v, ops.rsqrt(ops.maximum(sq, 1e-12)));
  }
}
