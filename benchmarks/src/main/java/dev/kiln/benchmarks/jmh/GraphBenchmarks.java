package dev.kiln.benchmarks.jmh;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.Backends;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Whole executables on the native backend: LeNet's second convolution forward and backward (batch
 * 64, 12x12x20 input, 5x5x20x50 kernel), and an elementwise chain over 1M floats.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GraphBenchmarks {
  @Param({
    "conv2d_forward",
    "conv2d_backward",
    "elementwise_chain",
    "adam_update",
    "adam_update_op"
  })
  String graph;

  /** Elementwise fusion off (the default) or on: the before and after of fusing chains. */
  @Param({"false", "true"})
  String fusion;

  private Backend backend;
  private Executable exe;
  private List<DeviceTensor> inputs;

  @Setup
  public void setup() {
    System.setProperty("kiln.native.fusion", fusion);
    backend = Backends.open("native");
    GraphBuilder b = new GraphBuilder();
    ConvSpec spec = ConvSpec.simple(2, Padding.VALID);
    switch (graph) {
      case "conv2d_forward" -> {
        Value x = b.input(TensorType.of(DType.FLOAT32, 64, 12, 12, 20));
        Value w = b.input(TensorType.of(DType.FLOAT32, 5, 5, 20, 50));
        b.output(b.conv(x, w, spec));
      }
      case "conv2d_backward" -> {
        Value x = b.input(TensorType.of(DType.FLOAT32, 64, 12, 12, 20));
        Value w = b.input(TensorType.of(DType.FLOAT32, 5, 5, 20, 50));
        Value dy = b.input(TensorType.of(DType.FLOAT32, 64, 8, 8, 50));
        b.output(
            b.convBackpropInput(dy, w, spec, x.shape()),
            b.convBackpropFilter(x, dy, spec, w.shape()));
      }
      case "elementwise_chain" -> {
        Value x = b.input(TensorType.of(DType.FLOAT32, 1 << 20));
        Value y =
            b.tanh(b.add(b.mul(x, b.scalar(1.5, DType.FLOAT32)), b.scalar(0.25, DType.FLOAT32)));
        b.output(b.mul(b.sigmoid(y), x));
      }
      case "adam_update" -> {
        // Adam's update of a 784x512 kernel: the chain that fusion targets.
        List<Value> in = adamOperands(b);
        Value p = in.get(0);
        Value g = in.get(1);
        Value m = in.get(2);
        Value v = in.get(3);
        Value m2 =
            b.add(b.mul(b.scalar(0.9, DType.FLOAT32), m), b.mul(b.scalar(0.1, DType.FLOAT32), g));
        Value v2 =
            b.add(
                b.mul(b.scalar(0.999, DType.FLOAT32), v),
                b.mul(b.scalar(0.001, DType.FLOAT32), b.square(g)));
        Value step =
            b.div(
                b.mul(b.scalar(1e-3, DType.FLOAT32), m2),
                b.add(b.sqrt(v2), b.scalar(1e-7, DType.FLOAT32)));
        b.output(b.sub(p, step), m2, v2);
      }
      case "adam_update_op" -> {
        // The same update as one adam_update op (weight, gradient and both moments in one pass).
        List<Value> in = adamOperands(b);
        List<Value> r =
            b.adamUpdate(
                in.get(0),
                in.get(1),
                in.get(2),
                in.get(3),
                b.scalar(1e-3, DType.FLOAT32),
                0.9,
                0.999,
                1e-7);
        b.output(r.get(0), r.get(1), r.get(2));
      }
      default -> throw new IllegalArgumentException(graph);
    }
    var g = b.build();
    exe = backend.compile(g, CompileOptions.defaults());
    SplittableRandom rnd = new SplittableRandom(1);
    inputs = new ArrayList<>();
    for (TensorType t : g.inputTypes()) {
      HostTensor h = HostTensor.zeros(t.dtype(), t.shape());
      for (int i = 0; i < h.size(); i++) {
        h.setDouble(i, rnd.nextDouble() - 0.5);
      }
      inputs.add(backend.upload(h));
    }
  }

  /** Weight, gradient and both moments of a 784x512 kernel, as graph inputs. */
  private static List<Value> adamOperands(GraphBuilder b) {
    List<Value> in = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      in.add(b.input(TensorType.of(DType.FLOAT32, 784 * 512)));
    }
    return in;
  }

  @TearDown
  public void tearDown() {
    exe.close();
    backend.close();
  }

  @Benchmark
  public int run() {
    List<DeviceTensor> out = exe.run(inputs);
    int n = out.size();
    out.forEach(DeviceTensor::close);
    return n;
  }
}
