package dev.kiln.spi.testkit;

import static dev.kiln.spi.DType.BOOL;
import static dev.kiln.spi.DType.FLOAT64;
import static dev.kiln.spi.DType.INT32;
import static dev.kiln.spi.DType.INT64;

import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import dev.kiln.spi.testkit.OpCases.ConvConfig;
import dev.kiln.spi.testkit.OpCases.PoolConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The gradient cases of the conformance kit, in float64: for each, the suite differentiates {@code
 * sum(out * w)} (random {@code w}) with autodiff on the backend and compares with central finite
 * differences of the same loss, also run on the backend.
 */
public final class GradientCases {
  private GradientCases() {}

  static OpCase g(
      String name,
      List<TensorType> in,
      List<Domain> dom,
      BiFunction<GraphBuilder, List<Value>, List<Value>> f) {
    return new OpCase("gradient." + name, in, dom, f, 1);
  }

  static TensorType f(int... dims) {
    return TensorType.of(FLOAT64, dims);
  }

  /** Every gradient case. */
  public static List<OpCase> all() {
    List<OpCase> c = new ArrayList<>();
    for (UnaryFn fn : UnaryFn.values()) {
      if (fn != UnaryFn.LOGICAL_NOT) {
        c.add(
            g(
                OpCases.lower(fn),
                List.of(f(3, 4)),
                List.of(OpCases.unaryDomain(fn)),
                (b, in) -> List.of(b.unary(fn, in.get(0)))));
      }
    }
    for (BinaryFn fn : BinaryFn.values()) {
      if (fn.logical()) {
        continue;
      }
      Domain da = fn == BinaryFn.POW ? Domain.POSITIVE : Domain.ANY;
      Domain db = fn == BinaryFn.DIV || fn == BinaryFn.MOD ? Domain.NONZERO : Domain.ANY;
      c.add(
          g(
              OpCases.lower(fn) + ".same",
              List.of(f(3, 4), f(3, 4)),
              List.of(da, db),
              (b, in) -> List.of(b.binary(fn, in.get(0), in.get(1)))));
      c.add(
          g(
              OpCases.lower(fn) + ".broadcast",
              List.of(f(3, 1, 4), f(2, 1)),
              List.of(da, db),
              (b, in) -> List.of(b.binary(fn, in.get(0), in.get(1)))));
    }
    c.add(
        g(
            "select",
            List.of(TensorType.of(BOOL, 2, 3), f(2, 3), f(3)),
            List.of(Domain.ANY, Domain.ANY, Domain.ANY),
            (b, in) -> List.of(b.select(in.get(0), in.get(1), in.get(2)))));
    c.add(
        g(
            "cast.float64",
            List.of(f(5)),
            List.of(Domain.ANY),
            (b, in) -> List.of(b.emit1(new ElementwiseOp.Cast(FLOAT64), in.get(0)))));
    for (ReduceFn fn : ReduceFn.values()) {
      Domain dom = fn == ReduceFn.PROD ? Domain.range(0.5, 1.5) : Domain.ANY;
      for (int[] axes : new int[][] {{1}, {0, 2}, {0, 1, 2}}) {
        for (boolean keep : new boolean[] {false, true}) {
          c.add(
              g(
                  "reduce_"
                      + OpCases.lower(fn)
                      + ".axes"
                      + OpCases.axesTag(axes)
                      + (keep ? ".keep" : ""),
                  List.of(f(3, 4, 5)),
                  List.of(dom),
                  (b, in) -> List.of(b.reduce(fn, in.get(0), axes, keep))));
        }
      }
    }
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        TensorType a = ta ? f(4, 3) : f(3, 4);
        TensorType bb = tb ? f(5, 4) : f(4, 5);
        c.add(
            g(
                "matmul" + (ta ? ".ta" : "") + (tb ? ".tb" : ""),
                List.of(a, bb),
                List.of(Domain.ANY, Domain.ANY),
                (b, in) -> List.of(b.matmul(in.get(0), in.get(1), ta, tb))));
      }
    }
    c.add(
        g(
            "matmul.batched_broadcast",
            List.of(f(2, 1, 3, 4), f(5, 4, 2)),
            List.of(Domain.ANY, Domain.ANY),
            (b, in) -> List.of(b.matmul(in.get(0), in.get(1)))));
    // One matrix applied to a stack: its gradient is one product of the stack's rows.
    for (boolean tb : new boolean[] {false, true}) {
      c.add(
          g(
              "matmul.stack_times_matrix" + (tb ? ".tb" : ""),
              List.of(f(3, 2, 4), tb ? f(5, 4) : f(4, 5)),
              List.of(Domain.ANY, Domain.ANY),
              (b, in) -> List.of(b.matmul(in.get(0), in.get(1), false, tb))));
    }
    for (ConvConfig cc : OpCases.convConfigs()) {
      if (cc.x().intSize() > 700) {
        continue;
      }
      TensorType x = new TensorType(FLOAT64, cc.x());
      TensorType w = new TensorType(FLOAT64, cc.w());
      TensorType y = new TensorType(FLOAT64, cc.y());
      c.add(
          g(
              "conv." + cc.tag(),
              List.of(x, w),
              List.of(Domain.ANY, Domain.ANY),
              (b, in) -> List.of(b.conv(in.get(0), in.get(1), cc.spec()))));
      c.add(
          g(
              "conv_backprop_input." + cc.tag(),
              List.of(y, w),
              List.of(Domain.ANY, Domain.ANY),
              (b, in) -> List.of(b.convBackpropInput(in.get(0), in.get(1), cc.spec(), cc.x()))));
      c.add(
          g(
              "conv_backprop_filter." + cc.tag(),
              List.of(x, y),
              List.of(Domain.ANY, Domain.ANY),
              (b, in) -> List.of(b.convBackpropFilter(in.get(0), in.get(1), cc.spec(), cc.w()))));
    }
    for (PoolConfig pc : OpCases.poolConfigs()) {
      TensorType x = new TensorType(FLOAT64, pc.x());
      for (PoolFn fn : PoolFn.values()) {
        c.add(
            g(
                OpCases.lower(fn) + "_pool." + pc.tag(),
                List.of(x),
                List.of(Domain.ANY),
                (b, in) -> List.of(b.pool(fn, in.get(0), pc.spec()))));
      }
      c.add(
          g(
              "avg_pool_backward." + pc.tag(),
              List.of(new TensorType(FLOAT64, pc.y())),
              List.of(Domain.ANY),
              (b, in) ->
                  List.of(b.emit1(new PoolingOp.AvgPoolBackward(pc.spec(), pc.x()), in.get(0)))));
    }
    c.add(
        g(
            "reshape",
            List.of(f(3, 4, 5)),
            List.of(Domain.ANY),
            (b, in) -> List.of(b.reshape(in.get(0), Shape.of(20, 3)))));
    c.add(
        g(
            "transpose",
            List.of(f(2, 3, 4)),
            List.of(Domain.ANY),
            (b, in) -> List.of(b.transpose(in.get(0), 2, 0, 1))));
    c.add(
        g(
            "broadcast_to",
            List.of(f(3, 1)),
            List.of(Domain.ANY),
            (b, in) -> List.of(b.broadcastTo(in.get(0), Shape.of(2, 3, 5)))));
    c.add(
        g(
            "slice",
            List.of(f(7, 6)),
            List.of(Domain.ANY),
            (b, in) -> List.of(b.slice(in.get(0), new int[] {2, 1}, new int[] {4, 3}))));
    // Slices that tile their input (joined by one concat in the gradient), slices that overlap,
    // and slices that leave a gap (each padded back).
    int[][][] windows = {
      {{0, 0}, {0, 2}, {0, 5}},
      {{0, 0}, {0, 3}, {0, 2}},
      {{0, 0}, {0, 4}},
    };
    int[][][] sizes = {
      {{7, 2}, {7, 3}, {7, 1}},
      {{7, 3}, {7, 3}, {7, 2}},
      {{7, 3}, {7, 2}},
    };
    String[] kinds = {"tiling", "overlapping", "gapped"};
    for (int w = 0; w < windows.length; w++) {
      int[][] begins = windows[w];
      int[][] extents = sizes[w];
      c.add(
          g(
              "slices." + kinds[w],
              List.of(f(7, 6)),
              List.of(Domain.ANY),
              (b, in) -> {
                List<Value> outs = new java.util.ArrayList<>();
                for (int i = 0; i < begins.length; i++) {
                  Value part = b.slice(in.get(0), begins[i], extents[i]);
                  // A different function of each part, so a part routed to the wrong place shows.
                  outs.add(i == 0 ? b.mul(part, part) : i == 1 ? b.tanh(part) : b.exp(part));
                }
                return outs;
              }));
    }
    c.add(
        g(
            "strided_slice",
            List.of(f(9, 8)),
            List.of(Domain.ANY),
            (b, in) ->
                List.of(
                    b.stridedSlice(
                        in.get(0), new int[] {1, 0}, new int[] {8, 7}, new int[] {3, 2}))));
    c.add(
        g(
            "strided_slice.negative",
            List.of(f(9, 8)),
            List.of(Domain.ANY),
            (b, in) ->
                List.of(
                    b.stridedSlice(
                        in.get(0), new int[] {8, 6}, new int[] {-1, 0}, new int[] {-2, -3}))));
    c.add(
        g(
            "concat",
            List.of(f(3, 1), f(3, 4)),
            List.of(Domain.ANY, Domain.ANY),
            (b, in) -> List.of(b.concat(1, in.get(0), in.get(1)))));
    c.add(
        g(
            "pad",
            List.of(f(3, 4)),
            List.of(Domain.ANY),
            (b, in) -> List.of(b.pad(in.get(0), new int[] {1, 0}, new int[] {2, 3}, 0.5))));
    c.add(
        g(
            "gather",
            List.of(f(6, 3), TensorType.of(INT32, 4, 2)),
            List.of(Domain.ANY, Domain.ints(0, 6)),
            (b, in) -> List.of(b.gather(in.get(0), in.get(1), 0))));
    c.add(
        g(
            "gather.axis1",
            List.of(f(2, 6, 3), TensorType.of(INT64, 5)),
            List.of(Domain.ANY, Domain.ints(0, 6)),
            (b, in) -> List.of(b.gather(in.get(0), in.get(1), 1))));
    c.add(
        g(
            "scatter_add",
            List.of(f(6, 3), TensorType.of(INT32, 7), f(7, 3)),
            List.of(Domain.ANY, Domain.ints(0, 6), Domain.ANY),
            (b, in) -> List.of(b.scatterAdd(in.get(0), in.get(1), in.get(2), 0))));
    for (boolean reverse : new boolean[] {false, true}) {
      c.add(
          g(
              "scan.cumsum" + (reverse ? ".reverse" : ""),
              List.of(f(3), f(4, 3)),
              List.of(Domain.ANY, Domain.ANY),
              (b, in) ->
                  b.scan(
                      OpCases.cumsumBody(FLOAT64, 3),
                      List.of(in.get(0)),
                      List.of(in.get(1)),
                      List.of(),
                      reverse)));
    }
    c.add(
        g(
            "scan.rnn",
            List.of(f(2, 4), f(5, 2, 3), f(3, 4), f(4, 4), f(4)),
            List.of(
                Domain.ANY,
                Domain.ANY,
                Domain.range(-0.5, 0.5),
                Domain.range(-0.5, 0.5),
                Domain.ANY),
            (b, in) ->
                b.scan(
                    OpCases.rnnBody(FLOAT64, 2, 3, 4),
                    List.of(in.get(0)),
                    List.of(in.get(1)),
                    List.of(in.get(2), in.get(3), in.get(4)),
                    false)));
    c.add(
        g(
            "softmax",
            List.of(f(3, 5)),
            List.of(Domain.ANY),
            (b, in) -> List.of(b.softmax(in.get(0), -1))));
    c.add(
        g(
            "softmax.axis0",
            List.of(f(3, 5)),
            List.of(Domain.ANY),
            (b, in) -> List.of(b.softmax(in.get(0), 0))));
    c.add(
        g(
            "log_softmax",
            List.of(f(3, 5)),
            List.of(Domain.ANY),
            (b, in) -> List.of(b.logSoftmax(in.get(0), -1))));
    c.add(
        g(
            "logsumexp",
            List.of(f(3, 4, 5)),
            List.of(Domain.ANY),
            (b, in) -> List.of(b.logSumExp(in.get(0), new int[] {0, 2}, false))));
    c.add(
        g(
            "softmax_cross_entropy",
            List.of(f(3, 5), f(3, 5)),
            List.of(Domain.ANY, Domain.range(0, 1)),
            (b, in) -> List.of(b.softmaxCrossEntropy(in.get(0), in.get(1), -1))));
    c.add(
        g(
            "sigmoid_cross_entropy",
            List.of(f(3, 5), f(3, 5)),
            List.of(Domain.ANY, Domain.range(0, 1)),
            (b, in) -> List.of(b.sigmoidCrossEntropy(in.get(0), in.get(1)))));
    c.add(
        g(
            "batch_norm_training",
            List.of(f(4, 3, 2), f(2), f(2)),
            List.of(Domain.ANY, Domain.ANY, Domain.ANY),
            (b, in) -> b.batchNormTraining(in.get(0), in.get(1), in.get(2), -1, 1e-3)));
    c.add(
        g(
            "batch_norm_training.axis0",
            List.of(f(3, 4), f(3), f(3)),
            List.of(Domain.ANY, Domain.ANY, Domain.ANY),
            (b, in) -> b.batchNormTraining(in.get(0), in.get(1), in.get(2), 0, 1e-3)));
    c.add(
        g(
            "batch_norm_training_grad",
            List.of(f(4, 3, 2), f(2), f(2), f(2), f(4, 3, 2), f(2), f(2)),
            List.of(
                Domain.ANY,
                Domain.ANY,
                Domain.ANY,
                Domain.POSITIVE,
                Domain.ANY,
                Domain.ANY,
                Domain.ANY),
            (b, in) ->
                b.batchNormTrainingGrad(
                    in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), in.get(5), in.get(6), -1,
                    1e-3)));
    c.add(
        g(
            "batch_norm_inference",
            List.of(f(4, 3), f(3), f(3), f(3), f(3)),
            List.of(Domain.ANY, Domain.ANY, Domain.POSITIVE, Domain.ANY, Domain.ANY),
            (b, in) ->
                List.of(
                    b.batchNormInference(
                        in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), -1, 1e-3))));
    c.add(
        g(
            "layer_norm",
            List.of(f(3, 5), f(5), f(5)),
            List.of(Domain.ANY, Domain.ANY, Domain.ANY),
            (b, in) ->
                List.of(b.layerNorm(in.get(0), in.get(1), in.get(2), new int[] {-1}, 1e-5))));
    c.add(
        g(
            "layer_norm.axes0_1",
            List.of(f(2, 3, 4), f(2, 3), f(2, 3)),
            List.of(Domain.ANY, Domain.ANY, Domain.ANY),
            (b, in) ->
                List.of(b.layerNorm(in.get(0), in.get(1), in.get(2), new int[] {0, 1}, 1e-5))));
    for (boolean approx : new boolean[] {false, true}) {
      c.add(
          g(
              approx ? "gelu_tanh" : "gelu",
              List.of(f(3, 4)),
              List.of(Domain.range(-3, 3)),
              (b, in) -> List.of(b.gelu(in.get(0), approx))));
    }
    c.add(
        g(
            "silu",
            List.of(f(3, 4)),
            List.of(Domain.range(-3, 3)),
            (b, in) -> List.of(b.silu(in.get(0)))));
    return c;
  }
}
