package dev.kiln.engine;

import dev.kiln.engine.cpu.Kernel;
import dev.kiln.engine.cpu.OffHeap;
import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * Runs a scan: the body is compiled once into its own program; each step binds the carries, a slice
 * of each sequence (no copy) and the constants, runs the body, and copies the per-step outputs into
 * the stacked results. The constants are bound once per run, and the body's kernels keep what they
 * derive from them (a matmul packs a constant B once) until the next run. Carries alternate between
 * two buffer sets, so a body that swaps or passes carries through reads the old values while the
 * new ones are written.
 */
final class ScanKernel implements Kernel {
  private final ControlFlowOp.Scan scan;
  private final Program body;
  private final Graph g;
  private final int k;
  private final int m;
  private final long[] carryBytes;
  private final long[] stepBytes;
  private final long[] yBytes;
  private final MemorySegment[][] carries;

  ScanKernel(ControlFlowOp.Scan scan, Node node, NativeBackend backend, Arena arena) {
    this.scan = scan;
    this.g = scan.body();
    this.k = scan.numCarries();
    this.m = scan.numSequences();
    // The constants are bound once per run of the scan, so kernels may keep what they derive from
    // them (a matmul's packed B) across the steps.
    this.body =
        new Program(
            g, backend, arena, Set.of(), Set.copyOf(g.inputs().subList(k + m, g.inputs().size())));
    carryBytes = new long[k];
    carries = new MemorySegment[2][k];
    for (int i = 0; i < k; i++) {
      carryBytes[i] = bytes(g.inputs().get(i));
      for (int set = 0; set < 2; set++) {
        carries[set][i] = OffHeap.allocate(arena, carryBytes[i], NativeTensor.ALIGNMENT);
      }
    }
    stepBytes = new long[m];
    for (int i = 0; i < m; i++) {
      stepBytes[i] = bytes(g.inputs().get(k + i));
    }
    int ny = scan.numStepOutputs();
    yBytes = new long[ny];
    for (int j = 0; j < ny; j++) {
      yBytes[j] = bytes(g.outputs().get(k + j));
    }
  }

  private static long bytes(Value v) {
    return v.shape().size() * v.dtype().byteSize();
  }

  @Override
  public void run(MemorySegment[] in, MemorySegment[] out) {
    int cur = 0;
    for (int i = 0; i < k; i++) {
      MemorySegment.copy(in[i], 0, carries[cur][i], 0, carryBytes[i]);
    }
    int consts = in.length - k - m;
    for (int c = 0; c < consts; c++) {
      body.bindInput(k + m + c, in[k + m + c]);
    }
    body.keptInputsChanged();
    for (int step = 0; step < scan.length(); step++) {
      int t = scan.reverse() ? scan.length() - 1 - step : step;
      for (int i = 0; i < k; i++) {
        body.bindInput(i, carries[cur][i]);
      }
      for (int i = 0; i < m; i++) {
        body.bindInput(k + i, in[k + i].asSlice(t * stepBytes[i], Math.max(0, stepBytes[i])));
      }
      body.run();
      // Per-step outputs first: one may be an incoming carry, which the carry copy overwrites.
      for (int j = 0; j < yBytes.length; j++) {
        MemorySegment.copy(
            body.segment(g.outputs().get(k + j)), 0, out[k + j], t * yBytes[j], yBytes[j]);
      }
      int next = 1 - cur;
      for (int i = 0; i < k; i++) {
        MemorySegment.copy(body.segment(g.outputs().get(i)), 0, carries[next][i], 0, carryBytes[i]);
      }
      cur = next;
    }
    for (int i = 0; i < k; i++) {
      MemorySegment.copy(carries[cur][i], 0, out[i], 0, carryBytes[i]);
    }
  }
}
