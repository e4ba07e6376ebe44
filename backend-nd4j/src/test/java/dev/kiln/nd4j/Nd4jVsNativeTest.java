package dev.kiln.nd4j;

import dev.kiln.spi.HostTensor;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.Backends;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.testkit.Compare;
import dev.kiln.spi.testkit.WholeGraphs;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The whole-graph train steps (MLP with Adam, scan RNN with SGD) on nd4j against the native engine,
 * from identical weights: losses and updated weights agree within 1e-4 relative. The conv-net step
 * waits for convolution on nd4j.
 */
class Nd4jVsNativeTest {
  @TestFactory
  Stream<DynamicTest> sameLossesAndWeights() {
    return WholeGraphs.all().stream()
        .filter(c -> !c.name().contains("conv"))
        .map(c -> DynamicTest.dynamicTest(c.name(), () -> compare(c)));
  }

  /** 2-D convolution (ND4J's conv2d behind a pad) against the engine, for three paddings. */
  @org.junit.jupiter.api.Test
  void conv2dAgrees() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(3);
    HostTensor x = HostTensor.zeros(dev.kiln.spi.DType.FLOAT32, dev.kiln.spi.Shape.of(2, 9, 8, 3));
    HostTensor w = HostTensor.zeros(dev.kiln.spi.DType.FLOAT32, dev.kiln.spi.Shape.of(3, 2, 3, 4));
    for (int i = 0; i < x.size(); i++) {
      x.setDouble(i, r.nextDouble() - 0.5);
    }
    for (int i = 0; i < w.size(); i++) {
      w.setDouble(i, r.nextDouble() - 0.5);
    }
    List<dev.kiln.spi.ir.Op.ConvSpec> specs =
        List.of(
            dev.kiln.spi.ir.Op.ConvSpec.simple(2, dev.kiln.spi.ir.Padding.VALID),
            new dev.kiln.spi.ir.Op.ConvSpec(
                new int[] {2, 2}, dev.kiln.spi.ir.Padding.SAME, new int[] {1, 1}, 1),
            new dev.kiln.spi.ir.Op.ConvSpec(
                new int[] {1, 2},
                dev.kiln.spi.ir.Padding.explicit(new int[] {2, 1}, new int[] {0, 3}),
                new int[] {2, 1},
                1));
    try (Backend nd4j = Backends.open("nd4j");
        Backend cpu = Backends.open("native")) {
      for (dev.kiln.spi.ir.Op.ConvSpec spec : specs) {
        dev.kiln.spi.ir.GraphBuilder b = new dev.kiln.spi.ir.GraphBuilder();
        var xv = b.input(x.type());
        var wv = b.input(w.type());
        dev.kiln.spi.ir.Graph g = b.output(b.conv(xv, wv, spec)).build();
        try (Executable a = nd4j.compile(g, CompileOptions.defaults());
            Executable e = cpu.compile(g, CompileOptions.defaults())) {
          Compare.assertClose(
              "conv2d " + spec.padding(),
              e.runHost(List.of(x, w)).get(0),
              a.runHost(List.of(x, w)).get(0),
              1e-5,
              1e-6);
        }
      }
    }
  }

  private static void compare(WholeGraphs.TrainStep c) {
    try (Backend nd4j = Backends.open("nd4j");
        Backend cpu = Backends.open("native")) {
      c.variables().forEach(nd4j::createVariable);
      c.variables().forEach(cpu::createVariable);
      try (Executable a = nd4j.compile(c.step(), CompileOptions.defaults());
          Executable b = cpu.compile(c.step(), CompileOptions.defaults())) {
        for (int s = 0; s < c.batches().size(); s++) {
          List<HostTensor> batch = c.batches().get(s);
          List<HostTensor> x = a.runHost(batch);
          List<HostTensor> y = b.runHost(batch);
          Compare.assertClose(c.name() + " step " + s + " loss", y.get(0), x.get(0), 1e-4, 1e-6);
        }
      }
      for (String id : c.variables().keySet()) {
        Compare.assertClose(
            c.name() + " variable " + id,
            cpu.variable(id).orElseThrow().read(),
            nd4j.variable(id).orElseThrow().read(),
            1e-4,
            1e-6);
      }
    }
  }
}
