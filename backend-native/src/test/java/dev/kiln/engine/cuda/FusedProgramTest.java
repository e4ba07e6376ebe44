package dev.kiln.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Programs on an emulated device with NVRTC: each chain is one launch at its last node, gives the
 * unfused program's bytes, and its inputs stay alive until it runs; without NVRTC, or when a chain
 * does not compile, the program runs op by op.
 */
class FusedProgramTest {
  private static FakeCudaRuntime device() {
    return new FakeCudaRuntime(1L << 30, true);
  }

  @Test
  void denseReluSigmoidIsOneLaunchGivingTheUnfusedResult() {
    FusedChains.Case c = FusedChains.denseReluSigmoid();
    FakeCudaRuntime fusing = device().withNvrtc();
    FusedChains.Run fused = FusedChains.run(fusing, c.graph(), c.inputs());
    FusedChains.Run plain = FusedChains.run(device(), c.graph(), c.inputs());
    assertEquals(1, fused.launches().size(), () -> "launches: " + fused.launches());
    assertEquals(1, fused.fusedLaunches());
    assertEquals(5, plain.launches().size());
    assertEquals(0, plain.fusedLaunches());
    FusedChains.assertSameValues(c, plain.output(), fused.output(), "fused");
    assertEquals(1, fusing.compileCalls);
    // The intermediates get no memory: only the output is planned.
    assertEquals(8 * 16 * 4, fused.plannedBytes());
    assertTrue(plain.plannedBytes() > fused.plannedBytes());
  }

  @Test
  void everyCaseGivesTheUnfusedBytes() {
    for (FusedChains.Case c : FusedChains.all()) {
      FusedChains.Run fused = FusedChains.run(device().withNvrtc(), c.graph(), c.inputs());
      FusedChains.Run plain = FusedChains.run(device(), c.graph(), c.inputs());
      assertEquals(1, fused.fusedLaunches(), c.name());
      FusedChains.assertSameValues(c, plain.output(), fused.output(), "fused");
    }
  }

  @Test
  void aChainThatDoesNotCompileRunsOpByOp() {
    FusedChains.Case c = FusedChains.denseReluSigmoid();
    FakeCudaRuntime refusing = device().withNvrtc(k -> false);
    FusedChains.Run run = FusedChains.run(refusing, c.graph(), c.inputs());
    assertEquals(0, run.fusedLaunches());
    assertEquals(5, run.launches().size());
    FusedChains.assertSameValues(
        c, FusedChains.run(device(), c.graph(), c.inputs()).output(), run.output(), "refused");
  }

  @Test
  void theChainsInputsOutliveTheNodesRunBetweenItsOps() {
    // b is written by a matmul and read by the chain's first op; other matmuls run before the
    // chain's last op, and would take b's buffer if it were freed at the first op.
    GraphBuilder g = new GraphBuilder();
    TensorType t = TensorType.of(DType.FLOAT32, 16, 16);
    Value x = g.input(t);
    Value y = g.input(t);
    Value b = g.matmul(x, y);
    Value a = g.add(x, b);
    Value m1 = g.matmul(y, y);
    Value e = g.exp(a);
    Value m2 = g.matmul(m1, x);
    Value out = g.add(g.tanh(e), m2);
    Graph graph = g.output(out).build();
    Random r = new Random(7);
    List<byte[]> in = List.of(FusedChains.moderate(t, r), FusedChains.moderate(t, r));
    FakeCudaRuntime fusing = device().withNvrtc();
    FusedChains.Run fused = FusedChains.run(fusing, graph, in);
    FusedChains.Run plain = FusedChains.run(device(), graph, in);
    assertEquals(1, fused.fusedLaunches());
    assertEquals(4, fused.launches().size(), () -> "launches: " + fused.launches());
    FusedChains.assertSameValues(
        new FusedChains.Case("interleaved", graph, in), plain.output(), fused.output(), "fused");
  }

  @Test
  void theBuffersOfTheChainsInputsFreeWhereItRuns() {
    // b is read by the chain's first op only; once the chain has run, m3 can take its buffer.
    GraphBuilder g = new GraphBuilder();
    TensorType t = TensorType.of(DType.FLOAT32, 16, 16);
    Value x = g.input(t);
    Value y = g.input(t);
    Value b = g.matmul(x, y);
    Value m1 = g.matmul(y, y);
    Value chain = g.add(g.tanh(g.exp(g.add(x, b))), m1);
    Graph graph = g.output(g.matmul(chain, x)).build();
    Random r = new Random(11);
    List<byte[]> in = List.of(FusedChains.moderate(t, r), FusedChains.moderate(t, r));
    FusedChains.Run fused = FusedChains.run(device().withNvrtc(), graph, in);
    assertEquals(1, fused.fusedLaunches());
    // b's buffer, then m1's, which the chain's result overwrites; m3 reuses b's.
    assertEquals(2 * 16 * 16 * 4, fused.plannedBytes());
    FusedChains.assertSameValues(
        new FusedChains.Case("freed", graph, in),
        FusedChains.run(device(), graph, in).output(),
        fused.output(),
        "fused");
  }

  @Test
  void theFusedOutputMayOverwriteAnInputThatDiesThere() {
    // c dies at the chain's last op and has its shape, so the plan may write the result over it.
    GraphBuilder g = new GraphBuilder();
    TensorType t = TensorType.of(DType.FLOAT32, 8, 8);
    Value x = g.input(t);
    Value c = g.matmul(x, x);
    Value out = g.mul(g.sigmoid(g.neg(x)), c);
    Graph graph = g.output(g.matmul(out, x)).build();
    List<byte[]> in = List.of(FusedChains.moderate(t, new Random(3)));
    FusedChains.Run fused = FusedChains.run(device().withNvrtc(), graph, in);
    assertEquals(1, fused.fusedLaunches());
    FusedChains.assertSameValues(
        new FusedChains.Case("in place", graph, in),
        FusedChains.run(device(), graph, in).output(),
        fused.output(),
        "fused");
  }

  @Test
  void aDeviceWithoutNvrtcPlansNoChains() {
    FakeCudaRuntime plain = device();
    FusedChains.run(
        plain, FusedChains.denseReluSigmoid().graph(), FusedChains.denseReluSigmoid().inputs());
    assertEquals(0, plain.compileCalls);
    assertTrue(plain.compiled().isEmpty());
  }
}
