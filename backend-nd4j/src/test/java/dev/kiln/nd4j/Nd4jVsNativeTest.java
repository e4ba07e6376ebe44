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
 * The whole-graph train steps (MLP with Adam, conv net with SGD, scan RNN with SGD) on nd4j against
 * the native engine, from identical weights: losses and updated weights agree within 1e-4 relative.
 */
class Nd4jVsNativeTest {
  @TestFactory
  Stream<DynamicTest> sameLossesAndWeights() {
    return WholeGraphs.all().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> compare(c)));
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
