package dev.kiln.engine.cuda.kernels;

import java.util.List;

/**
 * One kernel entry point: its {@code extern "C"} name, its family, which fixes the module that
 * defines it, and its parameter list. A shipped kernel takes its family's parameters; a generated
 * one ({@link KernelFamily#FUSED}) has a list of its own.
 *
 * @param name the entry point's name, e.g. {@code kiln_binary_f32}
 * @param family the family it belongs to
 * @param params the kernel's parameters in order
 */
public record CudaKernel(String name, KernelFamily family, List<ParamKind> params) {
  /**
   * Checks that a shipped kernel takes its family's parameters.
   *
   * @throws IllegalArgumentException when a kernel of a shipped family declares other parameters
   */
  public CudaKernel {
    params = List.copyOf(params);
    if (!family.generated() && !params.equals(family.params())) {
      throw new IllegalArgumentException(
          "kernel "
              + name
              + " of family "
              + family
              + " must take "
              + family.params()
              + "; declared "
              + params);
    }
  }

  /** A kernel of a shipped family, with the family's parameters. */
  public CudaKernel(String name, KernelFamily family) {
    this(name, family, family.params());
  }

  /** The PTX module defining the kernel (null for a generated kernel or a library call). */
  public String module() {
    return family.module();
  }
}
