package dev.kiln.engine.cuda;

import dev.kiln.engine.cuda.driver.Cudnn;
import dev.kiln.spi.backend.BackendException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * cuDNN's convolutions on one device: a plan per distinct pass (descriptors and the algorithm the
 * heuristics rank first within the workspace limit), made when a program is compiled, so that a
 * launch only calls the pass. Plans live as long as the runtime, shared by every program that has a
 * convolution of the same geometry. Not thread-safe; the runtime serializes its calls.
 */
final class CudnnConvolutions implements AutoCloseable {
  private final Cudnn cudnn;
  private final MemorySegment handle;
  private final int floatMath;
  private final List<Prepared> prepared = new ArrayList<>();
  private final Map<CudnnConvolution, Integer> ids = new HashMap<>();

  /** A pass's descriptors, in the pass's order, and its algorithm. */
  private record Prepared(
      CudnnConvolution conv,
      MemorySegment first,
      MemorySegment second,
      MemorySegment convolution,
      MemorySegment output,
      Cudnn.Algorithm algorithm) {}

  /**
   * @param cudnn the bound library
   * @param stream the runtime's stream, on which the passes run
   * @param tf32 whether float32 passes may round their inputs to TF32 on tensor cores
   */
  CudnnConvolutions(Cudnn cudnn, MemorySegment stream, boolean tf32) {
    this.cudnn = cudnn;
    this.handle = cudnn.create();
    try {
      cudnn.setStream(handle, stream);
    } catch (RuntimeException e) {
      cudnn.destroy(handle);
      throw e;
    }
    // cuDNN's default math lets float32 passes use TF32 on Ampere and newer; FMA math keeps them
    // exact, as Kiln's kernels and cuBLAS are unless the TF32 switch is on.
    this.floatMath = tf32 ? Cudnn.DEFAULT_MATH : Cudnn.FMA_MATH;
  }

  /**
   * The plan of {@code c}, made on first use: its id for launches and the workspace its algorithm
   * needs.
   *
   * @throws BackendException when cuDNN rejects the descriptors or ranks no algorithm within {@code
   *     workspaceLimit}
   */
  synchronized CudnnPlan plan(CudnnConvolution c, long workspaceLimit) {
    Integer id = ids.get(c);
    if (id == null) {
      prepared.add(prepare(c, workspaceLimit));
      id = prepared.size() - 1;
      ids.put(c, id);
    }
    return new CudnnPlan(id, prepared.get(id).algorithm().workspaceBytes());
  }

  private Prepared prepare(CudnnConvolution c, long workspaceLimit) {
    List<Runnable> undo = new ArrayList<>();
    try {
      int type = c.dataType();
      MemorySegment input = cudnn.tensorDescriptor(type, c.inputDims(), c.inputStrides());
      undo.add(() -> cudnn.destroyTensorDescriptor(input));
      MemorySegment output = cudnn.tensorDescriptor(type, c.outputDims(), c.outputStrides());
      undo.add(() -> cudnn.destroyTensorDescriptor(output));
      MemorySegment filter = cudnn.filterDescriptor(type, Cudnn.TENSOR_NHWC, c.filterDims());
      undo.add(() -> cudnn.destroyFilterDescriptor(filter));
      int math = c.dataType() == Cudnn.DATA_FLOAT ? floatMath : Cudnn.TENSOR_OP_MATH;
      MemorySegment conv =
          cudnn.convolutionDescriptor(
              c.pads(),
              c.strides(),
              c.dilations(),
              c.groups(),
              // Half and bfloat16 data accumulate in float, as Kiln's kernels do.
              Cudnn.DATA_FLOAT,
              math);
      undo.add(() -> cudnn.destroyConvolutionDescriptor(conv));
      MemorySegment[] order =
          switch (c.pass()) {
            case FORWARD -> new MemorySegment[] {input, filter, output};
            case BACKWARD_DATA -> new MemorySegment[] {filter, output, input};
            case BACKWARD_FILTER -> new MemorySegment[] {input, output, filter};
          };
      Cudnn.Algorithm a =
          cudnn.chooseAlgorithm(
              handle, c.pass(), order[0], order[1], conv, order[2], workspaceLimit, math);
      return new Prepared(c, order[0], order[1], conv, order[2], a);
    } catch (RuntimeException e) {
      for (int i = undo.size() - 1; i >= 0; i--) {
        try {
          undo.get(i).run();
        } catch (RuntimeException ignored) {
          // The set-up error is the one worth reporting.
        }
      }
      throw new BackendException(
          "cuDNN cannot run the convolution " + c + ": " + e.getMessage(), e);
    }
  }

  /**
   * Queues plan {@code id}'s pass: {@code output = pass(first, second)}, with operands in the
   * pass's order (forward {@code x, w}; backward data {@code w, dy}; backward filter {@code x,
   * dy}).
   */
  synchronized void run(
      int id, long first, long second, long output, long workspace, long workspaceBytes) {
    Prepared p = prepared.get(id);
    cudnn.convolution(
        handle,
        p.conv().pass(),
        1f,
        p.first(),
        first,
        p.second(),
        second,
        p.convolution(),
        p.algorithm(),
        workspace,
        workspaceBytes,
        0f,
        p.output(),
        output);
  }

  @Override
  public synchronized void close() {
    for (Prepared p : prepared) {
      quietly(() -> cudnn.destroyConvolutionDescriptor(p.convolution()));
      for (MemorySegment d : new MemorySegment[] {p.first(), p.second(), p.output()}) {
        if (d.equals(filterOf(p))) {
          quietly(() -> cudnn.destroyFilterDescriptor(d));
        } else {
          quietly(() -> cudnn.destroyTensorDescriptor(d));
        }
      }
    }
    prepared.clear();
    ids.clear();
    quietly(() -> cudnn.destroy(handle));
  }

  private static MemorySegment filterOf(Prepared p) {
    return switch (p.conv().pass()) {
      case FORWARD -> p.second();
      case BACKWARD_DATA -> p.first();
      case BACKWARD_FILTER -> p.output();
    };
  }

  private static void quietly(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException ignored) {
      // Closing frees what it can; a failing destroy must not keep the rest alive.
    }
  }
}
