package dev.kiln.spi.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.ArgFn;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Holds the reference evaluator to golden values from TensorFlow.js 4.22 (CPU backend), produced by
 * {@code src/test/golden/make-tfjs-golden.js}: convolution and pooling geometry, SAME padding,
 * rounding, floor division, clamping and masking rules are checked against an implementation
 * written by other people.
 */
class TfjsGoldenTest {
  record Golden(String name, List<HostTensor> inputs, List<HostTensor> outputs) {}

  private static final Map<String, BiFunction<GraphBuilder, List<Value>, List<Value>>> GRAPHS =
      new HashMap<>();

  private static void graph(String name, BiFunction<GraphBuilder, List<Value>, List<Value>> f) {
    GRAPHS.put(name, f);
  }

  private static ConvSpec conv(int[] strides, Padding p, int[] dilations, int groups) {
    return new ConvSpec(strides, p, dilations, groups);
  }

  static {
    graph(
        "conv2d_valid",
        (b, x) -> List.of(b.conv(x.get(0), x.get(1), ConvSpec.simple(2, Padding.VALID))));
    ConvSpec same2 = conv(new int[] {2, 2}, Padding.SAME, new int[] {1, 1}, 1);
    graph("conv2d_same_stride2", (b, x) -> List.of(b.conv(x.get(0), x.get(1), same2)));
    graph(
        "conv2d_same_stride2_backprop_input",
        (b, x) -> List.of(b.convBackpropInput(x.get(0), x.get(1), same2, Shape.of(1, 8, 9, 4))));
    graph(
        "conv2d_same_stride2_backprop_filter",
        (b, x) -> List.of(b.convBackpropFilter(x.get(0), x.get(1), same2, Shape.of(5, 5, 4, 3))));
    graph(
        "conv2d_dilation_2_1",
        (b, x) ->
            List.of(
                b.conv(
                    x.get(0),
                    x.get(1),
                    conv(new int[] {1, 1}, Padding.VALID, new int[] {2, 1}, 1))));
    graph(
        "conv2d_explicit_stride_1_2",
        (b, x) ->
            List.of(
                b.conv(
                    x.get(0),
                    x.get(1),
                    conv(
                        new int[] {1, 2},
                        Padding.explicit(new int[] {2, 1}, new int[] {0, 3}),
                        new int[] {1, 1},
                        1))));
    graph(
        "depthwise_same_stride_2_1",
        (b, x) ->
            List.of(
                b.conv(
                    x.get(0),
                    x.get(1),
                    conv(new int[] {2, 1}, Padding.SAME, new int[] {1, 1}, 3))));
    graph(
        "conv1d_same_stride2",
        (b, x) ->
            List.of(
                b.conv(x.get(0), x.get(1), conv(new int[] {2}, Padding.SAME, new int[] {1}, 1))));
    graph(
        "conv3d_valid",
        (b, x) -> List.of(b.conv(x.get(0), x.get(1), ConvSpec.simple(3, Padding.VALID))));
    PoolSpec p2 = new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, Padding.SAME);
    PoolSpec p3 = new PoolSpec(new int[] {3, 3}, new int[] {1, 1}, Padding.SAME);
    graph("max_pool_2x2_same", (b, x) -> List.of(b.pool(PoolFn.MAX, x.get(0), p2)));
    graph("avg_pool_2x2_same", (b, x) -> List.of(b.pool(PoolFn.AVG, x.get(0), p2)));
    graph(
        "max_pool_2x2_same_backward",
        (b, x) -> List.of(b.emit1(new PoolingOp.MaxPoolBackward(p2), x.get(0), x.get(1))));
    PoolSpec v2 = new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, Padding.VALID);
    graph(
        "avg_pool_2x2_valid_backward",
        (b, x) ->
            List.of(b.emit1(new PoolingOp.AvgPoolBackward(v2, Shape.of(2, 7, 7, 3)), x.get(0))));
    graph("max_pool_3x3_stride1_same", (b, x) -> List.of(b.pool(PoolFn.MAX, x.get(0), p3)));
    graph("avg_pool_3x3_stride1_same", (b, x) -> List.of(b.pool(PoolFn.AVG, x.get(0), p3)));
    graph("matmul_ta_tb", (b, x) -> List.of(b.matmul(x.get(0), x.get(1), true, true)));
    graph(
        "matmul_batched",
        (b, x) -> List.of(b.matmul(x.get(0), b.reshape(x.get(1), Shape.of(2, 1, 5, 6)))));
    graph(
        "reduce_sum_0_2",
        (b, x) -> List.of(b.reduce(ReduceFn.SUM, x.get(0), new int[] {0, 2}, false)));
    graph(
        "reduce_mean_1_keep",
        (b, x) -> List.of(b.reduce(ReduceFn.MEAN, x.get(0), new int[] {1}, true)));
    graph(
        "reduce_max_0_2",
        (b, x) -> List.of(b.reduce(ReduceFn.MAX, x.get(0), new int[] {0, 2}, false)));
    graph(
        "reduce_min_2", (b, x) -> List.of(b.reduce(ReduceFn.MIN, x.get(0), new int[] {2}, false)));
    graph(
        "reduce_prod_1",
        (b, x) -> List.of(b.reduce(ReduceFn.PROD, x.get(0), new int[] {1}, false)));
    graph("logsumexp_1", (b, x) -> List.of(b.logSumExp(x.get(0), new int[] {1}, false)));
    graph("argmax_1", (b, x) -> List.of(b.argReduce(ArgFn.ARGMAX, x.get(0), 1, false)));
    graph("softmax", (b, x) -> List.of(b.softmax(x.get(0), -1)));
    graph("log_softmax", (b, x) -> List.of(b.logSoftmax(x.get(0), -1)));
    graph(
        "softmax_cross_entropy", (b, x) -> List.of(b.softmaxCrossEntropy(x.get(0), x.get(1), -1)));
    graph("sigmoid_cross_entropy", (b, x) -> List.of(b.sigmoidCrossEntropy(x.get(0), x.get(1))));
    graph(
        "strided_slice_negative",
        (b, x) ->
            List.of(
                b.stridedSlice(
                    x.get(0), new int[] {16, 32}, new int[] {-1, 3}, new int[] {-2, -3})));
    graph("pad_1_5", (b, x) -> List.of(b.pad(x.get(0), new int[] {1, 2}, new int[] {3, 0}, 1.5)));
    graph("gather_axis1", (b, x) -> List.of(b.gather(x.get(0), x.get(1), 1)));
    graph(
        "scatter_add_into_zeros",
        (b, x) ->
            List.of(
                b.scatterAdd(
                    b.fill(0, dev.kiln.spi.TensorType.of(DType.FLOAT32, 17, 5)),
                    x.get(1),
                    x.get(0),
                    0)));
    graph("one_hot_5", (b, x) -> List.of(b.oneHot(x.get(0), 5, DType.INT32)));
    graph("round_half_even", (b, x) -> List.of(b.unary(UnaryFn.ROUND, x.get(0))));
    graph("erf", (b, x) -> List.of(b.erf(x.get(0))));
    graph("floor_div_int32", (b, x) -> List.of(b.div(x.get(0), x.get(1))));
    graph("mod_int32", (b, x) -> List.of(b.binary(BinaryFn.MOD, x.get(0), x.get(1))));
    graph("mod_float32", (b, x) -> List.of(b.binary(BinaryFn.MOD, x.get(0), x.get(1))));
    graph("pow", (b, x) -> List.of(b.pow(x.get(0), x.get(1))));
    graph("cast_float32_to_int32", (b, x) -> List.of(b.cast(x.get(0), DType.INT32)));
    graph(
        "batch_norm_inference",
        (b, x) ->
            List.of(
                b.batchNormInference(x.get(0), x.get(1), x.get(2), x.get(3), x.get(4), -1, 1e-3)));
    graph(
        "batch_norm_training",
        (b, x) -> b.batchNormTraining(x.get(0), x.get(1), x.get(2), -1, 1e-3));
    graph(
        "layer_norm_last",
        (b, x) -> List.of(b.layerNorm(x.get(0), x.get(1), x.get(2), new int[] {-1}, 1e-5)));
  }

  static List<Golden> load() throws IOException {
    List<Golden> out = new ArrayList<>();
    try (InputStream in = TfjsGoldenTest.class.getResourceAsStream("/golden/tfjs-ops.txt");
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String name = null;
      List<HostTensor> ins = null;
      List<HostTensor> outs = null;
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("case ")) {
          if (name != null) {
            out.add(new Golden(name, ins, outs));
          }
          name = line.substring(5).trim();
          ins = new ArrayList<>();
          outs = new ArrayList<>();
        } else if (line.startsWith("in ") || line.startsWith("out ")) {
          (line.startsWith("in ") ? ins : outs).add(parse(line));
        }
      }
      if (name != null) {
        out.add(new Golden(name, ins, outs));
      }
    }
    return out;
  }

  private static HostTensor parse(String line) {
    String[] head = line.substring(0, line.indexOf(" : ")).split(" ");
    String[] values = line.substring(line.indexOf(" : ") + 3).trim().split(" ");
    DType d = DType.fromKerasName(head[1]);
    int[] dims =
        head[2].equals("-")
            ? new int[0]
            : Stream.of(head[2].split(",")).mapToInt(Integer::parseInt).toArray();
    double[] v = new double[values.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = Double.parseDouble(values[i]);
    }
    return HostTensor.fromDoubles(d, Shape.of(dims), v);
  }

  @Test
  void everyGoldenCaseHasAGraphAndEveryGraphAGoldenCase() throws IOException {
    Map<String, Golden> byName = new LinkedHashMap<>();
    for (Golden g : load()) {
      byName.put(g.name(), g);
    }
    assertEquals(
        GRAPHS.keySet().stream().sorted().toList(), byName.keySet().stream().sorted().toList());
  }

  @TestFactory
  Stream<DynamicTest> referenceMatchesTensorFlowJs() throws IOException {
    ReferenceEvaluator ref = new ReferenceEvaluator();
    return load().stream()
        .map(
            g ->
                DynamicTest.dynamicTest(
                    g.name(),
                    () -> {
                      GraphBuilder b = new GraphBuilder();
                      List<Value> in = new ArrayList<>();
                      for (HostTensor h : g.inputs()) {
                        in.add(b.input(h.type()));
                      }
                      Graph graph =
                          b.output(GRAPHS.get(g.name()).apply(b, in).toArray(Value[]::new)).build();
                      List<HostTensor> actual = ref.run(graph, g.inputs());
                      assertEquals(g.outputs().size(), actual.size());
                      for (int i = 0; i < actual.size(); i++) {
                        HostTensor expected = g.outputs().get(i);
                        HostTensor a = actual.get(i);
                        // TF.js's argmax and one-hot give int32, as Kiln's do; its values are
                        // float32 computed in its own order, hence float32 tolerances.
                        assertTrue(
                            a.dtype() == expected.dtype(),
                            g.name() + ": dtype " + a.dtype() + " vs " + expected.dtype());
                        Compare.assertClose(g.name() + " output " + i, expected, a, 2e-5, 5e-5);
                      }
                    }));
  }
}
