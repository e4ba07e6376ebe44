package dev.kiln.engine.cpu;

import dev.kiln.spi.ir.Node;

/** Float32 kernels written with the Vector API; null where the scalar twin is the only kernel. */
final class VectorKernels {
  private VectorKernels() {}

  static Kernel of(Node n, CpuPool pool) {
    return null;
  }
}
