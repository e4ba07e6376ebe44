package dev.kiln.engine.cuda.driver;

import static dev.kiln.engine.cuda.driver.Calls.named;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.kiln.engine.cuda.driver.Status.Pointer;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * cuDNN ({@code libcudnn.so}, versions 8 and 9) through FFM: handles, N-d tensor, filter,
 * convolution and pooling descriptors, convolution forward and both backward passes with the
 * algorithm chosen by the {@code _v7} heuristics query, and pooling forward and backward. Present
 * only when the library is found. Scalars ({@code alpha}, {@code beta}) are float32, as cuDNN takes
 * them for float, half and bfloat16 data; tensors are device addresses.
 *
 * <p>Descriptor set-up is not on a hot path, so these calls go through {@link
 * MethodHandle#invokeWithArguments}; the tests call every method against stand-in handles so that
 * an argument of the wrong type shows without a GPU.
 */
public final class Cudnn {
  /** {@code CUDNN_DATA_FLOAT}. */
  public static final int DATA_FLOAT = 0;

  /** {@code CUDNN_DATA_HALF}. */
  public static final int DATA_HALF = 2;

  /** {@code CUDNN_DATA_BFLOAT16}. */
  public static final int DATA_BFLOAT16 = 9;

  /** {@code CUDNN_TENSOR_NCHW}: filters {@code [out, in/groups, spatial...]}. */
  public static final int TENSOR_NCHW = 0;

  /** {@code CUDNN_TENSOR_NHWC}: filters {@code [out, spatial..., in/groups]}. */
  public static final int TENSOR_NHWC = 1;

  /** {@code CUDNN_CROSS_CORRELATION}: the convolution Keras and Kiln compute. */
  public static final int CROSS_CORRELATION = 1;

  /** {@code CUDNN_DEFAULT_MATH}. */
  public static final int DEFAULT_MATH = 0;

  /** {@code CUDNN_TENSOR_OP_MATH}. */
  public static final int TENSOR_OP_MATH = 1;

  /** {@code CUDNN_FMA_MATH}: float32 passes stay in float32, no TF32 tensor cores. */
  public static final int FMA_MATH = 3;

  /** {@code CUDNN_POOLING_MAX}. */
  public static final int POOLING_MAX = 0;

  /** {@code CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING}. */
  public static final int POOLING_AVERAGE_INCLUDE_PADDING = 1;

  /** {@code CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING}. */
  public static final int POOLING_AVERAGE_EXCLUDE_PADDING = 2;

  /** {@code CUDNN_POOLING_MAX_DETERMINISTIC}. */
  public static final int POOLING_MAX_DETERMINISTIC = 3;

  /** {@code CUDNN_NOT_PROPAGATE_NAN}. */
  public static final int NOT_PROPAGATE_NAN = 0;

  /** {@code CUDNN_PROPAGATE_NAN}. */
  public static final int PROPAGATE_NAN = 1;

  /**
   * {@code cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t}, identical for the three passes:
   * algo, status, time, (padding), memory, determinism, mathType, reserved[3].
   */
  static final StructLayout ALGO_PERF =
      MemoryLayout.structLayout(
          JAVA_INT.withName("algo"),
          JAVA_INT.withName("status"),
          JAVA_FLOAT.withName("time"),
          MemoryLayout.paddingLayout(4),
          JAVA_LONG.withName("memory"),
          JAVA_INT.withName("determinism"),
          JAVA_INT.withName("mathType"),
          MemoryLayout.sequenceLayout(3, JAVA_INT).withName("reserved"),
          MemoryLayout.paddingLayout(4));

  private static final int REQUESTED_ALGOS = 8;

  static final CFunction GET_VERSION =
      new CFunction("cudnnGetVersion", List.of(), FunctionDescriptor.of(JAVA_LONG), false);
  static final CFunction GET_ERROR_STRING =
      new CFunction(
          "cudnnGetErrorString", List.of(), FunctionDescriptor.of(ADDRESS, JAVA_INT), true);
  static final CFunction CREATE = CFunction.status("cudnnCreate", ADDRESS);
  static final CFunction DESTROY = CFunction.status("cudnnDestroy", ADDRESS);
  static final CFunction SET_STREAM = CFunction.status("cudnnSetStream", ADDRESS, ADDRESS);
  static final CFunction CREATE_TENSOR = CFunction.status("cudnnCreateTensorDescriptor", ADDRESS);
  static final CFunction SET_TENSOR_ND =
      CFunction.status("cudnnSetTensorNdDescriptor", ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
  static final CFunction DESTROY_TENSOR = CFunction.status("cudnnDestroyTensorDescriptor", ADDRESS);
  static final CFunction CREATE_FILTER = CFunction.status("cudnnCreateFilterDescriptor", ADDRESS);
  static final CFunction SET_FILTER_ND =
      CFunction.status(
          "cudnnSetFilterNdDescriptor", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
  static final CFunction DESTROY_FILTER = CFunction.status("cudnnDestroyFilterDescriptor", ADDRESS);
  static final CFunction CREATE_CONVOLUTION =
      CFunction.status("cudnnCreateConvolutionDescriptor", ADDRESS);
  static final CFunction SET_CONVOLUTION_ND =
      CFunction.status(
          "cudnnSetConvolutionNdDescriptor",
          ADDRESS,
          JAVA_INT,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          JAVA_INT,
          JAVA_INT);
  static final CFunction SET_CONVOLUTION_GROUP_COUNT =
      CFunction.status("cudnnSetConvolutionGroupCount", ADDRESS, JAVA_INT);
  static final CFunction SET_CONVOLUTION_MATH_TYPE =
      CFunction.status("cudnnSetConvolutionMathType", ADDRESS, JAVA_INT);
  static final CFunction DESTROY_CONVOLUTION =
      CFunction.status("cudnnDestroyConvolutionDescriptor", ADDRESS);
  static final CFunction FORWARD_ALGORITHM =
      algorithmQuery("cudnnGetConvolutionForwardAlgorithm_v7");
  static final CFunction FORWARD_WORKSPACE =
      workspaceQuery("cudnnGetConvolutionForwardWorkspaceSize");
  static final CFunction FORWARD = convolutionPass("cudnnConvolutionForward");
  static final CFunction BACKWARD_DATA_ALGORITHM =
      algorithmQuery("cudnnGetConvolutionBackwardDataAlgorithm_v7");
  static final CFunction BACKWARD_DATA_WORKSPACE =
      workspaceQuery("cudnnGetConvolutionBackwardDataWorkspaceSize");
  static final CFunction BACKWARD_DATA = convolutionPass("cudnnConvolutionBackwardData");
  static final CFunction BACKWARD_FILTER_ALGORITHM =
      algorithmQuery("cudnnGetConvolutionBackwardFilterAlgorithm_v7");
  static final CFunction BACKWARD_FILTER_WORKSPACE =
      workspaceQuery("cudnnGetConvolutionBackwardFilterWorkspaceSize");
  static final CFunction BACKWARD_FILTER = convolutionPass("cudnnConvolutionBackwardFilter");
  static final CFunction CREATE_POOLING = CFunction.status("cudnnCreatePoolingDescriptor", ADDRESS);
  static final CFunction SET_POOLING_ND =
      CFunction.status(
          "cudnnSetPoolingNdDescriptor",
          ADDRESS,
          JAVA_INT,
          JAVA_INT,
          JAVA_INT,
          ADDRESS,
          ADDRESS,
          ADDRESS);
  static final CFunction DESTROY_POOLING =
      CFunction.status("cudnnDestroyPoolingDescriptor", ADDRESS);
  static final CFunction POOLING_FORWARD =
      CFunction.status(
          "cudnnPoolingForward",
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS);
  static final CFunction POOLING_BACKWARD =
      CFunction.status(
          "cudnnPoolingBackward",
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS,
          ADDRESS);

  /** Every function this class binds. */
  static final List<CFunction> FUNCTIONS =
      List.of(
          GET_VERSION,
          GET_ERROR_STRING,
          CREATE,
          DESTROY,
          SET_STREAM,
          CREATE_TENSOR,
          SET_TENSOR_ND,
          DESTROY_TENSOR,
          CREATE_FILTER,
          SET_FILTER_ND,
          DESTROY_FILTER,
          CREATE_CONVOLUTION,
          SET_CONVOLUTION_ND,
          SET_CONVOLUTION_GROUP_COUNT,
          SET_CONVOLUTION_MATH_TYPE,
          DESTROY_CONVOLUTION,
          FORWARD_ALGORITHM,
          FORWARD_WORKSPACE,
          FORWARD,
          BACKWARD_DATA_ALGORITHM,
          BACKWARD_DATA_WORKSPACE,
          BACKWARD_DATA,
          BACKWARD_FILTER_ALGORITHM,
          BACKWARD_FILTER_WORKSPACE,
          BACKWARD_FILTER,
          CREATE_POOLING,
          SET_POOLING_ND,
          DESTROY_POOLING,
          POOLING_FORWARD,
          POOLING_BACKWARD);

  /**
   * The three convolution passes share one shape: handle, alpha, first descriptor and data, second
   * descriptor and data, convolution, algorithm, workspace and its size, beta, output descriptor
   * and data.
   */
  private static CFunction algorithmQuery(String symbol) {
    // handle, four descriptors, requested count, returned count, perf results
    return CFunction.status(
        symbol, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
  }

  private static CFunction workspaceQuery(String symbol) {
    // handle, four descriptors, algorithm, size out
    return CFunction.status(symbol, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
  }

  private static CFunction convolutionPass(String symbol) {
    return CFunction.status(
        symbol, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS,
        JAVA_LONG, ADDRESS, ADDRESS, ADDRESS);
  }

  private final MethodHandle[] handles;
  private final Calls calls = new Calls(this::check);

  Cudnn(Function<CFunction, MethodHandle> resolve) {
    handles = new MethodHandle[FUNCTIONS.size()];
    for (int i = 0; i < handles.length; i++) {
      handles[i] = resolve.apply(FUNCTIONS.get(i));
    }
  }

  /**
   * Binds the cuDNN that {@code located} loaded.
   *
   * @throws CudaException if it was not found or lacks a function Kiln needs
   */
  public static Cudnn bind(CudaLibraries.Located located) {
    located
        .loaded()
        .map(CudaLibraries.Candidate::path)
        .ifPresent(p -> CudaLibraries.preload(subLibraries(p), CudaLibraries.Loader.SYSTEM));
    return new Cudnn(CFunction.resolver("cuDNN", located));
  }

  /**
   * The sub-libraries beside the cuDNN at {@code cudnn} ({@code libcudnn_ops.so.9}, {@code
   * libcudnn_cnn.so.9}, ..., of its major version), by soname. cuDNN 8 and 9 open them by those
   * names on first use, and where the loader does not find them, cuDNN 9 aborts the process
   * ("Invalid handle. Cannot load symbol cudnnCreateConvolutionDescriptor"); loaded first, they are
   * found ({@link CudaLibraries#preload}).
   */
  static List<java.nio.file.Path> subLibraries(java.nio.file.Path cudnn) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("libcudnn\\.so\\.(\\d+).*")
            .matcher(cudnn.getFileName().toString());
    if (!m.matches()) {
      return List.of();
    }
    return CudaLibraries.beside(cudnn, "libcudnn_[a-z0-9_]+\\.so\\." + m.group(1));
  }

  private MethodHandle handle(CFunction f) {
    return handles[FUNCTIONS.indexOf(f)];
  }

  private void check(int code, CFunction f, Object[] named) {
    if (code != 0) {
      throw Status.failure(
          "cuDNN",
          f.symbol(),
          named,
          code,
          StatusNames.CUDNN,
          null,
          Status.describer(handle(GET_ERROR_STRING)));
    }
  }

  private void call(CFunction f, Object[] named, Object... args) {
    calls.run(handle(f), f, named, args);
  }

  /** {@code cudnnGetVersion()}: 90600 for 9.6.0, 8907 for 8.9.7. */
  public long version() {
    try {
      return (long) handle(GET_VERSION).invokeExact();
    } catch (Throwable t) {
      throw new CudaException("calling cudnnGetVersion failed: " + t, t);
    }
  }

  /** A new cuDNN handle for the current context's device. */
  public MemorySegment create() {
    return created(CREATE);
  }

  /** Destroys a handle. */
  public void destroy(MemorySegment handle) {
    call(DESTROY, named("handle", handle), handle);
  }

  /** Runs the handle's work on {@code stream}. */
  public void setStream(MemorySegment handle, MemorySegment stream) {
    call(SET_STREAM, named("handle", handle, "streamId", stream), handle, stream);
  }

  private MemorySegment created(CFunction f) {
    return calls.pointerOut(handle(f), f, named());
  }

  /** An N-d tensor descriptor ({@code dims} and element {@code strides}, 3 to 8 dimensions). */
  public MemorySegment tensorDescriptor(int dataType, int[] dims, int[] strides) {
    if (dims.length != strides.length) {
      throw new IllegalArgumentException(
          "tensor descriptor: "
              + dims.length
              + " dims but "
              + strides.length
              + " strides: "
              + Arrays.toString(dims)
              + ", "
              + Arrays.toString(strides));
    }
    MemorySegment d = created(CREATE_TENSOR);
    try (Arena arena = Arena.ofConfined()) {
      call(
          SET_TENSOR_ND,
          named("dataType", dataType, "nbDims", dims.length, "dimA", dims, "strideA", strides),
          d,
          dataType,
          dims.length,
          arena.allocateFrom(JAVA_INT, dims),
          arena.allocateFrom(JAVA_INT, strides));
      return d;
    } catch (RuntimeException e) {
      destroyQuietly(DESTROY_TENSOR, d);
      throw e;
    }
  }

  /** Destroys a tensor descriptor. */
  public void destroyTensorDescriptor(MemorySegment descriptor) {
    call(DESTROY_TENSOR, named("tensorDesc", descriptor), descriptor);
  }

  /** An N-d filter descriptor: {@code dims} are {@code [out, in/groups, spatial...]}. */
  public MemorySegment filterDescriptor(int dataType, int format, int[] dims) {
    MemorySegment d = created(CREATE_FILTER);
    try (Arena arena = Arena.ofConfined()) {
      call(
          SET_FILTER_ND,
          named("dataType", dataType, "format", format, "nbDims", dims.length, "filterDimA", dims),
          d,
          dataType,
          format,
          dims.length,
          arena.allocateFrom(JAVA_INT, dims));
      return d;
    } catch (RuntimeException e) {
      destroyQuietly(DESTROY_FILTER, d);
      throw e;
    }
  }

  /** Destroys a filter descriptor. */
  public void destroyFilterDescriptor(MemorySegment descriptor) {
    call(DESTROY_FILTER, named("filterDesc", descriptor), descriptor);
  }

  /**
   * A cross-correlation descriptor over {@code pads.length} spatial dimensions, with {@code groups}
   * groups, computing in {@code computeType} with {@code mathType} ({@link #DEFAULT_MATH} or {@link
   * #TENSOR_OP_MATH}).
   */
  public MemorySegment convolutionDescriptor(
      int[] pads, int[] strides, int[] dilations, int groups, int computeType, int mathType) {
    if (pads.length != strides.length || pads.length != dilations.length) {
      throw new IllegalArgumentException(
          "convolution descriptor: pads "
              + Arrays.toString(pads)
              + ", strides "
              + Arrays.toString(strides)
              + " and dilations "
              + Arrays.toString(dilations)
              + " must have one entry per spatial dimension");
    }
    MemorySegment d = created(CREATE_CONVOLUTION);
    try (Arena arena = Arena.ofConfined()) {
      call(
          SET_CONVOLUTION_ND,
          named(
              "arrayLength",
              pads.length,
              "padA",
              pads,
              "filterStrideA",
              strides,
              "dilationA",
              dilations,
              "mode",
              CROSS_CORRELATION,
              "computeType",
              computeType),
          d,
          pads.length,
          arena.allocateFrom(JAVA_INT, pads),
          arena.allocateFrom(JAVA_INT, strides),
          arena.allocateFrom(JAVA_INT, dilations),
          CROSS_CORRELATION,
          computeType);
      call(SET_CONVOLUTION_GROUP_COUNT, named("groupCount", groups), d, groups);
      call(SET_CONVOLUTION_MATH_TYPE, named("mathType", mathType), d, mathType);
      return d;
    } catch (RuntimeException e) {
      destroyQuietly(DESTROY_CONVOLUTION, d);
      throw e;
    }
  }

  /** Destroys a convolution descriptor. */
  public void destroyConvolutionDescriptor(MemorySegment descriptor) {
    call(DESTROY_CONVOLUTION, named("convDesc", descriptor), descriptor);
  }

  /** A pooling descriptor ({@code mode}: a {@code POOLING_*}; NaNs are not propagated). */
  public MemorySegment poolingDescriptor(int mode, int[] window, int[] pads, int[] strides) {
    MemorySegment d = created(CREATE_POOLING);
    try (Arena arena = Arena.ofConfined()) {
      call(
          SET_POOLING_ND,
          named(
              "mode",
              mode,
              "nbDims",
              window.length,
              "windowDimA",
              window,
              "paddingA",
              pads,
              "strideA",
              strides),
          d,
          mode,
          NOT_PROPAGATE_NAN,
          window.length,
          arena.allocateFrom(JAVA_INT, window),
          arena.allocateFrom(JAVA_INT, pads),
          arena.allocateFrom(JAVA_INT, strides));
      return d;
    } catch (RuntimeException e) {
      destroyQuietly(DESTROY_POOLING, d);
      throw e;
    }
  }

  /** Destroys a pooling descriptor. */
  public void destroyPoolingDescriptor(MemorySegment descriptor) {
    call(DESTROY_POOLING, named("poolingDesc", descriptor), descriptor);
  }

  private void destroyQuietly(CFunction destroy, MemorySegment descriptor) {
    try {
      call(destroy, named(), descriptor);
    } catch (RuntimeException ignored) {
      // The set-up error being thrown is the one worth reporting.
    }
  }

  /**
   * An algorithm the heuristics ranked, with the workspace it needs.
   *
   * @param algo the {@code cudnnConvolution*Algo_t} value
   * @param workspaceBytes its workspace
   */
  public record Algorithm(int algo, long workspaceBytes) {}

  /** The convolution pass an algorithm is chosen for. */
  public enum Pass {
    /** {@code y = conv(x, w)}. */
    FORWARD,
    /** {@code dx} from {@code w} and {@code dy}. */
    BACKWARD_DATA,
    /** {@code dw} from {@code x} and {@code dy}. */
    BACKWARD_FILTER
  }

  /**
   * The heuristics' best algorithm for a pass whose workspace fits in {@code workspaceLimit} bytes,
   * with the larger of the heuristics' workspace and {@code cudnnGetConvolution*WorkspaceSize}'s
   * for it. The descriptors are those the pass takes, in cuDNN's order: forward {@code (x, w, conv,
   * y)}, backward data {@code (w, dy, conv, dx)}, backward filter {@code (x, dy, conv, dw)}.
   *
   * @throws CudaException if no ranked algorithm is usable within the limit
   */
  public Algorithm chooseAlgorithm(
      MemorySegment handle,
      Pass pass,
      MemorySegment first,
      MemorySegment second,
      MemorySegment convolution,
      MemorySegment output,
      long workspaceLimit) {
    return chooseAlgorithm(handle, pass, first, second, convolution, output, workspaceLimit, -1);
  }

  /**
   * As {@link #chooseAlgorithm(MemorySegment, Pass, MemorySegment, MemorySegment, MemorySegment,
   * MemorySegment, long)} for a convolution descriptor set up with {@code mathType}: the heuristics
   * rank pairs of algorithm and math type, and cuDNN runs an algorithm as the descriptor's math
   * type says, so the descriptor takes the chosen pair's math type (as PyTorch does after the same
   * query). {@link #FMA_MATH} stays, to keep float32 exact: an algorithm ranked with tensor-core
   * math is then skipped. With a negative {@code mathType} the descriptor is left as it is.
   */
  public Algorithm chooseAlgorithm(
      MemorySegment handle,
      Pass pass,
      MemorySegment first,
      MemorySegment second,
      MemorySegment convolution,
      MemorySegment output,
      long workspaceLimit,
      int mathType) {
    CFunction query =
        switch (pass) {
          case FORWARD -> FORWARD_ALGORITHM;
          case BACKWARD_DATA -> BACKWARD_DATA_ALGORITHM;
          case BACKWARD_FILTER -> BACKWARD_FILTER_ALGORITHM;
        };
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment count = arena.allocate(JAVA_INT);
      MemorySegment results = arena.allocate(ALGO_PERF, REQUESTED_ALGOS);
      call(
          query,
          named("requestedAlgoCount", REQUESTED_ALGOS),
          handle,
          first,
          second,
          convolution,
          output,
          REQUESTED_ALGOS,
          count,
          results);
      List<Ranked> rankedWithMath = rankedWithMath(results, count.get(JAVA_INT, 0));
      List<Algorithm> ranked = rankedWithMath.stream().map(Ranked::algorithm).toList();
      List<String> refused = new ArrayList<>();
      int set = mathType;
      for (Ranked r : rankedWithMath) {
        Algorithm a = r.algorithm();
        if (a.workspaceBytes() > workspaceLimit) {
          continue;
        }
        if (mathType == FMA_MATH) {
          if (r.mathType() != FMA_MATH && r.mathType() != DEFAULT_MATH) {
            refused.add("algo " + a.algo() + ": tensor-core math " + r.mathType());
            continue;
          }
        } else if (mathType >= 0 && r.mathType() != set) {
          // The workspace the algorithm needs depends on the math type too.
          call(
              SET_CONVOLUTION_MATH_TYPE,
              named("mathType", r.mathType()),
              convolution,
              r.mathType());
          set = r.mathType();
        }
        // The heuristics' memory field is an estimate; the pass itself checks its workspace
        // against cudnnGetConvolution*WorkspaceSize, so the larger of the two is reserved. An
        // algorithm that query refuses cannot run these descriptors.
        long needed;
        try {
          needed = workspaceSize(handle, pass, first, second, convolution, output, a.algo());
        } catch (CudaException e) {
          refused.add("algo " + a.algo() + ": " + e.errorName());
          continue;
        }
        long bytes = Math.max(a.workspaceBytes(), needed);
        if (bytes <= workspaceLimit) {
          return new Algorithm(a.algo(), bytes);
        }
        refused.add("algo " + a.algo() + ": workspace " + bytes + " bytes");
      }
      throw new CudaException(
          query.symbol()
              + " ranked no usable "
              + pass
              + " algorithm with a workspace within "
              + workspaceLimit
              + " bytes; ranked: "
              + ranked
              + (refused.isEmpty() ? "" : "; refused: " + refused),
          null);
    }
  }

  /** The usable entries of a perf-result array, in the heuristics' order. */
  static List<Algorithm> ranked(MemorySegment results, int count) {
    return rankedWithMath(results, count).stream().map(Ranked::algorithm).toList();
  }

  /** A usable perf-result entry and the math type it was ranked with. */
  private record Ranked(Algorithm algorithm, int mathType) {}

  private static List<Ranked> rankedWithMath(MemorySegment results, int count) {
    List<Ranked> usable = new ArrayList<>();
    long size = ALGO_PERF.byteSize();
    for (int i = 0; i < Math.min(count, results.byteSize() / size); i++) {
      MemorySegment r = results.asSlice(i * size, size);
      int status =
          r.get(JAVA_INT, ALGO_PERF.byteOffset(MemoryLayout.PathElement.groupElement("status")));
      if (status == 0) {
        usable.add(
            new Ranked(
                new Algorithm(
                    r.get(
                        JAVA_INT,
                        ALGO_PERF.byteOffset(MemoryLayout.PathElement.groupElement("algo"))),
                    r.get(
                        JAVA_LONG,
                        ALGO_PERF.byteOffset(MemoryLayout.PathElement.groupElement("memory")))),
                r.get(
                    JAVA_INT,
                    ALGO_PERF.byteOffset(MemoryLayout.PathElement.groupElement("mathType")))));
      }
    }
    return usable;
  }

  /** The workspace {@code algo} needs for the pass (descriptors in the pass's order). */
  public long workspaceSize(
      MemorySegment handle,
      Pass pass,
      MemorySegment first,
      MemorySegment second,
      MemorySegment convolution,
      MemorySegment output,
      int algo) {
    CFunction query =
        switch (pass) {
          case FORWARD -> FORWARD_WORKSPACE;
          case BACKWARD_DATA -> BACKWARD_DATA_WORKSPACE;
          case BACKWARD_FILTER -> BACKWARD_FILTER_WORKSPACE;
        };
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment size = arena.allocate(JAVA_LONG);
      call(query, named("algo", algo), handle, first, second, convolution, output, algo, size);
      return size.get(JAVA_LONG, 0);
    }
  }

  /**
   * Runs a convolution pass: {@code out = alpha * pass(firstData, secondData) + beta * out}, with
   * descriptors and data in the pass's order (see {@link #chooseAlgorithm}).
   */
  public void convolution(
      MemorySegment handle,
      Pass pass,
      float alpha,
      MemorySegment firstDescriptor,
      long firstData,
      MemorySegment secondDescriptor,
      long secondData,
      MemorySegment convolution,
      Algorithm algorithm,
      long workspace,
      long workspaceBytes,
      float beta,
      MemorySegment outputDescriptor,
      long outputData) {
    CFunction f =
        switch (pass) {
          case FORWARD -> FORWARD;
          case BACKWARD_DATA -> BACKWARD_DATA;
          case BACKWARD_FILTER -> BACKWARD_FILTER;
        };
    try (Arena arena = Arena.ofConfined()) {
      call(
          f,
          named(
              "alpha",
              alpha,
              "first",
              new Pointer(firstData),
              "second",
              new Pointer(secondData),
              "algo",
              algorithm.algo(),
              "workSpace",
              new Pointer(workspace),
              "workSpaceSizeInBytes",
              workspaceBytes,
              "beta",
              beta,
              "output",
              new Pointer(outputData)),
          handle,
          arena.allocateFrom(JAVA_FLOAT, alpha),
          firstDescriptor,
          MemorySegment.ofAddress(firstData),
          secondDescriptor,
          MemorySegment.ofAddress(secondData),
          convolution,
          algorithm.algo(),
          MemorySegment.ofAddress(workspace),
          workspaceBytes,
          arena.allocateFrom(JAVA_FLOAT, beta),
          outputDescriptor,
          MemorySegment.ofAddress(outputData));
    }
  }

  /** {@code y = alpha * pool(x) + beta * y}. */
  public void poolingForward(
      MemorySegment handle,
      MemorySegment pooling,
      float alpha,
      MemorySegment xDescriptor,
      long x,
      float beta,
      MemorySegment yDescriptor,
      long y) {
    try (Arena arena = Arena.ofConfined()) {
      call(
          POOLING_FORWARD,
          named("x", new Pointer(x), "y", new Pointer(y)),
          handle,
          pooling,
          arena.allocateFrom(JAVA_FLOAT, alpha),
          xDescriptor,
          MemorySegment.ofAddress(x),
          arena.allocateFrom(JAVA_FLOAT, beta),
          yDescriptor,
          MemorySegment.ofAddress(y));
    }
  }

  /** {@code dx = alpha * poolBackward(y, dy, x) + beta * dx}. */
  public void poolingBackward(
      MemorySegment handle,
      MemorySegment pooling,
      float alpha,
      MemorySegment yDescriptor,
      long y,
      MemorySegment dyDescriptor,
      long dy,
      MemorySegment xDescriptor,
      long x,
      float beta,
      MemorySegment dxDescriptor,
      long dx) {
    try (Arena arena = Arena.ofConfined()) {
      call(
          POOLING_BACKWARD,
          named(
              "y",
              new Pointer(y),
              "dy",
              new Pointer(dy),
              "x",
              new Pointer(x),
              "dx",
              new Pointer(dx)),
          handle,
          pooling,
          arena.allocateFrom(JAVA_FLOAT, alpha),
          yDescriptor,
          MemorySegment.ofAddress(y),
          dyDescriptor,
          MemorySegment.ofAddress(dy),
          xDescriptor,
          MemorySegment.ofAddress(x),
          arena.allocateFrom(JAVA_FLOAT, beta),
          dxDescriptor,
          MemorySegment.ofAddress(dx));
    }
  }
}
