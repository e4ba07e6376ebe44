package dev.kiln.engine.cuda.kernels;

import java.util.List;

/**
 * One kernel entry point of Kiln's PTX: its {@code extern "C"} name and its family, which fixes the
 * module that defines it and its parameter list.
 *
 * @param name the entry point's name, e.g. {@code kiln_binary_f32}
 * @param family the family it belongs to
 */
public record CudaKernel(String name, KernelFamily family) {
  /** The PTX module defining the kernel. */
  public String module() {
    return family.module();
  }

  /** The kernel's parameters in order. */
  public List<ParamKind> params() {
    return family.params();
  }
}
