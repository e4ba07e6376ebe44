package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.arity;
import static dev.kiln.spi.ir.Rules.broadcast;
import static dev.kiln.spi.ir.Rules.dimsAgree;
import static dev.kiln.spi.ir.Rules.one;
import static dev.kiln.spi.ir.Rules.requireNumeric;
import static dev.kiln.spi.ir.Rules.sameDtype;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.Arrays;
import java.util.List;

/** Linear algebra: the batched matrix product. */
public sealed interface LinalgOp extends Op permits LinalgOp.MatMul {

  /**
   * Batched matrix product of operands of rank ≥ 2: {@code op(a) @ op(b)} over the last two axes,
   * where {@code op} transposes those two axes when asked; leading (batch) axes broadcast.
   */
  record MatMul(boolean transposeA, boolean transposeB) implements LinalgOp {
    @Override
    public String name() {
      return "matmul";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 2);
      DType d = sameDtype(name(), in);
      requireNumeric(name(), in.get(0));
      TensorType a = in.get(0);
      TensorType b = in.get(1);
      if (a.rank() < 2 || b.rank() < 2) {
        throw new ShapeError(
            name(),
            "operands must have rank >= 2; received shapes " + a.shape() + " and " + b.shape());
      }
      int m = a.shape().dim(transposeA ? -1 : -2);
      int ka = a.shape().dim(transposeA ? -2 : -1);
      int kb = b.shape().dim(transposeB ? -1 : -2);
      int n = b.shape().dim(transposeB ? -2 : -1);
      if (!dimsAgree(ka, kb)) {
        throw new ShapeError(
            name(),
            "inner dimensions differ: shapes "
                + a.shape()
                + (transposeA ? " (transposed)" : "")
                + " and "
                + b.shape()
                + (transposeB ? " (transposed)" : "")
                + " give "
                + ka
                + " vs "
                + kb);
      }
      Shape batch =
          broadcast(
              name(), new TensorType(d, batchOf(a.shape())), new TensorType(d, batchOf(b.shape())));
      int[] out = Arrays.copyOf(batch.dims(), batch.rank() + 2);
      out[batch.rank()] = m;
      out[batch.rank() + 1] = n;
      return one(d, Shape.of(out));
    }

    private static Shape batchOf(Shape s) {
      return Shape.of(Arrays.copyOf(s.dims(), s.rank() - 2));
    }

    @Override
    public String attributes() {
      return "transpose_a=" + transposeA + ", transpose_b=" + transposeB;
    }
  }
}
