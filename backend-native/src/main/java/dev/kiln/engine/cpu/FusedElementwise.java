package dev.kiln.engine.cpu;

import dev.kiln.spi.DType;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.Op;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A chain of float32 elementwise ops run as one pass over memory: the output is processed in tiles
 * of {@link #TILE} elements, each op of the chain runs its vector loop over the tile, and
 * intermediate tiles live in a per-thread scratch that stays in L1. Main memory sees each external
 * operand read once and the result written once, instead of one read and one write per op (an Adam
 * update is ~11 ops over every parameter).
 */
final class FusedElementwise implements Kernel {
  /** Tile length: 16 tiles of scratch (64 KB) fit L2 and a tile's operands fit L1. */
  static final int TILE = 1024;

  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

  /** Where an op reads an operand: an external input (full-size or scalar) or an earlier op. */
  private record Ref(boolean external, int index, boolean scalar) {}

  private record Step(Op op, Ref[] args) {}

  private final Step[] steps;
  private final int externals;
  private final long n;
  private final CpuPool pool;
  private final MemorySegment scratch;
  private final float[] scalars;

  /**
   * @param nodes the chain, in order; the last one's result is the kernel's output
   * @param inputs the values read from outside the chain, in kernel operand order
   */
  FusedElementwise(List<Node> nodes, List<Value> inputs, CpuPool pool) {
    this.pool = pool;
    this.externals = inputs.size();
    this.n = nodes.get(nodes.size() - 1).output().shape().size();
    Map<Value, Integer> produced = new HashMap<>();
    List<Step> list = new ArrayList<>();
    for (Node node : nodes) {
      Ref[] args = new Ref[node.inputs().size()];
      for (int i = 0; i < args.length; i++) {
        Value v = node.inputs().get(i);
        Integer p = produced.get(v);
        args[i] =
            p != null
                ? new Ref(false, p, false)
                : new Ref(true, inputs.indexOf(v), v.shape().size() == 1);
      }
      produced.put(node.output(), list.size());
      list.add(new Step(node.op(), args));
    }
    this.steps = list.toArray(Step[]::new);
    this.scalars = new float[externals];
    this.scratch =
        OffHeap.allocate(Arena.ofAuto(), (long) pool.threads() * steps.length * TILE * 4, 64);
  }

  /** True for a node this kernel can run: float32, elementwise, a vector loop exists. */
  static boolean fusable(Node node) {
    if (node.outputs().size() != 1 || node.output().dtype() != DType.FLOAT32) {
      return false;
    }
    for (Value v : node.inputs()) {
      if (v.dtype() != DType.FLOAT32
          || !(v.shape().equals(node.output().shape()) || v.shape().size() == 1)) {
        return false;
      }
    }
    return switch (node.op()) {
      case ElementwiseOp.Unary u -> F32Loops.hasUnary(u.fn());
      case ElementwiseOp.Binary b -> F32Loops.hasBinary(b.fn());
      default -> false;
    };
  }

  @Override
  public void run(MemorySegment[] in, MemorySegment[] out) {
    for (int i = 0; i < externals; i++) {
      if (in[i].byteSize() >= 4) {
        scalars[i] = in[i].getAtIndex(F, 0);
      }
    }
    int tiles = (int) ((n + TILE - 1) / TILE);
    int perThread = (tiles + pool.threads() - 1) / pool.threads();
    pool.parallelFor(
        pool.threads(),
        1,
        (from, to) -> {
          for (int t = from; t < to; t++) {
            long slot = (long) t * steps.length * TILE;
            for (int tile = t * perThread; tile < Math.min(tiles, (t + 1) * perThread); tile++) {
              runTile(
                  in,
                  out[0],
                  slot,
                  (long) tile * TILE,
                  (int) Math.min(TILE, n - (long) tile * TILE));
            }
          }
        });
  }

  private void runTile(MemorySegment[] in, MemorySegment out, long slot, long at, int len) {
    for (int s = 0; s < steps.length; s++) {
      Step step = steps[s];
      boolean last = s == steps.length - 1;
      MemorySegment ys = last ? out : scratch;
      long yOff = last ? at : slot + (long) s * TILE;
      switch (step.op()) {
        case ElementwiseOp.Unary u -> {
          Ref x = step.args()[0];
          if (x.scalar()) {
            float v = (float) ScalarKernels.unaryF(u.fn(), scalars[x.index()]);
            for (int i = 0; i < len; i++) {
              ys.setAtIndex(F, yOff + i, v);
            }
          } else {
            F32Loops.unary(u.fn(), seg(in, x), off(x, slot, at), ys, yOff, len);
          }
        }
        case ElementwiseOp.Binary b -> {
          Ref p = step.args()[0];
          Ref q = step.args()[1];
          if (p.scalar() && q.scalar()) {
            float v = (float) ScalarKernels.binaryF(b.fn(), scalars[p.index()], scalars[q.index()]);
            for (int i = 0; i < len; i++) {
              ys.setAtIndex(F, yOff + i, v);
            }
          } else if (p.scalar()) {
            F32Loops.binarySV(
                b.fn(), scalars[p.index()], seg(in, q), off(q, slot, at), ys, yOff, len);
          } else if (q.scalar()) {
            F32Loops.binaryVS(
                b.fn(), seg(in, p), off(p, slot, at), scalars[q.index()], ys, yOff, len);
          } else {
            F32Loops.binaryVV(
                b.fn(), seg(in, p), off(p, slot, at), seg(in, q), off(q, slot, at), ys, yOff, len);
          }
        }
        default -> throw new IllegalStateException("not fusable: " + step.op().name());
      }
    }
  }

  private MemorySegment seg(MemorySegment[] in, Ref r) {
    return r.external() ? in[r.index()] : scratch;
  }

  private static long off(Ref r, long slot, long at) {
    return r.external() ? at : slot + (long) r.index() * TILE;
  }
}
