package dev.kiln.api.ops;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.api.KerasTensor;
import dev.kiln.api.Tensor;
import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.ops.Ops.ScanResult;
import dev.kiln.api.ops.Ops.ScanStep;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Ops#scan}: values, direction, and weights read inside the body, whose gradients flow
 * through the loop.
 */
class ScanTest {
  private static final int BATCH = 2;
  private static final int STEPS = 4;
  private static final int IN = 3;
  private static final int UNITS = 3;

  /**
   * {@code h_t = tanh(x_t W + h_{t-1} U)} over {@code (batch, T, in)}; returns every {@code h_t}.
   */
  static final class TinyRnn extends Layer {
    Weight kernel;
    Weight recurrent;

    @Override
    protected void build(List<Shape> inputShapes) {
      int in = inputShapes.get(0).dim(-1);
      kernel =
          addWeight(
              "kernel", new int[] {in, UNITS}, Initializers.randomUniform(-0.8, 0.8, 11L), true);
      recurrent =
          addWeight(
              "recurrent_kernel",
              new int[] {UNITS, UNITS},
              Initializers.randomUniform(-0.8, 0.8, 12L),
              true);
    }

    @Override
    protected Value call(Ops ops, Value x) {
      Value timeMajor = ops.transpose(x, 1, 0, 2);
      Value h0 = ops.zeros(new TensorType(x.dtype(), Shape.of(x.shape().dim(0), UNITS)));
      ScanResult r =
          ops.scan(
              List.of(h0),
              List.of(timeMajor),
              false,
              (o, h, xt) -> {
                Value next =
                    o.tanh(
                        o.add(
                            o.matmul(xt.get(0), o.read(kernel)),
                            o.matmul(h.get(0), o.read(recurrent))));
                return new ScanStep(List.of(next), List.of(next));
              });
      return ops.transpose(r.outputs().get(0), 1, 0, 2);
    }
  }

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return v;
  }

  /** The loss {@code sum(c * h) + 0.5 sum(W^2)} of the recurrence, in double precision. */
  private static double referenceLoss(double[] w, double[] u, float[] x, float[] c) {
    double loss = 0;
    for (double v : w) {
      loss += 0.5 * v * v;
    }
    for (int b = 0; b < BATCH; b++) {
      double[] h = new double[UNITS];
      for (int t = 0; t < STEPS; t++) {
        double[] next = new double[UNITS];
        for (int j = 0; j < UNITS; j++) {
          double z = 0;
          for (int i = 0; i < IN; i++) {
            z += x[(b * STEPS + t) * IN + i] * w[i * UNITS + j];
          }
          for (int k = 0; k < UNITS; k++) {
            z += h[k] * u[k * UNITS + j];
          }
          next[j] = Math.tanh(z);
          loss += c[(b * STEPS + t) * UNITS + j] * next[j];
        }
        h = next;
      }
    }
    return loss;
  }

  /**
   * Central differences of {@link #referenceLoss} with respect to {@code w} ({@code which} 0) or u.
   */
  private static double[] finiteDifferences(
      double[] w, double[] u, float[] x, float[] c, int which) {
    double[] p = which == 0 ? w : u;
    double[] g = new double[p.length];
    double h = 1e-6;
    for (int i = 0; i < p.length; i++) {
      double keep = p[i];
      p[i] = keep + h;
      double up = referenceLoss(w, u, x, c);
      p[i] = keep - h;
      double down = referenceLoss(w, u, x, c);
      p[i] = keep;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  }

  @Test
  void weightsReadInTheBodyGetGradientsThroughTheLoop() {
    TinyRnn rnn = new TinyRnn();
    float[] x = random(BATCH * STEPS * IN, 21);
    float[] c = random(BATCH * STEPS * UNITS, 22);
    List<HostTensor> r =
        ApiTestSupport.run(
            (o, in) -> {
              Value y = rnn.trace(o, List.of(in.get(0))).get(0);
              Value w = o.read(rnn.kernel);
              Value u = o.read(rnn.recurrent);
              Value penalty = o.mul(o.sumAll(o.square(w)), 0.5);
              Value loss = o.add(o.sumAll(o.mul(y, in.get(1))), penalty);
              List<Value> g = o.gradients(loss, List.of(w, u));
              // the same recurrence unrolled by hand with ordinary ops
              Value h = o.zeros(TensorType.of(DType.FLOAT32, BATCH, UNITS));
              Value unrolled = penalty;
              for (int t = 0; t < STEPS; t++) {
                Value xt = o.squeeze(o.sliceAxis(in.get(0), 1, t, 1), 1);
                h = o.tanh(o.add(o.matmul(xt, w), o.matmul(h, u)));
                Value ct = o.squeeze(o.sliceAxis(in.get(1), 1, t, 1), 1);
                unrolled = o.add(unrolled, o.sumAll(o.mul(h, ct)));
              }
              List<Value> gu = o.gradients(unrolled, List.of(w, u));
              return List.of(loss, g.get(0), g.get(1), unrolled, gu.get(0), gu.get(1));
            },
            List.of(
                HostTensor.of(Shape.of(BATCH, STEPS, IN), x),
                HostTensor.of(Shape.of(BATCH, STEPS, UNITS), c)));
    List<Tensor> weights = rnn.getWeights();
    double[] w = weights.get(0).toDoubleArray();
    double[] u = weights.get(1).toDoubleArray();
    double loss = referenceLoss(w, u, x, c);
    assertClose("loss", loss, r.get(0).getDouble(0), 1e-5);
    assertClose("unrolled loss", loss, r.get(3).getDouble(0), 1e-5);
    double[] dw = finiteDifferences(w, u, x, c, 0);
    double[] du = finiteDifferences(w, u, x, c, 1);
    assertClose("dLoss/dW against finite differences", dw, r.get(1).toDoubleArray(), 1e-4);
    assertClose("dLoss/dU against finite differences", du, r.get(2).toDoubleArray(), 1e-4);
    assertClose(
        "dLoss/dW against the unrolled graph",
        r.get(4).toDoubleArray(),
        r.get(1).toDoubleArray(),
        1e-5);
    assertClose(
        "dLoss/dU against the unrolled graph",
        r.get(5).toDoubleArray(),
        r.get(2).toDoubleArray(),
        1e-5);
  }

  @Test
  void aRecurrentLayerTracesSymbolically() {
    TinyRnn rnn = new TinyRnn();
    KerasTensor y = rnn.apply(Input.of(STEPS, IN));
    assertEquals(Shape.of(Shape.UNKNOWN, STEPS, UNITS), y.shape());
  }

  /** A layer with one weight, for reading it inside scan bodies. */
  static final class Holder extends Layer {
    Weight w;

    @Override
    protected void build(List<Shape> inputShapes) {
      w = addWeight("w", new int[] {2, 3}, Initializers.randomUniform(-1, 1, 31L), true);
    }

    @Override
    protected Value call(Ops ops, Value x) {
      return x;
    }
  }

  @Test
  void aBodyReadsTheSameWeightValueAsOutside() {
    Holder holder = new Holder();
    List<Node> scans = new ArrayList<>();
    List<HostTensor> r =
        ApiTestSupport.run(
            (o, in) -> {
              holder.trace(o, in);
              Value outer = o.read(holder.w);
              ScanResult s =
                  o.scan(
                      List.of(),
                      List.of(in.get(0)),
                      false,
                      (bo, carries, xt) -> {
                        Value first = bo.read(holder.w);
                        assertSame(first, bo.read(holder.w), "reads in a body are cached");
                        // a scan nested in the body captures through both levels
                        ScanResult inner =
                            bo.scan(
                                2,
                                List.of(),
                                List.of(),
                                false,
                                (io, c2, x2) ->
                                    new ScanStep(List.of(), List.of(io.read(holder.w))));
                        return new ScanStep(List.of(), List.of(first, inner.outputs().get(0)));
                      });
              Node node = s.outputs().get(0).node();
              scans.add(node);
              assertSame(outer, node.inputs().get(1), "the body's read is fed by the outer read");
              return List.of(outer, s.outputs().get(0), s.outputs().get(1));
            },
            List.of(HostTensor.of(Shape.of(3), new float[] {1, 2, 3})));
    // one sequence and one capture, however often the body reads the weight
    assertEquals(2, scans.get(0).inputs().size());
    double[] w = holder.getWeights().get(0).toDoubleArray();
    assertClose("outer read", w, r.get(0).toDoubleArray(), 0);
    HostTensor steps = r.get(1);
    assertArrayEquals(new int[] {3, 2, 3}, steps.shape().dims());
    HostTensor nested = r.get(2);
    assertArrayEquals(new int[] {3, 2, 2, 3}, nested.shape().dims());
    for (int i = 0; i < steps.size(); i++) {
      assertEquals(w[i % w.length], steps.getDouble(i), "step read at " + i);
    }
    for (int i = 0; i < nested.size(); i++) {
      assertEquals(w[i % w.length], nested.getDouble(i), "nested read at " + i);
    }
  }

  @Test
  void runningSumsForwardAndReverseWithAPassThroughCarry() {
    HostTensor x = HostTensor.of(Shape.of(4), new float[] {1, 2, 3, 4});
    List<HostTensor> r =
        ApiTestSupport.run(
            (o, in) -> {
              List<Value> out = new ArrayList<>();
              for (boolean reverse : new boolean[] {false, true}) {
                ScanResult s =
                    o.scan(
                        List.of(o.scalar(0), o.scalar(2)),
                        List.of(in.get(0)),
                        reverse,
                        (bo, c, xt) -> {
                          Value sum = bo.add(c.get(0), xt.get(0));
                          // the second carry passes through unchanged
                          return new ScanStep(
                              List.of(sum, c.get(1)), List.of(sum, bo.mul(xt.get(0), c.get(1))));
                        });
                out.addAll(s.carries());
                out.addAll(s.outputs());
              }
              return out;
            },
            List.of(x));
    assertClose("final sum", 10, r.get(0).getDouble(0), 0);
    assertClose("passed-through carry", 2, r.get(1).getDouble(0), 0);
    assertClose("running sums", new double[] {1, 3, 6, 10}, r.get(2).toDoubleArray(), 0);
    assertClose("scaled", new double[] {2, 4, 6, 8}, r.get(3).toDoubleArray(), 0);
    assertClose("reverse final sum", 10, r.get(4).getDouble(0), 0);
    // reverse runs from the last step and stores each output at its step's index
    assertClose("reverse running sums", new double[] {10, 9, 7, 4}, r.get(6).toDoubleArray(), 0);
  }

  @Test
  void randomKeysAndCapturedValuesComeFromTheEnclosingTrace() {
    List<HostTensor> r =
        ApiTestSupport.run(
            (o, in) -> {
              Value offset = o.scalar(100);
              ScanResult s =
                  o.scan(
                      List.of(),
                      List.of(in.get(0)),
                      false,
                      (bo, c, xt) ->
                          new ScanStep(
                              List.of(),
                              List.of(
                                  bo.randomUniform(TensorType.of(DType.FLOAT32, 5), 0, 1),
                                  bo.add(xt.get(0), bo.context().capture(offset)))));
              return List.of(s.outputs().get(0), s.outputs().get(1));
            },
            List.of(HostTensor.of(Shape.of(2), new float[] {1, 2})));
    double[] u = r.get(0).toDoubleArray();
    for (int i = 0; i < 5; i++) {
      assertEquals(u[i], u[5 + i], "the same numbers at every step, at " + i);
    }
    assertTrue(u[0] != u[1], "random numbers");
    assertClose("captured", new double[] {101, 102}, r.get(1).toDoubleArray(), 0);
  }

  @Test
  void aBodyRefusesWhatOnlyAWholeTraceCanHold() {
    Holder holder = new Holder();
    GraphBuilder b = new GraphBuilder();
    Ops o = new Ops(b, true, b.input(TensorType.of(DType.INT64, 2)));
    Value x = b.input(TensorType.of(DType.FLOAT32, 3, 2));
    holder.trace(o, List.of(x));
    Value outerValue = o.scalar(1);
    IllegalStateException assign =
        assertThrows(
            IllegalStateException.class,
            () ->
                o.scan(
                    List.of(),
                    List.of(x),
                    false,
                    (bo, c, xt) -> {
                      bo.assign(holder.w, bo.read(holder.w));
                      return new ScanStep(List.of(), List.of());
                    }));
    assertTrue(assign.getMessage().contains("inside a scan body"), assign.getMessage());
    assertThrows(
        IllegalStateException.class,
        () ->
            o.scan(
                List.of(),
                List.of(x),
                false,
                (bo, c, xt) -> {
                  bo.addLoss(bo.sumAll(xt.get(0)));
                  return new ScanStep(List.of(), List.of());
                }));
    IllegalArgumentException outer =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                o.scan(
                    List.of(),
                    List.of(x),
                    false,
                    (bo, c, xt) -> new ScanStep(List.of(), List.of(outerValue))));
    assertTrue(outer.getMessage().contains("capture"), outer.getMessage());
    IllegalArgumentException carry =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                o.scan(
                    List.of(o.scalar(0)),
                    List.of(x),
                    false,
                    (bo, c, xt) -> new ScanStep(List.of(bo.add(c.get(0), xt.get(0))), List.of())));
    assertTrue(carry.getMessage().contains("returns carry 0 as"), carry.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            o.scan(List.of(), List.of(), false, (bo, c, xt) -> new ScanStep(List.of(), List.of())));
    // nothing of the failed scans reached the graph as a scan node
    for (Node n : b.nodes()) {
      assertTrue(
          !(n.op() instanceof dev.kiln.spi.ir.ControlFlowOp.Scan), "a scan node was emitted: " + n);
    }
  }
}
