package dev.kiln.samples;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.autodiff.Autodiff;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.Backends;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.ArgFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The IR demo: a 2-16-2 MLP learns two interleaved spirals. Forward pass, softmax cross-entropy,
 * autodiff and the SGD update are one graph, compiled once by whichever backend selection picks and
 * run step after step with the weights in backend variables.
 */
public final class IrDemo {
  private static final int N = 200;
  private static final int HIDDEN = 32;

  private IrDemo() {}

  public static void main(String[] args) {
    SplittableRandom rnd = new SplittableRandom(7);
    float[] xs = new float[N * 2];
    int[] ys = new int[N];
    for (int i = 0; i < N; i++) {
      int label = i % 2;
      double t = 0.5 + 2.5 * rnd.nextDouble();
      double angle = t * 1.6 + label * Math.PI;
      xs[2 * i] = (float) (t * Math.cos(angle) / 3 + rnd.nextGaussian() * 0.03);
      xs[2 * i + 1] = (float) (t * Math.sin(angle) / 3 + rnd.nextGaussian() * 0.03);
      ys[i] = label;
    }
    HostTensor x = HostTensor.of(Shape.of(N, 2), xs);
    HostTensor y = HostTensor.of(Shape.of(N), ys);

    try (Backend backend = Backends.open()) {
      System.out.println("backend: " + backend.name() + " on " + backend.defaultDevice());
      String[] ids = {"w1", "b1", "w2", "b2"};
      int[][] shapes = {{2, HIDDEN}, {HIDDEN}, {HIDDEN, 2}, {2}};
      for (int i = 0; i < ids.length; i++) {
        backend.createVariable(ids[i], init(rnd, shapes[i]));
      }

      GraphBuilder b = new GraphBuilder();
      Value in = b.input(TensorType.of(DType.FLOAT32, N, 2));
      Value labels = b.input(TensorType.of(DType.INT32, N));
      List<Value> p = new ArrayList<>();
      for (int i = 0; i < ids.length; i++) {
        p.add(b.variable(ids[i], TensorType.of(DType.FLOAT32, shapes[i])));
      }
      Value h = b.tanh(b.add(b.matmul(in, p.get(0)), p.get(1)));
      Value logits = b.add(b.matmul(h, p.get(2)), p.get(3));
      Value onehot = b.oneHot(labels, 2, DType.FLOAT32);
      Value loss = b.reduceMean(b.softmaxCrossEntropy(logits, onehot, -1), new int[] {0}, false);
      Value predicted = b.argReduce(ArgFn.ARGMAX, logits, 1, false);
      Value correct = b.cast(b.compare(CompareFn.EQUAL, predicted, labels), DType.FLOAT32);
      Value accuracy = b.reduceMean(correct, new int[] {0}, false);
      List<Value> grads = Autodiff.gradients(b, loss, p);
      for (int i = 0; i < ids.length; i++) {
        b.update(ids[i], b.sub(p.get(i), b.mul(b.scalar(1.0, DType.FLOAT32), grads.get(i))));
      }
      Graph step = b.output(loss, accuracy).build();
      System.out.println("train step: " + step.nodes().size() + " nodes, forward part:");
      System.out.print(forwardDump(step));

      try (Executable exe = backend.compile(step, CompileOptions.defaults())) {
        List<HostTensor> out = List.of();
        for (int s = 1; s <= 500; s++) {
          out = exe.runHost(List.of(x, y));
          if (s == 1 || s % 100 == 0) {
            System.out.printf(
                Locale.ROOT,
                "step %3d  loss %.4f  accuracy %.3f%n",
                s,
                out.get(0).getDouble(0),
                out.get(1).getDouble(0));
          }
        }
        System.out.printf(Locale.ROOT, "final_loss: %.4f%n", out.get(0).getDouble(0));
        System.out.printf(Locale.ROOT, "final_accuracy: %.3f%n", out.get(1).getDouble(0));
      }
    }
  }

  private static HostTensor init(SplittableRandom rnd, int[] shape) {
    HostTensor t = HostTensor.zeros(DType.FLOAT32, Shape.of(shape));
    if (shape.length == 2) {
      double limit = Math.sqrt(6.0 / (shape[0] + shape[1]));
      for (int i = 0; i < t.size(); i++) {
        t.setDouble(i, (2 * rnd.nextDouble() - 1) * limit);
      }
    }
    return t;
  }

  /** The dump up to the loss: the gradient part is long and mechanical. */
  private static String forwardDump(Graph step) {
    StringBuilder b = new StringBuilder();
    for (String line : step.toString().split("\n")) {
      b.append(line).append('\n');
      if (line.contains("softmax_cross_entropy")) {
        b.append("  ... (gradients and updates)\n");
        break;
      }
    }
    return b.toString();
  }
}
