package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.dimsAgree;

import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Ops that run a body graph: the scan loop. */
public sealed interface ControlFlowOp extends Op permits ControlFlowOp.Scan {

  /**
   * A loop over the leading axis of its sequences, as {@code jax.lax.scan}.
   *
   * <p>Operands: {@code numCarries} initial carries, then {@code numSequences} sequences (each with
   * leading axis {@code length}), then constants. The body graph takes the carries, one step of
   * each sequence (the leading axis removed) and the constants, and returns the new carries (same
   * types) followed by per-step outputs. The op returns the final carries followed by each per-step
   * output stacked on a new leading axis. With {@code reverse} the steps run from the last index to
   * the first, and outputs are stored at the index of their step.
   *
   * @param body the loop body
   * @param numCarries number of loop-carried values
   * @param numSequences number of scanned operands
   * @param length the number of steps
   * @param reverse whether to run from the last step to the first
   */
  record Scan(Graph body, int numCarries, int numSequences, int length, boolean reverse)
      implements ControlFlowOp {
    @Override
    public String name() {
      return "scan";
    }

    /** The number of per-step outputs of the body. */
    public int numStepOutputs() {
      return body.outputs().size() - numCarries;
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      List<Value> params = body.inputs();
      if (in.size() != params.size()) {
        throw new ShapeError(
            name(),
            "the body takes "
                + params.size()
                + " inputs but the scan has "
                + in.size()
                + " operands");
      }
      if (numCarries + numSequences > in.size() || body.outputs().size() < numCarries) {
        throw new ShapeError(
            name(), "inconsistent carry/sequence counts for " + in.size() + " operands");
      }
      if (length < 0) {
        throw new ShapeError(name(), "length must be >= 0; received " + length);
      }
      List<TensorType> out = new ArrayList<>();
      for (int i = 0; i < in.size(); i++) {
        TensorType op = in.get(i);
        TensorType expected = params.get(i).type();
        TensorType actual = op;
        if (i >= numCarries && i < numCarries + numSequences) {
          if (op.rank() == 0 || !dimsAgree(op.shape().dim(0), length)) {
            throw new ShapeError(
                name(),
                "sequence operand "
                    + (i - numCarries)
                    + " "
                    + op
                    + " must have leading axis "
                    + length);
          }
          actual =
              new TensorType(
                  op.dtype(), Shape.of(Arrays.copyOfRange(op.shape().dims(), 1, op.rank())));
        }
        if (actual.dtype() != expected.dtype()
            || !actual.shape().isCompatibleWith(expected.shape())) {
          throw new ShapeError(
              name(), "operand " + i + " " + op + " does not fit the body input " + expected);
        }
      }
      for (int i = 0; i < body.outputs().size(); i++) {
        TensorType t = body.outputs().get(i).type();
        if (i < numCarries) {
          TensorType c = params.get(i).type();
          if (!t.equals(c)) {
            throw new ShapeError(
                name(), "the body returns carry " + i + " as " + t + " but takes it as " + c);
          }
          out.add(t);
        } else {
          int[] s = new int[t.rank() + 1];
          s[0] = length;
          System.arraycopy(t.shape().dims(), 0, s, 1, t.rank());
          out.add(new TensorType(t.dtype(), Shape.of(s)));
        }
      }
      return out;
    }

    @Override
    public String attributes() {
      return "carries="
          + numCarries
          + ", sequences="
          + numSequences
          + ", length="
          + length
          + ", reverse="
          + reverse;
    }
  }
}
