package dev.kiln.spi.ir;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Checks shared by the ops' shape rules; every failure names the op and the operand types. */
final class Rules {
  private Rules() {}

  static void arity(String op, List<TensorType> in, int n) {
    if (in.size() != n) {
      throw new ShapeError(
          op, "expects " + n + " operand(s) but received " + in.size() + ": " + in);
    }
  }

  static void minArity(String op, List<TensorType> in, int n) {
    if (in.size() < n) {
      throw new ShapeError(
          op, "expects at least " + n + " operand(s) but received " + in.size() + ": " + in);
    }
  }

  static DType sameDtype(String op, List<TensorType> in) {
    DType d = in.get(0).dtype();
    for (TensorType t : in) {
      if (t.dtype() != d) {
        throw new ShapeError(
            op, "operands must share a dtype; received " + in + " (cast one of them first)");
      }
    }
    return d;
  }

  static void requireFloat(String op, TensorType t) {
    if (!t.dtype().isFloating()) {
      throw new ShapeError(op, "expects a floating-point operand but received " + t);
    }
  }

  static void requireNumeric(String op, TensorType t) {
    if (!t.dtype().isNumeric()) {
      throw new ShapeError(op, "expects a numeric operand but received " + t);
    }
  }

  static void requireInteger(String op, String what, TensorType t) {
    if (!t.dtype().isInteger()) {
      throw new ShapeError(op, what + " must have an integer dtype but received " + t);
    }
  }

  /** Numpy broadcasting of two shapes; an unknown dimension matches any size. */
  static Shape broadcast(String op, TensorType a, TensorType b) {
    Shape x = a.shape();
    Shape y = b.shape();
    int rank = Math.max(x.rank(), y.rank());
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) {
      int dx = i < rank - x.rank() ? 1 : x.dim(i - (rank - x.rank()));
      int dy = i < rank - y.rank() ? 1 : y.dim(i - (rank - y.rank()));
      if (dx == dy) {
        out[i] = dx;
      } else if (dx == 1) {
        out[i] = dy;
      } else if (dy == 1) {
        out[i] = dx;
      } else if (dx == Shape.UNKNOWN) {
        out[i] = dy;
      } else if (dy == Shape.UNKNOWN) {
        out[i] = dx;
      } else {
        throw new ShapeError(
            op,
            "shapes "
                + x
                + " and "
                + y
                + " cannot be broadcast together (dimension "
                + dx
                + " vs "
                + dy
                + " at output axis "
                + i
                + ")");
      }
    }
    return Shape.of(out);
  }

  /** Sorted, unique, non-negative axes; an error names the op and the shape. */
  static int[] normalizeAxes(String op, int[] axes, TensorType t) {
    int[] out = new int[axes.length];
    for (int i = 0; i < axes.length; i++) {
      int a = axes[i] < 0 ? axes[i] + t.rank() : axes[i];
      if (a < 0 || a >= t.rank()) {
        throw new ShapeError(
            op, "axis " + axes[i] + " is out of range for operand " + t + " of rank " + t.rank());
      }
      out[i] = a;
    }
    Arrays.sort(out);
    for (int i = 1; i < out.length; i++) {
      if (out[i] == out[i - 1]) {
        throw new ShapeError(op, "axis " + out[i] + " is repeated in " + Arrays.toString(axes));
      }
    }
    return out;
  }

  static int normalizeAxis(String op, int axis, int rank, TensorType t) {
    int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw new ShapeError(op, "axis " + axis + " is out of range for operand " + t);
    }
    return a;
  }

  static boolean dimsAgree(int a, int b) {
    return a == b || a == Shape.UNKNOWN || b == Shape.UNKNOWN;
  }

  static void checkFullyKnown(String op, String what, Shape s) {
    if (!s.isFullyKnown()) {
      throw new ShapeError(op, what + " must be fully known but is " + s);
    }
  }

  static List<TensorType> one(DType d, Shape s) {
    return List.of(new TensorType(d, s));
  }

  /** The shape after reducing {@code axes} (sorted). */
  static Shape reducedShape(Shape s, int[] axes, boolean keepDims) {
    List<Integer> out = new ArrayList<>();
    int k = 0;
    for (int i = 0; i < s.rank(); i++) {
      if (k < axes.length && axes[k] == i) {
        k++;
        if (keepDims) {
          out.add(1);
        }
      } else {
        out.add(s.dim(i));
      }
    }
    return Shape.of(out.stream().mapToInt(Integer::intValue).toArray());
  }

  static String str(int[] a) {
    return Arrays.toString(a);
  }
}
