package dev.kiln.engine.cuda.kernels;

import static dev.kiln.engine.cuda.kernels.ParamKind.CONV;
import static dev.kiln.engine.cuda.kernels.ParamKind.F32;
import static dev.kiln.engine.cuda.kernels.ParamKind.F64;
import static dev.kiln.engine.cuda.kernels.ParamKind.I32;
import static dev.kiln.engine.cuda.kernels.ParamKind.I64;
import static dev.kiln.engine.cuda.kernels.ParamKind.INDEXER;
import static dev.kiln.engine.cuda.kernels.ParamKind.POOL;
import static dev.kiln.engine.cuda.kernels.ParamKind.PTR;

import java.util.List;

/**
 * The kernel families of {@code src/main/cuda}: for each, the module (source file) that defines it,
 * the name prefix its instantiations share, and the parameter list every instantiation takes. The
 * comment at the top of each {@code .cu} file says what each parameter means.
 */
public enum KernelFamily {
  /** {@code kiln_unary_<t>(fn, n, x, y)}. */
  UNARY("elementwise", "kiln_unary_", I32, I64, PTR, PTR),
  /** {@code kiln_binary_<t>(fn, n, ix, a, b, y)}. */
  BINARY("elementwise", "kiln_binary_", I32, I64, INDEXER, PTR, PTR, PTR),
  /** {@code kiln_compare_<t>(fn, n, ix, a, b, y)}. */
  COMPARE("elementwise", "kiln_compare_", I32, I64, INDEXER, PTR, PTR, PTR),
  /** {@code kiln_select_<bN>(n, ix, cond, a, b, y)}. */
  SELECT("elementwise", "kiln_select_", I64, INDEXER, PTR, PTR, PTR, PTR),
  /** {@code kiln_cast_<from>_<to>(n, x, y)}. */
  CAST("elementwise", "kiln_cast_", I64, PTR, PTR),
  /** {@code kiln_copy_<bN>(n, ix, x, xOffset, y, yOffset)}. */
  COPY("copy", "kiln_copy_", I64, INDEXER, PTR, I64, PTR, I64),
  /** {@code kiln_fill_<bN>(n, pattern, y)}. */
  FILL("copy", "kiln_fill_", I64, I64, PTR),
  /** {@code kiln_reduce_<t>(fn, outCount, reduceCount, kept, reduced, x, y)}. */
  REDUCE("reduce", "kiln_reduce_", I32, I64, I64, INDEXER, INDEXER, PTR, PTR),
  /** {@code kiln_argreduce_<t>_<i32|i64>(fn, outer, len, inner, x, y)}. */
  ARGREDUCE("reduce", "kiln_argreduce_", I32, I64, I64, I64, PTR, PTR),
  /** {@code kiln_softmax_<t>(log, outer, len, inner, x, y)}. */
  SOFTMAX("reduce", "kiln_softmax_", I32, I64, I64, I64, PTR, PTR),
  /** The 128x128-tile GEMM of f32, f16, bf16 (float alpha, beta). */
  GEMM("gemm", "kiln_gemm_", Gemms.params(F32)),
  /** The 64x64-tile GEMM of f32, f16, bf16 (float alpha, beta). */
  GEMM64("gemm", "kiln_gemm64_", Gemms.params(F32)),
  /** The 16x16-tile GEMM of f64 and the integers (double alpha, beta). */
  GEMM_SIMPLE("gemm", "kiln_gemm_", Gemms.params(F64)),
  /** {@code kiln_im2col_<bN>(g, total, x, col)}. */
  IM2COL("conv", "kiln_im2col_", CONV, I64, PTR, PTR),
  /** {@code kiln_col2im_<t>(g, total, col, dx)}. */
  COL2IM("conv", "kiln_col2im_", CONV, I64, PTR, PTR),
  /** {@code kiln_pool_<t>(fn, g, total, x, y)}. */
  POOL_FORWARD("pool", "kiln_pool_", I32, POOL, I64, PTR, PTR),
  /** {@code kiln_max_pool_backward_<t>(g, total, x, dy, dx)}. */
  MAX_POOL_BACKWARD("pool", "kiln_max_pool_backward_", POOL, I64, PTR, PTR, PTR),
  /** {@code kiln_avg_pool_backward_<t>(g, total, dy, dx)}. */
  AVG_POOL_BACKWARD("pool", "kiln_avg_pool_backward_", POOL, I64, PTR, PTR),
  /** {@code kiln_gather_<bN>(outer, dim, inner, count, params, idx, idxType, y)}. */
  GATHER("index", "kiln_gather_", I64, I64, I64, I64, PTR, PTR, I32, PTR),
  /** {@code kiln_scatter_add_<t>(outer, dim, inner, count, idx, idxType, updates, y)}. */
  SCATTER_ADD("index", "kiln_scatter_add_", I64, I64, I64, I64, PTR, I32, PTR, PTR),
  /** {@code kiln_one_hot_<t>(n, depth, idx, idxType, y)}. */
  ONE_HOT("index", "kiln_one_hot_", I64, I32, PTR, I32, PTR),
  /** {@code kiln_iota_<t>(n, inner, dim, y)}. */
  IOTA("index", "kiln_iota_", I64, I64, I64, PTR),
  /** {@code kiln_random_<t>(dist, n, a, b, seed, y)}. */
  RANDOM("random", "kiln_random_", I32, I64, F64, F64, PTR, PTR),
  /** {@code kiln_adam_<t>(n, 1 - beta1, 1 - beta2, epsilon, alpha, w, g, m, v, w', m', v')}. */
  ADAM("adam", "kiln_adam_", I64, F64, F64, F64, PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR),
  /**
   * Not a PTX kernel: a cuDNN convolution pass that the runtime calls, {@code (plan, first, second,
   * output, workspace, workspaceBytes)} with the operands in the pass's order.
   */
  CUDNN_CONVOLUTION(null, "cudnn_convolution", I32, PTR, PTR, PTR, PTR, I64),
  /**
   * Not in Kiln's PTX: a fused elementwise kernel generated from the IR and compiled at run time
   * ({@code dev.kiln.engine.cuda.FusedElementwise}). Each kernel has its own parameter list, {@code
   * (n, in0, ..., out)}, which its {@link CudaKernel} carries; the family declares none.
   */
  FUSED(null, "kiln_fused_"),
  /** {@code kiln_batch_norm_stats_<t>(outer, c, inner, x, mean, var)}. */
  BATCH_NORM_STATS("batchnorm", "kiln_batch_norm_stats_", I64, I64, I64, PTR, PTR, PTR),
  /** {@code kiln_batch_norm_apply_<t>(outer, c, inner, epsilon, x, gamma, beta, mean, var, y)}. */
  BATCH_NORM_APPLY(
      "batchnorm", "kiln_batch_norm_apply_", I64, I64, I64, F64, PTR, PTR, PTR, PTR, PTR, PTR),
  /**
   * {@code kiln_batch_norm_grad_sums_<t>(outer, c, inner, epsilon, x, mean, var, dy, dgamma,
   * dbeta)}.
   */
  BATCH_NORM_GRAD_SUMS(
      "batchnorm", "kiln_batch_norm_grad_sums_", I64, I64, I64, F64, PTR, PTR, PTR, PTR, PTR, PTR),
  /**
   * {@code kiln_batch_norm_grad_apply_<t>(outer, c, inner, epsilon, x, gamma, mean, var, dy, dmean,
   * dvar, dgamma, dbeta, dx)}.
   */
  BATCH_NORM_GRAD_APPLY(
      "batchnorm",
      "kiln_batch_norm_grad_apply_",
      I64,
      I64,
      I64,
      F64,
      PTR,
      PTR,
      PTR,
      PTR,
      PTR,
      PTR,
      PTR,
      PTR,
      PTR,
      PTR);

  /** The GEMM families' one parameter list, with alpha and beta of the given kind. */
  private static final class Gemms {
    static ParamKind[] params(ParamKind scalar) {
      return new ParamKind[] {
        I32, I32, I32, I32, I32, scalar, PTR, I64, PTR, I64, scalar, PTR, I64, I64, INDEXER
      };
    }
  }

  private final String module;
  private final String prefix;
  private final List<ParamKind> params;

  KernelFamily(String module, String prefix, ParamKind... params) {
    this.module = module;
    this.prefix = prefix;
    this.params = List.of(params);
  }

  /**
   * The PTX module (source file name without {@code .cu}) defining the family, or null for a
   * library call ({@link #library()}) or a generated kernel ({@link #generated()}).
   */
  public String module() {
    return module;
  }

  /** Whether the family's launches are calls into a CUDA library that the runtime makes. */
  public boolean library() {
    return module == null && this != FUSED;
  }

  /** Whether the family's kernels are generated and compiled at run time, not shipped as PTX. */
  public boolean generated() {
    return this == FUSED;
  }

  /** The parameter list of every kernel of the family (none for {@link #FUSED}). */
  public List<ParamKind> params() {
    return params;
  }

  /** The kernel of this family for a name suffix such as {@code f32} or {@code f32_i64}. */
  public CudaKernel kernel(String suffix) {
    return new CudaKernel(prefix + suffix, this);
  }
}
