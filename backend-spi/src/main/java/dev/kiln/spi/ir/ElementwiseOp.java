package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.arity;
import static dev.kiln.spi.ir.Rules.broadcast;
import static dev.kiln.spi.ir.Rules.one;
import static dev.kiln.spi.ir.Rules.requireFloat;
import static dev.kiln.spi.ir.Rules.requireNumeric;
import static dev.kiln.spi.ir.Rules.sameDtype;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.List;
import java.util.Locale;

/**
 * Ops that compute each result element from the operand elements at the same position, with numpy
 * broadcasting of the operands.
 */
public sealed interface ElementwiseOp extends Op
    permits ElementwiseOp.Unary,
        ElementwiseOp.Binary,
        ElementwiseOp.Compare,
        ElementwiseOp.Select,
        ElementwiseOp.Cast {

  /** An elementwise function of one operand; the result has the operand's type. */
  record Unary(UnaryFn fn) implements ElementwiseOp {
    @Override
    public String name() {
      return fn.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      TensorType x = in.get(0);
      if (fn == UnaryFn.LOGICAL_NOT) {
        if (!x.dtype().isBool()) {
          throw new ShapeError(name(), "expects a bool operand but received " + x);
        }
      } else if (fn.floatOnly()) {
        requireFloat(name(), x);
      } else {
        requireNumeric(name(), x);
      }
      return List.of(x);
    }
  }

  /** An elementwise function of two operands of one dtype, with numpy broadcasting. */
  record Binary(BinaryFn fn) implements ElementwiseOp {
    @Override
    public String name() {
      return fn.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      if (fn.logical() != d.isBool()) {
        throw new ShapeError(
            name(),
            (fn.logical() ? "expects bool operands" : "expects numeric operands")
                + " but received "
                + in);
      }
      if (fn == BinaryFn.POW) {
        requireFloat(name(), in.get(0));
      }
      return one(d, broadcast(name(), in.get(0), in.get(1)));
    }
  }

  /** An elementwise comparison with broadcasting; the result is bool. It has no gradient. */
  record Compare(CompareFn fn) implements ElementwiseOp {
    @Override
    public String name() {
      return fn.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      sameDtype(name(), in);
      return one(DType.BOOL, broadcast(name(), in.get(0), in.get(1)));
    }
  }

  /** {@code cond ? a : b} elementwise with broadcasting of all three; {@code cond} is bool. */
  record Select() implements ElementwiseOp {
    @Override
    public String name() {
      return "select";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 3);
      if (!in.get(0).dtype().isBool()) {
        throw new ShapeError(name(), "the condition must be bool but received " + in.get(0));
      }
      DType d = sameDtype(name(), in.subList(1, 3));
      Shape s = broadcast(name(), in.get(1), in.get(2));
      s = broadcast(name(), in.get(0), new TensorType(d, s));
      return one(d, s);
    }
  }

  /**
   * Converts to another dtype. Floats become integers toward zero, saturating, NaN to 0; integers
   * narrow by wrapping; nonzero becomes true.
   */
  record Cast(DType to) implements ElementwiseOp {
    @Override
    public String name() {
      return "cast";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      return one(to, in.get(0).shape());
    }

    @Override
    public String attributes() {
      return "to=" + to;
    }
  }
}
