package dev.kiln.spi.testkit;

import static dev.kiln.spi.DType.FLOAT32;
import static dev.kiln.spi.DType.INT32;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.autodiff.Autodiff;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Whole training steps as single graphs: forward, loss, autodiff and the optimizer update, with the
 * parameters in backend variables. The suite runs each a few times on the backend and on the
 * reference and compares losses and final parameters.
 */
public final class WholeGraphs {
  private WholeGraphs() {}

  /**
   * A train step and what it needs.
   *
   * @param name the case name in the skip file
   * @param step the graph; output 0 is the loss
   * @param variables initial values of every variable it reads
   * @param batches one list of inputs per step to run
   */
  public record TrainStep(
      String name, Graph step, Map<String, HostTensor> variables, List<List<HostTensor>> batches) {}

  /** The MLP, conv-net and scan-RNN steps. */
  public static List<TrainStep> all() {
    return List.of(mlpAdam(), convNetSgd(), rnnSgd());
  }

  static HostTensor glorot(SplittableRandom rnd, int fanIn, int fanOut, int... dims) {
    double limit = Math.sqrt(6.0 / (fanIn + fanOut));
    HostTensor t = HostTensor.zeros(FLOAT32, Shape.of(dims));
    for (int i = 0; i < t.size(); i++) {
      t.setDouble(i, (rnd.nextDouble() * 2 - 1) * limit);
    }
    return t;
  }

  static HostTensor labels(SplittableRandom rnd, int n, int classes) {
    HostTensor t = HostTensor.zeros(INT32, Shape.of(n));
    for (int i = 0; i < n; i++) {
      t.setDouble(i, rnd.nextInt(classes));
    }
    return t;
  }

  /** Mean softmax cross-entropy of integer labels. */
  static Value sparseCrossEntropy(GraphBuilder b, Value logits, Value labels) {
    int classes = logits.shape().dim(-1);
    Value onehot = b.oneHot(labels, classes, logits.dtype());
    Value perExample = b.softmaxCrossEntropy(logits, onehot, -1);
    return b.reduceMean(perExample, new int[] {0}, false);
  }

  static Value dense(GraphBuilder b, Value x, Value w, Value bias) {
    return b.add(b.matmul(x, w), bias);
  }

  /** 12-16-5 MLP with ReLU, softmax cross-entropy and Adam (bias-corrected, in the graph). */
  static TrainStep mlpAdam() {
    SplittableRandom rnd = new SplittableRandom(11);
    Map<String, HostTensor> vars = new LinkedHashMap<>();
    vars.put("w1", glorot(rnd, 12, 16, 12, 16));
    vars.put("b1", HostTensor.zeros(FLOAT32, Shape.of(16)));
    vars.put("w2", glorot(rnd, 16, 5, 16, 5));
    vars.put("b2", HostTensor.zeros(FLOAT32, Shape.of(5)));
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(TensorType.of(FLOAT32, 8, 12));
    Value y = b.input(TensorType.of(INT32, 8));
    List<Value> params = new ArrayList<>();
    for (Map.Entry<String, HostTensor> e : List.copyOf(vars.entrySet())) {
      params.add(b.variable(e.getKey(), e.getValue().type()));
    }
    Value h = b.relu(dense(b, x, params.get(0), params.get(1)));
    Value loss = sparseCrossEntropy(b, dense(b, h, params.get(2), params.get(3)), y);
    List<Value> grads = Autodiff.gradients(b, loss, params);
    TensorType scalar = TensorType.of(FLOAT32);
    vars.put("t", HostTensor.zeros(FLOAT32, Shape.scalar()));
    Value t = b.add(b.variable("t", scalar), b.scalar(1, FLOAT32));
    b.update("t", t);
    double lr = 0.01;
    double beta1 = 0.9;
    double beta2 = 0.999;
    // lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t), as Keras's Adam.
    Value c1 = b.sub(b.scalar(1, FLOAT32), b.pow(b.scalar(beta1, FLOAT32), t));
    Value c2 = b.sub(b.scalar(1, FLOAT32), b.pow(b.scalar(beta2, FLOAT32), t));
    Value lrT = b.div(b.mul(b.scalar(lr, FLOAT32), b.sqrt(c2)), c1);
    String[] names = {"w1", "b1", "w2", "b2"};
    for (int i = 0; i < names.length; i++) {
      Value p = params.get(i);
      Value g = grads.get(i);
      String mId = names[i] + "/m";
      String vId = names[i] + "/v";
      vars.put(mId, HostTensor.zeros(FLOAT32, p.shape()));
      vars.put(vId, HostTensor.zeros(FLOAT32, p.shape()));
      Value m = b.variable(mId, p.type());
      Value v = b.variable(vId, p.type());
      Value m2 = b.add(b.mul(b.scalar(beta1, FLOAT32), m), b.mul(b.scalar(1 - beta1, FLOAT32), g));
      Value v2 =
          b.add(
              b.mul(b.scalar(beta2, FLOAT32), v), b.mul(b.scalar(1 - beta2, FLOAT32), b.square(g)));
      Value step = b.div(b.mul(lrT, m2), b.add(b.sqrt(v2), b.scalar(1e-7, FLOAT32)));
      b.update(mId, m2).update(vId, v2).update(names[i], b.sub(p, step));
    }
    Graph g = b.output(loss).build();
    List<List<HostTensor>> batches = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      batches.add(
          List.of(Domain.ANY.sample(TensorType.of(FLOAT32, 8, 12), rnd), labels(rnd, 8, 5)));
    }
    return new TrainStep("whole_graph.mlp_adam", g, vars, batches);
  }

  /** conv 3x3 (4) + ReLU + 2x2 max pool + dense, plain SGD. */
  static TrainStep convNetSgd() {
    SplittableRandom rnd = new SplittableRandom(12);
    Map<String, HostTensor> vars = new LinkedHashMap<>();
    vars.put("k", glorot(rnd, 9, 36, 3, 3, 1, 4));
    vars.put("kb", HostTensor.zeros(FLOAT32, Shape.of(4)));
    vars.put("w", glorot(rnd, 64, 3, 64, 3));
    vars.put("wb", HostTensor.zeros(FLOAT32, Shape.of(3)));
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(TensorType.of(FLOAT32, 4, 8, 8, 1));
    Value y = b.input(TensorType.of(INT32, 4));
    List<Value> p = new ArrayList<>();
    for (Map.Entry<String, HostTensor> e : vars.entrySet()) {
      p.add(b.variable(e.getKey(), e.getValue().type()));
    }
    Value conv = b.relu(b.add(b.conv(x, p.get(0), ConvSpec.simple(2, Padding.SAME)), p.get(1)));
    Value pooled =
        b.pool(PoolFn.MAX, conv, new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, Padding.VALID));
    Value flat = b.reshape(pooled, Shape.of(4, 64));
    Value loss = sparseCrossEntropy(b, dense(b, flat, p.get(2), p.get(3)), y);
    sgd(b, vars, p, Autodiff.gradients(b, loss, p), 0.1);
    Graph g = b.output(loss).build();
    List<List<HostTensor>> batches = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      batches.add(
          List.of(Domain.ANY.sample(TensorType.of(FLOAT32, 4, 8, 8, 1), rnd), labels(rnd, 4, 3)));
    }
    return new TrainStep("whole_graph.conv_sgd", g, vars, batches);
  }

  /** An Elman RNN over 6 steps via scan; squared error of the last state; SGD. */
  static TrainStep rnnSgd() {
    SplittableRandom rnd = new SplittableRandom(13);
    Map<String, HostTensor> vars = new LinkedHashMap<>();
    vars.put("w", glorot(rnd, 3, 4, 3, 4));
    vars.put("u", glorot(rnd, 4, 4, 4, 4));
    vars.put("bias", HostTensor.zeros(FLOAT32, Shape.of(4)));
    GraphBuilder b = new GraphBuilder();
    Value xs = b.input(TensorType.of(FLOAT32, 6, 2, 3));
    Value target = b.input(TensorType.of(FLOAT32, 2, 4));
    List<Value> p = new ArrayList<>();
    for (Map.Entry<String, HostTensor> e : vars.entrySet()) {
      p.add(b.variable(e.getKey(), e.getValue().type()));
    }
    Value h0 = b.fill(0, TensorType.of(FLOAT32, 2, 4));
    List<Value> r = b.scan(OpCases.rnnBody(FLOAT32, 2, 3, 4), List.of(h0), List.of(xs), p, false);
    Value loss = b.reduceMean(b.square(b.sub(r.get(0), target)), new int[] {0, 1}, false);
    sgd(b, vars, p, Autodiff.gradients(b, loss, p), 0.5);
    Graph g = b.output(loss, r.get(1)).build();
    List<List<HostTensor>> batches = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      batches.add(
          List.of(
              Domain.ANY.sample(TensorType.of(FLOAT32, 6, 2, 3), rnd),
              Domain.range(-0.9, 0.9).sample(TensorType.of(FLOAT32, 2, 4), rnd)));
    }
    return new TrainStep("whole_graph.rnn_sgd", g, vars, batches);
  }

  private static void sgd(
      GraphBuilder b, Map<String, HostTensor> vars, List<Value> p, List<Value> g, double lr) {
    int i = 0;
    for (String id : vars.keySet()) {
      DType d = p.get(i).dtype();
      b.update(id, b.sub(p.get(i), b.mul(b.scalar(lr, d), g.get(i))));
      i++;
    }
  }
}
